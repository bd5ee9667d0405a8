package webui_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ldap/ldaptest"
	"github.com/instant-erp/instanterp/internal/auth/oidc/oidctest"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

const (
	oidcClientSecret = "the-oidc-client-secret-7f3a"
	externalFailed   = "did not succeed"
)

// newExternalFixture is newFixture with the application trusting the test OpenID
// provider's TLS certificate (op may be nil) and the test directory's (dir may be
// nil). It mounts a second application on a new server over the same tenants.
func newExternalFixture(t *testing.T, op *oidctest.Provider, dir *ldaptest.Server, tenants ...string) *fixture {
	t.Helper()
	return externalize(t, newFixture(t, tenants...), op, dir)
}

// externalize remounts f's application trusting op and dir, for eachEngine.
func externalize(t *testing.T, f *fixture, op *oidctest.Provider, dir *ldaptest.Server) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: 1 << 20}, f.router, log)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sharedHasher(t)
	limits := throttle.DefaultConfig()
	limits.Address.Window = time.Hour
	cfg := webui.Config{Registry: f.platform.Registry, Key: f.platform.Key, Hasher: h, Log: log, Mail: f.outbox, Throttle: limits}
	if op != nil {
		cfg.IdentityHTTPClient = op.Server.Client()
	}
	if dir != nil {
		cfg.LDAPRoots = dir.Roots
	}
	if f.ui, err = webui.New(cfg); err != nil {
		t.Fatal(err)
	}
	f.ui.Mount(s)
	f.server = s
	f.outbox.wait = f.ui.Wait
	return f
}

// addOIDCProvider configures op as "Corp SSO" through the settings screen.
func addOIDCProvider(t *testing.T, admin *client, op *oidctest.Provider, extra url.Values) {
	t.Helper()
	admin.get("/odoo/settings/providers/new?kind=oidc")
	form := url.Values{"op": {"save"}, "kind": {"oidc"}, "name": {"Corp SSO"}, "enabled": {"on"}, "issuer": {op.Issuer()},
		"client_id": {op.ClientID}, "secret": {oidcClientSecret}, "default_group": {"base.group_user"}}
	for k, v := range extra {
		form[k] = v
	}
	if w := admin.post("/odoo/settings/providers/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save provider: %d %s", w.Code, w.Body)
	}
}

