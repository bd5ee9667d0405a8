package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	pg := &store.DB{Engine: store.Postgres}
	lite := &store.DB{Engine: store.SQLite}
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"a = '?' AND b = ?", "a = '?' AND b = $1"},
		{`"we?ird" = ?`, `"we?ird" = $1`},
	}
	for _, c := range cases {
		if got := pg.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := lite.Rebind(c.in); got != c.in {
			t.Errorf("sqlite Rebind(%q) changed it to %q", c.in, got)
		}
	}
}

func TestMigrateAndTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		v, err := store.Migrate(ctx, db, store.TenantSchema)
		if err != nil {
			t.Fatal(err)
		}
		if v < 1 {
			t.Fatalf("schema version %d after migrating", v)
		}
		// Migrating again is a no-op.
		if v2, err := store.Migrate(ctx, db, store.TenantSchema); err != nil || v2 != v {
			t.Fatalf("second migrate: %d, %v", v2, err)
		}

		insert := db.Rebind("INSERT INTO ir_config_parameter (key, value) VALUES (?, ?)")
		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, insert, "k1", "v1"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM ir_config_parameter").Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback: %d rows, %v", n, err)
		}
		// A duplicate key is recognised as a unique violation on both engines.
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, insert, "k1", "v1"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, insert, "k1", "v2")
			return err
		})
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert error = %v, want unique violation", err)
		}
	})
}

func TestSQLiteFileModeAndReadOnlyPool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "t.db")
	db, err := store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("database file mode %v, want 0600", st.Mode().Perm())
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", dir.Mode().Perm())
	}
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, "CREATE TABLE x (a INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Read.ExecContext(ctx, "INSERT INTO x VALUES (1)"); err == nil {
		t.Fatal("the read pool accepted a write")
	}
	var mode string
	if err := db.Read.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := db.Write.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
}

func TestRedactURL(t *testing.T) {
	got := store.RedactURL("postgres://u:secret@h:5432/db?password=other")
	if want := "postgres://u:xxxxx@h:5432/db?password=xxxxx"; got != want {
		t.Fatalf("RedactURL = %q, want %q", got, want)
	}
}
