package webui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/api"
	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/erp/seed"
)

// externalAPI mounts the real external API next to the application; its clock
// runs ahead by *skew so that expiry can be tried without waiting.
func (f *fixture) externalAPI(t *testing.T) *atomic.Int64 {
	t.Helper()
	skew := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	h, _ := sharedHasher(t)
	accounts := &api.Accounts{Hasher: h, APIKeys: apikey.Config{Now: now}}
	a, err := api.New(api.Config{Registry: f.platform.Registry, Tenants: f.router, Auth: accounts, Sessions: accounts, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	a.Mount(f.server)
	return skew
}

// callAPI counts partners through JSON-2 with a bearer key and returns the status.
func (f *fixture) callAPI(key string) int {
	r := httptest.NewRequest("POST", "/json/2/res.partner/search_count", strings.NewReader(`{"domain": []}`))
	r.Host, r.RemoteAddr = "acme.localhost", "203.0.113.5:1234"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "bearer "+key)
	w := httptest.NewRecorder()
	f.server.ServeHTTP(w, r)
	return w.Code
}

var shownKey = regexp.MustCompile(`iek_[a-z2-7]{8}_[a-z2-7]{32}`)

// createKey creates a key through the form and returns the answer and the key.
func (c *client) createKey(form url.Values) (*httptest.ResponseRecorder, string) {
	c.f.t.Helper()
	c.get("/odoo/account/api-keys")
	form.Set("op", "create")
	if form.Get("current") == "" {
		form.Set("current", testPassword)
	}
	w := c.post("/odoo/account/api-keys", form)
	return w, shownKey.FindString(w.Body.String())
}

var keyIDs = regexp.MustCompile(`name="key" value="(\d+)"`)

// The whole life of a key: created with the password, shown once, used by the API,
// listed without the key, revoked, then refused by the API.
func TestAPIKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	skew := f.externalAPI(t)
	c := f.signIn("user")

	// Refusals: wrong password, no name, too long a validity; nothing is created.
	for name, form := range map[string]url.Values{
		"wrong password": {"name": {"script"}, "scope": {"rpc"}, "days": {"30"}, "current": {"not my password"}},
		"no name":        {"name": {"  "}, "scope": {"rpc"}, "days": {"30"}},
		"too long":       {"name": {"script"}, "scope": {"rpc"}, "days": {"91"}},
		"bad scope":      {"name": {"script"}, "scope": {"admin"}, "days": {"30"}},
		"zero days":      {"name": {"script"}, "scope": {"rpc"}, "days": {"0"}},
	} {
		w, key := c.createKey(form)
		if w.Code != http.StatusUnprocessableEntity || key != "" || !strings.Contains(w.Body.String(), `class="field-error"`) {
			t.Errorf("%s: %d, key shown: %v", name, w.Code, key != "")
		}
	}
	if ids := keyIDs.FindAllString(c.get("/odoo/account/api-keys").Body.String(), -1); len(ids) != 0 {
		t.Fatalf("refused forms created %d keys", len(ids))
	}

	w, key := c.createKey(url.Values{"name": {"accounting export"}, "scope": {"rpc"}, "days": {"30"}})
	if w.Code != 200 || key == "" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page showing the key may be cached: %q", cc)
	}
	checkPage(t, "new key", w.Header(), w.Body.Bytes())
	if got := f.callAPI(key); got != 200 {
		t.Fatalf("the new key is refused by the API: %d", got)
	}
	// Shown once: the list (the user's and the administrator's) shows the prefix,
	// the last use, never the key.
	list := c.get("/odoo/account/api-keys")
	checkPage(t, "key list", list.Header(), list.Body.Bytes())
	body := list.Body.String()
	if strings.Contains(body, key) || strings.Contains(body, key[13:]) {
		t.Fatal("the list shows the key again")
	}
	if !strings.Contains(body, key[:12]) || !strings.Contains(body, "accounting export") || !strings.Contains(body, "(1 uses)") {
		t.Errorf("the list lacks the prefix, the name or the use: %s", body)
	}
	admin := f.signIn("admin")
	overview := admin.get("/odoo/settings/api-keys")
	checkPage(t, "key overview", overview.Header(), overview.Body.Bytes())
	if strings.Contains(overview.Body.String(), key) || !strings.Contains(overview.Body.String(), key[:12]) {
		t.Fatal("the overview shows the key or lacks its prefix")
	}

	// Expired: refused as soon as the API's clock passes the expiry.
	skew.Store(int64(31 * 24 * time.Hour))
	if got := f.callAPI(key); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Errorf("an expired key is accepted: %d", got)
	}
	skew.Store(0)

	// Revoked: refused at once.
	m := keyIDs.FindStringSubmatch(body)
	if w := c.post("/odoo/account/api-keys", url.Values{"op": {"revoke"}, "key": {m[1]}}); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if got := f.callAPI(key); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Errorf("a revoked key is accepted: %d", got)
	}
	if w := c.post("/odoo/account/api-keys", url.Values{"op": {"revoke"}, "key": {m[1]}}); w.Code != http.StatusNotFound {
		t.Errorf("revoking twice: %d", w.Code)
	}
	log := admin.get("/odoo/settings/security-log").Body.String()
	for _, kind := range []string{"apikey.created", "apikey.revoked"} {
		if !strings.Contains(log, kind) {
			t.Errorf("the security log lacks %s", kind)
		}
	}
	if strings.Contains(log, key) {
		t.Error("the security log shows the key")
	}
	if strings.Contains(f.logs.String(), key) || strings.Contains(f.logs.String(), key[13:]) {
		t.Error("the operational log holds the key")
	}
}

