package backup

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// testEnv is an installation with a control database, a provisioner and a
// backup service, on one engine.
type testEnv struct {
	t           testing.TB
	engine      store.Engine
	dataDir     string
	adminURL    string
	control     *store.DB
	key         *secrets.MasterKey
	catalogue   *tenancy.Catalogue
	storage     tenancy.Storage
	provisioner *tenancy.Provisioner
	clock       *fakeClock
	svc         *Service
	cfg         Config
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var quietLog = slog.New(slog.DiscardHandler)

func newMasterKey(t testing.TB) *secrets.MasterKey {
	t.Helper()
	raw := make([]byte, secrets.KeySize)
	rand.Read(raw)
	key, err := secrets.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// newTestEnv builds an installation on engine with the given sites (file
// sites in the test's directory when none are given).
func newTestEnv(t testing.TB, engine store.Engine, specs ...site.Spec) *testEnv {
	t.Helper()
	ctx := context.Background()
	e := &testEnv{t: t, engine: engine, dataDir: t.TempDir(), key: newMasterKey(t)}
	e.clock = &fakeClock{now: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)}
	var err error
	switch engine {
	case store.SQLite:
		e.control, err = store.OpenSQLite(filepath.Join(e.dataDir, "control.db"), store.SQLiteOptions{})
	case store.Postgres:
		e.adminURL = storetest.NewPostgresDatabase(t)
		e.control, err = store.OpenPostgres(ctx, e.adminURL, store.PostgresOptions{MaxConns: 8})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.control.Close() })
	if _, err := store.Migrate(ctx, e.control, store.ControlSchema); err != nil {
		t.Fatal(err)
	}
	inst, err := tenancy.OpenInstance(ctx, e.control, e.key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.catalogue = tenancy.NewCatalogue(e.control, nil)
	e.storage = tenancy.Storage{DataDir: e.dataDir, AdminURL: e.adminURL, Sealer: e.key}
	e.provisioner, err = tenancy.NewProvisioner(tenancy.ProvisionerConfig{
		Catalogue: e.catalogue, Engine: engine, DataDir: e.dataDir,
		Admin: e.control, AdminURL: e.adminURL, Instance: inst, Sealer: e.key,
	})
	if err != nil {
		t.Fatal(err)
	}
	if engine == store.Postgres {
		t.Cleanup(func() {
			ts, _ := e.catalogue.List(context.Background())
			for _, tn := range ts {
				e.provisioner.Delete(context.Background(), tn.Name)
			}
		})
	}
	if len(specs) == 0 {
		specs = []site.Spec{
			fileSpec(t, "local", "paris-1", filepath.Join(t.TempDir(), "local")),
			fileSpec(t, "offsite", "frankfurt-2", filepath.Join(t.TempDir(), "offsite")),
		}
	}
	id, err := PlatformIdentity(ctx, e.control, e.key, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = Config{
		Control: e.control, Catalogue: e.catalogue, Storage: e.storage, Provisioner: e.provisioner,
		Identity: id, Sites: specs, DataDir: e.dataDir, AdminURL: e.adminURL, Now: e.clock.Now, Log: quietLog,
	}
	e.svc = e.newService(e.cfg)
	return e
}

func (e *testEnv) newService(cfg Config) *Service {
	e.t.Helper()
	svc, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

func fileSpec(t testing.TB, name, dc, dir string) site.Spec {
	t.Helper()
	spec, err := site.ParseSpec(name+"@"+dc+"=file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// createTenant provisions a tenant with a notes table holding rows.
func (e *testEnv) createTenant(name string, rows int) tenancy.Tenant {
	e.t.Helper()
	tn, err := e.provisioner.Create(context.Background(), name, "admin@"+name+".example")
	if err != nil {
		e.t.Fatal(err)
	}
	e.exec(name, "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
	e.addNotes(name, rows)
	return tn
}

func (e *testEnv) exec(tenant, query string, args ...any) {
	e.t.Helper()
	db := e.open(tenant)
	defer db.Close()
	if _, err := db.Write.Exec(db.Rebind(query), args...); err != nil {
		e.t.Fatalf("%s on %s: %v", query, tenant, err)
	}
}

func (e *testEnv) open(tenant string) *store.DB {
	e.t.Helper()
	tn, err := e.catalogue.Get(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	db, err := e.storage.Open(context.Background(), tn, 2)
	if err != nil {
		e.t.Fatal(err)
	}
	return db
}

func (e *testEnv) addNotes(tenant string, n int) {
	e.t.Helper()
	db := e.open(tenant)
	defer db.Close()
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		var start int
		if err := tx.QueryRow("SELECT COALESCE(MAX(id), 0) FROM note").Scan(&start); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			if _, err := tx.Exec(db.Rebind("INSERT INTO note (id, body) VALUES (?, ?)"), start+i, fmt.Sprintf("note %d of %s", start+i, tenant)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// notes returns the bodies of the tenant's notes in order.
func (e *testEnv) notes(tenant string) []string {
	e.t.Helper()
	db := e.open(tenant)
	defer db.Close()
	rows, err := db.Read.Query("SELECT body FROM note ORDER BY id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		rows.Scan(&b)
		out = append(out, b)
	}
	return out
}

func (e *testEnv) param(tenant, key string) string {
	e.t.Helper()
	db := e.open(tenant)
	defer db.Close()
	var v string
	if err := db.Read.QueryRow(db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), key).Scan(&v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func discard(io.Writer) {}
