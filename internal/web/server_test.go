package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/tenancy"
	"github.com/instant-erp/instanterp/internal/web"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	platform *app.Platform
	server   *web.Server
	logs     *syncBuffer
}

func newFixture(t *testing.T, tenants ...string) *fixture {
	t.Helper()
	fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
	if err := fs.Parse([]string{"--data", t.TempDir(), "--max-body-bytes", "2048", "--trusted-proxy", "10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	p, err := app.Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	for _, n := range tenants {
		if _, err := p.Provisioner.Create(context.Background(), n, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
	t.Cleanup(func() { router.Close() })
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: cfg.MaxBodyBytes, TrustedProxies: cfg.TrustedProxies}, router, log)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{platform: p, server: s, logs: logs}
}

func (f *fixture) do(method, host, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	r.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.server.ServeHTTP(w, r)
	return w
}

var requestIDPattern = regexp.MustCompile(`[0-9a-f]{16}`)

// stripIDs removes request ids so that two answers can be compared.
func stripIDs(s string) string { return requestIDPattern.ReplaceAllString(s, "ID") }

func TestHostRouting(t *testing.T) {
	f := newFixture(t, "acme", "gone")
	if err := f.platform.Provisioner.Delete(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	unknown := f.do("GET", "nope.localhost", "/", nil)
	cases := []struct {
		host     string
		status   int
		contains string
	}{
		{"acme.localhost", 200, "This is the ERP of <strong>acme</strong>"},
		{"ACME.localhost:8443", 200, "This is the ERP of <strong>acme</strong>"},
		{"localhost:8443", 200, "<h1>Instant-ERP</h1>"},
		{"127.0.0.1", 200, "<h1>Instant-ERP</h1>"},
		{"x.acme.localhost", 404, ""},
		{"acme.localhost.evil.test", 404, ""},
		{"gone.localhost", 404, ""},
		{"nope.localhost", 404, ""},
		{"", 404, ""},
	}
	for _, c := range cases {
		w := f.do("GET", c.host, "/", nil)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("host %q: %d %q, want %d containing %q", c.host, w.Code, w.Body.String(), c.status, c.contains)
		}
		// Every 404 is the same page: nothing tells a deleted tenant from one that never was.
		if c.status == 404 && stripIDs(w.Body.String()) != stripIDs(unknown.Body.String()) {
			t.Errorf("host %q: 404 page differs from an unknown tenant's:\n%s\n---\n%s", c.host, w.Body, unknown.Body)
		}
	}
}

// The control plane's home page gives the address of a company's ERP on the
// port the visitor reached it on: the default setup serves on :8443, where an
// address without the port leads nowhere.
func TestControlHomeNamesThePort(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ host, want string }{
		{"localhost", "https://&lt;your-company&gt;.localhost/"},
		{"localhost:443", "https://&lt;your-company&gt;.localhost/"},
		{"localhost:8443", "https://&lt;your-company&gt;.localhost:8443/"},
		{"127.0.0.1:39001", "https://&lt;your-company&gt;.localhost:39001/"},
		{"localhost:99999", "https://&lt;your-company&gt;.localhost/"},
	}
	for _, c := range cases {
		w := f.do("GET", c.host, "/", nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<code>"+c.want+"</code>") {
			t.Errorf("host %q: %d %q, want the address %s", c.host, w.Code, w.Body.String(), c.want)
		}
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t, "acme")
	for _, host := range []string{"localhost", "acme.localhost"} {
		w := f.do("GET", host, "/healthz", nil)
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
			t.Errorf("%s/healthz: %d %s", host, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s/healthz content type %q", host, ct)
		}
	}
}

