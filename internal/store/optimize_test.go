package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestOptimizeGathersStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		for _, q := range []string{
			`CREATE TABLE opt_items (id INTEGER PRIMARY KEY, company INTEGER, name TEXT)`,
			`CREATE INDEX opt_items_company ON opt_items (company)`,
		} {
			if _, err := db.Write.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 300; i++ {
			if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO opt_items (id, company, name) VALUES (?, ?, ?)`), i+1, 1, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Optimize(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := store.Optimize(ctx, db); err != nil {
			t.Fatalf("second run: %v", err)
		}
		if e.Name != store.SQLite {
			return
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'opt_items'`).Scan(&n); err != nil {
			t.Fatalf("no statistics table after Optimize: %v", err)
		}
		if n == 0 {
			t.Error("Optimize gathered no statistics for a populated table")
		}
	})
}
