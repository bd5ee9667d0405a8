package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// testPlatform is a control database with provisioned tenants and a router, on
// one engine, for the tenant jobs.
type testPlatform struct {
	engine      store.Engine
	control     *store.DB
	url         string // PostgreSQL control database
	catalogue   *tenancy.Catalogue
	provisioner *tenancy.Provisioner
	router      *tenancy.Router
	registry    *orm.Registry // set when the ERP is installed in the tenants
	log         *syncBuffer
}

// newTestPlatform sets up a platform; with install, every tenant gets the ERP
// (res.users, mail.mail, ...), otherwise only the fixed tenant schema.
func newTestPlatform(t *testing.T, engine store.Engine, install bool) *testPlatform {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	p := &testPlatform{engine: engine, log: &syncBuffer{}}
	key, err := secrets.Create(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	switch engine {
	case store.SQLite:
		p.control, err = store.OpenSQLite(filepath.Join(data, "control.db"), store.SQLiteOptions{})
	case store.Postgres:
		p.url = storetest.NewPostgresDatabase(t)
		p.control, err = store.OpenPostgres(ctx, p.url, store.PostgresOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.control.Close() })
	if engine == store.Postgres {
		if err := tenancy.PreparePostgresServer(ctx, p.control); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Migrate(ctx, p.control, store.ControlSchema); err != nil {
		t.Fatal(err)
	}
	inst, err := tenancy.OpenInstance(ctx, p.control, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.catalogue = tenancy.NewCatalogue(p.control, nil)
	cfg := tenancy.ProvisionerConfig{Catalogue: p.catalogue, Engine: engine, DataDir: data,
		Admin: p.control, AdminURL: p.url, Instance: inst, Sealer: key}
	if install {
		if p.registry, err = erp.NewRegistry(); err != nil {
			t.Fatal(err)
		}
		cfg.Initialize = func(ctx context.Context, db *store.DB, tn tenancy.Tenant) error {
			return erp.Install(ctx, db, p.registry, tn.AdminEmail)
		}
	}
	if p.provisioner, err = tenancy.NewProvisioner(cfg); err != nil {
		t.Fatal(err)
	}
	storage := tenancy.Storage{DataDir: data, AdminURL: p.url, Sealer: key}
	p.router = tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.catalogue, Open: storage.Open})
	t.Cleanup(func() { p.router.Close() })
	return p
}

func (p *testPlatform) create(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := p.provisioner.Create(context.Background(), name, "admin@"+name+".example.com"); err != nil {
			t.Fatal(err)
		}
	}
}

// tenantDB runs fn on a tenant's database.
func (p *testPlatform) tenantDB(t *testing.T, name string, fn func(db *store.DB)) {
	t.Helper()
	lease, err := p.router.Acquire(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	fn(lease.DB)
}

// queue opens a job queue working the tenant jobs (no backups).
func (p *testPlatform) queue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	cfg.Control, cfg.DatabaseURL = p.control, p.url
	cfg.Catalogue, cfg.Tenants = p.catalogue, p.router
	cfg.Log = slog.New(slog.NewTextHandler(p.log, nil))
	cfg.PollInterval, cfg.RetryBase, cfg.RetryMax = 50*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
	q, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return q
}

// riverJob is a row of River's job table, as the tests look at it.
type riverJob struct {
	State   string
	Attempt int
	Tenant  string
}

// jobsOf lists the jobs of kind in River's table.
func (p *testPlatform) jobsOf(t *testing.T, kind string) []riverJob {
	t.Helper()
	// River keeps args as JSONB on both engines; both render it as JSON text.
	args := "args::text"
	if p.engine == store.SQLite {
		args = "json(args)"
	}
	rows, err := p.control.Read.QueryContext(context.Background(),
		p.control.Rebind("SELECT state, attempt, "+args+" FROM river_job WHERE kind = ? ORDER BY id"), kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []riverJob
	for rows.Next() {
		var (
			j    riverJob
			args []byte
		)
		if err := rows.Scan(&j.State, &j.Attempt, &args); err != nil {
			t.Fatal(err)
		}
		var a struct{ Tenant string }
		if err := json.Unmarshal(args, &a); err != nil {
			t.Fatalf("args %q: %v", args, err)
		}
		j.Tenant = a.Tenant
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond until it holds or a minute has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer collects log output written from River's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
