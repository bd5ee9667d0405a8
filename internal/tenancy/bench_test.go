package tenancy

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkProvision measures creating one tenant, storage and migrations included.
func BenchmarkProvision(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			p := newTestPlatform(b, e.Name, nil)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.provisioner.Create(ctx, fmt.Sprintf("t%d", i), "a@example.com"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRouter measures acquiring a tenant database: warm (already open) and cold
// (every acquire opens a database, because the LRU holds a single handle), among
// INSTANTERP_BENCH_TENANTS tenants (default 100; the closing note uses 1,000).
func BenchmarkRouter(b *testing.B) {
	n := benchTenants()
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			p := newTestPlatform(b, engine, nil)
			ctx := context.Background()
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("t%d", i)
				if _, err := p.provisioner.Create(ctx, names[i], "a@example.com"); err != nil {
					b.Fatal(err)
				}
			}
			// A PostgreSQL server accepts a bounded number of connections (100 by default),
			// which the router's connection cap respects: the warm set is what fits under it.
			working := names
			if engine == store.Postgres && len(working) > 16 {
				working = working[:16]
			}
			run := func(b *testing.B, maxOpen int) {
				r := NewRouter(RouterConfig{Catalogue: p.catalogue, Open: p.storage.Open, MaxOpen: maxOpen})
				defer r.Close()
				for _, name := range working { // warm every tenant once
					l, err := r.Acquire(ctx, name)
					if err != nil {
						b.Fatal(err)
					}
					l.Release()
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					l, err := r.Acquire(ctx, working[i%len(working)])
					if err != nil {
						b.Fatal(err)
					}
					if err := l.DB.Ping(ctx); err != nil {
						b.Fatal(err)
					}
					l.Release()
				}
			}
			b.Run("warm", func(b *testing.B) { run(b, len(working)) })
			b.Run("cold", func(b *testing.B) { run(b, 1) })
		})
	}
}
