package base

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkInstall measures base.Install alone (schema and seed data) on a fresh
// database per iteration; opening the database is not timed.
func BenchmarkInstall(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			reg := newRegistry(b)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := e.Open(b)
				b.StartTimer()
				if err := Install(ctx, db, reg, "admin@example.com"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
