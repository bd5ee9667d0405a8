package identity_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/ldap/ldaptest"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/auth/oidc/oidctest"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

const clientSecret = "oidc-client-secret-value"

// externalFixture is a tenant whose identity service has the master key and trusts
// the test provider and directory.
func externalFixture(t *testing.T, e storetest.Engine, op *oidctest.Provider, dir *ldaptest.Server) *fixture {
	t.Helper()
	f := newFixture(t, e)
	key, err := secrets.NewMasterKey(make32(t))
	if err != nil {
		t.Fatal(err)
	}
	h, p := tools(t)
	cfg := identity.Config{DB: f.tn.DB, Registry: f.tn.Reg, BaseURL: "https://acme.erp.example.com", Tenant: "acme",
		Hasher: h, Policy: p, Mail: f.mail, Key: key, Now: f.clock.Now, Logger: nil}
	if op != nil {
		cfg.HTTPClient = op.Server.Client()
	}
	if dir != nil {
		cfg.LDAPRoots = dir.Roots
	}
	if f.svc, err = identity.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func make32(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

func userGroups(t *testing.T, f *fixture, uid int64) []int64 {
	t.Helper()
	var groups []int64
	f.tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		recs, err := env.Read(ctx, "res.users", []int64{uid}, []string{"groups_id"})
		if err != nil {
			return err
		}
		groups = recs[0]["groups_id"].([]int64)
		return nil
	})
	return groups
}

func groupID(t *testing.T, f *fixture, xmlID string) int64 {
	t.Helper()
	var id int64
	f.tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		id, err = seed.GroupID(ctx, env, xmlID)
		return err
	})
	return id
}

func oidcSignIn(t *testing.T, f *fixture, op *oidctest.Provider, provider, browser string) (identity.User, error) {
	t.Helper()
	ctx := context.Background()
	authURL, err := f.svc.StartOIDC(ctx, provider, browser)
	if err != nil {
		t.Fatal(err)
	}
	code, state := op.Follow(t, authURL)
	return f.svc.FinishOIDC(ctx, state, code, browser, identity.Origin{Address: "192.0.2.44", UserAgent: "browser"})
}

func TestOIDCSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		op := oidctest.Start(t, "erp-client", clientSecret)
		f := externalFixture(t, e, op, nil)
		ctx := context.Background()
		id, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindOIDC, Name: "Corp SSO", Enabled: true,
			CreateUsers: true, DefaultGroup: base.GroupUser, OIDC: &oidc.Settings{Issuer: op.Issuer(), ClientID: "erp-client"}}, clientSecret)
		if err != nil {
			t.Fatal(err)
		}
		// The client secret is stored sealed.
		var sealed []byte
		if err := f.tn.DB.Read.QueryRow(f.tn.DB.Rebind("SELECT secret_sealed FROM auth_provider WHERE id = ?"), id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || strings.Contains(string(sealed), clientSecret) {
			t.Fatal("client secret not sealed")
		}
		ps, err := f.svc.Providers(ctx)
		if err != nil || len(ps) != 1 || !ps[0].HasSecret {
			t.Fatalf("Providers = %+v, %v", ps, err)
		}

		// First sign-in creates the user, with no local password, in the default group.
		op.SignIn(oidctest.User{Subject: "sub-ada", Email: "ada@corp.example", EmailVerified: true, Name: "Ada Lovelace"})
		u, err := oidcSignIn(t, f, op, "Corp SSO", "browser-1")
		if err != nil {
			t.Fatal(err)
		}
		if u.Login != "ada@corp.example" || u.Name != "Ada Lovelace" || u.HasPassword || !u.Active {
			t.Fatalf("created user %+v", u)
		}
		if !slices.Contains(userGroups(t, f, u.ID), groupID(t, f, base.GroupUser)) {
			t.Fatal("new user is not in the default group")
		}
		if !op.SawPKCE {
			t.Fatal("no PKCE in the authorization request")
		}
		// Next time, the subject maps to the same user, even if the email changed.
		op.SignIn(oidctest.User{Subject: "sub-ada", Email: "ada.l@corp.example", EmailVerified: true})
		again, err := oidcSignIn(t, f, op, "Corp SSO", "browser-1")
		if err != nil || again.ID != u.ID {
			t.Fatalf("second sign-in: %+v, %v", again, err)
		}

		// A sign-in kills reset links like a password login.
		link, err := f.svc.Link(ctx, identity.ResetLink, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		if _, err := oidcSignIn(t, f, op, "Corp SSO", "browser-1"); err != nil {
			t.Fatal(err)
		}
		_, uid, tok := linkParts(t, link)
		if _, err := f.svc.CheckLink(ctx, identity.ResetLink, uid, tok); !errors.Is(err, identity.ErrInvalidLink) {
			t.Fatalf("reset link after an OIDC sign-in: %v", err)
		}
	})
}