// A user cannot revoke another user's key by putting its id in the form; an
// administrator can revoke anyone's.
func TestAPIKeyRevokeOthers(t *testing.T) {
	f := newFixture(t)
	f.externalAPI(t)
	admin := f.signIn("admin")
	_, adminKey := admin.createKey(url.Values{"name": {"admin key"}, "scope": {"rpc"}, "days": {"10"}})
	adminKeyID := keyIDs.FindStringSubmatch(admin.get("/odoo/account/api-keys").Body.String())[1]
	user := f.signIn("user")
	_, userKey := user.createKey(url.Values{"name": {"user key"}, "scope": {"rpc"}, "days": {"10"}})
	if adminKey == "" || userKey == "" {
		t.Fatal("keys not created")
	}
	user.get("/odoo/account/api-keys")
	if w := user.post("/odoo/account/api-keys", url.Values{"op": {"revoke"}, "key": {adminKeyID}}); w.Code != http.StatusNotFound {
		t.Errorf("another user's key id: %d, want 404", w.Code)
	}
	if w := user.post("/odoo/settings/api-keys", url.Values{"op": {"revoke"}, "user": {fmt.Sprint(f.uid["admin"])}, "key": {adminKeyID}}); w.Code != http.StatusNotFound {
		t.Errorf("a user on the administrators' revoke: %d, want 404", w.Code)
	}
	if got := f.callAPI(adminKey); got != 200 {
		t.Fatalf("the administrator's key was revoked by a user: %d", got)
	}
	// The administrator revokes the user's key from the overview; the owner must
	// match the key (a mismatched pair is not found).
	overview := admin.get("/odoo/settings/api-keys").Body.String()
	userKeyID := regexp.MustCompile(`name="user" value="` + fmt.Sprint(f.uid["user"]) + `"><input type="hidden" name="key" value="(\d+)"`).FindStringSubmatch(overview)
	if userKeyID == nil {
		t.Fatalf("the overview lacks the user's key: %s", overview)
	}
	if w := admin.post("/odoo/settings/api-keys", url.Values{"op": {"revoke"}, "user": {fmt.Sprint(f.uid["admin"])}, "key": {userKeyID[1]}}); w.Code != http.StatusNotFound {
		t.Errorf("mismatched owner: %d, want 404", w.Code)
	}
	if w := admin.post("/odoo/settings/api-keys", url.Values{"op": {"revoke"}, "user": {fmt.Sprint(f.uid["user"])}, "key": {userKeyID[1]}}); w.Code != http.StatusSeeOther {
		t.Fatalf("administrator's revoke: %d", w.Code)
	}
	if got := f.callAPI(userKey); got == 200 {
		t.Fatal("the revoked key still works")
	}
	if got := f.callAPI(adminKey); got != 200 {
		t.Fatalf("another key stopped working: %d", got)
	}
}

