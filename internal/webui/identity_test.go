package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/identity"
)

var mailedLink = regexp.MustCompile(`href="https?://[^/"]+(/web/(?:reset_password|signup)\?[^"]+)"`)

func linkFrom(t *testing.T, mail string) string {
	t.Helper()
	m := mailedLink.FindStringSubmatch(mail)
	if m == nil {
		t.Fatalf("no link in mail:\n%s", mail)
	}
	return htmlUnescape(m[1])
}

// A reset link sets a password once; the request page says the same whether the
// login exists or not; the old sessions end.
func TestPasswordReset(t *testing.T) {
	f := newFixture(t)
	old := f.signIn("user")
	anon := f.client()
	anon.get("/web/reset_password")
	unknown := anon.post("/web/reset_password", url.Values{"login": {"nobody@example.com"}})
	known := anon.post("/web/reset_password", url.Values{"login": {"user@example.com"}})
	if unknown.Code != 200 || stripVolatile(unknown.Body.String()) != stripVolatile(known.Body.String()) {
		t.Fatalf("the answer tells known from unknown logins: %d/%d", unknown.Code, known.Code)
	}
	link := linkFrom(t, f.outbox.last())
	if !strings.HasPrefix(f.outbox.last(), "user@example.com\n") {
		t.Fatalf("mail to %q", strings.SplitN(f.outbox.last(), "\n", 2)[0])
	}
	form := anon.get(link)
	if form.Code != 200 || !strings.Contains(form.Body.String(), "User Person") {
		t.Fatalf("reset form: %d %s", form.Code, form.Body)
	}
	u, _ := url.Parse(link)
	set := url.Values{"uid": {u.Query().Get("uid")}, "token": {u.Query().Get("token")}}
	weak := cloneValues(set)
	weak.Set("new", "password")
	weak.Set("confirm", "password")
	if w := anon.post("/web/reset_password", weak); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a common password was accepted: %d", w.Code)
	}
	good := cloneValues(set)
	good.Set("new", "brand new passphrase 7")
	good.Set("confirm", "brand new passphrase 7")
	if w := anon.post("/web/reset_password", good); w.Code != http.StatusSeeOther {
		t.Fatalf("set password: %d %s", w.Code, w.Body)
	}
	// Used once: the same link is now invalid, as are a tampered one and another user's.
	for name, target := range map[string]string{
		"reused":     link,
		"tampered":   strings.Replace(link, "token=", "token=A", 1),
		"other user": strings.Replace(link, "uid="+u.Query().Get("uid"), fmt.Sprintf("uid=%d", f.uid["admin"]), 1),
	} {
		if w := anon.get(target); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "invalid or expired") {
			t.Errorf("%s link: %d", name, w.Code)
		}
	}
	if w := old.get("/odoo"); w.Code != http.StatusSeeOther {
		t.Fatalf("a session from before the reset survived: %d", w.Code)
	}
	c := f.client()
	c.get("/web/login")
	if w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {"brand new passphrase 7"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("sign in with the new password: %d", w.Code)
	}
}

