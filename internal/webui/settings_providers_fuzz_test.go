package webui

import (
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/identity"
)

// FuzzProviderForm checks that the field-by-field checks of the provider form
// accept exactly what the protocol packages accept as a whole: a form without
// errors always gives a provider whose name, group and settings are valid, and
// a form with errors names a field for each and never keeps the secret.
func FuzzProviderForm(f *testing.F) {
	f.Add("oidc", "Corp SSO", "https://id.example.com", "erp", "groups offline_access", "", "", "", "s3cret", base.GroupUser)
	f.Add("ldap", "Directory", "ldaps://ldap.example.com", "cn=reader,dc=example,dc=com", "ou=people,dc=example,dc=com", "uid",
		"(objectClass=inetOrgPerson)", "", "bind-pw", base.GroupPortal)
	f.Add("ldap", "Dir", "ldap://127.0.0.1:389", "", "dc=example,dc=com", "uid", "(&(a=b)(c=d))", "-----BEGIN CERTIFICATE-----", "", base.GroupUser)
	f.Add("oidc", "bad/name", "http://id.example.com", "", "a\"b", "", "", "", "", "base.group_system")
	f.Add("ldap", " x ", "ldaps://h/path?q", "not a dn", "", "uid)(x", "uid=*", "junk", "", base.GroupUser)
	f.Fuzz(func(t *testing.T, kind, name, a, b, c, login, filter, ca, secret, group string) {
		k := identity.ProviderKind(kind)
		if k != identity.KindOIDC && k != identity.KindLDAP {
			return
		}
		form := url.Values{"name": {name}, "default_group": {group}, "secret": {secret}, "enabled": {"on"},
			"issuer": {a}, "client_id": {b}, "scopes": {c},
			"url": {a}, "bind_dn": {b}, "base_dn": {c}, "login_attribute": {login}, "user_filter": {filter}, "ca_pem": {ca}}
		fm, p, gotSecret := parseProviderForm(form, k, identity.Provider{})
		if gotSecret != secret {
			t.Fatalf("secret %q read as %q", secret, gotSecret)
		}
		if len(fm.Errors) > 0 {
			for field, msg := range fm.Errors {
				if field == "" || strings.TrimSpace(msg) == "" {
					t.Fatalf("empty error %q: %q", field, msg)
				}
			}
			return
		}
		if fm.SecretTyped {
			t.Fatal("a form without error asks for the secret again")
		}
		if err := identity.CheckProviderName(p.Name); err != nil {
			t.Fatalf("name %q accepted: %v", p.Name, err)
		}
		if p.DefaultGroup != base.GroupUser && p.DefaultGroup != base.GroupPortal {
			t.Fatalf("group %q accepted", p.DefaultGroup)
		}
		var err error
		switch k {
		case identity.KindOIDC:
			if p.OIDC == nil || p.LDAP != nil {
				t.Fatal("OpenID form without its settings")
			}
			err = oidc.Settings(*p.OIDC).Validate()
		case identity.KindLDAP:
			if p.LDAP == nil || p.OIDC != nil {
				t.Fatal("directory form without its settings")
			}
			err = ldap.Settings(*p.LDAP).Validate()
			if p.LDAP.BindDN != "" && secret == "" {
				t.Fatal("a bind DN accepted without its password")
			}
		}
		if err != nil {
			t.Fatalf("fields accepted one by one, refused together: %v", err)
		}
	})
}