// Keys live at most 90 days unless an administrator allows more; the limit is
// bounded, and users cannot change it.
func TestAPIKeyValidityLimit(t *testing.T) {
	f := newFixture(t)
	user := f.signIn("user")
	if w, _ := user.createKey(url.Values{"name": {"long"}, "scope": {"rpc"}, "days": {"200"}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("200 days by default: %d", w.Code)
	}
	admin := f.signIn("admin")
	admin.get("/odoo/settings/api-keys")
	for _, bad := range []string{"0", "3651", "x", "-5"} {
		if w := admin.post("/odoo/settings/api-keys", url.Values{"op": {"policy"}, "max_days": {bad}}); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("limit %q: %d", bad, w.Code)
		}
	}
	if w := admin.post("/odoo/settings/api-keys", url.Values{"op": {"policy"}, "max_days": {"365"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("set the limit: %d %s", w.Code, w.Body)
	}
	w, key := user.createKey(url.Values{"name": {"long"}, "scope": {""}, "days": {"200"}})
	if w.Code != 200 || key == "" {
		t.Fatalf("200 days once allowed: %d", w.Code)
	}
	if !strings.Contains(w.Body.String(), "No restriction") {
		t.Error("the scope is not shown")
	}
	if w, _ := user.createKey(url.Values{"name": {"longer"}, "scope": {"rpc"}, "days": {"366"}}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("over the allowed limit: %d", w.Code)
	}
}

// With two-factor on, creating a key needs a fresh code as well as the password.
func TestAPIKeyNeedsSecondFactor(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	code := f.enableTOTP(t, "user")
	form := c.get("/odoo/account/api-keys").Body.String()
	if !strings.Contains(form, `name="code"`) {
		t.Fatal("the form does not ask for a code")
	}
	if w, key := c.createKey(url.Values{"name": {"k"}, "scope": {"rpc"}, "days": {"5"}}); w.Code != http.StatusUnprocessableEntity || key != "" {
		t.Fatalf("no code: %d", w.Code)
	}
	if w, key := c.createKey(url.Values{"name": {"k"}, "scope": {"rpc"}, "days": {"5"}, "code": {"000000"}}); w.Code != http.StatusUnprocessableEntity || key != "" {
		t.Fatalf("wrong code: %d", w.Code)
	}
	if w, key := c.createKey(url.Values{"name": {"k"}, "scope": {"rpc"}, "days": {"5"}, "code": {code}}); w.Code != 200 || key == "" {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
}

// A key name holding markup is shown as text in both lists and on the result page.
func TestAPIKeyNameEscaped(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	const payload = `"><script>alert(1)</script><svg onload=alert(2)>`
	w, key := c.createKey(url.Values{"name": {payload}, "scope": {"rpc"}, "days": {"5"}})
	if key == "" {
		t.Fatalf("create: %d", w.Code)
	}
	admin := f.signIn("admin")
	for name, body := range map[string]string{"result": w.Body.String(), "list": c.get("/odoo/account/api-keys").Body.String(),
		"overview": admin.get("/odoo/settings/api-keys").Body.String()} {
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<svg onload") {
			t.Errorf("%s renders the key name as markup", name)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the key name", name)
		}
	}
}

// Every new POST refuses a missing or wrong anti-forgery token and a cross-site
// request, and changes nothing.
func TestSettingsAndKeysAntiForgery(t *testing.T) {
	f := newFixture(t)
	ids := f.settingsRecords()
	admin := f.signIn("admin")
	_, key := admin.createKey(url.Values{"name": {"target"}, "scope": {"rpc"}, "days": {"5"}})
	keyID := keyIDs.FindStringSubmatch(admin.get("/odoo/account/api-keys").Body.String())[1]
	posts := map[string]url.Values{
		"/odoo/account/api-keys":                       {"op": {"create"}, "name": {"Forged"}, "scope": {"rpc"}, "days": {"5"}, "current": {testPassword}},
		"/odoo/account/api-keys#revoke":                {"op": {"revoke"}, "key": {keyID}},
		"/odoo/settings/api-keys":                      {"op": {"revoke"}, "user": {fmt.Sprint(f.uid["admin"])}, "key": {keyID}},
		"/odoo/settings/api-keys#policy":               {"op": {"policy"}, "max_days": {"3650"}},
		"/odoo/groups/new":                             {"name": {"Forged"}},
		fmt.Sprintf("/odoo/companies/%d", ids.company): {"name": {"Forged"}},
		"/odoo/access-rights/new":                      {"name": {"Forged"}, "model_id": {fmt.Sprint(ids.partnerModel)}},
		"/odoo/record-rules/new":                       {"name": {"Forged"}, "model_id": {fmt.Sprint(ids.partnerModel)}, "domain_force": {"[]"}},
	}
	f.externalAPI(t)
	for target, form := range posts {
		path, _, _ := strings.Cut(target, "#")
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
			v := cloneValues(form)
			v.Set("csrf_token", variant.token)
			if w := admin.do("POST", path, v, variant.header...); w.Code != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d", target, variant.name, w.Code)
			}
		}
	}
	for _, model := range []string{"res.groups", "res.company", "ir.model.access", "ir.rule"} {
		if n := f.countWhere(model, seed.Leaf("name", "=", "Forged")); n != 0 {
			t.Errorf("%s: a forged post saved %d records", model, n)
		}
	}
	if got := f.callAPI(key); got != 200 {
		t.Errorf("a forged revoke took effect: %d", got)
	}
	if ids := keyIDs.FindAllString(admin.get("/odoo/account/api-keys").Body.String(), -1); len(ids) != 1 {
		t.Errorf("forged posts left %d keys, want 1", len(ids))
	}
	if strings.Contains(admin.get("/odoo/account/api-keys").Body.String(), `max="3650"`) {
		t.Error("a forged post changed the validity limit")
	}
}
