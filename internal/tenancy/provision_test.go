package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestProvisioningLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)

		acme, err := p.provisioner.Create(ctx, "acme", "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if acme.State != Active || acme.Engine != e.Name || acme.Location == "" {
			t.Fatalf("created tenant %+v", acme)
		}
		if _, err := p.provisioner.Create(ctx, "acme", "b@example.com"); !errors.Is(err, ErrExists) {
			t.Fatalf("second create of acme: %v, want ErrExists", err)
		}
		if _, err := p.provisioner.Create(ctx, "globex", "g@example.com"); err != nil {
			t.Fatal(err)
		}
		list, err := p.catalogue.List(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "acme" || list[1].Name != "globex" {
			t.Fatalf("list = %+v, %v", list, err)
		}

		// The tenant database is migrated and holds its own secret and uuid.
		db, err := p.storage.Open(ctx, acme, 1)
		if err != nil {
			t.Fatal(err)
		}
		var secret, id string
		db.Read.QueryRow("SELECT value FROM ir_config_parameter WHERE key = 'database.secret'").Scan(&secret)
		db.Read.QueryRow("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'").Scan(&id)
		db.Close()
		if len(secret) != 64 || len(id) != 36 {
			t.Fatalf("database.secret %q, database.uuid %q", secret, id)
		}

		if _, err := p.provisioner.Suspend(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.provisioner.Suspend(ctx, "acme"); err == nil || !strings.Contains(err.Error(), "suspended") {
			t.Fatalf("suspending twice: %v", err)
		}
		if got, _ := p.catalogue.Get(ctx, "acme"); got.State != Suspended {
			t.Fatalf("state after suspend: %s", got.State)
		}
		if _, err := p.provisioner.Resume(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if err := p.provisioner.Delete(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.catalogue.Get(ctx, "acme"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get after delete: %v", err)
		}
		if err := p.provisioner.Delete(ctx, "acme"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if err := p.provisioner.Delete(ctx, "globex"); err != nil {
			t.Fatal(err)
		}
		if left := p.leftovers(t); len(left) != 0 {
			t.Fatalf("after deleting every tenant: %v", left)
		}
		// The name is free again.
		if _, err := p.provisioner.Create(ctx, "acme", "a@example.com"); err != nil {
			t.Fatalf("re-create after delete: %v", err)
		}
	})
}

func TestRefusedNamesLeaveNoTrace(t *testing.T) {
	names := []string{"../evil", "a/b", "UPPER", "a", strings.Repeat("a", 64), "www", "аcme", "ac\x00me", "1acme", "acme-"}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		p := newTestPlatform(t, e.Name, nil)
		for _, name := range names {
			if _, err := p.provisioner.Create(context.Background(), name, "a@example.com"); !errors.Is(err, ErrInvalidName) {
				t.Errorf("Create(%q) = %v, want ErrInvalidName", name, err)
			}
		}
		for _, email := range []string{"", "no-at", "a@", "@b", "a@b@c", "a b@c", "a@b\x00", "<a@b>"} {
			if _, err := p.provisioner.Create(context.Background(), "acme", email); err == nil {
				t.Errorf("Create with admin email %q succeeded", email)
			}
		}
		if left := p.leftovers(t); len(left) != 0 {
			t.Fatalf("refused creates left %v", left)
		}
	})
}

func TestConcurrentCreateOfOneName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		p := newTestPlatform(t, e.Name, nil)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = p.provisioner.Create(context.Background(), "acme", "a@example.com")
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrExists):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d creates succeeded, want exactly 1", ok)
		}
		want := 3 // directory + catalogue row on SQLite; database, role and row on PostgreSQL
		if e.Name == store.SQLite {
			want = 2
		}
		if left := p.leftovers(t); len(left) != want {
			t.Fatalf("after the race: %v, want exactly one tenant's objects", left)
		}
	})
}

func TestFailedProvisioningLeavesNothing(t *testing.T) {
	steps := []string{StepStorage, StepMigrate, StepSeed, StepInitialize, StepActivate}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		for _, step := range steps {
			t.Run(step, func(t *testing.T) {
				injected := errors.New("injected failure")
				p := newTestPlatform(t, e.Name, func(s string) error {
					if s == step {
						return injected
					}
					return nil
				})
				_, err := p.provisioner.Create(context.Background(), "acme", "a@example.com")
				if !errors.Is(err, injected) {
					t.Fatalf("Create = %v, want the injected failure", err)
				}
				if left := p.leftovers(t); len(left) != 0 {
					t.Fatalf("failure at %s left %v", step, left)
				}
			})
		}
	})
}

func TestInitializeHookFailureRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		p := newTestPlatform(t, e.Name, nil)
		p.provisioner.cfg.Initialize = func(ctx context.Context, db *store.DB, tn Tenant) error {
			if _, err := db.Write.ExecContext(ctx, "CREATE TABLE res_partner (id INTEGER)"); err != nil {
				return err
			}
			return fmt.Errorf("module refused to install")
		}
		if _, err := p.provisioner.Create(context.Background(), "acme", "a@example.com"); err == nil {
			t.Fatal("create succeeded despite the failing install")
		}
		if left := p.leftovers(t); len(left) != 0 {
			t.Fatalf("left %v", left)
		}
	})
}

func TestPostgresIsolation(t *testing.T) {
	ctx := context.Background()
	p := newTestPlatform(t, store.Postgres, nil)
	a, err := p.provisioner.Create(ctx, "acme", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.provisioner.Create(ctx, "globex", "g@example.com")
	if err != nil {
		t.Fatal(err)
	}
	password, err := p.key.Open(a.credentials, credentialsAD(a))
	if err != nil {
		t.Fatal(err)
	}
	// Tenant A's own database works with A's role.
	own, _ := TenantURL(p.adminURL, a.Location, string(password), a.Location)
	db, err := store.OpenPostgres(ctx, own, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatalf("tenant role cannot reach its own database: %v", err)
	}
	db.Close()
	// A's role is refused by the server on B's database, on the maintenance databases and
	// on the control database.
	var control string
	p.control.Read.QueryRow("SELECT current_database()").Scan(&control)
	for _, target := range []string{b.Location, "postgres", "template1", control} {
		u, _ := TenantURL(p.adminURL, a.Location, string(password), target)
		db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: 1})
		if err == nil {
			db.Close()
			t.Fatalf("tenant acme's role connected to %s", target)
		}
		if code := store.PostgresCode(err); code != "42501" {
			t.Fatalf("connecting to %s: %v (SQLSTATE %q), want permission denied 42501", target, err, code)
		}
	}
	// A's sealed password does not open as B's credentials (bound to the tenant id).
	if _, err := p.key.Open(a.credentials, credentialsAD(b)); err == nil {
		t.Fatal("tenant A's credentials opened under tenant B's associated data")
	}
}
