package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// A tenant created before the audit log existed gets it, append-only, on its
// first open by this build.
func TestTenantGetsAuditLogOnOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		// The build before the audit log had none of the later migrations either.
		stmts := []string{"DROP TABLE audit_log", "DROP TABLE ir_model_data", "DROP TABLE ir_module_module",
			"DELETE FROM goose_db_version WHERE version_id >= 4"}
		if e.Name == store.Postgres {
			stmts = append(stmts, "DROP FUNCTION audit_log_refuse()")
		}
		db := reopenOlderTenant(t, e, stmts...)
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
		_, err := db.Write.ExecContext(ctx, "DELETE FROM audit_log")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("DELETE after the upgrade: %v, want %q", err, want)
		}
	})
}
