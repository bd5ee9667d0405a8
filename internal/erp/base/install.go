package base

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// Install migrates a fresh tenant database (the fixed tenant schema, then every
// model of reg) and runs every seed step of the base module (Module): currencies,
// countries, groups, the main company, the administrator, whose login is
// adminEmail and who has no password yet, default access rights and record rules,
// and the field catalogue. reg must hold the base models (Register) and be
// frozen. Everything is one transaction: a failure leaves no half-seeded tenant.
func Install(ctx context.Context, db *store.DB, reg *orm.Registry, adminEmail string) error {
	addr, err := mail.ParseAddress(adminEmail)
	if err != nil || addr.Address != strings.TrimSpace(adminEmail) || len(adminEmail) > 254 {
		return fmt.Errorf("install: %q is not a plain email address", adminEmail)
	}
	if _, ok := reg.Model("res.users"); !ok {
		return fmt.Errorf("install: the registry lacks the base models; call base.Register before Freeze")
	}
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := reg.Migrate(ctx, db); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		n, err := env.Sudo().SearchCount(ctx, "res.company", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("install: the database is already installed")
		}
		if err := seed.Apply(ctx, env, []seed.Module{Module(addr.Address)}); err != nil {
			return fmt.Errorf("install: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The seed data changed every table: give the planner statistics now.
	if err := store.Optimize(ctx, db); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}

// accessRight is one default row of ir.model.access; group "" grants everyone.
type accessRight struct {
	model, group, perms string
}

// defaultAccess are the access rights of a new tenant. Rights add up across
// groups, and Settings implies Access Rights implies Internal User.
func defaultAccess() []accessRight {
	return []accessRight{
		{"res.partner", GroupUser, "rwcu"},
		{"res.partner", GroupPortal, "r"},
		// Contact tags are shared by the companies of the tenant, as in Odoo.
		{PartnerCategory, GroupUser, "rwcu"},
		{"res.company", GroupUser, "r"},
		{"res.company", GroupPortal, "r"},
		{"res.company", GroupSystem, "rwcu"},
		{"res.users", GroupUser, "r"},
		{"res.users", GroupPortal, "r"},
		{"res.users", GroupAccessRights, "rwcu"},
		{"res.groups", GroupUser, "r"},
		{"res.groups", GroupAccessRights, "rwcu"},
		{"ir.model", GroupUser, "r"},
		{"ir.model.fields", GroupUser, "r"},
		{"ir.model.access", GroupUser, "r"},
		{"ir.model.access", GroupAccessRights, "rwcu"},
		{"ir.rule", GroupAccessRights, "rwcu"},
		{"ir.config_parameter", GroupSystem, "rwcu"},
		{"ir.sequence", GroupUser, "r"},
		{"ir.sequence", GroupSystem, "rwcu"},
		{"res.currency", "", "r"},
		{"res.currency", GroupSystem, "rwcu"},
		{"res.country", "", "r"},
		{"res.country", GroupSystem, "rwcu"},
		// Files follow the record they are attached to (see orm's ir.attachment).
		{"ir.attachment", GroupUser, "rwcu"},
		{"ir.attachment", GroupPortal, "r"},
		{"ir.attachment", GroupPublic, "r"},
	}
}

// recordRule is one default ir.rule; no groups makes it global.
type recordRule struct {
	name, model, domain string
	groups              []string
	perms               string // "" for all of read, write, create, unlink
}

func defaultRules() []recordRule {
	return []recordRule{
		{"partner: multi-company", "res.partner", multiCompanyRule, nil, ""},
		{"partner: portal sees own and its commercial entity", "res.partner", "[('id', 'parent_of', [user.partner_id])]", []string{GroupPortal, GroupPublic}, ""},
		{"partner: internal users", "res.partner", "[(1, '=', 1)]", []string{GroupUser}, ""},
		// Not on create: a new company is never among the creator's companies yet.
		{"company: allowed companies", "res.company", "[('id', 'in', company_ids)]", nil, "rwu"},
		{"user: portal sees itself", "res.users", "[('id', '=', user.id)]", []string{GroupPortal, GroupPublic}, ""},
		{"user: internal users", "res.users", "[(1, '=', 1)]", []string{GroupUser}, ""},
		{"sequence: multi-company", "ir.sequence", multiCompanyRule, nil, ""},
	}
}
