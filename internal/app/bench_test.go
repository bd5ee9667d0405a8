package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkCreateTenant measures provisioning as the CLI does it: storage, migrations
// and the installation of every ERP module with its seed data.
func BenchmarkCreateTenant(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			args := []string{"--data", b.TempDir()}
			if engine == "postgres" {
				args = append(args, "--database-url", storetest.NewPostgresDatabase(b))
			}
			fs := testFlagSet(b, args...)
			cfg, err := fs.Load(func(string) (string, bool) { return "", false })
			if err != nil {
				b.Fatal(err)
			}
			p, err := app.Open(context.Background(), cfg, quiet)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			var names []string
			b.Cleanup(func() {
				for _, n := range names {
					p.Provisioner.Delete(context.Background(), n)
				}
			})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				name := fmt.Sprintf("bench%d", i)
				if _, err := p.Provisioner.Create(context.Background(), name, "admin@example.com"); err != nil {
					b.Fatal(err)
				}
				names = append(names, name)
			}
		})
	}
}
