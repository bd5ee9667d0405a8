package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// withDownloads serves f's application with the platform's backup service (on a
// clock the test moves) behind /backup/download/.
func withDownloads(t *testing.T, f *fixture) (*backup.Service, *testClock) {
	t.Helper()
	p := f.platform
	ctx := context.Background()
	clock := &testClock{t: time.Now()}
	id, err := backup.PlatformIdentity(ctx, p.Control, p.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := backup.New(backup.Config{Control: p.Control, Catalogue: p.Catalogue, Storage: p.Storage, Provisioner: p.Provisioner,
		Identity: id, DataDir: p.Config.DataDir, AdminURL: p.Config.DatabaseURL, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: p.Config.MaxBodyBytes}, f.router, log)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sharedHasher(t)
	ui, err := webui.New(webui.Config{Registry: p.Registry, Key: p.Key, Hasher: h, Log: log, Mail: f.outbox, Downloads: svc})
	if err != nil {
		t.Fatal(err)
	}
	ui.Mount(s)
	f.server, f.ui = s, ui
	return svc, clock
}

// signInAt signs in as a role on another tenant's host.
func (f *fixture) signInAt(host, role string) *client {
	f.t.Helper()
	c := f.client()
	c.host = host
	c.get("/web/login")
	logins := map[string]string{"admin": "admin@example.com", "user": "user@example.com", "portal": "portal@example.com"}
	w := c.post("/web/login", url.Values{"login": {logins[role]}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("sign in as %s on %s: %d %s", role, host, w.Code, w.Body)
	}
	return c
}

// downloads returns the tenant's audit entries and security events of backup
// downloads, newest first, after checking that the audit chain holds.
func (f *fixture) downloads(tenant string) ([]audit.Entry, []securitylog.Event) {
	f.t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, tenant)
	if err != nil {
		f.t.Fatal(err)
	}
	defer lease.Release()
	log := audit.New(lease.DB, nil)
	if _, err := log.Verify(ctx); err != nil {
		f.t.Fatal(err)
	}
	entries, err := log.List(ctx, audit.Filter{Action: audit.BackupDownload})
	if err != nil {
		f.t.Fatal(err)
	}
	events, err := securitylog.New(lease.DB, nil).List(ctx, securitylog.Filter{Kind: securitylog.BackupDownload})
	if err != nil {
		f.t.Fatal(err)
	}
	return entries, events
}

func TestBackupDownload(t *testing.T) {
	eachEngine(t, testBackupDownload, "acme", "globex")
}

func testBackupDownload(t *testing.T, f *fixture) {
	svc, clock := withDownloads(t, f)
	ctx := context.Background()
	ex, err := svc.Export(ctx, "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ex.File)
	if err != nil || len(want) == 0 {
		t.Fatalf("export file: %d bytes, %v", len(want), err)
	}
	link := "/backup/download/" + ex.Token
	admin := f.signIn("admin")
	countUses := func(tenant string, want int) {
		t.Helper()
		entries, events := f.downloads(tenant)
		if len(entries) != want || len(events) != want {
			t.Fatalf("%s: %d audit entries and %d security events of downloads, want %d", tenant, len(entries), len(events), want)
		}
	}
	refused := func(name string, w *http.Response, body string) {
		t.Helper()
		if w.StatusCode != http.StatusNotFound || !strings.Contains(body, "Link invalid or expired") ||
			strings.Contains(w.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %q, want the refusal page", name, w.StatusCode, body)
		}
	}

	// The administrator gets the export's exact bytes, recorded once in each log.
	w := admin.get(link)
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("administrator: %d, %d bytes (want %d)", w.Code, w.Body.Len(), len(want))
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ex.ID) {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/gzip" {
		t.Fatalf("headers = %v", w.Header())
	}
	entries, events := f.downloads("acme")
	if len(entries) != 1 || len(events) != 1 {
		t.Fatalf("after one download: %d audit entries, %d security events", len(entries), len(events))
	}
	e := entries[0]
	if e.ActorKind != audit.ActorUser || e.ActorID != f.uid["admin"] || e.ActorLabel != "admin@example.com" ||
		e.Detail["export"] != ex.ID || e.Detail["sha256"] != ex.SHA256 || e.Address != "192.0.2.10" {
		t.Fatalf("audit entry = %+v", e)
	}
	if events[0].UserID != f.uid["admin"] || events[0].Reference != ex.ID {
		t.Fatalf("security event = %+v", events[0])
	}

	// Nobody else gets anything, and no use is taken.
	anon := f.client().get(link)
	if loc := anon.Header().Get("Location"); anon.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/login?redirect=") {
		t.Fatalf("anonymous: %d to %q, want the sign-in page", anon.Code, loc)
	}
	for _, role := range []string{"user", "portal"} {
		c := f.signIn(role)
		w := c.get(link)
		if w.Code != http.StatusNotFound || bytes.Contains(w.Body.Bytes(), want[:64]) {
			t.Fatalf("%s: %d, want not found", role, w.Code)
		}
	}
	if w := admin.do("HEAD", link, nil); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("HEAD: %d", w.Code)
	}
	// Another tenant's administrator, on their own host, with acme's link.
	other := f.signInAt("globex.localhost", "admin")
	w = other.get(link)
	refused("acme's link on globex", w.Result(), w.Body.String())
	// Altered tokens: each byte position flipped in turn would be slow; a few
	// positions cover the header, the export id and the MAC.
	for _, i := range []int{0, 3, len(ex.Token) / 2, len(ex.Token) - 1} {
		b := []byte(ex.Token)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		w := admin.get("/backup/download/" + string(b))
		refused(fmt.Sprintf("byte %d flipped", i), w.Result(), w.Body.String())
	}
	for _, bad := range []string{"x", strings.Repeat("A", 3000), "..%2F..%2Fcontrol.db"} {
		w := admin.get("/backup/download/" + bad)
		if w.Code == http.StatusOK {
			t.Fatalf("token %.20q: served", bad)
		}
	}
	countUses("acme", 1)
	countUses("globex", 0)

	// The link has backup.DownloadUses uses in all.
	for i := 1; i < backup.DownloadUses; i++ {
		if w := admin.get(link); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("use %d: %d", i+1, w.Code)
		}
	}
	w = admin.get(link)
	refused("used up", w.Result(), w.Body.String())
	countUses("acme", backup.DownloadUses)

	// A fresh link, past its lifetime.
	ex2, err := svc.Export(ctx, "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(backup.DownloadLifetime + time.Minute)
	w = admin.get("/backup/download/" + ex2.Token)
	refused("expired", w.Result(), w.Body.String())
	countUses("acme", backup.DownloadUses)

	// Nothing leaves unrecorded: without an audit log to write to, nothing is sent.
	ex3, err := svc.Export(ctx, "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := f.router.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, err = lease.DB.Write.ExecContext(ctx, "DROP TABLE audit_log")
	lease.Release()
	if err != nil {
		t.Fatal(err)
	}
	w = admin.get("/backup/download/" + ex3.Token)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Header().Get("Content-Disposition"), "attachment") || bytes.Contains(w.Body.Bytes(), want[:64]) {
		t.Fatalf("download without an audit log: %d %v", w.Code, w.Header())
	}
}

// TestBackupDownloadWithoutService: an application built without the backup
// service has no download route to offer.
func TestBackupDownloadWithoutService(t *testing.T) {
	f := newFixture(t)
	w := f.signIn("admin").get("/backup/download/AAAA")
	if w.Code != http.StatusNotFound {
		t.Fatalf("%d", w.Code)
	}
}
