package audit

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/store"
)

// ProtectPostgres takes UPDATE, DELETE and TRUNCATE on the audit log away from
// the role db connects as (the tenant's own role, which owns the table), as
// tenant migration 00004 does when it creates the table. A restore that
// replays the schema without grants (pg_restore --no-privileges) gives the
// owner those privileges back, so it must call this afterwards; the triggers
// come back with the schema. A database whose schema predates the log is left
// alone: the migration that creates the log will protect it. On SQLite, which
// has no grants, it does nothing.
func ProtectPostgres(ctx context.Context, db *store.DB) error {
	if db.Engine != store.Postgres {
		return nil
	}
	var exists bool
	if err := db.Read.QueryRowContext(ctx, "SELECT to_regclass('audit_log') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("protect the audit log: %w", err)
	}
	if !exists {
		return nil
	}
	if _, err := db.Write.ExecContext(ctx, "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER"); err != nil {
		return fmt.Errorf("protect the audit log: %w", err)
	}
	return nil
}
