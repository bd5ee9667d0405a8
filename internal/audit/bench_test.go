package audit_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func benchLog(b *testing.B, e storetest.Engine) *audit.Log {
	b.Helper()
	db := e.Open(b)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		b.Fatal(err)
	}
	return audit.New(db, nil)
}

// BenchmarkAppend: one entry per transaction, as a portal view records it.
func BenchmarkAppend(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			log := benchLog(b, e)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				if err := log.Append(ctx, entry(audit.PortalView, int64(i+1))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify walks a chain of 10,000 entries.
func BenchmarkVerify(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			log := benchLog(b, e)
			ctx := context.Background()
			const n = 10000
			for i := 0; i < n; i++ {
				if err := log.Append(ctx, entry(audit.PortalView, int64(i+1))); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if got, err := log.Verify(ctx); got != n || err != nil {
					b.Fatalf("Verify = %d, %v", got, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
		})
	}
}
