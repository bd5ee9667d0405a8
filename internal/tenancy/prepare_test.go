package tenancy

import (
	"context"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Installations that share a server prepare it at the same time: every one
// succeeds, and PUBLIC keeps no way in.
func TestPreparePostgresServerConcurrently(t *testing.T) {
	ctx := context.Background()
	control := storetest.NewPostgresDatabase(t)
	const installations = 8
	dbs := make([]*store.DB, installations)
	for i := range dbs {
		db, err := store.OpenPostgres(ctx, control, store.PostgresOptions{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	for round := range 3 {
		// Each round starts from a control database PUBLIC may enter, as a
		// new one is.
		if _, err := dbs[0].Write.ExecContext(ctx, "GRANT CONNECT, TEMPORARY ON DATABASE "+store.QuoteIdent(databaseOf(t, dbs[0]))+" TO PUBLIC"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, installations)
		for i, db := range dbs {
			wg.Go(func() { errs[i] = PreparePostgresServer(ctx, db) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, installation %d: %v", round, i, err)
			}
		}
		var open bool
		if err := dbs[0].Read.QueryRowContext(ctx, "SELECT has_database_privilege('public', current_database(), 'CONNECT')").Scan(&open); err != nil || open {
			t.Fatalf("round %d: PUBLIC may connect: %v, %v", round, open, err)
		}
	}
}

func databaseOf(t *testing.T, db *store.DB) string {
	t.Helper()
	var name string
	if err := db.Read.QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}
