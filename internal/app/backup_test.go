package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/jobs"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The backup service of a CLI command opens River's own connection pool on
// PostgreSQL; Close must release it, or every command leaves connections
// behind until the server notices the process is gone.
func TestBackupsCloseReleasesTheQueuePool(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, "--data", t.TempDir(), "--database-url", storetest.NewPostgresDatabase(t))
	p, err := app.Open(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	riverConns := func() int {
		var n int
		err := p.Control.Read.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, jobs.ApplicationName).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	backups, err := p.Backups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := riverConns(); n == 0 {
		t.Fatal("no River connection while the backup service is open; the check below would prove nothing")
	}
	if err := backups.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for riverConns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d River connections still open after Close", riverConns())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
