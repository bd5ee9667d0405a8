package tenancy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// testTemplate installs a table of seed rows named after its version, and
// records the admin address as the tenant-specific step.
type testTemplate struct {
	mu      sync.Mutex
	version string
	builds  atomic.Int32
	failing atomic.Bool
}

func (tt *testTemplate) setVersion(v string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.version = v
}

func (tt *testTemplate) template() *Template {
	return &Template{
		Version: func() (string, error) {
			tt.mu.Lock()
			defer tt.mu.Unlock()
			return tt.version, nil
		},
		Build: func(ctx context.Context, db *store.DB) error {
			tt.builds.Add(1)
			tt.mu.Lock()
			v := tt.version
			tt.mu.Unlock()
			for _, stmt := range []string{
				"CREATE TABLE seed_item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
				"CREATE INDEX seed_item_name ON seed_item (name)",
			} {
				if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			if _, err := db.Write.ExecContext(ctx, db.Rebind("INSERT INTO seed_item (id, name) VALUES (1, ?)"), "seed "+v); err != nil {
				return err
			}
			if tt.failing.Load() {
				return errors.New("seed data refused")
			}
			return nil
		},
		Personalize: func(ctx context.Context, db *store.DB, t Tenant) error {
			_, err := db.Write.ExecContext(ctx, db.Rebind("INSERT INTO ir_config_parameter (key, value) VALUES ('test.admin', ?)"), t.AdminEmail)
			return err
		},
	}
}

// withTemplate gives the platform a provisioner that copies tt's template.
func (p *testPlatform) withTemplate(t testing.TB, tt *testTemplate) {
	t.Helper()
	var err error
	p.provisioner, err = NewProvisioner(ProvisionerConfig{
		Catalogue: p.catalogue, Engine: p.engine, DataDir: p.dataDir,
		Admin: p.control, AdminURL: p.adminURL, Instance: p.instance, Sealer: p.key,
		Template: tt.template(),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// params reads a tenant's configuration parameters and seed rows.
func (p *testPlatform) params(t testing.TB, name string) map[string]string {
	t.Helper()
	ctx := context.Background()
	tn, err := p.catalogue.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.storage.Open(ctx, tn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return readParams(t, db)
}

func readParams(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range []string{"SELECT key, value FROM ir_config_parameter", "SELECT 'seed', name FROM seed_item"} {
		rows, err := db.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			out[k] = v
		}
		rows.Close()
	}
	return out
}

// openTemplate opens the current template as the platform does (SQLite
// file; PostgreSQL as the platform role).
func (p *testPlatform) openTemplate(t testing.TB, version string) *store.DB {
	t.Helper()
	var (
		db  *store.DB
		err error
	)
	switch p.engine {
	case store.SQLite:
		db, err = store.OpenSQLite(filepath.Join(p.dataDir, "templates", "tenant-"+templateKey(version)+".db"), store.SQLiteOptions{})
	case store.Postgres:
		db, err = store.OpenPostgres(context.Background(), storetest.WithDatabase(p.adminURL, postgresTemplateName(p.instance, templateKey(version))), store.PostgresOptions{MaxConns: 1})
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Two tenants copied from one template share its seed data and nothing
// else: each has its own uuid, secret and admin; the template holds neither.
// It is built once, before either tenant exists.
func TestTemplateCopiesAreTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)
		tt := &testTemplate{version: "v1"}
		p.withTemplate(t, tt)
		for _, n := range []string{"acme", "globex"} {
			if _, err := p.provisioner.Create(ctx, n, "admin@"+n+".example.com"); err != nil {
				t.Fatal(err)
			}
		}
		if n := tt.builds.Load(); n != 1 {
			t.Fatalf("template built %d times for two tenants", n)
		}
		a, g := p.params(t, "acme"), p.params(t, "globex")
		for _, k := range []string{"database.uuid", "database.secret", "database.create_date"} {
			if a[k] == "" || g[k] == "" {
				t.Fatalf("%s missing: %q %q", k, a[k], g[k])
			}
		}
		if a["database.uuid"] == g["database.uuid"] || a["database.secret"] == g["database.secret"] {
			t.Fatal("two tenants copied from one template share their identity")
		}
		if a["test.admin"] != "admin@acme.example.com" || g["test.admin"] != "admin@globex.example.com" {
			t.Fatalf("admins: %q %q", a["test.admin"], g["test.admin"])
		}
		if a["seed"] != "seed v1" || g["seed"] != "seed v1" {
			t.Fatalf("seed rows: %q %q", a["seed"], g["seed"])
		}
		tpl := p.openTemplate(t, "v1")
		defer tpl.Close()
		got := readParams(t, tpl)
		if len(got) != 1 || got["seed"] != "seed v1" {
			t.Fatalf("the template holds more than its seed data: %v", got)
		}
		// A copy can be written like any tenant: the tenant owns its tables.
		tn, _ := p.catalogue.Get(ctx, "acme")
		db, err := p.storage.Open(ctx, tn, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Write.ExecContext(ctx, "INSERT INTO seed_item (id, name) VALUES (2, 'mine')"); err != nil {
			t.Fatalf("the tenant cannot write its copy: %v", err)
		}
		if _, err := db.Write.ExecContext(ctx, "DROP INDEX seed_item_name"); err != nil {
			t.Fatalf("the tenant does not own its copy's index: %v", err)
		}
	})
}

// A new program version gets a new template; the old one is removed and
// tenants made from it keep their data.
func TestTemplateRebuiltOnVersionChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)
		tt := &testTemplate{version: "v1"}
		p.withTemplate(t, tt)
		if _, err := p.provisioner.Create(ctx, "acme", "a@acme.example.com"); err != nil {
			t.Fatal(err)
		}
		tt.setVersion("v2")
		if _, err := p.provisioner.Create(ctx, "globex", "a@globex.example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.provisioner.Create(ctx, "initech", "a@initech.example.com"); err != nil {
			t.Fatal(err)
		}
		if n := tt.builds.Load(); n != 2 {
			t.Fatalf("%d builds for two versions", n)
		}
		for name, want := range map[string]string{"acme": "seed v1", "globex": "seed v2", "initech": "seed v2"} {
			if got := p.params(t, name)["seed"]; got != want {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
		}
		if got, want := p.templates(t), []string{templateKey("v2")}; !slices.Equal(got, want) {
			t.Fatalf("templates left: %v, want only %v", got, want)
		}
	})
}

