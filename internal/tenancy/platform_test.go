package tenancy

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// testPlatform is a control database, catalogue and provisioner on one engine.
type testPlatform struct {
	engine      store.Engine
	control     *store.DB
	adminURL    string
	dataDir     string
	key         *secrets.MasterKey
	instance    Instance
	catalogue   *Catalogue
	storage     Storage
	provisioner *Provisioner
}

func newTestPlatform(t testing.TB, engine store.Engine, failAt func(string) error) *testPlatform {
	t.Helper()
	ctx := context.Background()
	p := &testPlatform{engine: engine, dataDir: t.TempDir()}
	var err error
	if p.key, err = secrets.Create(filepath.Join(p.dataDir, "master.key")); err != nil {
		t.Fatal(err)
	}
	switch engine {
	case store.SQLite:
		p.control, err = store.OpenSQLite(filepath.Join(p.dataDir, "control.db"), store.SQLiteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.control.Close() })
	case store.Postgres:
		p.adminURL = storetest.NewPostgresDatabase(t)
		p.control, err = store.OpenPostgres(ctx, p.adminURL, store.PostgresOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := PreparePostgresServer(ctx, p.control); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Migrate(ctx, p.control, store.ControlSchema); err != nil {
		t.Fatal(err)
	}
	if p.instance, err = OpenInstance(ctx, p.control, p.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	if engine == store.Postgres {
		// Registered after the control database's drop, so it runs before it.
		t.Cleanup(func() { dropInstanceObjects(t, p.control, p.instance) })
	}
	p.catalogue = NewCatalogue(p.control, nil)
	p.storage = Storage{DataDir: p.dataDir, AdminURL: p.adminURL, Sealer: p.key}
	p.provisioner, err = NewProvisioner(ProvisionerConfig{
		Catalogue: p.catalogue, Engine: engine, DataDir: p.dataDir,
		Admin: p.control, AdminURL: p.adminURL, Instance: p.instance, Sealer: p.key,
		FailAt: failAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dropInstanceObjects removes every database and role a test installation left.
func dropInstanceObjects(t testing.TB, admin *store.DB, inst Instance) {
	ctx := context.Background()
	for _, q := range []struct{ list, drop string }{
		{"SELECT datname FROM pg_database WHERE datname LIKE $1", "DROP DATABASE IF EXISTS %s WITH (FORCE)"},
		{"SELECT rolname FROM pg_roles WHERE rolname LIKE $1", "DROP ROLE IF EXISTS %s"},
	} {
		for _, name := range pgNames(t, admin, q.list, inst) {
			if _, err := admin.Write.ExecContext(ctx, fmtIdent(q.drop, name)); err != nil {
				t.Errorf("cleanup %s: %v", name, err)
			}
		}
	}
}

func pgNames(t testing.TB, admin *store.DB, query string, inst Instance) []string {
	t.Helper()
	rows, err := admin.Read.QueryContext(context.Background(), query, inst.ID+"\\_%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func fmtIdent(format, name string) string {
	return strings.Replace(format, "%s", store.QuoteIdent(name), 1)
}

// leftovers lists what exists of tenants: directories, PostgreSQL databases and roles,
// and catalogue rows of any state.
func (p *testPlatform) leftovers(t testing.TB) []string {
	t.Helper()
	var out []string
	entries, _ := filepath.Glob(filepath.Join(p.dataDir, "tenants", "*"))
	out = append(out, entries...)
	if p.engine == store.Postgres {
		out = append(out, pgNames(t, p.control, "SELECT datname FROM pg_database WHERE datname LIKE $1", p.instance)...)
		out = append(out, pgNames(t, p.control, "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", p.instance)...)
	}
	rows, err := p.control.Read.Query("SELECT name || ':' || state FROM tenant WHERE state <> 'deleted'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, "catalogue "+s)
	}
	return out
}

func benchTenants() int {
	if v := os.Getenv("INSTANTERP_BENCH_TENANTS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 100
}
