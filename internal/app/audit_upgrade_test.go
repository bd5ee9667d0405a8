package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// A tenant created before the audit log existed gets it, append-only, on its
// first open by this build.
func TestTenantGetsAuditLogOnOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		args := []string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}
		if e.Name == store.Postgres {
			args = append(args, "--database-url", storetest.NewPostgresDatabase(t))
		}
		p, err := app.Open(ctx, testConfig(t, args...), quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		tn, err := p.Provisioner.Create(ctx, "acme", "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Provisioner.Delete(ctx, "acme") })

		// As the tenant's own role: back to the schema of the build before.
		db, err := p.Storage.Open(ctx, tn, 1)
		if err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			"DROP TABLE audit_log",
			"DELETE FROM goose_db_version WHERE version_id = 4",
			"UPDATE ir_config_parameter SET value = 'older' WHERE key = 'database.schema_fingerprint'",
		}
		if e.Name == store.Postgres {
			stmts = append(stmts, "DROP FUNCTION audit_log_refuse()")
		}
		for _, stmt := range stmts {
			if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		db.Close()

		db, err = app.OpenTenantForTest(ctx, p, tn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		log := audit.New(db, nil)
		if err := log.Append(ctx, audit.Entry{ActorKind: audit.ActorSystem, Action: audit.Sudo}); err != nil {
			t.Fatalf("append after the upgrade: %v", err)
		}
		if n, err := log.Verify(ctx); n != 1 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
		// On PostgreSQL the tenant's role ran the migration and lost the privilege;
		// on SQLite the trigger refuses.
		want := "append-only"
		if e.Name == store.Postgres {
			want = "permission denied"
		}
		_, err = db.Write.ExecContext(ctx, "DELETE FROM audit_log")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("DELETE after the upgrade: %v, want %q", err, want)
		}
	})
}
