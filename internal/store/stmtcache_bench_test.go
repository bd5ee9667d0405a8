package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSQLiteStatementCache runs ORM-like queries (ten lookups by an indexed column
// with a LIMIT, an insert in a transaction committed with synchronous=FULL, a LIKE
// search over 2,000 rows, and the three as a mix) on one pool without the statement
// cache and one with it, alternating, on the same file. It reports each pool's time
// and their ratio (cached/uncached: below 1 is faster).
func BenchmarkSQLiteStatementCache(b *testing.B) {
	ctx := context.Background()
	dsn := testDSN(b)
	plain := openPlain(b, dsn)
	cached := openCached(b, dsn, stmtCacheSize)
	mustExec(b, plain, `CREATE TABLE res_partner (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT,
		city TEXT, active BOOLEAN NOT NULL DEFAULT 1, create_date TEXT, write_date TEXT)`)
	mustExec(b, plain, `CREATE INDEX res_partner_email ON res_partner (email)`)
	// Inserts go to a table of their own, so that the search reads the same 2,000 rows
	// however long the benchmark runs.
	mustExec(b, plain, `CREATE TABLE mail_message (id INTEGER PRIMARY KEY, model TEXT NOT NULL, res_id INTEGER NOT NULL,
		body TEXT, author TEXT, create_date TEXT, write_date TEXT)`)
	for i := range 2000 {
		mustExec(b, plain, `INSERT INTO res_partner (name, email, city, create_date, write_date) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("Partner %d", i), fmt.Sprintf("p%d@example.com", i), "Lyon", "2026-01-01", "2026-01-01")
	}
	const (
		lookup = `SELECT "res_partner"."id", "res_partner"."name", "res_partner"."email", "res_partner"."city"
			FROM "res_partner" WHERE ("res_partner"."email" = ?) AND ("res_partner"."active" = ?)
			ORDER BY "res_partner"."id" LIMIT 1`
		insert = `INSERT INTO "mail_message" ("model", "res_id", "body", "author", "create_date", "write_date")
			VALUES (?, ?, ?, ?, ?, ?) RETURNING "id"`
		search = `SELECT "res_partner"."id", "res_partner"."name", "res_partner"."email"
			FROM "res_partner" WHERE ("res_partner"."name" LIKE ? ESCAPE '\') AND ("res_partner"."active" = ?)
			ORDER BY "res_partner"."name" LIMIT 80`
	)
	n := 0
	lookupTen := func(db *sql.DB) {
		for i := range 10 {
			var id int64
			var name, email, city string
			if err := db.QueryRowContext(ctx, lookup, fmt.Sprintf("p%d@example.com", (n*10+i)%2000), true).
				Scan(&id, &name, &email, &city); err != nil {
				b.Fatal(err)
			}
		}
	}
	insertTx := func(db *sql.DB) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, insert, "res.partner", n%2000, fmt.Sprintf("<p>Note %d</p>", n), "admin",
			"2026-11-29", "2026-11-29").Scan(&id); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	searchLike := func(db *sql.DB) {
		rows, err := db.QueryContext(ctx, search, fmt.Sprintf("%%%d%%", n%10), true)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var name, email string
			if err := rows.Scan(&id, &name, &email); err != nil {
				b.Fatal(err)
			}
		}
		if err := rows.Close(); err != nil {
			b.Fatal(err)
		}
	}
	for _, w := range []struct {
		name string
		run  func(*sql.DB)
	}{
		{"lookup×10", lookupTen},
		{"insert-tx", insertTx},
		{"like-search", searchLike},
		{"mix", func(db *sql.DB) { lookupTen(db); insertTx(db); searchLike(db) }},
	} {
		b.Run(w.name, func(b *testing.B) {
			var without, with time.Duration
			for b.Loop() {
				n++
				start := time.Now()
				w.run(plain)
				mid := time.Now()
				w.run(cached)
				with += time.Since(mid)
				without += mid.Sub(start)
			}
			b.ReportMetric(float64(without.Microseconds())/float64(b.N), "µs/op-uncached")
			b.ReportMetric(float64(with.Microseconds())/float64(b.N), "µs/op-cached")
			b.ReportMetric(float64(with)/float64(without), "cached/uncached")
		})
	}
}
