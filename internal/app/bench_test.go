package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkCreateTenant measures provisioning as the CLI does it, with every ERP
// module and its seed data: "copy" copies the template (built before the timer
// starts), "install" migrates and installs into each new tenant as before
// templates existed. Their ratio is the template's gain.
func BenchmarkCreateTenant(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, how := range []string{"install", "copy"} {
			b.Run(engine+"/"+how, func(b *testing.B) {
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
					p.Provisioner.DropTemplates(context.Background())
				})
				create := func(name string) {
					if _, err := p.Provisioner.Create(context.Background(), name, "admin@example.com"); err != nil {
						b.Fatal(err)
					}
					names = append(names, name)
				}
				if how == "install" {
					if err := app.InstallEachTenantForTest(p); err != nil {
						b.Fatal(err)
					}
				} else {
					create("first") // builds the template
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					create(fmt.Sprintf("bench%d", i))
				}
			})
		}
	}
}