func TestOIDCCallbackRefusals(t *testing.T) {
	op := oidctest.Start(t, "erp-client", clientSecret)
	f := externalFixture(t, storetest.Engines()[0], op, nil)
	ctx := context.Background()
	if _, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindOIDC, Name: "Corp SSO", Enabled: true,
		OIDC: &oidc.Settings{Issuer: op.Issuer(), ClientID: "erp-client"}}, clientSecret); err != nil {
		t.Fatal(err)
	}
	alice := f.user("alice@corp.example")
	op.SignIn(oidctest.User{Subject: "sub-alice", Email: "alice@corp.example", EmailVerified: true})

	// Login CSRF: a callback presented by another browser is refused.
	authURL, err := f.svc.StartOIDC(ctx, "Corp SSO", "victim-browser")
	if err != nil {
		t.Fatal(err)
	}
	code, state := op.Follow(t, authURL)
	if _, err := f.svc.FinishOIDC(ctx, state, code, "attacker-browser", identity.Origin{}); !errors.Is(err, ceremony.ErrNotFound) {
		t.Fatalf("other browser: %v", err)
	}
	// The state was burnt by that attempt: the right browser must start again.
	if _, err := f.svc.FinishOIDC(ctx, state, code, "victim-browser", identity.Origin{}); !errors.Is(err, ceremony.ErrNotFound) {
		t.Fatalf("burnt state: %v", err)
	}
	// A state never issued, and a replayed one, are refused.
	if _, err := f.svc.FinishOIDC(ctx, "forged-state", code, "victim-browser", identity.Origin{}); !errors.Is(err, ceremony.ErrNotFound) {
		t.Fatalf("forged state: %v", err)
	}
	u, err := oidcSignIn(t, f, op, "Corp SSO", "b")
	if err != nil || u.ID != alice {
		t.Fatalf("verified email maps to the existing user: %+v, %v", u, err)
	}

	// A wrong nonce in the ID token is refused.
	op.WrongNonce = true
	if _, err := oidcSignIn(t, f, op, "Corp SSO", "b"); !errors.Is(err, oidc.ErrRefused) {
		t.Fatalf("wrong nonce: %v", err)
	}
	op.WrongNonce = false

	// An unverified email never names a user, and this provider creates none.
	f.user("bob@corp.example")
	op.SignIn(oidctest.User{Subject: "sub-mallory", Email: "bob@corp.example", EmailVerified: false})
	if _, err := oidcSignIn(t, f, op, "Corp SSO", "b"); !errors.Is(err, identity.ErrExternalRefused) {
		t.Fatalf("unverified email: %v", err)
	}
	// Archived users cannot sign in through a provider either.
	op.SignIn(oidctest.User{Subject: "sub-alice", Email: "alice@corp.example", EmailVerified: true})
	f.tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		return env.Write(ctx, "res.users", []int64{alice}, map[string]any{"active": false})
	})
	if _, err := oidcSignIn(t, f, op, "Corp SSO", "b"); !errors.Is(err, identity.ErrExternalRefused) {
		t.Fatalf("archived user: %v", err)
	}
	// Unknown and disabled providers.
	if _, err := f.svc.StartOIDC(ctx, "Nope", "b"); !errors.Is(err, identity.ErrNoProvider) {
		t.Fatalf("unknown provider: %v", err)
	}
	p, _ := f.svc.ProviderByName(ctx, "Corp SSO")
	p.Enabled = false
	if _, err := f.svc.SaveProvider(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartOIDC(ctx, "Corp SSO", "b"); !errors.Is(err, identity.ErrNoProvider) {
		t.Fatalf("disabled provider: %v", err)
	}
}

