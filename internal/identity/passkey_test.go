package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/passkey"
	"github.com/instant-erp/instanterp/internal/auth/passkey/passkeytest"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestPasskeySignIn(t *testing.T) {
	f := newFixture(t, storetest.Engines()[0])
	ctx := context.Background()
	ada := f.user("ada@example.com")
	m, err := f.svc.Passkeys()
	if err != nil {
		t.Fatal(err)
	}
	pu, err := f.svc.PasskeyUser(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	a := passkeytest.New(t, "acme.erp.example.com", "https://acme.erp.example.com")
	opts, handle, err := m.BeginRegistration(ctx, pu, "b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.FinishRegistration(ctx, pu, handle, "b", a.Create(opts), "Phone"); err != nil {
		t.Fatal(err)
	}
	link, err := f.svc.Link(ctx, identity.ResetLink, ada)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)

	opts, handle, err = m.BeginPasswordless(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.FinishPasskeySignIn(ctx, handle, "b", a.Get(opts), identity.Origin{Address: "192.0.2.9"})
	if err != nil || u.ID != ada {
		t.Fatalf("FinishPasskeySignIn = %+v, %v", u, err)
	}
	events, _ := f.svc.SecurityLog().List(ctx, securitylog.Filter{UserID: ada, Kind: securitylog.LoginSuccess})
	if len(events) != 1 || events[0].Reference != "passkey" {
		t.Fatalf("login events %+v", events)
	}
	// The sign-in is a login: reset links die.
	_, uid, tok := linkParts(t, link)
	if _, err := f.svc.CheckLink(ctx, identity.ResetLink, uid, tok); !errors.Is(err, identity.ErrInvalidLink) {
		t.Fatalf("reset link after a passkey sign-in: %v", err)
	}
	// Archived users cannot sign in with their passkey.
	f.tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		return env.Write(ctx, "res.users", []int64{ada}, map[string]any{"active": false})
	})
	opts, handle, _ = m.BeginPasswordless(ctx, "b")
	if _, err := f.svc.FinishPasskeySignIn(ctx, handle, "b", a.Get(opts), identity.Origin{}); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("archived user: %v", err)
	}
}