// startOIDC presses the provider's button on the sign-in page and returns where the
// browser is sent.
func startOIDC(t *testing.T, c *client, redirect string) string {
	t.Helper()
	page := c.get("/web/login")
	if !strings.Contains(page.Body.String(), "Sign in with Corp SSO") || !strings.Contains(page.Body.String(), `action="/web/login/oidc/Corp%20SSO"`) {
		t.Fatalf("no provider button on the sign-in page:\n%s", page.Body)
	}
	w := c.post("/web/login/oidc/Corp%20SSO", url.Values{"redirect": {redirect}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	return w.Header().Get("Location")
}

func callbackURL(code, state string) string {
	return "/web/auth/oidc/callback?" + url.Values{"code": {code}, "state": {state}}.Encode()
}

// A browser-less round trip: button, provider, callback, session; the user is
// created in the default group on first sign-in, and the page asked before sign-in
// is where the user lands.
func TestOIDCSignInRoundTrip(t *testing.T) {
	eachEngine(t, testOIDCSignInRoundTrip)
}

func testOIDCSignInRoundTrip(t *testing.T, f *fixture) {
	op := oidctest.Start(t, "erp-client", oidcClientSecret)
	f = externalize(t, f, op, nil)
	addOIDCProvider(t, f.signIn("admin"), op, url.Values{"create_users": {"on"}})
	op.SignIn(oidctest.User{Subject: "sub-ada", Email: "ada@corp.example", EmailVerified: true, Name: "Ada Lovelace"})

	c := f.client()
	authURL := startOIDC(t, c, "/odoo/contacts")
	if !strings.HasPrefix(authURL, op.Issuer()+"/authorize?") {
		t.Fatalf("sent to %q", authURL)
	}
	code, state := op.Follow(t, authURL)
	if !op.SawPKCE {
		t.Fatal("the authorization request has no PKCE challenge")
	}
	w := c.get(callbackURL(code, state))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/odoo/contacts" || c.cookies[session.CookieName] == nil {
		t.Fatalf("callback: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if home := c.get("/odoo"); home.Code != 200 || !strings.Contains(home.Body.String(), "Ada Lovelace") {
		t.Fatalf("signed-in page: %d", home.Code)
	}
	// The same answer presented again (a replayed callback) signs nobody in.
	replay := f.client()
	replay.cookies = map[string]*http.Cookie{"__Host-csrf": c.cookies["__Host-csrf"]}
	if w := replay.get(callbackURL(code, state)); w.Code != http.StatusUnauthorized || replay.cookies[session.CookieName] != nil ||
		!strings.Contains(w.Body.String(), externalFailed) {
		t.Fatalf("replayed callback: %d", w.Code)
	}
	if !strings.Contains(f.logs.String(), "OpenID sign-in refused") {
		t.Fatal("refusal not logged")
	}
}

// Every forged or tampered answer is refused with the same page and no session:
// a state from another browser (login CSRF), a forged state, a wrong nonce, a
// token for another client, a token from another issuer, a provider error. The
// start refuses posts without the anti-forgery token and cross-origin posts.
func TestOIDCCallbackRefused(t *testing.T) {
	op := oidctest.Start(t, "erp-client", oidcClientSecret)
	f := newExternalFixture(t, op, nil)
	addOIDCProvider(t, f.signIn("admin"), op, nil)
	// An existing user, matched by the verified address.
	op.SignIn(oidctest.User{Subject: "sub-user", Email: "user@example.com", EmailVerified: true})

	// Each browser comes from its own address, so that the refusals below do not
	// add up to a lock-out (tested on its own).
	n := 0
	fresh := func() *client {
		n++
		c := f.client()
		c.addr = fmt.Sprintf("198.51.100.%d:40000", n)
		return c
	}
	refused := func(name string, c *client, target string) {
		t.Helper()
		w := c.get(target)
		if w.Code != http.StatusUnauthorized || c.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), externalFailed) {
			t.Errorf("%s: %d, session %v", name, w.Code, c.cookies[session.CookieName] != nil)
		}
	}
	victim := fresh()
	code, state := op.Follow(t, startOIDC(t, victim, ""))
	attacker := fresh()
	attacker.get("/web/login")
	refused("state of another browser", attacker, callbackURL(code, state))
	refused("state burnt by the other browser", victim, callbackURL(code, state))
	refused("forged state", victim, callbackURL(code, "forged-state"))
	refused("no state", victim, "/web/auth/oidc/callback?code="+code)

	for name, set := range map[string]*bool{"wrong nonce": &op.WrongNonce, "wrong audience": &op.WrongAudience,
		"wrong issuer": &op.WrongIssuer, "expired token": &op.Expired, "bad signature": &op.BadSignature} {
		*set = true
		c := fresh()
		code, state := op.Follow(t, startOIDC(t, c, ""))
		refused(name, c, callbackURL(code, state))
		*set = false
	}
	c := fresh()
	_, state = op.Follow(t, startOIDC(t, c, ""))
	refused("provider error", c, "/web/auth/oidc/callback?"+url.Values{"error": {"access_denied"}, "state": {state}}.Encode())

	// An unverified address never names a user, and this provider creates none.
	op.SignIn(oidctest.User{Subject: "sub-mallory", Email: "admin@example.com", EmailVerified: false})
	c = fresh()
	code, state = op.Follow(t, startOIDC(t, c, ""))
	refused("unverified address", c, callbackURL(code, state))

	// Still works for the right browser with an honest provider.
	op.SignIn(oidctest.User{Subject: "sub-user", Email: "user@example.com", EmailVerified: true})
	c = fresh()
	code, state = op.Follow(t, startOIDC(t, c, ""))
	if w := c.get(callbackURL(code, state)); w.Code != http.StatusSeeOther || c.cookies[session.CookieName] == nil {
		t.Fatalf("honest sign-in: %d %s", w.Code, w.Body)
	}

	// The start is a state change: token and same origin required.
	c = fresh()
	c.get("/web/login")
	if w := c.do("POST", "/web/login/oidc/Corp%20SSO", url.Values{}); w.Code != http.StatusForbidden {
		t.Errorf("start without token: %d", w.Code)
	}
	wrong := []byte(c.csrf)
	wrong[0] ^= 1 // a token that differs from the cookie
	if w := c.do("POST", "/web/login/oidc/Corp%20SSO", url.Values{"csrf_token": {string(wrong)}}); w.Code != http.StatusForbidden {
		t.Errorf("start with a wrong token: %d", w.Code)
	}
	if w := c.do("POST", "/web/login/oidc/Corp%20SSO", url.Values{"csrf_token": {c.csrf}}, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Errorf("cross-origin start: %d", w.Code)
	}
	for _, name := range []string{"Nobody", "Corp%00SSO", "%FF", "Corp%20SSO%27--"} {
		if w := c.post("/web/login/oidc/"+name, nil); w.Code != http.StatusNotFound {
			t.Errorf("provider %q: %d", name, w.Code)
		}
	}
}

