package app_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// A tenant created by an older build lacks what this build's models add: its first
// open through the server's router brings it forward.
func TestTenantSchemaUpgradedOnOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		// A model's table missing and an older schema fingerprint.
		db := reopenOlderTenant(t, e, "DROP TABLE res_currency_rate")
		var n int
		if err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM res_currency_rate").Scan(&n); err != nil {
			t.Fatalf("table not brought back: %v", err)
		}
		var fp string
		db.Read.QueryRowContext(ctx, "SELECT value FROM ir_config_parameter WHERE key = 'database.schema_fingerprint'").Scan(&fp)
		if fp == "older" || len(fp) != 64 {
			t.Fatalf("fingerprint after upgrade: %q", fp)
		}
	})
}

// reopenOlderTenant creates a tenant, makes it look like an older build's by
// running stmts as the tenant's own role and marking its schema fingerprint as
// older, then opens it the way the server's router does; the database is closed
// with the test.
func reopenOlderTenant(t *testing.T, e storetest.Engine, stmts ...string) *store.DB {
	t.Helper()
	p, tn := olderTenant(t, e, stmts...)
	return reopen(t, p, tn)
}

// olderTenant is reopenOlderTenant before the opening: the platform and the
// tenant, created and made older.
func olderTenant(t *testing.T, e storetest.Engine, stmts ...string) (*app.Platform, tenancy.Tenant) {
	t.Helper()
	ctx := context.Background()
	args := []string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}
	if e.Name == store.Postgres {
		args = append(args, "--database-url", storetest.NewPostgresDatabase(t))
	}
	cfg := testConfig(t, args...)
	p, err := app.OpenWith(ctx, cfg, quiet, templates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	tn, err := p.Provisioner.Create(ctx, "acme", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Provisioner.Delete(ctx, "acme") })
	makeOlder(t, p, tn, stmts...)
	return p, tn
}

// makeOlder runs stmts in the tenant's database as its own role and marks its
// schema fingerprint as an older build's.
func makeOlder(t *testing.T, p *app.Platform, tn tenancy.Tenant, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := p.Storage.Open(ctx, tn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts = append(stmts, "UPDATE ir_config_parameter SET value = 'older' WHERE key = 'database.schema_fingerprint'")
	for _, stmt := range stmts {
		if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// reopen opens the tenant the way the server's router does; the database is
// closed with the test.
func reopen(t *testing.T, p *app.Platform, tn tenancy.Tenant) *store.DB {
	t.Helper()
	db, err := app.OpenTenantForTest(context.Background(), p, tn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
