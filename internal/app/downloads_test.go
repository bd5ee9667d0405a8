package app_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
)

// TestServeMountsBackupDownloads: the served application redeems export links, so
// a link opened without a session leads to the sign-in page and back (an
// application without the backup service answers not found).
func TestServeMountsBackupDownloads(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	p, err := app.OpenWith(ctx, cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Provisioner.Create(ctx, "acme", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	b, err := p.Backups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ex, err := b.Export(ctx, "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	l, pool, _ := serving(t, p)
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "acme.localhost"}},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, _ := http.NewRequest("GET", "https://"+l.Addr.String()+"/backup/download/"+ex.Token, nil)
	req.Host = "acme.localhost"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/login?redirect=%2Fbackup%2Fdownload%2F") {
		t.Fatalf("download link without a session: %d to %q, want the sign-in page", resp.StatusCode, loc)
	}
}
