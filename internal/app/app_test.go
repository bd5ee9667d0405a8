package app_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

func testFlagSet(t testing.TB, args ...string) *config.FlagSet {
	t.Helper()
	fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func testConfig(t *testing.T, args ...string) *config.Config {
	t.Helper()
	cfg, err := testFlagSet(t, args...).Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// serving starts Serve and returns the address, the CA pool and a stop function that
// reports Serve's result.
func serving(t testing.TB, p *app.Platform) (app.Listening, *x509.CertPool, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan app.Listening, 1)
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, io.Discard, func(l app.Listening) { ready <- l }) }()
	var l app.Listening
	select {
	case l = <-ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(l.CAPath)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return l, pool, stop
}

func TestServeHTTPS(t *testing.T) {
	data := t.TempDir()
	cfg := testConfig(t, "--data", data, "--listen", "127.0.0.1:0")
	p, err := app.OpenWith(context.Background(), cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Provisioner.Create(context.Background(), "acme", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	l, pool, stop := serving(t, p)
	if l.CAPath != filepath.Join(data, "tls", "ca.pem") {
		t.Fatalf("CA written to %s, want under %s/tls", l.CAPath, data)
	}
	addr := l.Addr.String()

	get := func(host string, tc *tls.Config) (*http.Response, error) {
		tc.RootCAs = pool
		tc.ServerName = host
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
		req, _ := http.NewRequest("GET", "https://"+addr+"/healthz", nil)
		req.Host = host
		return c.Do(req)
	}

	for _, host := range []string{"localhost", "acme.localhost"} {
		resp, err := get(host, &tls.Config{})
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Fatalf("%s/healthz: %d %s", host, resp.StatusCode, body)
		}
		if resp.TLS.Version != tls.VersionTLS13 {
			t.Errorf("%s: negotiated %s, want TLS 1.3", host, tls.VersionName(resp.TLS.Version))
		}
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: no HSTS header", host)
		}
	}

	refused := map[string]*tls.Config{
		"TLS 1.1": {MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
		"TLS 1.2 CBC only": {MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
		"RSA key exchange only": {MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
			tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}},
	}
	for name, tc := range refused {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost",
			MinVersion: tc.MinVersion, MaxVersion: tc.MaxVersion, CipherSuites: tc.CipherSuites})
		if err == nil {
			conn.Close()
			t.Errorf("%s client connected", name)
		}
	}
	// TLS 1.2 with an AEAD suite still works.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS 1.2 AEAD client: %v", err)
	}
	conn.Close()

	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestRedirectListener(t *testing.T) {
	httpAddr := freeAddr(t)
	p, err := app.Open(context.Background(), testConfig(t, "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--http-listen", httpAddr), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	serving(t, p)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + httpAddr + "/web/login?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://127.0.0.1") ||
		!strings.HasSuffix(resp.Header.Get("Location"), "/web/login?x=1") {
		t.Fatalf("redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestMasterKeyProtection(t *testing.T) {
	data := t.TempDir()
	cfg := testConfig(t, "--data", data)
	p, err := app.OpenWith(context.Background(), cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Provisioner.Create(context.Background(), "acme", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	p.Close()
	control := filepath.Join(data, "control.db")
	before := fileHash(t, control)

	// A different key: refused before anything changes.
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := secrets.Create(other); err != nil {
		t.Fatal(err)
	}
	wrong := *cfg
	wrong.MasterKeyFile = other
	if _, err := app.Open(context.Background(), &wrong, quiet); !errors.Is(err, tenancy.ErrWrongMasterKey) {
		t.Fatalf("wrong key: %v, want ErrWrongMasterKey", err)
	}
	// A missing key: refused, and not regenerated.
	missing := *cfg
	missing.MasterKeyFile = filepath.Join(t.TempDir(), "nokey")
	if _, err := app.Open(context.Background(), &missing, quiet); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := os.Stat(missing.MasterKeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a missing master key was regenerated")
	}
	if fileHash(t, control) != before {
		t.Fatal("control database changed by a refused start")
	}
	// The right key still opens it, with the tenant intact.
	p, err = app.Open(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Catalogue.Get(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
}

// A relative --data is resolved against the working directory once, when
// the configuration is loaded, so that the tenants' filestores (which refuse
// relative paths) work; one given past the configuration is refused at once.
func TestDataDirectoryIsAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "--data", "relative-data")
	if cfg.DataDir != filepath.Join(wd, "relative-data") {
		t.Fatalf("DataDir = %q, want it under the working directory %q", cfg.DataDir, wd)
	}
	p, err := app.OpenWith(context.Background(), cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tenant, err := p.Provisioner.Create(context.Background(), "acme", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orm.NewFilestore(p.Storage.FilestoreDir(tenant)); err != nil {
		t.Fatalf("the tenant's filestore: %v", err)
	}

	relative := *cfg
	relative.DataDir = "relative-data"
	if _, err := app.Open(context.Background(), &relative, quiet); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatalf("open with a relative data directory: %v", err)
	}
}

func TestPostgresPlatform(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewPostgresDatabase(t)
	cfg := testConfig(t, "--data", t.TempDir(), "--database-url", url)
	p, err := app.OpenWith(ctx, cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Provisioner.Create(ctx, "acme", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Provisioner.Delete(ctx, "acme") })
	router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
	defer router.Close()
	lease, err := router.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var user string
	if err := lease.DB.Read.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	lease.Release()
	if user != lease.Tenant.Location {
		t.Fatalf("tenant database reached as %q, want the tenant's own role %q", user, lease.Tenant.Location)
	}
	if err := p.Provisioner.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
}
