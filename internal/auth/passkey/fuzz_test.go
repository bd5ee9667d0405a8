package passkey_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/passkey"
	"github.com/instant-erp/instanterp/internal/auth/passkey/passkeytest"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The answer to a passwordless sign-in comes from anyone on the internet. Whatever
// it is, against a fresh challenge it signs nobody in and nothing panics. The first
// seed is a valid answer to an earlier challenge: a replay, which must be refused too.
func FuzzFinishPasswordless(f *testing.F) {
	ctx := context.Background()
	db := storetest.OpenSQLite(f)
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		f.Fatal(err)
	}
	m, err := passkey.New(db, passkey.Config{Origin: origin})
	if err != nil {
		f.Fatal(err)
	}
	a := passkeytest.New(f, rpID, origin)
	opts, handle, err := m.BeginRegistration(ctx, ada, "browser")
	if err != nil {
		f.Fatal(err)
	}
	if _, err := m.FinishRegistration(ctx, ada, handle, "browser", a.Create(opts), "Laptop"); err != nil {
		f.Fatal(err)
	}
	opts, handle, err = m.BeginPasswordless(ctx, "browser")
	if err != nil {
		f.Fatal(err)
	}
	answer := a.Get(opts)
	if uid, err := m.FinishPasswordless(ctx, handle, "browser", answer); err != nil || uid != ada.ID {
		f.Fatalf("the seed answer itself: %d, %v", uid, err)
	}
	f.Add(answer)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{"clientDataJSON":"","authenticatorData":"","signature":"","userHandle":""}}`))
	f.Fuzz(func(t *testing.T, response []byte) {
		_, handle, err := m.BeginPasswordless(ctx, "browser")
		if err != nil {
			t.Fatal(err)
		}
		if uid, err := m.FinishPasswordless(ctx, handle, "browser", response); err == nil {
			t.Fatalf("answer %q signed in user %d", response, uid)
		}
	})
}
