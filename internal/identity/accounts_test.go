package identity_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Accounts reports a second factor for the user who has one and for nobody
// else (the external API refuses their passwords on that flag), by id and by
// login alike.
func TestAccountsTwoFactorFlag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		ann, bob := f.user("ann@example.com"), f.user("bob@example.com")
		accounts := f.svc.Accounts()
		flags := func() map[int64]bool {
			out := map[int64]bool{}
			for _, id := range []int64{ann, bob} {
				u, err := accounts.User(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				byLogin, err := accounts.UserByLogin(ctx, u.Login)
				if err != nil || byLogin.TwoFactor != u.TwoFactor {
					t.Fatalf("user %d by login: %+v %v, by id %+v", id, byLogin, err, u)
				}
				out[id] = u.TwoFactor
			}
			return out
		}
		if got := flags(); got[ann] || got[bob] {
			t.Fatalf("second factor before any was enabled: %v", got)
		}

		raw := make([]byte, secrets.KeySize)
		rand.Read(raw)
		key, err := secrets.NewMasterKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		m, err := totp.New(f.tn.DB, totp.Config{Tenant: "acme", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		enrol, err := m.NewEnrollment("ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		code, _ := otptotp.GenerateCode(enrol.Secret, time.Now())
		if _, err := m.Enable(ctx, ann, enrol.Secret, code); err != nil {
			t.Fatal(err)
		}
		if got := flags(); !got[ann] || got[bob] {
			t.Fatalf("second factor after ann enabled hers: %v", got)
		}
		if _, err := accounts.User(ctx, 1<<40); !errors.Is(err, auth.ErrNoAccount) {
			t.Fatalf("unknown id: %v", err)
		}
	})
}
