package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/api"
	"github.com/instant-erp/instanterp/internal/api/apitest"
)

// TestSessionEndpoints logs in through /web/session/authenticate, calls with the
// cookie, and logs out; the cookie means nothing on another tenant's host.
func TestSessionEndpoints(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme", "beta"}})
	admin := p.Tenants["acme"].Admin
	p.SetPassword(t, "acme", admin.UID, "a long enough password")
	c := newCaller(t, p, "acme.localhost")
	jar, _ := cookiejar.New(nil)
	c.client.Jar = jar
	rpc := func(c *caller, path string, params map[string]any) map[string]any {
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "id": 7, "params": params})
		resp := c.post(path, "application/json", body)
		defer resp.Body.Close()
		out, _ := decodeBody(t, resp.Body).(map[string]any)
		return out
	}
	if out := rpc(c, "/web/session/authenticate", map[string]any{"db": "acme", "login": admin.Login, "password": "wrong"}); out["error"] == nil {
		t.Fatalf("wrong password accepted: %v", out)
	}
	out := rpc(c, "/web/session/authenticate", map[string]any{"db": "acme", "login": admin.Login, "password": "a long enough password"})
	info, _ := out["result"].(map[string]any)
	if info == nil || info["uid"] != json.Number(itoa(admin.UID)) || info["is_system"] != true || info["db"] != "acme" {
		t.Fatalf("authenticate: %v", out)
	}
	out = rpc(c, "/web/session/get_session_info", map[string]any{})
	if info, _ := out["result"].(map[string]any); info == nil || info["username"] != admin.Login {
		t.Fatalf("get_session_info: %v", out)
	}
	out = rpc(c, "/web/dataset/call_kw/res.partner/search_read", map[string]any{
		"model": "res.partner", "method": "search_read", "args": []any{[]any{[]any{"id", "=", admin.UID}}},
		"kwargs": map[string]any{"fields": []any{"name"}, "limit": 1},
	})
	if _, ok := out["result"].([]any); !ok {
		t.Fatalf("call_kw: %v", out)
	}
	// The same cookie on beta's host finds no session there.
	b := newCaller(t, p, "beta.localhost")
	bjar, _ := cookiejar.New(nil)
	b.client.Jar = bjar
	u := mustURL(t, "https://acme.localhost/")
	bjar.SetCookies(mustURL(t, "https://beta.localhost/"), jar.Cookies(u))
	out = rpc(b, "/web/dataset/call_kw", map[string]any{"model": "res.partner", "method": "search", "args": []any{[]any{}}})
	if e, _ := out["error"].(map[string]any); e == nil || e["code"] != json.Number("100") {
		t.Fatalf("acme's session on beta: %v", out)
	}
	rpc(c, "/web/session/destroy", map[string]any{})
	out = rpc(c, "/web/dataset/call_kw", map[string]any{"model": "res.partner", "method": "search", "args": []any{[]any{}}})
	if e, _ := out["error"].(map[string]any); e == nil || e["code"] != json.Number("100") {
		t.Fatalf("call after destroy: %v", out)
	}
}

// TestRateLimits: a key over its rate gets 429 with Retry-After on every protocol.
func TestRateLimits(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}, Limits: api.Limits{
		PerKey: api.Rate{PerSecond: 0.01, Burst: 2}, PerAddress: api.Rate{PerSecond: -1},
	}})
	admin := p.Tenants["acme"].Admin
	c := newCaller(t, p, "acme.localhost")
	for i := 0; i < 2; i++ {
		if status, body := c.json2(admin.Key, "res.partner", "search_count", nil); status != 200 {
			t.Fatalf("call %d: %d %v", i, status, body)
		}
	}
	resp := c.post("/json/2/res.partner/search_count", "application/json", nil, "Authorization", "bearer "+admin.Key)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third call: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	_, err := c.executeKW("acme", admin.UID, admin.Key, "res.partner", "search_count", []any{[]any{}}, nil)
	if he, ok := err.(*httpError); !ok || he.status != 429 || he.retryAfter == "" || !strings.Contains(he.body, "faultString") {
		t.Fatalf("XML-RPC over the limit: %#v", err)
	}
	// Another key of the same tenant is not affected.
	if status, _ := c.json2(p.Tenants["acme"].Internal.Key, "res.partner", "search_count", nil); status != 200 {
		t.Fatalf("other key: %d", status)
	}
}

// TestDoc: /doc lists only what the caller may use; unauthenticated callers get
// nothing.
func TestDoc(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	acme := p.Tenants["acme"]
	c := newCaller(t, p, "acme.localhost")
	get := func(path, key string) (int, string) {
		req, _ := http.NewRequest("GET", c.url(path), nil)
		if key != "" {
			req.Header.Set("Authorization", "bearer "+key)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := get("/doc", ""); status != 401 {
		t.Errorf("anonymous /doc: %d", status)
	}
	status, page := get("/doc", acme.Admin.Key)
	if status != 200 || !strings.Contains(page, `id="res.partner"`) || !strings.Contains(page, "ir.model.access") {
		t.Errorf("admin /doc: %d", status)
	}
	status, page = get("/doc", acme.Portal.Key)
	if status != 200 || strings.Contains(page, `id="ir.model.access"`) {
		t.Errorf("portal /doc lists access rights: %d", status)
	}
	status, body := get("/doc/res.partner.json", acme.Internal.Key)
	var doc struct {
		Model   string
		Methods []string
		Fields  []struct{ Name, Type string }
	}
	if err := json.Unmarshal([]byte(body), &doc); status != 200 || err != nil || doc.Model != "res.partner" || len(doc.Fields) == 0 {
		t.Fatalf("/doc/res.partner.json: %d %s", status, body)
	}
	hasPassword := false
	for _, f := range doc.Fields {
		hasPassword = hasPassword || f.Name == "password"
	}
	if hasPassword || !contains(strings.Join(doc.Methods, ","), "search_read") {
		t.Errorf("doc of res.partner: %+v", doc)
	}
	if status, _ := get("/doc/ir.rule.json", acme.Portal.Key); status != 404 {
		t.Errorf("portal /doc/ir.rule.json: %d, want 404", status)
	}
}