// templates lists the keys of the templates that exist (and, on PostgreSQL,
// checks each has its role and no other template role is left).
func (p *testPlatform) templates(t testing.TB) []string {
	t.Helper()
	var out []string
	switch p.engine {
	case store.SQLite:
		files, _ := filepath.Glob(filepath.Join(p.dataDir, "templates", "*"))
		for _, f := range files {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "tenant-"), ".db"))
		}
	case store.Postgres:
		prefix := p.instance.ID + "_tpl_"
		dbs := pgNames(t, p.control, "SELECT datname FROM pg_database WHERE datname LIKE $1", p.instance)
		roles := pgNames(t, p.control, "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", p.instance)
		for _, n := range dbs {
			if strings.HasPrefix(n, prefix) {
				out = append(out, strings.TrimPrefix(n, prefix))
			}
		}
		var tplRoles []string
		for _, n := range roles {
			if strings.HasPrefix(n, prefix) {
				tplRoles = append(tplRoles, strings.TrimPrefix(n, prefix))
			}
		}
		if !slices.Equal(out, tplRoles) {
			t.Errorf("template databases %v but roles %v", out, tplRoles)
		}
		for _, n := range append(dbs, roles...) {
			if strings.Contains(n, "_tpb_") {
				t.Errorf("build leftover %s", n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Creations racing on a fresh installation build the template once and all
// succeed; a build that fails leaves nothing, and the next creation builds.
func TestTemplateBuildOnceAndAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)
		tt := &testTemplate{version: "v1"}
		p.withTemplate(t, tt)

		tt.failing.Store(true)
		if _, err := p.provisioner.Create(ctx, "acme", "a@acme.example.com"); err == nil || !strings.Contains(err.Error(), "seed data refused") {
			t.Fatalf("create with a failing build: %v", err)
		}
		if got := p.templates(t); len(got) != 0 {
			t.Fatalf("a failed build left templates %v", got)
		}
		if left := p.leftovers(t); len(left) != 0 {
			t.Fatalf("a failed build left %v", left)
		}
		if e.Name == store.SQLite {
			if files, _ := filepath.Glob(filepath.Join(p.dataDir, "templates", "*")); len(files) != 0 {
				t.Fatalf("files left: %v", files)
			}
		}

		tt.failing.Store(false)
		names := []string{"acme", "globex", "initech"}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Go(func() { _, errs[i] = p.provisioner.Create(ctx, n, "a@"+n+".example.com") })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if n := tt.builds.Load(); n != 2 {
			t.Fatalf("%d builds: the failed one and %d for three concurrent creations", n, n-1)
		}
		for _, n := range names {
			if got := p.params(t, n); got["seed"] != "seed v1" || got["test.admin"] != "a@"+n+".example.com" {
				t.Errorf("%s: %v", n, got)
			}
		}
	})
}

