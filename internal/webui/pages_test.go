package webui_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkPage parses an HTML answer and fails on markup that would need
// 'unsafe-inline' or that is not well formed: inline script content, style
// attributes or elements, event-handler attributes, javascript: URLs, unbalanced
// elements. It also checks the security headers.
func checkPage(t *testing.T, name string, h http.Header, body []byte) {
	t.Helper()
	if csp := h.Get("Content-Security-Policy"); csp == "" || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: CSP %q", name, csp)
	}
	for _, hd := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
		if h.Get(hd) == "" {
			t.Errorf("%s: missing %s", name, hd)
		}
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		return
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	var stack []string
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if len(stack) > 0 {
				t.Errorf("%s: unclosed elements %v", name, stack)
			}
			return
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				t.Errorf("%s: inline script content", name)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "style" {
				t.Errorf("%s: <style> element", name)
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				if k == "style" || strings.HasPrefix(k, "on") {
					t.Errorf("%s: attribute %s=%q on <%s>", name, a.Key, a.Val, tok.Data)
				}
				if (k == "href" || k == "src" || k == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
					t.Errorf("%s: javascript: URL", name)
				}
			}
			if tok.Data == "script" {
				src := false
				for _, a := range tok.Attr {
					src = src || a.Key == "src"
				}
				if !src {
					t.Errorf("%s: script without src", name)
				}
				inScript = true
			}
			if tt == html.StartTagToken && !void[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			if tok.Data == "script" {
				inScript = false
			}
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("%s: </%s> does not close %v", name, tok.Data, stack)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
}

var void = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// Every page of every role is well formed, carries the headers and no inline code.
func TestEveryPageIsStrict(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	// Records so that forms have content.
	w := admin.post("/odoo/contacts/new", url.Values{"name": {"Deco Addict"}, "comment": {"<p>hello</p>"}})
	contact := w.Header().Get("Location")
	w = admin.post("/odoo/products/new", url.Values{"name": {"Desk"}, "type": {"consu"}, "list_price": {"120"}})
	product := w.Header().Get("Location")
	pages := []string{"/web/login", "/web/reset_password", "/odoo", "/odoo/contacts", "/odoo/contacts?g=country_id",
		"/odoo/contacts/new", contact, "/odoo/products", product, "/odoo/sales", "/odoo/sales/new", "/odoo/invoices", "/odoo/invoices/new",
		"/odoo/account/password", "/odoo/account/sessions", "/odoo/account/security", "/odoo/account/preferences", "/odoo/settings",
		fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"]), "/odoo/settings/security-log", "/odoo/settings/bans",
		"/odoo/nowhere", "/web/signup?uid=1&token=x", "/my"}
	for _, p := range pages {
		w := admin.get(p)
		if w.Code >= 500 {
			t.Errorf("%s: %d", p, w.Code)
		}
		checkPage(t, p, w.Header(), w.Body.Bytes())
	}
	anon := f.client()
	for _, p := range []string{"/web/login", "/web/reset_password", "/my/orders/1?access_token=nope"} {
		w := anon.get(p)
		checkPage(t, "anonymous "+p, w.Header(), w.Body.Bytes())
	}
}

// Who may open what: each role against each kind of page.
func TestRoles(t *testing.T) {
	f := newFixture(t)
	clients := map[string]*client{}
	for _, role := range []string{"anonymous", "portal", "user", "admin"} {
		clients[role] = f.signIn(role)
	}
	toLogin, toPortal := -1, -2
	cases := []struct {
		path string
		want map[string]int
	}{
		{"/odoo", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}},
		{"/odoo/contacts", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}},
		{"/odoo/sales", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}},
		{"/odoo/settings", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 404, "admin": 200}},
		{"/odoo/settings/security-log", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 404, "admin": 200}},
		{"/odoo/account/sessions", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}},
		{"/odoo/account/preferences", map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}},
		{"/my", map[string]int{"anonymous": toLogin, "portal": 200, "user": 200, "admin": 200}},
	}
	for _, cs := range cases {
		for role, want := range cs.want {
			w := clients[role].get(cs.path)
			loc := w.Header().Get("Location")
			switch want {
			case toLogin:
				if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/login") {
					t.Errorf("%s as %s: %d %q, want sign-in", cs.path, role, w.Code, loc)
				}
			case toPortal:
				if w.Code != http.StatusSeeOther || loc != "/my" {
					t.Errorf("%s as %s: %d %q, want the portal", cs.path, role, w.Code, loc)
				}
			default:
				if w.Code != want {
					t.Errorf("%s as %s: %d, want %d", cs.path, role, w.Code, want)
				}
			}
		}
	}
	// The top bar offers Settings to administrators only.
	if strings.Contains(clients["user"].get("/odoo").Body.String(), `href="/odoo/settings"`) {
		t.Error("a user sees Settings")
	}
	if !strings.Contains(clients["admin"].get("/odoo").Body.String(), `href="/odoo/settings"`) {
		t.Error("an administrator lacks Settings")
	}
}

// Every state-changing endpoint refuses a POST without the session's token, with a
// wrong one, and from another origin, and changes nothing.
func TestAntiForgeryOnEveryPost(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	w := admin.post("/odoo/contacts/new", url.Values{"name": {"Target"}})
	contact := w.Header().Get("Location")
	posts := map[string]url.Values{
		"/odoo/contacts/new":        {"name": {"Forged"}},
		contact:                     {"name": {"Forged"}},
		"/odoo/contacts/selection":  {"ids": {strings.TrimPrefix(contact, "/odoo/contacts/")}, "op": {"delete"}},
		"/odoo/account/password":    {"current": {testPassword}, "new": {"forged passphrase value"}, "confirm": {"forged passphrase value"}},
		"/odoo/account/sessions":    {"session": {"1"}},
		"/odoo/account/preferences": {"tz": {"Pacific/Auckland"}},
		"/odoo/account/security":    {"op": {"disable"}},
		"/odoo/settings/invite":     {"name": {"Forged"}, "email": {"forged@example.com"}},
		fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"]): {"op": {"deactivate"}},
		"/odoo/settings/bans": {"kind": {"address"}, "subject": {"192.0.2.1"}},
		"/web/logout":         {},
	}
	for path, form := range posts {
		for _, variant := range []struct {
			name   string
			token  string
			header []string
		}{
			{"no token", "", nil},
			{"wrong token", strings.Repeat("x", 43), nil},
			{"cross-site", admin.csrf, []string{"Sec-Fetch-Site", "cross-site"}},
			{"other origin", admin.csrf, []string{"Origin", "https://evil.example"}},
		} {
			v := url.Values{}
			for k, vs := range form {
				v[k] = vs
			}
			v.Set("csrf_token", variant.token)
			w := admin.do("POST", path, v, variant.header...)
			if w.Code != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d", path, variant.name, w.Code)
			}
		}
	}
	if f.partnerCount("Forged") != 0 || f.partnerCount("Target") != 1 {
		t.Fatal("a refused post changed data")
	}
	if w := admin.get("/odoo"); w.Code != 200 {
		t.Fatalf("the session did not survive refused posts: %d", w.Code)
	}
}
