package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/totp"
)

var secretPattern = regexp.MustCompile(`<code data-totp-secret>([A-Z2-7]+)</code>`)

func (f *fixture) param(t testing.TB, key string) string {
	t.Helper()
	lease, err := f.router.Acquire(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	var v string
	lease.DB.Read.QueryRowContext(context.Background(), lease.DB.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), key).Scan(&v)
	return v
}

// With the tenant's policy on, an internal user without 2FA gets no session after
// the password, only the enrolment screen; no page is reachable around it; the code
// of the scanned secret turns 2FA on and starts the session. Portal users are exempt.
func TestRequiredSecondFactor(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		early := f.signIn("user")
		admin := f.signIn("admin")
		admin.get("/odoo/settings/two-factor")
		on := func() url.Values { return url.Values{"required": {"1"}} }

		// Administrators only, with the anti-forgery token, and with 2FA of their own.
		if w := early.get("/odoo/settings/two-factor"); w.Code != http.StatusNotFound {
			t.Fatalf("policy page for a user: %d", w.Code)
		}
		if w := early.post("/odoo/settings/two-factor", on()); w.Code != http.StatusNotFound {
			t.Fatalf("policy set by a user: %d", w.Code)
		}
		if w := admin.post("/odoo/settings/two-factor", url.Values{"required": {"1"}, "csrf_token": {"forged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("policy without the token: %d", w.Code)
		}
		if w := admin.post("/odoo/settings/two-factor", on()); w.Code != http.StatusUnprocessableEntity || f.param(t, "auth.totp.required") != "" {
			t.Fatalf("policy by an admin without 2FA: %d %q", w.Code, f.param(t, "auth.totp.required"))
		}
		f.enableTOTPOn(t, "acme", "admin")
		if w := admin.post("/odoo/settings/two-factor", on()); w.Code != http.StatusSeeOther || f.param(t, "auth.totp.required") != "True" {
			t.Fatalf("policy on: %d %q", w.Code, f.param(t, "auth.totp.required"))
		}
		if ev := f.events(t, "acme", securitylog.TwoFactorPolicy, 0); len(ev) != 1 || ev[0].ActorID != f.uid["admin"] || ev[0].Reference != "required" {
			t.Fatalf("policy events: %+v", ev)
		}
		if w := admin.get("/odoo"); w.Code != 200 {
			t.Fatalf("the admin was signed out: %d", w.Code)
		}
		// Sessions of users without 2FA end: they enrol at their next sign-in.
		if w := early.get("/odoo"); w.Code != http.StatusSeeOther {
			t.Fatalf("a session without 2FA survived the policy: %d", w.Code)
		}

		c := f.client()
		res, pending := c.passwordStep("user@example.com")
		if res.code != 200 || pending == "" || !strings.Contains(res.body, "Set up two-factor authentication") || c.cookies[session.CookieName] != nil {
			t.Fatalf("password step under the policy: %d %s", res.code, res.body)
		}
		secret := secretPattern.FindStringSubmatch(res.body)[1]
		if n := len(f.events(t, "acme", securitylog.TwoFactorEnrolRequired, f.uid["user"])); n != 1 {
			t.Errorf("%d enrolment events", n)
		}
		for _, path := range []string{"/odoo", "/odoo/contacts", "/odoo/account/security", "/odoo/settings", "/my"} {
			if w := c.get(path); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/web/login") {
				t.Errorf("%s before enrolment: %d %q", path, w.Code, w.Header().Get("Location"))
			}
		}
		now := time.Now()
		code, _ := pqtotp.GenerateCode(secret, now)
		// The proof of the password step is for this step only, this browser only,
		// and cannot carry another secret.
		if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {code}}); c.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), "took too long") {
			t.Fatalf("enrolment proof used as a second-factor proof: %d", w.Code)
		}
		thief := f.client()
		thief.get("/web/login")
		if w := thief.post("/web/login/enrol", url.Values{"pending": {pending}, "code": {code}}); thief.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), "took too long") {
			t.Fatalf("enrolment proof from another browser: %d", w.Code)
		}
		tampered := []byte(pending)
		tampered[len(tampered)-5] ^= 0x02
		if w := c.post("/web/login/enrol", url.Values{"pending": {string(tampered)}, "code": {code}}); c.cookies[session.CookieName] != nil || !strings.Contains(w.Body.String(), "took too long") {
			t.Fatalf("tampered enrolment proof: %d", w.Code)
		}
		if w := c.post("/web/login/enrol", url.Values{"pending": {pending}, "code": {code}, "csrf_token": {"forged"}}); w.Code != http.StatusForbidden {
			t.Fatalf("enrolment without the token: %d", w.Code)
		}
		if w := c.post("/web/login/enrol", url.Values{"pending": {pending}, "code": {"000000"}}); w.Code != http.StatusUnprocessableEntity ||
			c.cookies[session.CookieName] != nil || secretPattern.FindStringSubmatch(w.Body.String())[1] != secret {
			t.Fatalf("wrong enrolment code: %d", w.Code)
		}
		w := c.post("/web/login/enrol", url.Values{"pending": {pending}, "code": {code}, "redirect": {"/odoo/contacts"}})
		if w.Code != 200 || c.cookies[session.CookieName] == nil || !strings.Contains(w.Body.String(), `href="/odoo/contacts"`) ||
			strings.Count(w.Body.String(), "<li><code>") != 10 {
			t.Fatalf("enrolment: %d %s", w.Code, w.Body)
		}
		if w := c.get("/odoo/contacts"); w.Code != 200 {
			t.Fatalf("after enrolment: %d", w.Code)
		}
		// Under the policy 2FA cannot be turned off.
		c.get("/odoo/account/security")
		next, _ := pqtotp.GenerateCode(secret, now.Add(totp.Period))
		if w := c.post("/odoo/account/security", url.Values{"op": {"disable"}, "current": {testPassword}, "code": {next}}); w.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(w.Body.String(), "requires two-factor") {
			t.Fatalf("disable under the policy: %d", w.Code)
		}

		// Portal users are exempt.
		p := f.client()
		if res, pending := p.passwordStep("portal@example.com"); res.code != http.StatusSeeOther || pending != "" || res.location != "/my" {
			t.Fatalf("portal user under the policy: %d %q", res.code, res.location)
		}

		// Off again: nobody is stopped.
		if w := admin.post("/odoo/settings/two-factor", url.Values{}); w.Code != http.StatusSeeOther || f.param(t, "auth.totp.required") != "False" {
			t.Fatalf("policy off: %d", w.Code)
		}
	})
}