// On PostgreSQL a tenant's role can neither connect to the template nor find
// anything of it in its own database: it owns every object of its copy, as it
// would had it run the migrations itself, and the template's role can log in
// nowhere.
func TestTemplateIsolationPostgres(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		if e.Name != store.Postgres {
			t.Skip("roles and database privileges are PostgreSQL's")
		}
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)
		tt := &testTemplate{version: "v1"}
		// The same build run directly by a tenant, for comparison.
		direct := tt.template()
		var err error
		plain, err := NewProvisioner(ProvisionerConfig{
			Catalogue: p.catalogue, Engine: p.engine, DataDir: p.dataDir,
			Admin: p.control, AdminURL: p.adminURL, Instance: p.instance, Sealer: p.key,
			Initialize: func(ctx context.Context, db *store.DB, tn Tenant) error {
				if err := direct.Build(ctx, db); err != nil {
					return err
				}
				return direct.Personalize(ctx, db, tn)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plain.Create(ctx, "before", "a@before.example.com"); err != nil {
			t.Fatal(err)
		}
		p.withTemplate(t, tt)
		if _, err := p.provisioner.Create(ctx, "acme", "a@acme.example.com"); err != nil {
			t.Fatal(err)
		}
		tplName := postgresTemplateName(p.instance, templateKey("v1"))

		// The tenant's own credentials, pointed at the template.
		acme, _ := p.catalogue.Get(ctx, "acme")
		password, err := p.key.Open(acme.credentials, credentialsAD(acme))
		if err != nil {
			t.Fatal(err)
		}
		u, err := TenantURL(p.adminURL, acme.Location, string(password), tplName)
		if err != nil {
			t.Fatal(err)
		}
		if db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: 1}); err == nil {
			pingErr := db.Ping(ctx)
			db.Close()
			if pingErr == nil {
				t.Fatal("a tenant's role connected to the template")
			}
		}
		var canLogin bool
		if err := p.control.Read.QueryRowContext(ctx, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", tplName).Scan(&canLogin); err != nil {
			t.Fatal(err)
		}
		if canLogin {
			t.Fatal("the template's role can log in")
		}
		var publicConnect bool
		if err := p.control.Read.QueryRowContext(ctx, "SELECT has_database_privilege('public', $1, 'CONNECT')", tplName).Scan(&publicConnect); err != nil {
			t.Fatal(err)
		}
		if publicConnect {
			t.Fatal("PUBLIC may connect to the template")
		}

		before, _ := p.catalogue.Get(ctx, "before")
		if got, want := p.ownership(t, acme), p.ownership(t, before); !slices.Equal(got, want) {
			t.Fatalf("objects of the copy:\n%v\nof a tenant that migrated itself:\n%v", got, want)
		}
	})
}

// ownership lists, as the platform role sees them, the objects of a tenant's
// database with "tenant" for those its role owns and the owner's name for the
// others.
func (p *testPlatform) ownership(t testing.TB, tn Tenant) []string {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, storetest.WithDatabase(p.adminURL, tn.Location), store.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, q := range []string{
		`SELECT 'rel ' || c.relkind::text || ' ' || c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
		`SELECT 'type ' || t.typname, pg_get_userbyid(t.typowner) FROM pg_type t
			JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
		`SELECT 'proc ' || p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
		`SELECT 'schema ' || nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_t%'`,
		`SELECT 'database', pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`,
		`SELECT 'acl ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), ''), '' FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
	} {
		rows, err := db.Read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var what, owner sql.NullString
			if err := rows.Scan(&what, &owner); err != nil {
				t.Fatal(err)
			}
			o := owner.String
			if o == tn.Location {
				o = "tenant"
			}
			out = append(out, fmt.Sprintf("%s: %s", strings.ReplaceAll(what.String, tn.Location, "tenant"), o))
		}
		rows.Close()
	}
	sort.Strings(out)
	return out
}

// The SQLite template lies outside tenants/: no tenant name or stored
// location leads the storage there.
func TestTemplateOutOfTenantsReach(t *testing.T) {
	p := newTestPlatform(t, store.SQLite, nil)
	p.withTemplate(t, &testTemplate{version: "v1"})
	if _, err := p.provisioner.Create(context.Background(), "acme", "a@acme.example.com"); err != nil {
		t.Fatal(err)
	}
	key := templateKey("v1")
	if _, err := os.Stat(filepath.Join(p.dataDir, "templates", "tenant-"+key+".db")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"templates", "../templates", "tenant-" + key} {
		if err := ValidateName(name); err == nil {
			if _, err := p.catalogue.Get(context.Background(), name); !errors.Is(err, ErrNotFound) {
				t.Errorf("%q: %v", name, err)
			}
		}
	}
	for _, loc := range []string{"templates", "tenants/../templates/tenant-" + key + ".db", "templates/tenant-" + key} {
		tn := Tenant{Name: "acme", Engine: store.SQLite, Location: loc}
		if db, err := p.storage.Open(context.Background(), tn, 1); err == nil {
			db.Close()
			t.Errorf("storage opened location %q", loc)
		}
	}
}
