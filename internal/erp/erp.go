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

// Install creates the modules' tables in a new tenant database and seeds them, with
// adminEmail as the first (password-less) administrator. The base module is
// installed first in its own transaction; the business modules follow in one more.
func Install(ctx context.Context, db *store.DB, reg *orm.Registry, adminEmail string) error {
	if err := base.Install(ctx, db, reg, adminEmail); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		su := env.Sudo()
		for _, step := range []struct {
			name    string
			install func(context.Context, *orm.Env) error
		}{
			{"invoicing groups", account.InstallGroups}, {"sales groups", sale.InstallGroups},
			{"mail", mail.Install}, {"portal", portal.Install}, {"product", product.Install},
			{"account", account.Install}, {"sale", sale.Install},
		} {
			if err := step.install(ctx, su); err != nil {
				return fmt.Errorf("install %s: %w", step.name, err)
			}
		}
		return nil
	})
}
