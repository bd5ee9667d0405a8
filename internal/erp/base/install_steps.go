package base

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Module is what the base module seeds, step by step (see seed.Step). A new
// tenant runs every step, with adminEmail as its first administrator; an existing
// one runs, on upgrade, the steps it lacks, with adminEmail "" (the company and
// administrator step then only checks that the tenant has a company). New seeds go
// into new steps at the end.
func Module(adminEmail string) seed.Module {
	return seed.Module{Name: "base", Steps: []seed.Step{
		{Name: "currencies and countries", Run: seedCurrenciesAndCountries},
		{Name: "groups", Run: func(ctx context.Context, env *orm.Env) error {
			_, err := seed.Groups(ctx, env, baseGroups())
			return err
		}},
		{Name: "company and administrator", Run: func(ctx context.Context, env *orm.Env) error {
			return seedCompany(ctx, env, adminEmail)
		}},
		{Name: "access rights", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rights(ctx, env, "base", baseRights())
		}},
		{Name: "record rules", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rules(ctx, env, "base", baseRules())
		}},
		{Name: "field catalogue", Run: SyncFields},
	}}
}

func baseGroups() []seed.Group {
	return []seed.Group{
		{XMLID: GroupPublic, Name: "Public", Category: "User types"},
		{XMLID: GroupPortal, Name: "Portal", Category: "User types"},
		{XMLID: GroupUser, Name: "Internal User", Category: "User types"},
		{XMLID: GroupAccessRights, Name: "Access Rights", Category: "Administration", Implies: []string{GroupUser}},
		{XMLID: GroupSystem, Name: "Settings", Category: "Administration", Implies: []string{GroupAccessRights}},
	}
}

func baseRights() []seed.Right {
	var out []seed.Right
	for _, a := range defaultAccess() {
		out = append(out, seed.Right{Model: a.model, Group: a.group, Perms: a.perms})
	}
	return out
}

func baseRules() []seed.Rule {
	var out []seed.Rule
	for _, r := range defaultRules() {
		out = append(out, seed.Rule{Name: r.name, Model: r.model, Domain: r.domain, Groups: r.groups, Perms: r.perms})
	}
	return out
}

// seedCurrenciesAndCountries adds the ISO currencies and countries the tenant
// lacks (by code); those it has stay as they are, active or archived.
func seedCurrenciesAndCountries(ctx context.Context, env *orm.Env) error {
	have, err := existingCodes(ctx, env, "res.currency", "name")
	if err != nil {
		return err
	}
	rows, err := readISO("currencies.csv")
	if err != nil {
		return err
	}
	var vals []map[string]any
	for _, r := range rows {
		if !have[r.code] {
			vals = append(vals, map[string]any{"name": r.code, "full_name": r.name, "symbol": currencySymbol(r.code),
				"decimal_places": decimalPlaces(r.code), "active": commonCurrency(r.code)})
		}
	}
	if len(vals) > 0 {
		if _, err := env.Create(ctx, "res.currency", vals); err != nil {
			return fmt.Errorf("seed currencies: %w", err)
		}
	}
	if have, err = existingCodes(ctx, env, "res.country", "code"); err != nil {
		return err
	}
	if rows, err = readISO("countries.csv"); err != nil {
		return err
	}
	vals = nil
	for _, r := range rows {
		if !have[r.code] {
			vals = append(vals, map[string]any{"name": r.name, "code": r.code})
		}
	}
	if len(vals) > 0 {
		if _, err := env.Create(ctx, "res.country", vals); err != nil {
			return fmt.Errorf("seed countries: %w", err)
		}
	}
	return nil
}

func existingCodes(ctx context.Context, env *orm.Env, model, field string) (map[string]bool, error) {
	recs, err := env.SearchRead(ctx, model, domain.Domain{}, []string{field}, orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", model, err)
	}
	out := make(map[string]bool, len(recs))
	for _, r := range recs {
		if s, ok := r[field].(string); ok {
			out[s] = true
		}
	}
	return out, nil
}

// seedCompany creates the main company and the administrator of a new tenant. A
// tenant that has a company already has its administrator too.
func seedCompany(ctx context.Context, env *orm.Env, adminEmail string) error {
	n, err := env.SearchCount(ctx, "res.company", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if adminEmail == "" {
		return fmt.Errorf("the tenant has no company; one is created only at install, with its administrator")
	}
	usd, err := env.Search(ctx, "res.currency", leaf("name", "=", "USD"), orm.SearchOptions{IncludeArchived: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(usd) == 0 {
		return fmt.Errorf("currency USD is not installed")
	}
	system, err := groupID(ctx, env, GroupSystem)
	if err != nil {
		return err
	}
	create := func(model string, vals map[string]any) (int64, error) {
		ids, err := env.Create(ctx, model, []map[string]any{vals})
		if err != nil {
			return 0, fmt.Errorf("seed %s: %w", model, err)
		}
		return ids[0], nil
	}
	companyPartner, err := create("res.partner", map[string]any{"name": "My Company", "is_company": true})
	if err != nil {
		return err
	}
	company, err := create("res.company", map[string]any{"name": "My Company", "partner_id": companyPartner, "currency_id": usd[0]})
	if err != nil {
		return err
	}
	if err := env.Write(ctx, "res.partner", []int64{companyPartner}, map[string]any{"company_id": company}); err != nil {
		return err
	}
	adminPartner, err := create("res.partner", map[string]any{"name": "Administrator", "email": adminEmail, "company_id": company, "parent_id": companyPartner})
	if err != nil {
		return err
	}
	_, err = create("res.users", map[string]any{
		"name": "Administrator", "login": adminEmail, "email": adminEmail, "partner_id": adminPartner,
		"company_id": company, "company_ids": []any{company}, "groups_id": []any{system},
	})
	return err
}

// SyncFields records in ir.model.fields every field of every model it lacks; an
// upgrade calls it after adding models or fields. env must be Sudo.
func SyncFields(ctx context.Context, env *orm.Env) error {
	reg := env.Registry()
	models, err := env.SearchRead(ctx, "ir.model", domain.Domain{}, []string{"model"}, orm.SearchOptions{})
	if err != nil {
		return err
	}
	modelIDs := make(map[string]int64, len(models))
	for _, r := range models {
		modelIDs[r["model"].(string)] = r["id"].(int64)
	}
	recs, err := env.SearchRead(ctx, "ir.model.fields", domain.Domain{}, []string{"model", "name"}, orm.SearchOptions{})
	if err != nil {
		return err
	}
	have := make(map[[2]string]bool, len(recs))
	for _, r := range recs {
		m, _ := r["model"].(string)
		n, _ := r["name"].(string)
		have[[2]string{m, n}] = true
	}
	var vals []map[string]any
	for _, m := range reg.Models() {
		mid, ok := modelIDs[m.Name]
		if !ok {
			return fmt.Errorf("model %s is not in the catalogue", m.Name)
		}
		for _, name := range m.FieldNames() {
			if have[[2]string{m.Name, name}] {
				continue
			}
			f, _ := m.Field(name)
			vals = append(vals, map[string]any{
				"name": name, "model": m.Name, "model_id": mid, "field_description": f.Label(), "help": f.Help,
				"ttype": string(f.Type), "relation": f.Comodel, "required": f.Required, "store": f.IsStored(),
			})
		}
	}
	if len(vals) == 0 {
		return nil
	}
	if _, err := env.Create(ctx, "ir.model.fields", vals); err != nil {
		return fmt.Errorf("seed model catalogue: %w", err)
	}
	return nil
}
