package webui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

const trustCookie = "__Host-trusted-device"

// eachEngine runs fn on a platform over SQLite and on one over PostgreSQL. The test
// runs in parallel with the other tests on both engines: provisioning the PostgreSQL
// platform, most of such a test, waits on the server rather than on this process.
func eachEngine(t *testing.T, fn func(t *testing.T, f *fixture), tenants ...string) {
	t.Parallel()
	if len(tenants) == 0 {
		tenants = []string{"acme"}
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		if e.Name == "sqlite" {
			fn(t, newFixture(t, tenants...))
			return
		}
		f := newFixtureArgs(t, []string{"--database-url", storetest.NewPostgresDatabase(t)}, tenants...)
		t.Cleanup(func() {
			f.router.Close()
			for _, n := range tenants {
				f.platform.Provisioner.Delete(context.Background(), n)
			}
		})
		fn(t, f)
	})
}

// totpCodes turns TOTP on for role on tenant with a code of the previous time step,
// and returns codes for the current and the next step (each usable once, in that
// order), the secret and the recovery codes.
type totpCodes struct {
	secret   string
	codes    []string
	recovery []string
}

func (f *fixture) enableTOTPOn(t testing.TB, tenant, role string) totpCodes {
	t.Helper()
	ctx := context.Background()
	// Far enough from a step boundary that the previous step stays acceptable.
	if left := totp.Period - time.Duration(time.Now().UnixNano())%totp.Period; left < 3*time.Second {
		time.Sleep(left)
	}
	now := time.Now()
	lease, err := f.router.Acquire(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	m, err := totp.New(lease.DB, totp.Config{Tenant: tenant, Key: f.platform.Key})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := m.NewEnrollment(role)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := pqtotp.GenerateCode(enr.Secret, now.Add(-totp.Period))
	rec, err := m.Enable(ctx, f.uid[role], enr.Secret, prev)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := pqtotp.GenerateCode(enr.Secret, now)
	next, _ := pqtotp.GenerateCode(enr.Secret, now.Add(totp.Period))
	return totpCodes{secret: enr.Secret, codes: []string{cur, next}, recovery: rec}
}

var pendingPattern = regexp.MustCompile(`name="pending" value="([^"]+)"`)

// passwordStep posts the password and returns the answer and, when a second step
// follows, its signed proof.
func (c *client) passwordStep(login string) (*httpResult, string) {
	c.f.t.Helper()
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {login}, "password": {testPassword}})
	res := &httpResult{code: w.Code, body: w.Body.String(), location: w.Header().Get("Location")}
	if m := pendingPattern.FindStringSubmatch(res.body); m != nil {
		return res, htmlUnescape(m[1])
	}
	return res, ""
}

type httpResult struct {
	code           int
	body, location string
}