// An administrator invites a user, who chooses their own password through the link;
// the administrator can deactivate them, which ends their sessions.
func TestInviteAndDeactivate(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	w := admin.post("/odoo/settings/invite", url.Values{"name": {"Nina New"}, "email": {"nina@example.com"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", w.Code, w.Body)
	}
	userPage := w.Header().Get("Location")
	link := linkFrom(t, f.outbox.last())
	if !strings.HasPrefix(link, "/web/signup?") {
		t.Fatalf("invitation link %q", link)
	}
	if strings.Contains(admin.get(userPage).Body.String(), "token=") {
		t.Fatal("the administrator's page shows the invitation token")
	}
	nina := f.client()
	nina.get(link)
	u, _ := url.Parse(link)
	if w := nina.post("/web/signup", url.Values{"uid": {u.Query().Get("uid")}, "token": {u.Query().Get("token")},
		"new": {"ninas own passphrase"}, "confirm": {"ninas own passphrase"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("accept invitation: %d %s", w.Code, w.Body)
	}
	nina.get("/web/login")
	if w := nina.post("/web/login", url.Values{"login": {"nina@example.com"}, "password": {"ninas own passphrase"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("invited user signs in: %d", w.Code)
	}
	if w := nina.get("/odoo/contacts"); w.Code != 200 {
		t.Fatalf("invited user's contacts: %d", w.Code)
	}
	admin.get(userPage)
	if w := admin.post(userPage, url.Values{"op": {"deactivate"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", w.Code, w.Body)
	}
	if w := nina.get("/odoo/contacts"); w.Code != http.StatusSeeOther {
		t.Fatalf("deactivated user still in: %d", w.Code)
	}
	nina.get("/web/login")
	if w := nina.post("/web/login", url.Values{"login": {"nina@example.com"}, "password": {"ninas own passphrase"}}); w.Code != 200 {
		t.Fatalf("deactivated user signs in: %d", w.Code)
	}
	// The security log shows the events, never a secret.
	log := admin.get("/odoo/settings/security-log").Body.String()
	for _, want := range []string{"reset.requested", "reset.used", "login.success", "login.failure"} {
		if !strings.Contains(log, want) {
			t.Errorf("security log lacks %s", want)
		}
	}
	if strings.Contains(log, "ninas own passphrase") || strings.Contains(log, u.Query().Get("token")) {
		t.Error("the security log shows a secret")
	}
}

// Changing the password needs the current one, ends the other sessions and gives
// this one a new token.
func TestPasswordChange(t *testing.T) {
	f := newFixture(t)
	other := f.signIn("user")
	c := f.signIn("user")
	c.get("/odoo/account/password")
	before := c.cookies[session.CookieName].Value
	if w := c.post("/odoo/account/password", url.Values{"current": {"not it at all"}, "new": {"another long passphrase"}, "confirm": {"another long passphrase"}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", w.Code)
	}
	if w := c.post("/odoo/account/password", url.Values{"current": {testPassword}, "new": {"another long passphrase"}, "confirm": {"another long passphrase"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	if after := c.cookies[session.CookieName].Value; after == before {
		t.Fatal("the session token was not rotated")
	}
	if w := c.get("/odoo"); w.Code != 200 {
		t.Fatalf("this session after the change: %d", w.Code)
	}
	if w := other.get("/odoo"); w.Code != http.StatusSeeOther {
		t.Fatalf("the other session survived: %d", w.Code)
	}
}

// With two-factor on, the password alone does not sign in; a code does once.
func TestSecondFactorSignIn(t *testing.T) {
	f := newFixture(t)
	code := f.enableTOTP(t, "user")
	c := f.client()
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="pending"`) || c.cookies[session.CookieName] != nil {
		t.Fatalf("password step: %d", w.Code)
	}
	pending := regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(w.Body.String())[1]
	if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {"000000"}}); w.Code != 200 || c.cookies[session.CookieName] != nil {
		t.Fatalf("wrong code: %d", w.Code)
	}
	// The proof of the password step is bound to this browser.
	thief := f.client()
	thief.get("/web/login")
	if w := thief.post("/web/login/totp", url.Values{"pending": {pending}, "code": {code}}); thief.cookies[session.CookieName] != nil || w.Code != 200 {
		t.Fatalf("pending step replayed from another browser: %d", w.Code)
	}
	if w := c.post("/web/login/totp", url.Values{"pending": {pending}, "code": {code}}); w.Code != http.StatusSeeOther || c.cookies[session.CookieName] == nil {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
	// The same code cannot sign in twice.
	again := f.client()
	again.get("/web/login")
	w = again.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}})
	pending = regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(w.Body.String())[1]
	if w := again.post("/web/login/totp", url.Values{"pending": {pending}, "code": {code}}); again.cookies[session.CookieName] != nil {
		t.Fatalf("replayed code accepted: %d", w.Code)
	}
}

// Ten wrong passwords from one address lock it out: the right password is then
// refused too, with the lock-out message.
func TestSignInLockOut(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.get("/web/login")
	for i := 0; i < 10; i++ {
		c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {fmt.Sprintf("wrong guess %d", i)}})
	}
	w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}})
	if w.Code != 200 || c.cookies[session.CookieName] != nil || strings.Contains(w.Body.String(), "Wrong login or password") {
		t.Fatalf("locked address signed in or got the wrong message: %d %s", w.Code, w.Body)
	}
	admin := f.client()
	admin.addr = "198.51.100.7:5000"
	admin.get("/web/login")
	in := admin.post("/web/login", url.Values{"login": {"admin@example.com"}, "password": {testPassword}})
	if in.Code != http.StatusSeeOther {
		t.Fatalf("another address: %d", in.Code)
	}
	admin.get(in.Header().Get("Location"))
	bans := admin.get("/odoo/settings/bans")
	if !strings.Contains(bans.Body.String(), "192.0.2.10") {
		t.Fatalf("ban not listed: %s", bans.Body)
	}
	if w := admin.post("/odoo/settings/bans", url.Values{"kind": {"address"}, "subject": {"192.0.2.10"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("lift: %d", w.Code)
	}
	if w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}}); w.Code != http.StatusSeeOther {
		t.Fatalf("after the lift: %d %s", w.Code, w.Body)
	}
}

// The command line's link for a new tenant's administrator sets a password once.
func TestPasswordLinkForTheCommandLine(t *testing.T) {
	f := newFixture(t)
	lease, err := f.router.Acquire(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sharedHasher(t)
	common, err := password.LoadCommonList()
	if err != nil {
		t.Fatal(err)
	}
	policy, err := password.NewPolicy(0, common)
	if err != nil {
		t.Fatal(err)
	}
	// The identity service as the command line builds it, on the public origin.
	svc, err := identity.New(identity.Config{DB: lease.DB, Registry: f.platform.Registry, BaseURL: "https://acme.localhost:8443",
		Tenant: "acme", Hasher: h, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	link, err := svc.Link(context.Background(), identity.ResetLink, f.uid["admin"])
	lease.Release()
	if err != nil || !strings.HasPrefix(link, "https://acme.localhost:8443/web/reset_password?") {
		t.Fatalf("link %q: %v", link, err)
	}
	u, _ := url.Parse(link)
	c := f.client()
	if w := c.get(u.RequestURI()); w.Code != 200 {
		t.Fatalf("link opens: %d", w.Code)
	}
	set := url.Values{"uid": {u.Query().Get("uid")}, "token": {u.Query().Get("token")}, "new": {"first admin passphrase"}, "confirm": {"first admin passphrase"}}
	if w := c.post("/web/reset_password", set); w.Code != http.StatusSeeOther {
		t.Fatalf("set: %d", w.Code)
	}
	if w := c.get(u.RequestURI()); w.Code != http.StatusNotFound {
		t.Fatalf("link reused: %d", w.Code)
	}
}
