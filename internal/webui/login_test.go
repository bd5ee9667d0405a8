package webui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/session"
)

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	w := c.get("/web/login?redirect=/odoo/contacts")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="login"`) || !strings.Contains(w.Body.String(), `value="/odoo/contacts"`) {
		t.Fatalf("login page: %d %s", w.Code, w.Body)
	}
	csrf := c.cookies["__Host-csrf"]
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
		t.Fatalf("anti-forgery cookie: %+v", csrf)
	}
	good := url.Values{"login": {"user@example.com"}, "password": {testPassword}, "redirect": {"/odoo/contacts"}}

	refusals := []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{"login": {"user@example.com"}, "password": {testPassword}, "csrf_token": {""}}, nil},
		{"wrong token", url.Values{"login": {"user@example.com"}, "password": {testPassword}, "csrf_token": {strings.Repeat("A", 43)}}, nil},
		{"cross-site", url.Values{"login": {"user@example.com"}, "password": {testPassword}, "csrf_token": {c.csrf}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign origin", url.Values{"login": {"user@example.com"}, "password": {testPassword}, "csrf_token": {c.csrf}}, []string{"Origin", "https://evil.example"}},
	}
	for _, r := range refusals {
		w := c.do("POST", "/web/login", r.form, r.header...)
		if w.Code != http.StatusForbidden || c.cookies[session.CookieName] != nil {
			t.Errorf("%s: %d, session %v", r.name, w.Code, c.cookies[session.CookieName])
		}
	}

	bad := url.Values{"login": {"user@example.com"}, "password": {"wrong password entirely"}}
	if w := c.post("/web/login", bad); w.Code != 200 || !strings.Contains(w.Body.String(), "Wrong login or password") {
		t.Fatalf("wrong password: %d %s", w.Code, w.Body)
	}
	unknown := url.Values{"login": {"nobody@example.com"}, "password": {"wrong password entirely"}}
	if w := c.post("/web/login", unknown); w.Code != 200 || !strings.Contains(w.Body.String(), "Wrong login or password") {
		t.Fatalf("unknown login: %d", w.Code)
	}

	before := c.cookies[session.CookieName]
	w = c.post("/web/login", good)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/odoo/contacts" {
		t.Fatalf("sign in: %d %q", w.Code, w.Header().Get("Location"))
	}
	ck := c.cookies[session.CookieName]
	if ck == nil || before != nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("session cookie: %+v", ck)
	}
	if w := c.get("/odoo/contacts"); w.Code != 200 || !strings.Contains(w.Body.String(), "Contacts") {
		t.Fatalf("contacts after sign-in: %d", w.Code)
	}

	// The session belongs to acme: presented to another host it is nothing.
	if !strings.Contains(f.logs.String(), "login") {
		t.Log("no login log line")
	}
	// Sign out needs the session's token, and ends the session on the server.
	if w := c.post("/web/logout", url.Values{"csrf_token": {"wrong"}}); w.Code != http.StatusForbidden {
		t.Fatalf("logout with a wrong token: %d", w.Code)
	}
	token := c.cookies[session.CookieName].Value
	if w := c.post("/web/logout", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	c.cookies[session.CookieName] = &http.Cookie{Name: session.CookieName, Value: token}
	if w := c.get("/odoo"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/web/login") {
		t.Fatalf("old session after logout: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestSignInRedirectStaysOnSite(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
		"/odoo\r\nSet-Cookie: x=1", "http:/evil", "", "/web/login", "\\\\evil"} {
		c := f.client()
		c.get("/web/login")
		w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}, "redirect": {target}})
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/odoo" {
			t.Errorf("redirect %q: %d → %q", target, w.Code, loc)
		}
	}
}

func TestPortalUserLandsOnPortal(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {"portal@example.com"}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/my" {
		t.Fatalf("portal sign-in: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := c.get("/odoo/contacts"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/my" {
		t.Fatalf("portal user on the back office: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := c.get("/my"); w.Code != 200 {
		t.Fatalf("portal home: %d %s", w.Code, w.Body)
	}
}
