// Package erp assembles the business modules installed in every tenant: it builds the
// model registry and installs the modules into a new tenant database.
package erp

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// NewRegistry registers every installed module and freezes the result.
func NewRegistry() (*orm.Registry, error) {
	reg := orm.NewRegistry(orm.Limits{})
	for _, m := range []struct {
		name     string
		register func(*orm.Registry) error
	}{
		{"base", base.Register}, {"mail", mail.Register}, {"portal", portal.Register},
		{"product", product.Register}, {"account", account.Register}, {"sale", sale.Register},
	} {
		if err := m.register(reg); err != nil {
			return nil, fmt.Errorf("register %s module: %w", m.name, err)
		}
	}
	if err := reg.Freeze(); err != nil {
		return nil, fmt.Errorf("freeze registry: %w", err)
	}
	return reg, nil
}

// Modules are the seeds of every installed module, in the order they run: a
// module's seeds may name the groups of one before it. adminEmail is the first
// administrator of a new tenant, "" on upgrade.
func Modules(adminEmail string) []seed.Module {
	return []seed.Module{
		base.Module(adminEmail), mail.Module(), portal.Module(),
		account.Module(), sale.Module(), product.Module(),
	}
}

// Install creates the modules' tables in a new tenant database and runs every
// seed step of every module, with adminEmail as the first (password-less)
// administrator. The base module is installed first in its own transaction; the
// business modules follow in one more. Each step is recorded in
// ir_module_module, so an upgrade later runs only the steps added since.
func Install(ctx context.Context, db *store.DB, reg *orm.Registry, adminEmail string) error {
	if err := base.Install(ctx, db, reg, adminEmail); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		// The base module's steps are recorded already: Apply runs the others.
		if err := seed.Apply(ctx, env, Modules(adminEmail)); err != nil {
			return fmt.Errorf("install: %w", err)
		}
		return nil
	})
}

// Upgrade brings an existing tenant's seeds forward: it runs, each in its own
// transaction, the seed steps of mods (Modules("") but for tests) that the tenant
// has not recorded, and returns how many ran; then it adds the fields of models
// added since to the field catalogue. The schema must be upgraded first.
// A failed step is a *seed.StepError naming module and step; it was rolled back
// and the tenant stays at the level before it.
func Upgrade(ctx context.Context, db *store.DB, reg *orm.Registry, mods []seed.Module) (int, error) {
	ran, err := seed.Upgrade(ctx, db, reg, mods)
	if err != nil {
		return ran, err
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return base.SyncFields(ctx, env.Sudo())
	})
	if err != nil {
		return ran, fmt.Errorf("refresh the field catalogue: %w", err)
	}
	return ran, nil
}
