package app_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// tenantFacts is what makes a tenant database its own, read as the platform
// role (PostgreSQL) or from the file.
type tenantFacts struct {
	UUID, Secret string
	Logins       []string // res_users.login
	Emails       []string // res_partner.email, set ones
	// Tracked are the old and new values in the change history that name the
	// template's placeholder administrator.
	Tracked []string
}

func readFacts(t *testing.T, db *store.DB) tenantFacts {
	t.Helper()
	ctx := context.Background()
	var f tenantFacts
	row := func(key string) string {
		var v string
		if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), key).Scan(&v); err != nil {
			return ""
		}
		return v
	}
	f.UUID, f.Secret = row("database.uuid"), row("database.secret")
	for _, q := range []struct {
		sql string
		out *[]string
	}{
		{"SELECT login FROM res_users ORDER BY login", &f.Logins},
		{"SELECT email FROM res_partner WHERE email IS NOT NULL ORDER BY email", &f.Emails},
		{"SELECT COALESCE(old_value_char, '') || ' -> ' || COALESCE(new_value_char, '') FROM mail_tracking_value " +
			"WHERE old_value_char LIKE '%template.invalid%' OR new_value_char LIKE '%template.invalid%'", &f.Tracked},
	} {
		rows, err := db.Read.QueryContext(ctx, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			*q.out = append(*q.out, s)
		}
		rows.Close()
	}
	return f
}

// Tenants made from the ERP template: each has its own uuid, secret and
// administrator (login and contact), and the template holds none of them —
// only the placeholder administrator no copy keeps.
func TestTenantsFromTemplateAreTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		data := t.TempDir()
		args := []string{"--data", data}
		var url string
		if e.Name == store.Postgres {
			url = storetest.NewPostgresDatabase(t)
			args = append(args, "--database-url", url)
		}
		p, err := app.Open(ctx, testConfig(t, args...), quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		facts := map[string]tenantFacts{}
		for _, n := range []string{"acme", "globex"} {
			tn, err := p.Provisioner.Create(ctx, n, "admin@"+n+".example.com")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Provisioner.Delete(ctx, n) })
			db, err := app.OpenTenantForTest(ctx, p, tn)
			if err != nil {
				t.Fatal(err)
			}
			facts[n] = readFacts(t, db)
			db.Close()
		}
		a, g := facts["acme"], facts["globex"]
		if a.UUID == "" || a.Secret == "" || a.UUID == g.UUID || a.Secret == g.Secret {
			t.Fatalf("identities: acme %s/%s globex %s/%s", a.UUID, a.Secret, g.UUID, g.Secret)
		}
		if !slices.Equal(a.Logins, []string{"admin@acme.example.com"}) || !slices.Equal(g.Logins, []string{"admin@globex.example.com"}) {
			t.Fatalf("logins: %v %v", a.Logins, g.Logins)
		}
		if !slices.Equal(a.Emails, []string{"admin@acme.example.com"}) || !slices.Equal(g.Emails, []string{"admin@globex.example.com"}) {
			t.Fatalf("contact emails: %v %v", a.Emails, g.Emails)
		}
		if len(a.Tracked)+len(g.Tracked) > 0 {
			t.Fatalf("the administrator's history names the template's placeholder: %v %v", a.Tracked, g.Tracked)
		}

		var tpl *store.DB
		switch e.Name {
		case store.SQLite:
			files, _ := filepath.Glob(filepath.Join(data, "templates", "tenant-*.db"))
			if len(files) != 1 {
				t.Fatalf("templates: %v", files)
			}
			tpl, err = store.OpenSQLite(files[0], store.SQLiteOptions{})
		case store.Postgres:
			var name string
			if err := p.Control.Read.QueryRowContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1",
				p.Instance.ID+`\_tpl\_%`).Scan(&name); err != nil {
				t.Fatal(err)
			}
			tpl, err = store.OpenPostgres(ctx, storetest.WithDatabase(url, name), store.PostgresOptions{MaxConns: 1})
		}
		if err != nil {
			t.Fatal(err)
		}
		defer tpl.Close()
		got := readFacts(t, tpl)
		if got.UUID != "" || got.Secret != "" || !slices.Equal(got.Logins, []string{"admin@template.invalid"}) ||
			!slices.Equal(got.Emails, []string{"admin@template.invalid"}) {
			t.Fatalf("the template holds %+v", got)
		}
	})
}
