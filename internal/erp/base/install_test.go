package base

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func newRegistry(t testing.TB) *orm.Registry {
	t.Helper()
	reg := orm.NewRegistry(orm.Limits{})
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := reg.Freeze(); err != nil {
		t.Fatal(err)
	}
	return reg
}

type tenant struct {
	t   testing.TB
	db  *store.DB
	reg *orm.Registry
}

func install(t testing.TB, e storetest.Engine) *tenant {
	t.Helper()
	db := e.Open(t)
	reg := newRegistry(t)
	if err := Install(context.Background(), db, reg, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	return &tenant{t: t, db: db, reg: reg}
}

func (tn *tenant) sudo(fn func(ctx context.Context, env *orm.Env) error) {
	tn.t.Helper()
	ctx := context.Background()
	if err := tn.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := tn.reg.NewEnv(tx, tn.db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return fn(ctx, env.Sudo())
	}); err != nil {
		tn.t.Fatal(err)
	}
}

var errRollback = errors.New("rollback")

// as runs fn as user uid in a transaction that is always rolled back, and
// returns fn's error.
func (tn *tenant) as(uid int64, fn func(ctx context.Context, env *orm.Env) error) error {
	ctx := context.Background()
	var result error
	err := tn.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := NewEnv(ctx, tx, tn.db.Engine, tn.reg, uid)
		if err != nil {
			return err
		}
		result = fn(ctx, env)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		tn.t.Fatal(err)
	}
	return result
}

func create(ctx context.Context, env *orm.Env, model string, vals map[string]any) (int64, error) {
	ids, err := env.Create(ctx, model, []map[string]any{vals})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func TestInstallSeedsTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			users, err := env.SearchRead(ctx, "res.users", domain.Domain{}, []string{"login", "password", "share", "groups_id", "company_id"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			if len(users) != 1 || users[0]["login"] != "admin@example.com" || users[0]["password"] != "" || users[0]["share"] != false {
				t.Errorf("admin user: %v", users)
			}
			n, err := env.SearchCount(ctx, "res.country", domain.Domain{}, orm.SearchOptions{})
			if err != nil || n < 249 {
				t.Errorf("%d countries, %v", n, err)
			}
			cur, err := env.SearchRead(ctx, "res.currency", mustLeaf("name", "in", []any{"JPY", "EUR", "KWD"}), []string{"name", "decimal_places", "active"}, orm.SearchOptions{IncludeArchived: true, Order: "name"})
			if err != nil {
				return err
			}
			got := fmt.Sprintf("%v %v %v %v %v %v", cur[0]["name"], cur[0]["decimal_places"], cur[1]["name"], cur[1]["decimal_places"], cur[2]["name"], cur[2]["decimal_places"])
			if got != "EUR 2 JPY 0 KWD 3" {
				t.Errorf("currencies: %s", got)
			}
			active, err := env.SearchCount(ctx, "res.currency", domain.Domain{}, orm.SearchOptions{})
			if err != nil || active < 30 {
				t.Errorf("%d active currencies, %v", active, err)
			}
			fields, err := env.SearchCount(ctx, "ir.model.fields", mustLeaf("model", "=", "res.partner"), orm.SearchOptions{})
			if err != nil || fields < 20 {
				t.Errorf("%d partner fields in the catalogue, %v", fields, err)
			}
			return nil
		})
		// The admin's groups include the implied ones.
		var admin int64
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, "res.users", domain.Domain{}, orm.SearchOptions{})
			admin = ids[0]
			return err
		})
		if err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
			for _, g := range []string{GroupSystem, GroupAccessRights, GroupUser} {
				if ok, err := env.HasGroup(ctx, g); err != nil || !ok {
					t.Errorf("admin lacks %s (%v)", g, err)
				}
			}
			if ok, _ := env.HasGroup(ctx, GroupPortal); ok {
				t.Error("admin is a portal user")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A second install is refused.
		if err := Install(context.Background(), tn.db, tn.reg, "admin@example.com"); err == nil {
			t.Error("second install accepted")
		}
	})
}

func TestInstallRefusesBadEmail(t *testing.T) {
	reg := newRegistry(t)
	db := storetest.OpenSQLite(t)
	for _, email := range []string{"", "not an email", "Admin <a@b.c>", "a@b.c\r\nBcc: x@y.z"} {
		if err := Install(context.Background(), db, reg, email); err == nil {
			t.Errorf("%q accepted", email)
		}
	}
}

func mustLeaf(field, op string, value any) domain.Domain { return leaf(field, op, value) }

func TestLoginUniqueCaseInsensitive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			users, err := env.SearchRead(ctx, "res.users", domain.Domain{}, []string{"partner_id", "company_id"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			_, err = create(ctx, env, "res.users", map[string]any{"name": "Dup", "login": "ADMIN@example.com",
				"partner_id": users[0]["partner_id"].([]any)[0], "company_id": users[0]["company_id"].([]any)[0],
				"company_ids": []any{users[0]["company_id"].([]any)[0]}})
			var ve *orm.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), "same login") {
				t.Errorf("duplicate login in other case: %v", err)
			}
			// The refused create left the transaction usable.
			_, err = env.Search(ctx, "res.users", domain.Domain{}, orm.SearchOptions{})
			return err
		})
	})
}

func TestSequenceConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			_, err := create(ctx, env, "ir.sequence", map[string]any{"name": "Orders", "code": "sale.order", "prefix": "S", "padding": 5})
			return err
		})
		const n = 50
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			numbers []string
			errs    []error
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ctx := context.Background()
				err := tn.db.InTx(ctx, func(tx *sql.Tx) error {
					env, err := tn.reg.NewEnv(tx, tn.db.Engine, orm.Identity{})
					if err != nil {
						return err
					}
					num, err := NextByCode(ctx, env, "sale.order")
					if err != nil {
						return err
					}
					if i%10 == 0 {
						return errRollback // a rolled-back transaction gives its number back
					}
					mu.Lock()
					numbers = append(numbers, num)
					mu.Unlock()
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d failures, first: %v", len(errs), errs[0])
		}
		slices.Sort(numbers)
		want := make([]string, 0, 45)
		for i := 1; i <= 45; i++ {
			want = append(want, fmt.Sprintf("S%05d", i))
		}
		if !slices.Equal(numbers, want) {
			t.Errorf("numbers have gaps or duplicates:\n got %v\nwant %v", numbers, want)
		}
	})
}