func TestProviderSecretBoundToTenant(t *testing.T) {
	op := oidctest.Start(t, "erp-client", clientSecret)
	f := externalFixture(t, storetest.Engines()[0], op, nil)
	ctx := context.Background()
	id, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindOIDC, Name: "Corp SSO", Enabled: true,
		OIDC: &oidc.Settings{Issuer: op.Issuer(), ClientID: "erp-client"}}, clientSecret)
	if err != nil {
		t.Fatal(err)
	}
	// The same database served under another tenant name cannot unseal the secret.
	h, p := tools(t)
	key, _ := secrets.NewMasterKey(make32(t))
	other, err := identity.New(identity.Config{DB: f.tn.DB, Registry: f.tn.Reg, BaseURL: "https://globex.erp.example.com", Tenant: "globex",
		Hasher: h, Policy: p, Key: key, HTTPClient: op.Server.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.StartOIDC(ctx, "Corp SSO", "b"); err == nil {
		t.Fatal("another tenant unsealed the provider secret")
	}
	_ = id
}

func TestProviderValidation(t *testing.T) {
	f := externalFixture(t, storetest.Engines()[0], nil, nil)
	ctx := context.Background()
	good := oidc.Settings{Issuer: "https://login.example.com", ClientID: "erp"}
	bad := []identity.Provider{
		{Kind: identity.KindOIDC, Name: "", OIDC: &good},
		{Kind: identity.KindOIDC, Name: "bad\nname", OIDC: &good},
		{Kind: identity.KindOIDC, Name: "x"},
		{Kind: identity.KindOIDC, Name: "x", OIDC: &oidc.Settings{Issuer: "http://login.example.com", ClientID: "erp"}},
		{Kind: identity.KindLDAP, Name: "x", OIDC: &good},
		{Kind: "saml", Name: "x"},
		{Kind: identity.KindOIDC, Name: "x", OIDC: &good, CreateUsers: true, DefaultGroup: "base.group_system"},
	}
	for _, p := range bad {
		if _, err := f.svc.SaveProvider(ctx, p, ""); err == nil {
			t.Errorf("accepted %+v", p)
		}
	}
	if ps, _ := f.svc.Providers(ctx); len(ps) != 0 {
		t.Fatalf("refused providers were stored: %+v", ps)
	}
}

func TestLDAPSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		dir := ldaptest.Start(t)
		dir.AddUser("ada", "analytical engine", "ada@example.com", "Ada Lovelace")
		dir.AddUser("carol", "carol's passphrase", "", "Carol")
		f := externalFixture(t, e, nil, dir)
		ctx := context.Background()
		settings := &ldap.Settings{URL: dir.LDAPS, BaseDN: ldaptest.BaseDN, LoginAttribute: "uid", BindDN: ldaptest.ReaderDN,
			UserFilter: "(objectClass=inetOrgPerson)"}
		if _, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindLDAP, Name: "Directory", Enabled: true,
			CreateUsers: true, DefaultGroup: base.GroupPortal, LDAP: settings}, ldaptest.ReaderPassword); err != nil {
			t.Fatal(err)
		}
		from := identity.Origin{Address: "192.0.2.50"}
		u, err := f.svc.LDAPLogin(ctx, "Directory", "ada", "analytical engine", from)
		if err != nil {
			t.Fatal(err)
		}
		if u.Login != "ada" || u.Email != "ada@example.com" || u.HasPassword {
			t.Fatalf("user %+v", u)
		}
		if !slices.Contains(userGroups(t, f, u.ID), groupID(t, f, base.GroupPortal)) {
			t.Fatal("new user is not in the default group")
		}
		if again, err := f.svc.LDAPLogin(ctx, "Directory", "ada", "analytical engine", from); err != nil || again.ID != u.ID {
			t.Fatalf("second sign-in: %+v, %v", again, err)
		}
		for _, c := range []struct{ login, password string }{{"ada", "wrong"}, {"nobody", "x"}, {"*", "analytical engine"}, {"ada", ""}} {
			if _, err := f.svc.LDAPLogin(ctx, "Directory", c.login, c.password, from); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("LDAPLogin(%q, %q) = %v", c.login, c.password, err)
			}
		}
		// The shared throttle stops guessing: after enough failures even the right
		// password is not checked.
		for range 10 {
			f.svc.LDAPLogin(ctx, "Directory", "carol", "guess", identity.Origin{Address: "198.51.100.66"})
		}
		var locked *throttle.LockedError
		if _, err := f.svc.LDAPLogin(ctx, "Directory", "carol", "carol's passphrase", identity.Origin{Address: "198.51.100.66"}); !errors.As(err, &locked) {
			t.Fatalf("after 10 failures: %v, want a lock-out", err)
		}
		if _, err := f.svc.LDAPLogin(ctx, "Directory", "carol", "carol's passphrase", identity.Origin{Address: "192.0.2.51"}); err != nil {
			t.Fatalf("from another address: %v", err)
		}
	})
}

func TestLDAPWithoutUserCreation(t *testing.T) {
	dir := ldaptest.Start(t)
	dir.AddUser("ada", "analytical engine", "", "Ada")
	dir.AddUser("bob", "bob's passphrase", "", "Bob")
	f := externalFixture(t, storetest.Engines()[0], nil, dir)
	ctx := context.Background()
	if _, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindLDAP, Name: "Directory", Enabled: true,
		LDAP: &ldap.Settings{URL: dir.LDAP, BaseDN: ldaptest.BaseDN, LoginAttribute: "uid"}}, ""); err != nil {
		t.Fatal(err)
	}
	bob := f.user("bob")
	from := identity.Origin{Address: "192.0.2.60"}
	// Not allowed to create users: a directory user without a local one is refused.
	if _, err := f.svc.LDAPLogin(ctx, "Directory", "ada", "analytical engine", from); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("unknown local user: %v", err)
	}
	// The existing local user with the same login is mapped (over StartTLS here).
	if u, err := f.svc.LDAPLogin(ctx, "Directory", "bob", "bob's passphrase", from); err != nil || u.ID != bob {
		t.Fatalf("existing user: %+v, %v", u, err)
	}
}
