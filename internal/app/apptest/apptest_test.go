package apptest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/app/apptest"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Platforms sharing the templates build none of their own, one template is
// built for all of them, and Close leaves nothing of it: no file, and on
// PostgreSQL no database or role of the installation that held it.
func TestTemplatesSharedAndRemoved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		var templates apptest.Templates
		closed := false
		t.Cleanup(func() {
			if !closed {
				templates.Close()
			}
		})
		var shared *app.Platform
		for _, name := range []string{"acme", "globex"} {
			args := []string{"--data", t.TempDir()}
			if e.Name == store.Postgres {
				args = append(args, "--database-url", storetest.NewPostgresDatabase(t))
			}
			fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			cfg, err := fs.Load(func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			opts := templates.Options(t, cfg)
			if shared != nil && opts.TemplatesFrom != shared {
				t.Fatal("two platforms of one engine were given different installations to copy")
			}
			shared = opts.TemplatesFrom
			p, err := app.OpenWith(ctx, cfg, slog.New(slog.DiscardHandler), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			if _, err := p.Provisioner.Create(ctx, name, "admin@"+name+".example.com"); err != nil {
				t.Fatal(err)
			}
			if own := templatesOf(t, p); len(own) != 0 {
				t.Fatalf("a platform copying the shared template has its own: %v", own)
			}
		}
		if got := templatesOf(t, shared); len(got) != 1 {
			t.Fatalf("shared templates: %v, want one", got)
		}

		var admin *store.DB
		if e.Name == store.Postgres {
			var err error
			admin, err = store.OpenPostgres(ctx, storetest.PostgresAdminURL(t), store.PostgresOptions{MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
		}
		closed = true
		if err := templates.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(shared.Config.DataDir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the shared installation's directory is left: %v", err)
		}
		if admin != nil {
			u, err := url.Parse(shared.Config.DatabaseURL)
			if err != nil {
				t.Fatal(err)
			}
			control := strings.TrimPrefix(u.Path, "/")
			var left []string
			rows, err := admin.Read.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2
				UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE $2`, control, shared.Instance.ID+`\_%`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
				left = append(left, n)
			}
			rows.Close()
			if len(left) != 0 {
				t.Fatalf("left on the server: %v", left)
			}
		}
	})
}

// templatesOf lists the tenant templates of an installation: files on
// SQLite, databases on PostgreSQL.
func templatesOf(t *testing.T, p *app.Platform) []string {
	t.Helper()
	if p.Config.DatabaseURL == "" {
		files, err := filepath.Glob(filepath.Join(p.Config.DataDir, "templates", "tenant-*.db"))
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	rows, err := p.Control.Read.QueryContext(context.Background(), "SELECT datname FROM pg_database WHERE datname LIKE $1", p.Instance.ID+`\_tpl\_%`)
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
