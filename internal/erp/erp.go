// Package erp assembles the business modules installed in every tenant: it builds the
// model registry and installs the modules into a new tenant database.
package erp

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// NewRegistry registers every installed module and freezes the result.
func NewRegistry() (*orm.Registry, error) {
	reg := orm.NewRegistry(orm.Limits{})
	if err := base.Register(reg); err != nil {
		return nil, fmt.Errorf("register base module: %w", err)
	}
	if err := reg.Freeze(); err != nil {
		return nil, fmt.Errorf("freeze registry: %w", err)
	}
	return reg, nil
}

// Install creates the modules' tables in a new tenant database and seeds them, with
// adminEmail as the first (password-less) administrator.
func Install(ctx context.Context, db *store.DB, reg *orm.Registry, adminEmail string) error {
	return base.Install(ctx, db, reg, adminEmail)
}
