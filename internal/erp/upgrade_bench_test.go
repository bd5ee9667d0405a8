package erp_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkSeeds measures, on each engine, installing every module into a fresh
// database and, on an installed tenant that forgot its levels (as one created
// before they were recorded), running every seed step again, which adds nothing.
// Opening databases and forgetting levels are not timed.
func BenchmarkSeeds(b *testing.B) {
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		reg, err := erp.NewRegistry()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(e.Name)+"/install", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := e.Open(b)
				b.StartTimer()
				if err := erp.Install(ctx, db, reg, "admin@example.com"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(e.Name)+"/rerun every step", func(b *testing.B) {
			db := e.Open(b)
			if err := erp.Install(ctx, db, reg, "admin@example.com"); err != nil {
				b.Fatal(err)
			}
			mods := erp.Modules("")
			for b.Loop() {
				b.StopTimer()
				if _, err := db.Write.ExecContext(ctx, "DELETE FROM ir_module_module"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := erp.Upgrade(ctx, db, reg, mods); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
