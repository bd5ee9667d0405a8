package orm

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// benchPartners fills a database with n partners, 80 of which match "needle",
// and an internal user group with access rights and a multi-company rule.
func benchPartners(b *testing.B, e storetest.Engine, n int) (*testDB, Identity) {
	d := openTestDB(b, e)
	co := d.create("test.company", map[string]any{"name": "C"})
	group := d.group("test.users")
	d.acl("test.partner", group, "rwcu")
	d.rule("test.partner", "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]")
	d.sudo(func(ctx context.Context, env *Env) error {
		batch := make([]map[string]any, 0, 1000)
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("Partner %06d", i)
			if i%(n/80) == 0 {
				name = fmt.Sprintf("Needle %06d", i)
			}
			batch = append(batch, map[string]any{"name": name, "email": fmt.Sprintf("p%d@example.com", i), "company_id": co, "score": i % 100})
			if len(batch) == cap(batch) || i == n-1 {
				if _, err := env.Create(ctx, "test.partner", batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
	// Planner statistics, as autovacuum (PostgreSQL) or a periodic PRAGMA optimize
	// (SQLite) keep them; without them SQLite prefers the company index even when
	// every row matches.
	if _, err := d.db.Write.ExecContext(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return d, Identity{UID: 0, CompanyID: co, CompanyIDs: []int64{co}, GroupIDs: []int64{group}}
}

// benchSize is the number of partners the benchmarks work with: 10,000 by
// default, more with ORM_BENCH_PARTNERS=100000 (which takes minutes to load).
func benchSize(b *testing.B) int {
	if s := os.Getenv("ORM_BENCH_PARTNERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 80 {
			b.Fatalf("ORM_BENCH_PARTNERS=%q: want a number of at least 80", s)
		}
		return n
	}
	return 10000
}

func BenchmarkSearchRead(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			d, user := benchPartners(b, e, benchSize(b))
			dom := mustDomain([]any{[]any{"name", "ilike", "needle"}})
			for _, mode := range []string{"sudo", "access"} {
				b.Run(mode, func(b *testing.B) {
					ctx := context.Background()
					for i := 0; i < b.N; i++ {
						err := d.db.InTx(ctx, func(tx *sql.Tx) error {
							env, err := d.reg.NewEnv(tx, d.db.Engine, user)
							if err != nil {
								return err
							}
							if mode == "sudo" {
								env = env.Sudo()
							}
							recs, err := env.SearchRead(ctx, "test.partner", dom, []string{"name", "email", "company_id", "score"}, SearchOptions{Limit: 80})
							if err == nil && len(recs) != 80 {
								err = fmt.Errorf("%d records", len(recs))
							}
							return err
						})
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			d := openTestDB(b, e)
			ctx := context.Background()
			for _, batched := range []bool{true, false} {
				name := "one-by-one"
				if batched {
					name = "batched"
				}
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						err := d.db.InTx(ctx, func(tx *sql.Tx) error {
							env, err := d.reg.NewEnv(tx, d.db.Engine, Identity{})
							if err != nil {
								return err
							}
							env = env.Sudo()
							vals := map[string]any{"name": "Bench", "email": "b@example.com", "score": i}
							if batched {
								batch := make([]map[string]any, 100)
								for j := range batch {
									batch[j] = vals
								}
								_, err = env.Create(ctx, "test.partner", batch)
								return err
							}
							for j := 0; j < 100; j++ {
								if _, err := env.Create(ctx, "test.partner", []map[string]any{vals}); err != nil {
									return err
								}
							}
							return nil
						})
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/record")
				})
			}
		})
	}
}

// BenchmarkCreateMany creates benchSize partners per iteration through the
// access layer, in Create calls of 1,000.
func BenchmarkCreateMany(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			d := openTestDB(b, e)
			co := d.create("test.company", map[string]any{"name": "C"})
			group := d.group("test.users")
			d.acl("test.partner", group, "rwcu")
			d.acl("test.company", group, "r")
			d.rule("test.partner", "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]")
			user := Identity{CompanyID: co, CompanyIDs: []int64{co}, GroupIDs: []int64{group}}
			n := benchSize(b)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				err := d.db.InTx(ctx, func(tx *sql.Tx) error {
					env, err := d.reg.NewEnv(tx, d.db.Engine, user)
					if err != nil {
						return err
					}
					batch := make([]map[string]any, 0, 1000)
					for j := 0; j < n; j++ {
						batch = append(batch, map[string]any{"name": fmt.Sprintf("P%d", j), "email": "p@example.com", "company_id": co, "score": j % 100})
						if len(batch) == cap(batch) || j == n-1 {
							if _, err := env.Create(ctx, "test.partner", batch); err != nil {
								return err
							}
							batch = batch[:0]
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/record")
		})
	}
}

func BenchmarkCompileDomain(b *testing.B) {
	reg := newTestRegistry(b)
	m, _ := reg.Model("test.partner")
	env, _ := reg.NewEnv(nil, store.Postgres, Identity{})
	env = env.Sudo()
	dom, err := domain.FromValue([]any{"|", []any{"name", "ilike", "acme"}, "&", []any{"parent_id.company_id.name", "=", "C"},
		[]any{"tag_ids", "in", []any{1, 2, 3}}, []any{"score", ">=", 10}, []any{"id", "child_of", 1}}, domain.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := env.newCompiler(context.Background(), false)
		if _, err := c.domain(m, "t", dom); err != nil {
			b.Fatal(err)
		}
	}
}
