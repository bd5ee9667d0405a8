package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/totp"
)

// API password logins reach the tenant's security log exactly as the web
// sign-in does: every success and failure, with login and address, never the
// password. Checked through both entry points (authenticate by login, and a
// call naming its uid) on both engines.
func TestPasswordLoginsAreInTheSecurityLog(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			p := start(t, apitest.Options{Tenants: []string{"acme"}, Postgres: engine.postgres})
			user := p.Tenants["acme"].Internal
			const pw, wrong = "a long enough secret for the tests", "not the secret at all"
			p.SetPassword(t, "acme", user.UID, pw)
			c := newCaller(t, p, "")

			steps := []struct {
				name string
				call func() (any, error)
				want securitylog.Kind
				uid  int64
			}{
				{"authenticate, wrong password", func() (any, error) {
					return c.xml("common", "authenticate", "acme", user.Login, wrong, map[string]any{})
				}, securitylog.LoginFailure, user.UID},
				{"authenticate, unknown login", func() (any, error) {
					return c.xml("common", "authenticate", "acme", "nobody@example.com", wrong, map[string]any{})
				}, securitylog.LoginFailure, 0},
				{"authenticate", func() (any, error) {
					return c.xml("common", "authenticate", "acme", user.Login, pw, map[string]any{})
				}, securitylog.LoginSuccess, user.UID},
				{"execute_kw, wrong password", func() (any, error) {
					return c.executeKW("acme", user.UID, wrong, "res.partner", "search", []any{[]any{}}, nil)
				}, securitylog.LoginFailure, user.UID},
				{"execute_kw", func() (any, error) {
					return c.executeKW("acme", user.UID, pw, "res.partner", "search", []any{[]any{}}, nil)
				}, securitylog.LoginSuccess, user.UID},
			}
			for _, s := range steps {
				res, err := s.call()
				succeeded := err == nil && res != false
				if succeeded != (s.want == securitylog.LoginSuccess) {
					t.Fatalf("%s: %v, %v", s.name, res, err)
				}
			}

			lease, err := p.Router.Acquire(context.Background(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			defer lease.Release()
			events, err := securitylog.New(lease.DB, nil).List(context.Background(), securitylog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var logins []securitylog.Event
			for _, e := range events {
				if e.Kind == securitylog.LoginSuccess || e.Kind == securitylog.LoginFailure {
					logins = append(logins, e)
				}
			}
			if len(logins) != len(steps) {
				t.Fatalf("%d login events for %d API logins: %+v", len(logins), len(steps), logins)
			}
			for i, s := range steps {
				e := logins[len(logins)-1-i] // newest first
				if e.Kind != s.want || e.UserID != s.uid || e.Address == "" || e.Login == "" {
					t.Errorf("%s: logged %+v, want %s for user %d with login and address", s.name, e, s.want, s.uid)
				}
				for _, secret := range []string{pw, wrong} {
					if strings.Contains(e.Login+e.Address+e.UserAgent+e.Reference, secret) {
						t.Errorf("%s: the security log holds a password: %+v", s.name, e)
					}
				}
			}
		})
	}
}

// With a second factor on, the RPC password path takes API keys only: the
// right password is refused (and logged as a failure, like a wrong one), the
// user's API key still works.
func TestSecondFactorUserTakesAPIKeysOnly(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			ctx := context.Background()
			p := start(t, apitest.Options{Tenants: []string{"acme"}, Postgres: engine.postgres})
			user := p.Tenants["acme"].Internal
			const pw = "a long enough secret for the tests"
			p.SetPassword(t, "acme", user.UID, pw)
			c := newCaller(t, p, "")
			if uid, err := c.xml("common", "authenticate", "acme", user.Login, pw, map[string]any{}); err != nil || uid != user.UID {
				t.Fatalf("password before 2FA: %v %v", uid, err)
			}

			lease, err := p.Router.Acquire(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			defer lease.Release()
			m, err := totp.New(lease.DB, totp.Config{Tenant: "acme", Key: p.App.Key})
			if err != nil {
				t.Fatal(err)
			}
			enrol, err := m.NewEnrollment(user.Login)
			if err != nil {
				t.Fatal(err)
			}
			code, err := otptotp.GenerateCode(enrol.Secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Enable(ctx, user.UID, enrol.Secret, code); err != nil {
				t.Fatal(err)
			}

			if uid, err := c.xml("common", "authenticate", "acme", user.Login, pw, map[string]any{}); err != nil || uid != false {
				t.Errorf("password with 2FA on: %v %v", uid, err)
			}
			if _, err := c.executeKW("acme", user.UID, pw, "res.partner", "search", []any{[]any{}}, nil); faultOf(t, err).Code != 3 {
				t.Errorf("execute_kw with the password and 2FA on: %v", err)
			}
			if uid, err := c.xml("common", "authenticate", "acme", user.Login, user.Key, map[string]any{}); err != nil || uid != user.UID {
				t.Errorf("API key with 2FA on: %v %v", uid, err)
			}
			events, err := securitylog.New(lease.DB, nil).List(ctx, securitylog.Filter{UserID: user.UID})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range events {
				kinds = append(kinds, string(e.Kind))
			}
			if got := strings.Join(kinds, " "); !strings.HasPrefix(got, "login.failure login.failure") {
				t.Errorf("security log after two refused password logins: %s", got)
			}
		})
	}
}