func (f *fixture) events(t testing.TB, tenant string, kind securitylog.Kind, userID int64) []securitylog.Event {
	t.Helper()
	lease, err := f.router.Acquire(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	ev, err := securitylog.New(lease.DB, nil).List(context.Background(), securitylog.Filter{Kind: kind, UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// forgeTrust signs a trusted-device token as the server would, from the tenant's
// own secret and the user's current state, valid until expires. The test knowing
// how to make a valid one is what makes the refusal of the expired one meaningful.
func (f *fixture) forgeTrust(t testing.TB, tenant string, userID int64, expires time.Time) string {
	t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	db := lease.DB
	var secret, hash string
	var sealed []byte
	if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), token.SecretParameter).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT password FROM res_users WHERE id = ?"), userID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT secret_sealed FROM auth_totp WHERE user_id = ?"), userID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(secret)
	issued := expires.Add(-token.TrustedDeviceLifetime)
	sg, err := token.NewSigner(raw, func() time.Time { return issued })
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(sealed)
	tok, err := sg.Sign(token.ScopeTrustedDevice, []byte(strconv.FormatInt(userID, 10)),
		token.TrustedDeviceBinding(tenant, userID, hash, hex.EncodeToString(sum[:]), 0), expires)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A device trusted at the second step skips the code at the next password sign-in,
// and only there: a forged, expired, other user's or other tenant's token does not,
// and a password change, a revocation or turning 2FA off and on ends it.
func TestTrustedDevice(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		f.enableTOTPOn(t, "acme", "admin")
		f.enableTOTPOn(t, "globex", "user")
		// Last, so that its code is used within its window even on a slow run; the
		// later sign-ins use recovery codes, which do not depend on the clock.
		user := f.enableTOTPOn(t, "acme", "user")
		// asksCode signs in with the password and reports whether the code was asked.
		asksCode := func(c *client, login string) bool {
			t.Helper()
			delete(c.cookies, session.CookieName)
			res, pending := c.passwordStep(login)
			switch {
			case pending != "" && res.code == 200 && c.cookies[session.CookieName] == nil:
				return true
			case pending == "" && res.code == http.StatusSeeOther && c.cookies[session.CookieName] != nil:
				return false
			}
			t.Fatalf("password step: %d %s", res.code, res.body)
			return false
		}

		c := f.client()
		res, pending := c.passwordStep("user@example.com")
		if pending == "" || !strings.Contains(res.body, `name="trust"`) {
			t.Fatalf("second step without the trust box: %s", res.body)
		}
		// The box is a choice: without it nothing is trusted.
		if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {user.codes[0]}}); w.Code != http.StatusSeeOther || c.cookies[trustCookie] != nil {
			t.Fatalf("sign-in without trust: %d, cookie %v", w.Code, c.cookies[trustCookie])
		}
		if !asksCode(c, "user@example.com") {
			t.Fatal("an untrusted browser skipped the code")
		}
		_, pending = c.passwordStep("user@example.com")
		if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {user.recovery[0]}, "trust": {"1"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("sign-in with trust: %d %s", w.Code, w.Body)
		}
		ck := c.cookies[trustCookie]
		if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" ||
			ck.MaxAge != int(token.TrustedDeviceLifetime/time.Second) {
			t.Fatalf("trust cookie: %+v", ck)
		}
		trusted := ck.Value
		if asksCode(c, "user@example.com") {
			t.Fatal("the trusted browser was asked for the code")
		}
		if w := c.get("/odoo"); w.Code != 200 {
			t.Fatalf("session of the trusted sign-in: %d", w.Code)
		}
		// The password is still needed.
		c.get("/web/login")
		delete(c.cookies, session.CookieName)
		if w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {"not the password at all"}}); c.cookies[session.CookieName] != nil || w.Code != 200 {
			t.Fatalf("trusted browser with a wrong password: %d", w.Code)
		}
		if n := len(f.events(t, "acme", securitylog.TrustedDeviceGranted, f.uid["user"])); n != 1 {
			t.Errorf("%d grant events", n)
		}
		if n := len(f.events(t, "acme", securitylog.TrustedDeviceUsed, f.uid["user"])); n != 1 {
			t.Errorf("%d use events", n)
		}

		// Presented for another user of the same tenant, or on another tenant by the
		// same login, or altered, or expired: the code is asked.
		present := func(host, value string) *client {
			o := f.client()
			o.host = host
			o.cookies[trustCookie] = &http.Cookie{Name: trustCookie, Value: value}
			return o
		}
		flipped := []byte(trusted)
		flipped[len(flipped)/2] ^= 0x01
		valid := f.forgeTrust(t, "acme", f.uid["user"], time.Now().Add(time.Hour))
		expired := f.forgeTrust(t, "acme", f.uid["user"], time.Now().Add(-time.Second))
		// The test's own signing matches the server's, so the refusals below are
		// refusals of what differs (here: only the expiry).
		if asksCode(present("acme.localhost", valid), "user@example.com") {
			t.Fatal("a token signed like the server's was refused")
		}
		refused := []struct {
			name, host, login, value string
		}{
			{"other user", "acme.localhost", "admin@example.com", trusted},
			{"other tenant", "globex.localhost", "user@example.com", trusted},
			{"altered", "acme.localhost", "user@example.com", string(flipped)},
			{"expired", "acme.localhost", "user@example.com", expired},
			{"garbage", "acme.localhost", "user@example.com", "x"},
		}
		for _, r := range refused {
			if !asksCode(present(r.host, r.value), r.login) {
				t.Errorf("%s: the code was skipped", r.name)
			}
		}
		if asksCode(present("acme.localhost", trusted), "user@example.com") {
			t.Fatal("the trusted token itself was refused from a fresh client")
		}

		// Revocation from the security page: anti-forgery token required.
		if asksCode(c, "user@example.com") {
			t.Fatal("the trusted browser was asked for the code")
		}
		c.get("/odoo/account/security")
		if w := c.post("/odoo/account/security", url.Values{"op": {"revoke-devices"}, "csrf_token": {"wrong"}}); w.Code != http.StatusForbidden {
			t.Fatalf("revoke without the token: %d", w.Code)
		}
		if !strings.Contains(c.get("/odoo/account/security").Body.String(), "This browser is a trusted device") {
			t.Error("the security page does not say this browser is trusted")
		}
		if w := c.post("/odoo/account/security", url.Values{"op": {"revoke-devices"}}); w.Code != http.StatusSeeOther || c.cookies[trustCookie] != nil {
			t.Fatalf("revoke: %d, cookie %v", w.Code, c.cookies[trustCookie])
		}
		if !asksCode(present("acme.localhost", trusted), "user@example.com") {
			t.Fatal("a revoked device skipped the code")
		}
		if n := len(f.events(t, "acme", securitylog.TrustedDevicesRevoked, f.uid["user"])); n != 1 {
			t.Errorf("%d revocation events", n)
		}

		// Trust again, then change the password: the device is no longer trusted.
		_, pending = c.passwordStep("user@example.com")
		if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {user.recovery[2]}, "trust": {"1"}}); w.Code != http.StatusSeeOther || c.cookies[trustCookie] == nil {
			t.Fatalf("second trust: %d", w.Code)
		}
		trusted = c.cookies[trustCookie].Value
		if asksCode(present("acme.localhost", trusted), "user@example.com") {
			t.Fatal("the new trust was refused")
		}
		// A reset through the mailed link changes the password hash.
		anon := f.client()
		anon.get("/web/reset_password")
		anon.post("/web/reset_password", url.Values{"login": {"user@example.com"}})
		link := linkFrom(t, f.outbox.last())
		u, _ := url.Parse(link)
		anon.get(link)
		const newPassword = "an entirely new passphrase 77"
		if w := anon.post("/web/reset_password", url.Values{"uid": {u.Query().Get("uid")}, "token": {u.Query().Get("token")},
			"new": {newPassword}, "confirm": {newPassword}}); w.Code != http.StatusSeeOther {
			t.Fatalf("reset: %d %s", w.Code, w.Body)
		}
		o := present("acme.localhost", trusted)
		o.get("/web/login")
		if w := o.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {newPassword}}); w.Code != 200 || !pendingPattern.MatchString(w.Body.String()) {
			t.Fatalf("after a password change the trusted device skipped the code: %d", w.Code)
		}

		// Trust once more, then turn 2FA off and on again: the device is no longer trusted.
		o.get("/web/login")
		w := o.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {newPassword}})
		step := htmlUnescape(pendingPattern.FindStringSubmatch(w.Body.String())[1])
		if w := o.post("/web/login/totp", url.Values{"pending": {step}, "code": {user.recovery[1]}, "trust": {"1"}}); w.Code != http.StatusSeeOther || o.cookies[trustCookie] == nil {
			t.Fatalf("trust after the reset: %d", w.Code)
		}
		trusted = o.cookies[trustCookie].Value
		lease, err := f.router.Acquire(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		m, err := totp.New(lease.DB, totp.Config{Tenant: "acme", Key: f.platform.Key})
		if err == nil {
			err = m.Disable(context.Background(), f.uid["user"])
		}
		lease.Release()
		if err != nil {
			t.Fatal(err)
		}
		f.enableTOTPOn(t, "acme", "user")
		again := present("acme.localhost", trusted)
		again.get("/web/login")
		if w := again.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {newPassword}}); w.Code != 200 || !pendingPattern.MatchString(w.Body.String()) {
			t.Fatalf("after 2FA was turned off and on the trusted device skipped the code: %d", w.Code)
		}
	}, "acme", "globex")
}
