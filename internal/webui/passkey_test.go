package webui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/passkey/passkeytest"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
)

type ceremonyOptions struct {
	Options json.RawMessage `json:"options"`
	Handle  string          `json:"handle"`
	Error   string          `json:"error"`
}

// options asks for a ceremony's options as the page's script does.
func (c *client) options(t *testing.T, path string, form url.Values) (int, ceremonyOptions) {
	t.Helper()
	w := c.post(path, form)
	var o ceremonyOptions
	if w.Code == http.StatusOK || strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	return w.Code, o
}

var passkeyIDPattern = regexp.MustCompile(`name="passkey" value="(\d+)"`)

// A user registers a passkey with the software authenticator (password required),
// signs in with it without a password, uses it as the second factor after the
// password, and removes it. Replayed answers, other browsers and forged tokens are
// refused.
func TestPasskeys(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		auth := passkeytest.New(t, "acme.localhost", "http://acme.localhost")
		c := f.signIn("user")
		if w := c.get("/odoo/account/security"); w.Code != 200 || !strings.Contains(w.Body.String(), `data-passkey="register"`) ||
			!strings.Contains(w.Body.String(), `src="/web/assets/passkey.js"`) {
			t.Fatalf("security page: %d", w.Code)
		}
		if w := c.post("/odoo/account/passkey-options", url.Values{"csrf_token": {"forged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("options without the token: %d", w.Code)
		}
		code, opts := c.options(t, "/odoo/account/passkey-options", nil)
		if code != 200 || opts.Handle == "" {
			t.Fatalf("registration options: %d %+v", code, opts)
		}
		created := auth.Create(opts.Options)
		reg := url.Values{"handle": {opts.Handle}, "response": {string(created)}, "name": {"Laptop"}, "current": {"not my password at all"}}
		if w := c.post("/odoo/account/passkey", reg); w.Code != http.StatusUnprocessableEntity || strings.Contains(w.Body.String(), "Laptop</td>") {
			t.Fatalf("registration with a wrong password: %d", w.Code)
		}
		reg.Set("current", testPassword)
		forged := cloneValues(reg)
		forged.Set("csrf_token", "forged")
		if w := c.post("/odoo/account/passkey", forged); w.Code != http.StatusForbidden {
			t.Fatalf("registration without the token: %d", w.Code)
		}
		if w := c.post("/odoo/account/passkey", reg); w.Code != http.StatusSeeOther {
			t.Fatalf("registration: %d %s", w.Code, w.Body)
		}
		page := c.get("/odoo/account/security").Body.String()
		if !strings.Contains(page, "Laptop</td>") {
			t.Fatal("the passkey is not listed")
		}
		if w := c.post("/odoo/account/passkey", reg); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("registration replayed: %d", w.Code)
		}
		if n := len(f.events(t, "acme", securitylog.PasskeyAdded, f.uid["user"])); n != 1 {
			t.Errorf("%d passkey.added events", n)
		}

		// Passwordless sign-in from a fresh browser.
		anon := f.client()
		if w := anon.get("/web/login"); !strings.Contains(w.Body.String(), `data-passkey="signin"`) {
			t.Fatal("no passkey button on the sign-in page")
		}
		if w := anon.post("/web/login/passkey/options", url.Values{"csrf_token": {"forged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("sign-in options without the token: %d", w.Code)
		}
		code, opts = anon.options(t, "/web/login/passkey/options", nil)
		if code != 200 {
			t.Fatalf("sign-in options: %d", code)
		}
		assertion := auth.Get(opts.Options)
		signin := url.Values{"handle": {opts.Handle}, "response": {string(assertion)}, "redirect": {"/odoo/contacts"}}
		// Another browser holding the handle and the answer gets nothing.
		thief := f.client()
		thief.get("/web/login")
		if w := thief.post("/web/login/passkey", signin); thief.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), "not accepted") {
			t.Fatalf("ceremony finished from another browser: %d", w.Code)
		}
		// The thief's attempt consumed the ceremony: single use whoever tries.
		if w := anon.post("/web/login/passkey", signin); anon.cookies[session.CookieName] != nil {
			t.Fatalf("a ceremony taken once was accepted again: %d", w.Code)
		}
		code, opts = anon.options(t, "/web/login/passkey/options", nil)
		if code != 200 {
			t.Fatalf("sign-in options: %d", code)
		}
		assertion = auth.Get(opts.Options)
		signin = url.Values{"handle": {opts.Handle}, "response": {string(assertion)}, "redirect": {"/odoo/contacts"}}
		if w := anon.post("/web/login/passkey", signin); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/odoo/contacts" || anon.cookies[session.CookieName] == nil {
			t.Fatalf("passwordless sign-in: %d %s", w.Code, w.Body)
		}
		if w := anon.get("/odoo/contacts"); w.Code != 200 {
			t.Fatalf("session of the passkey sign-in: %d", w.Code)
		}
		if ev := f.events(t, "acme", securitylog.LoginSuccess, f.uid["user"]); len(ev) == 0 || ev[0].Reference != "passkey" {
			t.Fatalf("login events: %+v", ev)
		}
		// Replayed: the same answer with the same handle, or with a new handle (its
		// challenge is another), signs nobody in.
		replay := f.client()
		replay.get("/web/login")
		_, fresh := replay.options(t, "/web/login/passkey/options", nil)
		for name, form := range map[string]url.Values{
			"same handle": {"handle": {signin.Get("handle")}, "response": {signin.Get("response")}},
			"new handle":  {"handle": {fresh.Handle}, "response": {string(assertion)}},
		} {
			if w := replay.post("/web/login/passkey", form); replay.cookies[session.CookieName] != nil || w.Code != 200 {
				t.Errorf("replayed assertion (%s) accepted: %d", name, w.Code)
			}
		}

		// As the second factor after the password.
		f.enableTOTPOn(t, "acme", "user")
		two := f.client()
		res, pending := two.passwordStep("user@example.com")
		if pending == "" || !strings.Contains(res.body, `data-passkey="login"`) {
			t.Fatalf("second step without the passkey choice: %d", res.code)
		}
		if w := two.post("/web/login/passkey/options", url.Values{"pending": {pending + "x"}}); w.Code != http.StatusForbidden {
			t.Fatalf("options with a forged proof: %d", w.Code)
		}
		code, opts = two.options(t, "/web/login/passkey/options", url.Values{"pending": {pending}})
		if code != 200 {
			t.Fatalf("second-factor options: %d", code)
		}
		second := url.Values{"pending": {pending}, "handle": {opts.Handle}, "response": {string(auth.Get(opts.Options))}, "trust": {"1"}}
		bad := cloneValues(second)
		bad.Set("pending", pending[:len(pending)-2]+"AA")
		if w := two.post("/web/login/passkey", bad); two.cookies[session.CookieName] != nil || w.Code != 200 {
			t.Fatalf("second factor with a forged proof: %d", w.Code)
		}
		code, opts = two.options(t, "/web/login/passkey/options", url.Values{"pending": {pending}})
		second.Set("handle", opts.Handle)
		second.Set("response", string(auth.Get(opts.Options)))
		if w := two.post("/web/login/passkey", second); w.Code != http.StatusSeeOther || two.cookies[session.CookieName] == nil || two.cookies[trustCookie] == nil {
			t.Fatalf("passkey as second factor: %d %s", w.Code, w.Body)
		}

		// Removal: another user's passkey id is not found; the own one goes.
		id := passkeyIDPattern.FindStringSubmatch(page)[1]
		other := f.signIn("admin")
		other.get("/odoo/account/security")
		if w := other.post("/odoo/account/security", url.Values{"op": {"passkey-remove"}, "passkey": {id}}); w.Code != http.StatusNotFound {
			t.Fatalf("removing another user's passkey: %d", w.Code)
		}
		c = two
		c.get("/odoo/account/security")
		if w := c.post("/odoo/account/security", url.Values{"op": {"passkey-remove"}, "passkey": {id}, "csrf_token": {"forged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("removal without the token: %d", w.Code)
		}
		if w := c.post("/odoo/account/security", url.Values{"op": {"passkey-remove"}, "passkey": {id}}); w.Code != http.StatusSeeOther {
			t.Fatalf("removal: %d", w.Code)
		}
		if strings.Contains(c.get("/odoo/account/security").Body.String(), "Laptop</td>") {
			t.Fatal("the removed passkey is still listed")
		}
		if n := len(f.events(t, "acme", securitylog.PasskeyRemoved, f.uid["user"])); n != 1 {
			t.Errorf("%d passkey.removed events", n)
		}
		final := f.client()
		final.get("/web/login")
		_, opts = final.options(t, "/web/login/passkey/options", nil)
		if w := final.post("/web/login/passkey", url.Values{"handle": {opts.Handle}, "response": {string(auth.Get(opts.Options))}}); final.cookies[session.CookieName] != nil {
			t.Fatalf("a removed passkey signed in: %d", w.Code)
		}
	})
}

