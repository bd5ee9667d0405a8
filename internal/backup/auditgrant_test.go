package backup

import (
	"context"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// TestRestoredAuditLogKeepsItsGrants: a PostgreSQL restore replays the schema
// without grants, which would give the tenant's role (the table's owner)
// UPDATE, DELETE and TRUNCATE on its audit log again. After a restore in
// place and as a new tenant, the role, with the table's triggers disabled as
// an owner may, is still refused each of them by the grants alone.
func TestRestoredAuditLogKeepsItsGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		if eng.Name != store.Postgres {
			t.Skip("SQLite has no grants; its triggers are tested in internal/audit")
		}
		ctx := context.Background()
		e := newTestEnv(t, eng.Name)
		e.createTenant("acme", 3)
		db := e.open("acme")
		err := audit.New(db, nil).Append(ctx, audit.Entry{ActorKind: audit.ActorSystem, ActorLabel: "test", Action: audit.Sudo})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
		if err != nil {
			t.Fatal(err)
		}
		assertAuditGrants(t, e, "acme") // the test itself: the migration's protection holds
		if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		assertAuditGrants(t, e, "acme")
		if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{As: "copy"}); err != nil {
			t.Fatal(err)
		}
		assertAuditGrants(t, e, "copy")
	})
}

// assertAuditGrants checks, as tenant's own role, that its audit log holds
// an entry that UPDATE, DELETE and TRUNCATE are refused by permission, not
// only by the triggers, which are disabled for the attempt.
func assertAuditGrants(t *testing.T, e *testEnv, tenant string) {
	t.Helper()
	ctx := context.Background()
	db := e.open(tenant)
	defer db.Close()
	var super bool
	if err := db.Read.QueryRowContext(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || super {
		t.Fatalf("%s: connected as a superuser (%v): grants would prove nothing", tenant, err)
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM audit_log").Scan(&n); err != nil || n == 0 {
		t.Fatalf("%s: %d audit entries (%v), want the one written before the backup", tenant, n, err)
	}
	for _, stmt := range []string{"UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		err := func() error {
			tx, err := db.Write.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, "ALTER TABLE audit_log DISABLE TRIGGER USER"); err != nil {
				t.Fatalf("%s: the owner could not disable the triggers: %v", tenant, err)
			}
			_, err = tx.ExecContext(ctx, stmt)
			return err
		}()
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: %s as the tenant's role: err = %v, want permission denied", tenant, stmt, err)
		}
	}
	if _, err := audit.New(db, nil).Verify(ctx); err != nil {
		t.Fatalf("%s: audit chain: %v", tenant, err)
	}
}
