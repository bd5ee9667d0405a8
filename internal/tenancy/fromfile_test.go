package tenancy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
)

// A tenant made from a finished SQLite file (a restored backup's) holds
// that file's data in a WAL database, has an identity of its own, and the
// file is left as it was; a missing file leaves nothing behind, and an
// installation on PostgreSQL refuses.
func TestCreateFromSQLiteFile(t *testing.T) {
	ctx := context.Background()
	p := newTestPlatform(t, store.SQLite, nil)
	orig, err := p.provisioner.Create(ctx, "acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.storage.Open(ctx, orig, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec("CREATE TABLE note (body TEXT); INSERT INTO note VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	before := identityOf(t, db)
	file := filepath.Join(t.TempDir(), "restored.db")
	if _, err := db.Write.Exec("VACUUM INTO ?", file); err != nil {
		t.Fatal(err)
	}
	db.Close()

	filled := false
	copyT, err := p.provisioner.CreateFromSQLiteFile(ctx, "copy", "admin@copy.example", file, func(ctx context.Context, nt Tenant, db *store.DB) error {
		filled = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !filled || copyT.State != Active {
		t.Fatalf("filled %v, tenant %+v", filled, copyT)
	}
	cdb, err := p.storage.Open(ctx, copyT, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	var body, mode string
	if err := cdb.Read.QueryRow("SELECT body FROM note").Scan(&body); err != nil || body != "kept" {
		t.Fatalf("restored row %q, %v", body, err)
	}
	if err := cdb.Read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q, %v", mode, err)
	}
	after := identityOf(t, cdb)
	for _, key := range []string{"database.uuid", "database.secret"} {
		if after[key] == "" || after[key] == before[key] {
			t.Fatalf("%s of the copy is %q, the original's %q", key, after[key], before[key])
		}
	}

	if _, err := p.provisioner.CreateFromSQLiteFile(ctx, "missing", "admin@missing.example", filepath.Join(t.TempDir(), "nothing.db"), nil); err == nil {
		t.Fatal("a missing file made a tenant")
	}
	failed := errors.New("filestore unreadable")
	if _, err := p.provisioner.CreateFromSQLiteFile(ctx, "broken", "admin@broken.example", file, func(context.Context, Tenant, *store.DB) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failing fill: %v", err)
	}
	for _, l := range p.leftovers(t) {
		if strings.Contains(l, "missing") || strings.Contains(l, "broken") {
			t.Fatalf("left behind: %s", l)
		}
	}

	pg := newTestPlatform(t, store.Postgres, nil)
	if _, err := pg.provisioner.CreateFromSQLiteFile(ctx, "copy", "admin@copy.example", file, nil); err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("on PostgreSQL: %v", err)
	}
}

// identityOf reads a tenant database's uuid and secret.
func identityOf(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	rows, err := db.Read.Query("SELECT key, value FROM ir_config_parameter WHERE key IN ('database.uuid', 'database.secret')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}
