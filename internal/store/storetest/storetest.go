// Package storetest gives tests a fresh database on each engine, so that every storage
// test runs on SQLite and on PostgreSQL alike.
//
// PostgreSQL is found through INSTANTERP_TEST_POSTGRES_URL (default: the local server,
// trust auth, user root). When it cannot be reached the PostgreSQL half of a test is
// skipped with a loud message, unless INSTANTERP_TEST_POSTGRES_REQUIRED=1 (CI sets it),
// in which case the test fails.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// DefaultPostgresURL is the administrative connection used when the environment names none.
const DefaultPostgresURL = "postgres://root@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAdminURL returns a superuser URL for the test server, or skips (or fails,
// when required) the test.
func PostgresAdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("INSTANTERP_TEST_POSTGRES_URL")
	if u == "" {
		u = DefaultPostgresURL
	}
	if err := store.PostgresIsUsable(context.Background(), u); err != nil {
		msg := "POSTGRESQL TESTS SKIPPED: cannot reach " + store.RedactURL(u) + ": " + err.Error() +
			" (set INSTANTERP_TEST_POSTGRES_URL, or start the server)"
		if os.Getenv("INSTANTERP_TEST_POSTGRES_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		// go test shows nothing of a passing package, so leave a note that test.sh
		// prints at the end of the run.
		if f, err := os.OpenFile(SkipNotePath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			f.WriteString(msg + "\n")
			f.Close()
		}
		t.Skip(msg)
	}
	return u
}

// SkipNotePath is where skipped PostgreSQL tests leave their reason.
func SkipNotePath() string {
	if p := os.Getenv("INSTANTERP_TEST_SKIP_NOTE"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "instanterp-postgres-tests-skipped")
}

// RandomName returns a short lowercase identifier with the given prefix, unique enough
// for objects that tests create on a shared server.
func RandomName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// WithDatabase returns url with its database name replaced.
func WithDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewPostgresDatabase creates an empty database on the test server, dropped when the
// test ends, and returns a superuser URL for it.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	admin := PostgresAdminURL(t)
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, admin, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := RandomName("ietest_")
	if _, err := db.Write.ExecContext(ctx, "CREATE DATABASE "+store.QuoteIdent(name)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		dropInstanceObjects(t, admin, name)
		DropPostgresDatabase(t, admin, name)
	})
	return WithDatabase(admin, name)
}

// NewSharedPostgresDatabase creates an empty database on the test server for
// what the tests of one binary share, and returns a superuser URL for it and
// the function that drops it, with whatever an installation held there made
// beside it, at the end of the run (from TestMain: no test outlives it). tb is
// the test that first needs it, skipped or failed like PostgresAdminURL's.
func NewSharedPostgresDatabase(tb testing.TB) (url string, drop func() error, err error) {
	tb.Helper()
	admin := PostgresAdminURL(tb)
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, admin, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	name := RandomName("ietest_")
	if _, err := db.Write.ExecContext(ctx, "CREATE DATABASE "+store.QuoteIdent(name)); err != nil {
		return "", nil, fmt.Errorf("create shared test database: %w", err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := dropInstallation(ctx, admin, name)
		return errors.Join(err, dropDatabase(ctx, admin, name))
	}
	return WithDatabase(admin, name), drop, nil
}

// dropInstanceObjects drops what an installation whose control database is name
// made beside it on the server: tenant databases and templates, and their roles,
// all named after its instance id. A database holding no installation is left alone.
func dropInstanceObjects(t testing.TB, adminURL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dropInstallation(ctx, adminURL, name); err != nil {
		t.Log(err)
	}
}

// dropInstallation is dropInstanceObjects, reporting what it could not drop.
func dropInstallation(ctx context.Context, adminURL, name string) error {
	db, err := store.OpenPostgres(ctx, WithDatabase(adminURL, name), store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return nil
	}
	defer db.Close()
	var id string
	if db.Read.QueryRowContext(ctx, "SELECT instance_id FROM platform WHERE id = 1").Scan(&id) != nil || id == "" {
		return nil
	}
	var errs []error
	for _, q := range []struct{ list, drop string }{
		{"SELECT datname FROM pg_database WHERE datname LIKE $1", "DROP DATABASE IF EXISTS %s WITH (FORCE)"},
		{"SELECT rolname FROM pg_roles WHERE rolname LIKE $1", "DROP ROLE IF EXISTS %s"},
	} {
		rows, err := db.Read.QueryContext(ctx, q.list, strings.ReplaceAll(id, "_", `\_`)+`\_%`)
		if err != nil {
			return fmt.Errorf("clean up installation %s: %w", id, err)
		}
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, n)
			}
		}
		rows.Close()
		for _, n := range names {
			if _, err := db.Write.ExecContext(ctx, strings.Replace(q.drop, "%s", store.QuoteIdent(n), 1)); err != nil {
				errs = append(errs, fmt.Errorf("clean up installation %s: %w", id, err))
			}
		}
	}
	return errors.Join(errs...)
}

// DropPostgresDatabase drops a database, closing its connections first.
func DropPostgresDatabase(t testing.TB, adminURL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dropDatabase(ctx, adminURL, name); err != nil {
		t.Error(err)
	}
}

func dropDatabase(ctx context.Context, adminURL, name string) error {
	db, err := store.OpenPostgres(ctx, adminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	defer db.Close()
	if _, err := db.Write.ExecContext(ctx, "DROP DATABASE IF EXISTS "+store.QuoteIdent(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// Engine is one engine a storage test runs on.
type Engine struct {
	Name store.Engine
	// Open returns a fresh, empty database, closed when the test ends.
	Open func(t testing.TB) *store.DB
}

// Engines lists SQLite and PostgreSQL.
func Engines() []Engine {
	return []Engine{
		{Name: store.SQLite, Open: OpenSQLite},
		{Name: store.Postgres, Open: OpenPostgres},
	}
}

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e.Name), func(t *testing.T) { fn(t, e) })
	}
}

// OpenSQLite opens a fresh SQLite database in the test's temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), store.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens a fresh PostgreSQL database, dropped when the test ends.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	u := NewPostgresDatabase(t)
	db, err := store.OpenPostgres(context.Background(), u, store.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the drop, so it runs first.
	t.Cleanup(func() { db.Close() })
	return db
}
