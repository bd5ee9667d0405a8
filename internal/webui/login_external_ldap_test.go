package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/ldap/ldaptest"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

const adaPassword = "ada's directory passphrase"

// addLDAPProvider configures the test directory as "Corp Directory" through the
// settings screen. Its certificate is trusted through the CA field of the form.
func addLDAPProvider(t *testing.T, admin *client, ldapURL, caPEM string) {
	t.Helper()
	admin.get("/odoo/settings/providers/new?kind=ldap")
	form := url.Values{"op": {"save"}, "kind": {"ldap"}, "name": {"Corp Directory"}, "enabled": {"on"}, "url": {ldapURL},
		"bind_dn": {ldaptest.ReaderDN}, "secret": {ldaptest.ReaderPassword}, "base_dn": {ldaptest.BaseDN},
		"login_attribute": {"uid"}, "ca_pem": {caPEM}, "create_users": {"on"}, "default_group": {"base.group_user"}}
	if w := admin.post("/odoo/settings/providers/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save directory: %d %s", w.Code, w.Body)
	}
}

func passwordSignIn(c *client, login, password string) *http.Response {
	c.get("/web/login")
	return c.post("/web/login", url.Values{"login": {login}, "password": {password}}).Result()
}

// Directory users sign in with the usual form: a wrong password and logins that
// would widen the search filter if they were not escaped are refused; the first
// sign-in creates the user; users with a local password keep using it and a
// directory entry of the same login cannot take their account.
func TestLDAPSignIn(t *testing.T) {
	eachEngine(t, testLDAPSignIn)
}

func testLDAPSignIn(t *testing.T, f *fixture) {
	dir := ldaptest.Start(t)
	f = externalize(t, f, nil, nil)
	addLDAPProvider(t, f.signIn("admin"), dir.LDAP, dir.CAPEM) // ldap:// with StartTLS
	// The only person under the base DN: an unescaped "*" would find her.
	dir.AddUser("ada", adaPassword, "ada@corp.example", "Ada Lovelace")

	n := 0
	fresh := func() *client {
		n++
		c := f.client()
		c.addr = fmt.Sprintf("198.51.100.%d:40000", n)
		return c
	}
	for _, login := range []string{"ada", "*", "a*", "*)(uid=*", "ada)(|(uid=*", "ada\x00", "(uid=ada)"} {
		pw := adaPassword
		if login == "ada" {
			pw = "not her passphrase"
		}
		c := fresh()
		if resp := passwordSignIn(c, login, pw); resp.StatusCode != http.StatusOK || c.cookies[session.CookieName] != nil {
			t.Errorf("login %q: %d, session %v", login, resp.StatusCode, c.cookies[session.CookieName] != nil)
		}
	}
	c := fresh()
	if resp := passwordSignIn(c, "ada", adaPassword); resp.StatusCode != http.StatusSeeOther || c.cookies[session.CookieName] == nil {
		t.Fatalf("directory sign-in: %d", resp.StatusCode)
	}
	if home := c.get("/odoo"); home.Code != 200 || !strings.Contains(home.Body.String(), "Ada Lovelace") {
		t.Fatalf("home of the created user: %d", home.Code)
	}
	// Again, now through the link to her entry.
	c = fresh()
	if resp := passwordSignIn(c, "ada", adaPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second directory sign-in: %d", resp.StatusCode)
	}

	// Once linked to her entry, her password is checked by the directory only, even
	// if she also has a local one.
	_, hash := sharedHasher(t)
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.users", seed.Leaf("login", "=", "ada"), orm.SearchOptions{})
		if err != nil || len(ids) != 1 {
			return fmt.Errorf("find ada: %v %v", ids, err)
		}
		return env.Write(ctx, "res.users", ids, map[string]any{"password": hash})
	})
	c = fresh()
	if passwordSignIn(c, "ada", testPassword); c.cookies[session.CookieName] != nil {
		t.Fatal("a linked user signed in with a local password")
	}
	c = fresh()
	if resp := passwordSignIn(c, "ada", adaPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("linked user with a local password, directory password: %d", resp.StatusCode)
	}

	// A directory entry with the login of a local user cannot sign in as them.
	dir.AddUser("user@example.com", "the directory's password", "user@example.com", "Impostor")
	c = fresh()
	if resp := passwordSignIn(c, "user@example.com", "the directory's password"); c.cookies[session.CookieName] != nil {
		t.Fatalf("a directory entry took a local account: %d", resp.StatusCode)
	}
	c = fresh()
	if resp := passwordSignIn(c, "user@example.com", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("local password with a directory enabled: %d", resp.StatusCode)
	}
}

// Directory sign-in is throttled like local sign-in: after ten wrong passwords from
// one address, the right one is refused too.
func TestLDAPSignInThrottled(t *testing.T) {
	dir := ldaptest.Start(t)
	f := newExternalFixture(t, nil, dir)
	addLDAPProvider(t, f.signIn("admin"), dir.LDAPS, "")
	dir.AddUser("ada", adaPassword, "ada@corp.example", "Ada Lovelace")
	c := f.client()
	c.addr = "203.0.113.9:40000"
	for i := range 10 {
		passwordSignIn(c, "ada", fmt.Sprintf("guess %d", i))
	}
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {"ada"}, "password": {adaPassword}})
	if c.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), "too many failed") {
		t.Fatalf("right password from a locked-out address: %d\n%s", w.Code, w.Body)
	}
}

// A directory that cannot be reached says so, without telling whether the login
// exists; local users still sign in.
func TestLDAPDirectoryDown(t *testing.T) {
	f := newExternalFixture(t, nil, nil)
	admin := f.signIn("admin")
	admin.get("/odoo/settings/providers/new?kind=ldap")
	if w := admin.post("/odoo/settings/providers/new", url.Values{"op": {"save"}, "kind": {"ldap"}, "name": {"Gone"}, "enabled": {"on"},
		"url": {"ldaps://127.0.0.1:1"}, "base_dn": {"dc=example,dc=com"}, "login_attribute": {"uid"}, "default_group": {"base.group_user"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	c := f.client()
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {"someone"}, "password": {"whatever it is"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "could not be reached") || c.cookies[session.CookieName] != nil {
		t.Fatalf("directory down: %d", w.Code)
	}
	if resp := passwordSignIn(f.client(), "user@example.com", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("local sign-in with the directory down: %d", resp.StatusCode)
	}
}

// A login no account can hold (a NUL byte, invalid UTF-8, which PostgreSQL refuses
// as text) is a wrong login on both engines, not an error page.
func TestMalformedLoginRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		for _, login := range []string{"user@example.com\x00", "user\xff@example.com"} {
			c := f.client()
			c.get("/web/login")
			w := c.post("/web/login", url.Values{"login": {login}, "password": {testPassword}})
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Wrong login or password") || c.cookies[session.CookieName] != nil {
				t.Errorf("login %q: %d", login, w.Code)
			}
		}
	})
}
