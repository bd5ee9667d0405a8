package base

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// Install migrates a fresh tenant database (the fixed tenant schema, then every
// model of reg) and seeds it: currencies, countries, groups, the main company,
// default access rights and record rules, the model catalogue, and the
// administrator, whose login is adminEmail and who has no password yet.
// reg must hold the base models (Register) and be frozen. Everything is one
// transaction: a failure leaves no half-seeded tenant.
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
		s := &seeder{env: env.Sudo(), groups: map[string]int64{}}
		if err := s.run(ctx, addr.Address); err != nil {
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

type seeder struct {
	env    *orm.Env
	groups map[string]int64
}

func (s *seeder) create(ctx context.Context, model string, vals map[string]any) (int64, error) {
	ids, err := s.env.Create(ctx, model, []map[string]any{vals})
	if err != nil {
		return 0, fmt.Errorf("seed %s: %w", model, err)
	}
	return ids[0], nil
}

func (s *seeder) run(ctx context.Context, adminEmail string) error {
	n, err := s.env.SearchCount(ctx, "res.company", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the database is already installed")
	}
	currencies, err := s.seedCurrencies(ctx)
	if err != nil {
		return err
	}
	if err := s.seedCountries(ctx); err != nil {
		return err
	}
	if err := s.seedGroups(ctx); err != nil {
		return err
	}
	companyPartner, err := s.create(ctx, "res.partner", map[string]any{"name": "My Company", "is_company": true})
	if err != nil {
		return err
	}
	company, err := s.create(ctx, "res.company", map[string]any{"name": "My Company", "partner_id": companyPartner, "currency_id": currencies["USD"]})
	if err != nil {
		return err
	}
	if err := s.env.Write(ctx, "res.partner", []int64{companyPartner}, map[string]any{"company_id": company}); err != nil {
		return err
	}
	adminPartner, err := s.create(ctx, "res.partner", map[string]any{"name": "Administrator", "email": adminEmail, "company_id": company, "parent_id": companyPartner})
	if err != nil {
		return err
	}
	if _, err := s.create(ctx, "res.users", map[string]any{
		"name": "Administrator", "login": adminEmail, "email": adminEmail, "partner_id": adminPartner,
		"company_id": company, "company_ids": []any{company}, "groups_id": []any{s.groups[GroupSystem]},
	}); err != nil {
		return err
	}
	if err := s.seedAccess(ctx); err != nil {
		return err
	}
	if err := s.seedRules(ctx); err != nil {
		return err
	}
	return s.syncFields(ctx)
}

func (s *seeder) seedCurrencies(ctx context.Context) (map[string]int64, error) {
	rows, err := readISO("currencies.csv")
	if err != nil {
		return nil, err
	}
	vals := make([]map[string]any, len(rows))
	for i, r := range rows {
		vals[i] = map[string]any{"name": r.code, "full_name": r.name, "symbol": currencySymbol(r.code),
			"decimal_places": decimalPlaces(r.code), "active": commonCurrency(r.code)}
	}
	ids, err := s.env.Create(ctx, "res.currency", vals)
	if err != nil {
		return nil, fmt.Errorf("seed currencies: %w", err)
	}
	out := make(map[string]int64, len(ids))
	for i, r := range rows {
		out[r.code] = ids[i]
	}
	return out, nil
}

func (s *seeder) seedCountries(ctx context.Context) error {
	rows, err := readISO("countries.csv")
	if err != nil {
		return err
	}
	vals := make([]map[string]any, len(rows))
	for i, r := range rows {
		vals[i] = map[string]any{"name": r.name, "code": r.code}
	}
	if _, err := s.env.Create(ctx, "res.country", vals); err != nil {
		return fmt.Errorf("seed countries: %w", err)
	}
	return nil
}

func (s *seeder) seedGroups(ctx context.Context) error {
	groups := []struct {
		xmlID, name, category string
		implies               []string
	}{
		{GroupPublic, "Public", "User types", nil},
		{GroupPortal, "Portal", "User types", nil},
		{GroupUser, "Internal User", "User types", nil},
		{GroupAccessRights, "Access Rights", "Administration", []string{GroupUser}},
		{GroupSystem, "Settings", "Administration", []string{GroupAccessRights}},
	}
	for _, g := range groups {
		implied := make([]any, len(g.implies))
		for i, x := range g.implies {
			implied[i] = s.groups[x]
		}
		id, err := s.create(ctx, "res.groups", map[string]any{"name": g.name, "xml_id": g.xmlID, "category": g.category,
			"implied_ids": []any{[]any{6, 0, implied}}})
		if err != nil {
			return err
		}
		s.groups[g.xmlID] = id
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

// modelIDs reads the whole model catalogue at once.
func (s *seeder) modelIDs(ctx context.Context) (map[string]int64, error) {
	recs, err := s.env.SearchRead(ctx, "ir.model", domain.Domain{}, []string{"model"}, orm.SearchOptions{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(recs))
	for _, r := range recs {
		out[r["model"].(string)] = r["id"].(int64)
	}
	return out, nil
}

func modelIDIn(ids map[string]int64, model string) (int64, error) {
	id, ok := ids[model]
	if !ok {
		return 0, fmt.Errorf("model %s is not in the catalogue", model)
	}
	return id, nil
}

func (s *seeder) seedAccess(ctx context.Context) error {
	models, err := s.modelIDs(ctx)
	if err != nil {
		return err
	}
	var rows []map[string]any
	for _, a := range defaultAccess() {
		mid, err := modelIDIn(models, a.model)
		if err != nil {
			return err
		}
		vals := map[string]any{
			"name": a.model + " " + a.group, "model_id": mid,
			"perm_read": strings.Contains(a.perms, "r"), "perm_write": strings.Contains(a.perms, "w"),
			"perm_create": strings.Contains(a.perms, "c"), "perm_unlink": strings.Contains(a.perms, "u"),
		}
		if a.group != "" {
			vals["group_id"] = s.groups[a.group]
		}
		rows = append(rows, vals)
	}
	if _, err := s.env.Create(ctx, "ir.model.access", rows); err != nil {
		return fmt.Errorf("seed access rights: %w", err)
	}
	return nil
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

func (s *seeder) seedRules(ctx context.Context) error {
	models, err := s.modelIDs(ctx)
	if err != nil {
		return err
	}
	var rows []map[string]any
	for _, r := range defaultRules() {
		mid, err := modelIDIn(models, r.model)
		if err != nil {
			return err
		}
		groups := make([]any, len(r.groups))
		for i, g := range r.groups {
			groups[i] = s.groups[g]
		}
		vals := map[string]any{"name": r.name, "model_id": mid, "domain_force": r.domain}
		if r.perms != "" {
			for _, p := range []struct {
				field  string
				letter string
			}{{"perm_read", "r"}, {"perm_write", "w"}, {"perm_create", "c"}, {"perm_unlink", "u"}} {
				vals[p.field] = strings.Contains(r.perms, p.letter)
			}
		}
		if len(groups) > 0 {
			vals["groups"] = []any{[]any{6, 0, groups}}
		}
		rows = append(rows, vals)
	}
	if _, err := s.env.Create(ctx, "ir.rule", rows); err != nil {
		return fmt.Errorf("seed record rules: %w", err)
	}
	return nil
}

// syncFields records every field of every model in ir.model.fields.
func (s *seeder) syncFields(ctx context.Context) error {
	reg := s.env.Registry()
	models, err := s.modelIDs(ctx)
	if err != nil {
		return err
	}
	var vals []map[string]any
	for _, m := range reg.Models() {
		mid, err := modelIDIn(models, m.Name)
		if err != nil {
			return err
		}
		for _, name := range m.FieldNames() {
			f, _ := m.Field(name)
			vals = append(vals, map[string]any{
				"name": name, "model": m.Name, "model_id": mid, "field_description": f.Label(), "help": f.Help,
				"ttype": string(f.Type), "relation": f.Comodel, "required": f.Required, "store": f.IsStored(),
			})
		}
	}
	if _, err := s.env.Create(ctx, "ir.model.fields", vals); err != nil {
		return fmt.Errorf("seed model catalogue: %w", err)
	}
	return nil
}