// A user with a second factor gives it after the provider, as after a password.
func TestOIDCSignInAsksSecondFactor(t *testing.T) {
	op := oidctest.Start(t, "erp-client", oidcClientSecret)
	f := newExternalFixture(t, op, nil)
	addOIDCProvider(t, f.signIn("admin"), op, nil)
	f.enableTOTP(t, "user")
	op.SignIn(oidctest.User{Subject: "sub-user", Email: "user@example.com", EmailVerified: true})
	c := f.client()
	code, state := op.Follow(t, startOIDC(t, c, ""))
	w := c.get(callbackURL(code, state))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="pending"`) || c.cookies[session.CookieName] != nil {
		t.Fatalf("callback of a user with 2FA: %d, session %v", w.Code, c.cookies[session.CookieName] != nil)
	}
}

// Refused callbacks count like wrong passwords: after ten, the address is locked
// out and even an honest answer is refused.
func TestOIDCRefusalsAreThrottled(t *testing.T) {
	op := oidctest.Start(t, "erp-client", oidcClientSecret)
	f := newExternalFixture(t, op, nil)
	addOIDCProvider(t, f.signIn("admin"), op, nil)
	op.SignIn(oidctest.User{Subject: "sub-user", Email: "user@example.com", EmailVerified: true})
	c := f.client()
	code, state := op.Follow(t, startOIDC(t, c, ""))
	for range 10 {
		c.get(callbackURL("code", "forged-state"))
	}
	if w := c.get(callbackURL(code, state)); w.Code != http.StatusTooManyRequests || c.cookies[session.CookieName] != nil {
		t.Fatalf("locked-out address: %d", w.Code)
	}
	if w := c.post("/web/login/oidc/Corp%20SSO", nil); w.Code != http.StatusTooManyRequests {
		t.Fatalf("start from a locked-out address: %d", w.Code)
	}
}

// A provider belongs to its tenant: another tenant shows no button, cannot start
// with its name, and does not accept a callback begun on the first.
func TestOIDCProviderStaysInItsTenant(t *testing.T) {
	eachEngine(t, testOIDCProviderStaysInItsTenant, "acme", "globex")
}

func testOIDCProviderStaysInItsTenant(t *testing.T, f *fixture) {
	op := oidctest.Start(t, "erp-client", oidcClientSecret)
	f = externalize(t, f, op, nil)
	addOIDCProvider(t, f.signIn("admin"), op, url.Values{"create_users": {"on"}})
	op.SignIn(oidctest.User{Subject: "sub-eve", Email: "eve@corp.example", EmailVerified: true})

	other := f.client()
	other.host = "globex.localhost"
	if page := other.get("/web/login"); strings.Contains(page.Body.String(), "Corp SSO") {
		t.Fatal("another tenant shows the provider")
	}
	if w := other.post("/web/login/oidc/Corp%20SSO", nil); w.Code != http.StatusNotFound {
		t.Fatalf("start on another tenant: %d", w.Code)
	}
	c := f.client()
	code, state := op.Follow(t, startOIDC(t, c, ""))
	c.host = "globex.localhost"
	if w := c.get(callbackURL(code, state)); w.Code != http.StatusUnauthorized || c.cookies[session.CookieName] != nil {
		t.Fatalf("callback on another tenant: %d", w.Code)
	}
}
