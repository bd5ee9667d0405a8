package identity_test

import (
	"context"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/auth/oidc/oidctest"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// UserProviders names the enabled providers of a kind a user signed in with: not
// those of the other kind, not a disabled one, not another user's.
func TestUserProviders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		op := oidctest.Start(t, "erp-client", clientSecret)
		f := externalFixture(t, e, op, nil)
		ctx := context.Background()
		sso := identity.Provider{Kind: identity.KindOIDC, Name: "Corp SSO", Enabled: true,
			OIDC: &oidc.Settings{Issuer: op.Issuer(), ClientID: "erp-client"}}
		id, err := f.svc.SaveProvider(ctx, sso, clientSecret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveProvider(ctx, identity.Provider{Kind: identity.KindLDAP, Name: "Directory", Enabled: true,
			LDAP: &ldap.Settings{URL: "ldaps://ldap.example.com", BaseDN: "dc=example,dc=com", LoginAttribute: "uid"}}, ""); err != nil {
			t.Fatal(err)
		}
		alice, bob := f.user("alice@corp.example"), f.user("bob@corp.example")
		op.SignIn(oidctest.User{Subject: "sub-alice", Email: "alice@corp.example", EmailVerified: true})
		if u, err := oidcSignIn(t, f, op, "Corp SSO", "b"); err != nil || u.ID != alice {
			t.Fatalf("sign-in: %+v, %v", u, err)
		}
		check := func(uid int64, kind identity.ProviderKind, want []string) {
			t.Helper()
			got, err := f.svc.UserProviders(ctx, uid, kind)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("UserProviders(%d, %s) = %v, %v; want %v", uid, kind, got, err, want)
			}
		}
		check(alice, identity.KindOIDC, []string{"Corp SSO"})
		check(alice, identity.KindLDAP, nil)
		check(bob, identity.KindOIDC, nil)
		sso.ID, sso.Enabled = id, false
		if _, err := f.svc.SaveProvider(ctx, sso, ""); err != nil {
			t.Fatal(err)
		}
		check(alice, identity.KindOIDC, nil)
	})
}
