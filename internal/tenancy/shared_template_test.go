package tenancy

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// copyingTemplatesOf gives the platform a provisioner that copies the
// templates of from, personalising the copies with tt.
func (p *testPlatform) copyingTemplatesOf(t testing.TB, tt *testTemplate, from *testPlatform) {
	t.Helper()
	var err error
	p.provisioner, err = NewProvisioner(ProvisionerConfig{
		Catalogue: p.catalogue, Engine: p.engine, DataDir: p.dataDir,
		Admin: p.control, AdminURL: p.adminURL, Instance: p.instance, Sealer: p.key,
		Template: tt.template(), TemplatesFrom: from.provisioner,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Installations copying another's template build none of their own: creations
// racing on two of them build the shared template once, and each copy is its
// tenant's own as if made from a template of its installation. A copier of
// another program version copies nothing.
func TestTemplateSharedBetweenInstallations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		owner := newTestPlatform(t, e.Name, nil)
		shared := &testTemplate{version: "v1"}
		owner.withTemplate(t, shared)
		copiers := []*testPlatform{newTestPlatform(t, e.Name, nil), newTestPlatform(t, e.Name, nil)}
		own := &testTemplate{version: "v1"}
		for _, c := range copiers {
			c.copyingTemplatesOf(t, own, owner)
		}

		names := []string{"acme", "globex"}
		errs := make([]error, len(copiers)*len(names))
		var wg sync.WaitGroup
		for i, c := range copiers {
			for j, n := range names {
				wg.Go(func() { _, errs[i*len(names)+j] = c.provisioner.Create(ctx, n, "a@"+n+".example.com") })
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if n, m := shared.builds.Load(), own.builds.Load(); n != 1 || m != 0 {
			t.Fatalf("%d builds of the shared template and %d of the copiers' own for four creations, want 1 and 0", n, m)
		}
		seen := map[string]bool{}
		for _, c := range copiers {
			if got := c.templates(t); len(got) != 0 {
				t.Fatalf("a copier has templates of its own: %v", got)
			}
			for _, n := range names {
				got := c.params(t, n)
				if got["seed"] != "seed v1" || got["test.admin"] != "a@"+n+".example.com" {
					t.Errorf("%s: %v", n, got)
				}
				if seen[got["database.uuid"]] || seen[got["database.secret"]] {
					t.Errorf("%s shares its identity with another copy", n)
				}
				seen[got["database.uuid"]], seen[got["database.secret"]] = true, true
			}
		}
		if got, want := owner.templates(t), []string{templateKey("v1")}; !slices.Equal(got, want) {
			t.Fatalf("templates of the owner: %v, want %v", got, want)
		}

		if e.Name == store.Postgres {
			// The copy is as the owner's own copies are: every object its
			// tenant's, and the template out of its role's reach.
			if _, err := owner.provisioner.Create(ctx, "initech", "a@initech.example.com"); err != nil {
				t.Fatal(err)
			}
			mine, _ := owner.catalogue.Get(ctx, "initech")
			acme, _ := copiers[0].catalogue.Get(ctx, "acme")
			if got, want := copiers[0].ownership(t, acme), owner.ownership(t, mine); !slices.Equal(got, want) {
				t.Fatalf("objects of a copy of the shared template:\n%v\nof a copy made by its installation:\n%v", got, want)
			}
			password, err := copiers[0].key.Open(acme.credentials, credentialsAD(acme))
			if err != nil {
				t.Fatal(err)
			}
			u, err := TenantURL(copiers[0].adminURL, acme.Location, string(password), postgresTemplateName(owner.instance, templateKey("v1")))
			if err != nil {
				t.Fatal(err)
			}
			if db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: 1}); err == nil {
				pingErr := db.Ping(ctx)
				db.Close()
				if pingErr == nil {
					t.Fatal("a tenant's role connected to the shared template")
				}
			}
		}

		later := newTestPlatform(t, e.Name, nil)
		later.copyingTemplatesOf(t, &testTemplate{version: "v2"}, owner)
		if _, err := later.provisioner.Create(ctx, "acme", "a@acme.example.com"); err == nil || !strings.Contains(err.Error(), "another program version") {
			t.Fatalf("copy of another version's template: %v", err)
		}
		if left := later.leftovers(t); len(left) != 0 {
			t.Fatalf("a refused copy left %v", left)
		}
		if n := shared.builds.Load(); n != 1 {
			t.Fatalf("a copier of another version made the shared template build again (%d builds)", n)
		}
	})
}

// An installation copies only templates it can personalise, of an
// installation that builds them, on its engine and its PostgreSQL server.
func TestTemplatesFromRefused(t *testing.T) {
	sqlite := newTestPlatform(t, store.SQLite, nil)
	sqlite.withTemplate(t, &testTemplate{version: "v1"})
	plain := newTestPlatform(t, store.SQLite, nil)
	copier := newTestPlatform(t, store.SQLite, nil)
	copier.copyingTemplatesOf(t, &testTemplate{version: "v1"}, sqlite)
	pg := newTestPlatform(t, store.Postgres, nil)
	pg.withTemplate(t, &testTemplate{version: "v1"})
	elsewhere, err := url.Parse(pg.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere.Host = "127.0.0.2:6543"

	cases := []struct {
		name     string
		engine   store.Engine
		template *Template
		from     *Provisioner
		adminURL string
		want     string
	}{
		{"nothing to personalise with", store.SQLite, nil, sqlite.provisioner, "", "no template to personalise"},
		{"from an installation without templates", store.SQLite, (&testTemplate{}).template(), plain.provisioner, "", "builds no template"},
		{"from a copier", store.SQLite, (&testTemplate{}).template(), copier.provisioner, "", "a third installation"},
		{"from another engine", store.Postgres, (&testTemplate{}).template(), sqlite.provisioner, pg.adminURL, "these on postgres"},
		{"from another server", store.Postgres, (&testTemplate{}).template(), pg.provisioner, elsewhere.String(), "is not this one's"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := sqlite
			if c.engine == store.Postgres {
				p = pg
			}
			_, err := NewProvisioner(ProvisionerConfig{
				Catalogue: p.catalogue, Engine: c.engine, DataDir: p.dataDir,
				Admin: p.control, AdminURL: c.adminURL, Instance: p.instance, Sealer: p.key,
				Template: c.template, TemplatesFrom: c.from,
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