func TestSuspendedTenant(t *testing.T) {
	f := newFixture(t, "acme")
	if _, err := f.platform.Provisioner.Suspend(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	w := f.do("GET", "acme.localhost", "/healthz", nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "suspended") {
		t.Fatalf("suspended tenant: %d %s", w.Code, w.Body)
	}
	f.platform.Provisioner.Resume(context.Background(), "acme")
	if w := f.do("GET", "acme.localhost", "/healthz", nil); w.Code != 200 {
		t.Fatalf("after resume: %d", w.Code)
	}
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	f := newFixture(t, "acme")
	responses := map[string]*httptest.ResponseRecorder{
		"html":   f.do("GET", "acme.localhost", "/", nil),
		"json":   f.do("GET", "localhost", "/healthz", nil),
		"404":    f.do("GET", "localhost", "/nothing-here", nil),
		"static": f.do("GET", "localhost", "/static/app.css", nil),
		"413":    f.do("POST", "localhost", "/", strings.NewReader(strings.Repeat("x", 4096))),
		"400":    f.do("GET", "acme.localhost", "/?db=other", nil),
	}
	for kind, w := range responses {
		h := w.Header()
		if hsts := h.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=63072000") || !strings.Contains(hsts, "includeSubDomains") {
			t.Errorf("%s: HSTS %q", kind, hsts)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", kind, csp)
		}
		for _, name := range []string{"X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy"} {
			if h.Get(name) == "" {
				t.Errorf("%s: missing %s", kind, name)
			}
		}
	}
	if w := responses["413"]; w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", w.Code)
	}
}

func TestDatabaseArgument(t *testing.T) {
	f := newFixture(t, "acme", "globex")
	cases := []struct {
		host, target string
		header       []string
		status       int
		contains     string
	}{
		{"localhost", "/?db=acme", nil, 200, "ERP of <strong>acme</strong>"},
		{"localhost", "/", []string{"X-Odoo-Database", "globex"}, 200, "ERP of <strong>globex</strong>"},
		{"acme.localhost", "/?db=acme", nil, 200, "ERP of <strong>acme</strong>"},
		{"acme.localhost", "/?db=globex", nil, 400, "does not match"},
		{"acme.localhost", "/", []string{"X-Odoo-Database", "globex"}, 400, "does not match"},
		{"localhost", "/?db=../etc", nil, 404, ""},
		{"localhost", "/?db=nosuch", nil, 404, ""},
	}
	for _, c := range cases {
		w := f.do("GET", c.host, c.target, nil, c.header...)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("%s%s %v: %d %s", c.host, c.target, c.header, w.Code, w.Body)
		}
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, "acme")
	w := f.do("GET", "acme.localhost", "/healthz?access_token=SECRET-TOKEN", nil, "Cookie", "session=SECRET-COOKIE")
	id := w.Header().Get("X-Request-Id")
	if len(id) != 16 {
		t.Fatalf("request id %q", id)
	}
	logs := f.logs.String()
	for _, want := range []string{"request_id=" + id, "tenant=acme", "method=GET", "path=/healthz", "status=200", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"SECRET-TOKEN", "SECRET-COOKIE", "access_token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("access log contains %q:\n%s", secret, logs)
		}
	}
}

func TestClientAddressBehindProxies(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		peer, xff, want string
	}{
		{"203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},        // untrusted peer: header ignored
		{"10.0.0.5:5000", "198.51.100.1", "198.51.100.1"},          // trusted proxy
		{"10.0.0.5:5000", "6.6.6.6, 198.51.100.1", "198.51.100.1"}, // spoofed left-most entry ignored
		{"10.0.0.5:5000", "198.51.100.1, 10.0.0.7", "198.51.100.1"},
		{"10.0.0.5:5000", "garbage", "10.0.0.5"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/healthz", nil)
		r.Host, r.RemoteAddr = "localhost", c.peer
		r.Header.Set("X-Forwarded-For", c.xff)
		f.server.ServeHTTP(httptest.NewRecorder(), r)
		if !strings.Contains(f.logs.String(), "client="+netip.MustParseAddr(c.want).String()) {
			t.Errorf("peer %s xff %q: log lacks client=%s", c.peer, c.xff, c.want)
		}
	}
}
