// Package erptest gives the business modules' tests an installed tenant on each
// engine, with users in every role and helpers to act as them.
package erptest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Tenant is an installed tenant database.
type Tenant struct {
	T     testing.TB
	DB    *store.DB
	Reg   *orm.Registry
	Admin int64 // the administrator's uid
}

// Install installs every module into a fresh database of engine e.
func Install(t testing.TB, e storetest.Engine) *Tenant {
	t.Helper()
	db := e.Open(t)
	reg, err := erp.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := erp.Install(context.Background(), db, reg, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	tn := &Tenant{T: t, DB: db, Reg: reg}
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.users", seed.Dom("login", "=", "admin@example.com"), orm.SearchOptions{})
		if err != nil || len(ids) != 1 {
			return fmt.Errorf("find admin: %v %v", ids, err)
		}
		tn.Admin = ids[0]
		return nil
	})
	return tn
}

// Sudo runs fn as the system in a committed transaction; an error fails the test.
func (tn *Tenant) Sudo(fn func(ctx context.Context, env *orm.Env) error) {
	tn.T.Helper()
	ctx := context.Background()
	if err := tn.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := tn.Reg.NewEnv(tx, tn.DB.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return fn(ctx, env.Sudo())
	}); err != nil {
		tn.T.Fatal(err)
	}
}

// As runs fn as user uid in a transaction committed when fn succeeds, and
// returns fn's error.
func (tn *Tenant) As(uid int64, fn func(ctx context.Context, env *orm.Env) error) error {
	ctx := context.Background()
	return tn.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, tn.DB.Engine, tn.Reg, uid)
		if err != nil {
			return err
		}
		return fn(ctx, env)
	})
}

var errRollback = errors.New("rollback")

// Try runs fn as user uid in a transaction that is always rolled back.
func (tn *Tenant) Try(uid int64, fn func(ctx context.Context, env *orm.Env) error) error {
	tn.T.Helper()
	ctx := context.Background()
	var result error
	err := tn.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, tn.DB.Engine, tn.Reg, uid)
		if err != nil {
			return err
		}
		result = fn(ctx, env)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		tn.T.Fatal(err)
	}
	return result
}

// Create makes one record, failing the test on error.
func Create(ctx context.Context, env *orm.Env, model string, vals map[string]any) (int64, error) {
	ids, err := env.Create(ctx, model, []map[string]any{vals})
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", model, err)
	}
	return ids[0], nil
}

// User creates an internal or portal user in company with the groups (xml ids).
func (tn *Tenant) User(login string, company int64, companies []int64, partner int64, groups ...string) int64 {
	tn.T.Helper()
	var uid int64
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		if partner == 0 {
			if partner, err = Create(ctx, env, "res.partner", map[string]any{"name": login, "email": login, "company_id": company}); err != nil {
				return err
			}
		}
		gids := make([]any, len(groups))
		for i, g := range groups {
			if gids[i], err = seed.GroupID(ctx, env, g); err != nil {
				return err
			}
		}
		cs := make([]any, len(companies))
		for i, c := range companies {
			cs[i] = c
		}
		uid, err = Create(ctx, env, "res.users", map[string]any{"name": login, "login": login, "partner_id": partner, "company_id": company,
			"company_ids": []any{[]any{6, 0, cs}}, "groups_id": []any{[]any{6, 0, gids}}})
		return err
	})
	return uid
}

// MainCompany returns the first company.
func (tn *Tenant) MainCompany() int64 {
	var id int64
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.company", seed.Dom(), orm.SearchOptions{Limit: 1, Order: "id"})
		if err == nil && len(ids) > 0 {
			id = ids[0]
		}
		return err
	})
	return id
}

// TableCounts counts the rows of each table, for tests that check a step added
// nothing (or exactly what it should).
func TableCounts(t testing.TB, db *store.DB, tables []string) map[string]int {
	t.Helper()
	out := make(map[string]int, len(tables))
	for _, table := range tables {
		var n int
		if err := db.Read.QueryRowContext(context.Background(), `SELECT count(*) FROM "`+table+`"`).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}
