package audit_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// TestProtectPostgres: after the privileges come back as a restore without
// grants gives them, ProtectPostgres takes UPDATE, DELETE and TRUNCATE away
// again; a database from before the log existed is left alone; SQLite,
// which has no grants, is untouched.
func TestProtectPostgres(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		bare := e.Open(t)
		if err := audit.ProtectPostgres(ctx, bare); err != nil {
			t.Fatalf("a database without the log: %v", err)
		}
		if e.Name != store.Postgres {
			return
		}
		_, db := newLog(t, e)
		changes := func() int {
			t.Helper()
			var n int
			err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM aclexplode((SELECT relacl FROM pg_class WHERE relname = 'audit_log'))
				WHERE grantee = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := changes(); n != 0 {
			t.Fatalf("after the migration the owner holds %d of UPDATE, DELETE, TRUNCATE", n)
		}
		if _, err := db.Write.ExecContext(ctx, "GRANT ALL ON audit_log TO CURRENT_USER"); err != nil {
			t.Fatal(err)
		}
		if n := changes(); n != 3 {
			t.Fatalf("after GRANT ALL the owner holds %d of UPDATE, DELETE, TRUNCATE, want 3", n)
		}
		if err := audit.ProtectPostgres(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n := changes(); n != 0 {
			t.Fatalf("after ProtectPostgres the owner holds %d of UPDATE, DELETE, TRUNCATE", n)
		}
	})
}
