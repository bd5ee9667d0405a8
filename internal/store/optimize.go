package store

import (
	"context"
	"fmt"
)

// Optimize refreshes the query planner's statistics where the engine needs to
// be told. On SQLite it runs PRAGMA optimize with the check-all-tables flag
// (0x10000) on top of the default analysis (0x02, with SQLite's own time limit),
// so that tables whose size changed much since the last run are analysed again
// even on a connection that never queried them: without statistics SQLite may
// prefer an index that matches every row. Call it after loading much data (a
// tenant's installation) and from a periodic job. On PostgreSQL autovacuum
// keeps statistics current, and Optimize does nothing.
func Optimize(ctx context.Context, db *DB) error {
	if db.Engine != SQLite {
		return nil
	}
	if _, err := db.Write.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return fmt.Errorf("optimize sqlite database: %w", err)
	}
	return nil
}