// Every POST this feature adds refuses a missing or wrong anti-forgery token and a
// cross-origin request, before doing anything.
func TestSecondFactorPostsRefuseForgery(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	admin.get("/odoo/account/security")
	anon := f.client()
	anon.get("/web/login")
	cases := []struct {
		who  *client
		path string
		form url.Values
	}{
		{anon, "/web/login/enrol", url.Values{"pending": {"x"}, "code": {"123456"}}},
		{anon, "/web/login/passkey/options", url.Values{}},
		{anon, "/web/login/passkey", url.Values{"handle": {"x"}, "response": {"{}"}}},
		{anon, "/web/login/totp", url.Values{"pending": {"x"}, "code": {"123456"}, "trust": {"1"}}},
		{admin, "/odoo/account/passkey-options", url.Values{}},
		{admin, "/odoo/account/passkey", url.Values{"handle": {"x"}, "response": {"{}"}, "current": {testPassword}}},
		{admin, "/odoo/account/security", url.Values{"op": {"revoke-devices"}}},
		{admin, "/odoo/account/security", url.Values{"op": {"passkey-remove"}, "passkey": {"1"}}},
		{admin, "/odoo/settings/two-factor", url.Values{"required": {"1"}}},
	}
	for _, cs := range cases {
		for name, attempt := range map[string]struct {
			token  string
			header []string
		}{
			"no token":    {"", nil},
			"wrong token": {strings.Repeat("A", 43), nil},
			"cross-site":  {cs.who.csrf, []string{"Sec-Fetch-Site", "cross-site"}},
		} {
			form := cloneValues(cs.form)
			form.Set("csrf_token", attempt.token)
			if w := cs.who.do("POST", cs.path, form, attempt.header...); w.Code != http.StatusForbidden {
				t.Errorf("%s %v, %s: %d", cs.path, cs.form, name, w.Code)
			}
		}
	}
	if n := len(f.events(t, "acme", securitylog.TrustedDevicesRevoked, f.uid["admin"])); n != 0 {
		t.Errorf("a forged request revoked devices (%d events)", n)
	}
	if f.param(t, "auth.totp.required") != "" {
		t.Error("a forged request changed the policy")
	}
}
