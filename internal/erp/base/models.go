package base

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Register declares the base models into reg. Call it before other modules and
// before reg.Freeze.
func Register(reg *orm.Registry) error {
	for _, m := range []*orm.Model{currencyModel(), countryModel(), companyModel(), partnerModel(), usersModel(),
		modelFieldsModel(), configParameterModel(), sequenceModel(), partnerCategoryModel()} {
		if err := reg.Define(m); err != nil {
			return fmt.Errorf("base: %w", err)
		}
	}
	if err := reg.Extend("res.groups",
		&orm.Field{Name: "category", Type: orm.Char, String: "Application"},
		&orm.Field{Name: "users", Type: orm.Many2many, Comodel: "res.users", Relation: "res_groups_users_rel", Column1: "gid", Column2: "uid"},
	); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if err := protectModuleGroups(reg); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if err := endDemotedSessions(reg); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if err := reg.Extend("ir.rule",
		&orm.Field{Name: "global", Type: orm.Boolean, Compute: computeRuleGlobal, Depends: []string{"groups"},
			Help: "a rule without groups applies to everyone and is combined with the others by AND"},
	); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if err := reg.Extend("ir.attachment",
		&orm.Field{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", DefaultExpr: "company_id"},
	); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	return nil
}

// multiCompanyRule is Odoo's rule for company-bound records.
const multiCompanyRule = "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]"

func currencyModel() *orm.Model {
	return &orm.Model{
		Name: "res.currency", Description: "Currency", Order: "active desc, name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, Size: 3, String: "Currency", Help: "ISO 4217 code"},
			{Name: "full_name", Type: orm.Char},
			{Name: "symbol", Type: orm.Char},
			{Name: "decimal_places", Type: orm.Integer, Help: "digits after the decimal point amounts in this currency are rounded to"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "unique_name", Fields: []string{"name"}, Message: "the currency code must be unique"}},
	}
}

func countryModel() *orm.Model {
	return &orm.Model{
		Name: "res.country", Description: "Country", Order: "name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Country Name"},
			{Name: "code", Type: orm.Char, Required: true, Size: 2, String: "Country Code", Help: "ISO 3166-1 alpha-2"},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "code_uniq", Fields: []string{"code"}, CaseInsensitive: true, Message: "the country code must be unique"}},
	}
}

func companyModel() *orm.Model {
	return &orm.Model{
		Name: "res.company", Description: "Companies", Order: "sequence, name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Company Name"},
			{Name: "sequence", Type: orm.Integer, Default: 10},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", OnDelete: orm.Restrict},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", OnDelete: orm.Restrict},
			{Name: "parent_id", Type: orm.Many2one, Comodel: "res.company", String: "Parent Company"},
			{Name: "email", Type: orm.Char},
			{Name: "phone", Type: orm.Char},
			{Name: "vat", Type: orm.Char, String: "Tax ID"},
			{Name: "active", Type: orm.Boolean, Default: true},
			{Name: "logo", Type: orm.Binary, String: "Company Logo", Help: "PNG, JPEG or WebP, at most 1 MiB; shown in the top bar and on printed documents"},
			// The address is the company's contact's, as in Odoo; it is edited there.
			{Name: "street", Type: orm.Char, Related: "partner_id.street"},
			{Name: "street2", Type: orm.Char, Related: "partner_id.street2"},
			{Name: "zip", Type: orm.Char, Related: "partner_id.zip"},
			{Name: "city", Type: orm.Char, Related: "partner_id.city"},
			{Name: "country_id", Type: orm.Many2one, Comodel: "res.country", Related: "partner_id.country_id", String: "Country"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "name_uniq", Fields: []string{"name"}, Message: "the company name must be unique"}},
		Checks:         []orm.Check{{Name: "logo_image", Fields: []string{"logo"}, Func: checkCompanyLogo}},
	}
}

func partnerModel() *orm.Model {
	return &orm.Model{
		Name: "res.partner", Description: "Contact", Order: "name, id",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Index: true},
			{Name: "is_company", Type: orm.Boolean},
			{Name: "parent_id", Type: orm.Many2one, Comodel: "res.partner", Index: true, String: "Related Company"},
			{Name: "child_ids", Type: orm.One2many, Comodel: "res.partner", InverseName: "parent_id", String: "Contact"},
			{Name: "commercial_partner_id", Type: orm.Many2one, Comodel: "res.partner", String: "Commercial Entity",
				Compute: commercialPartner, Store: true, Depends: []string{"is_company", "parent_id", "parent_id.commercial_partner_id"}},
			{Name: "type", Type: orm.Selection, Default: "contact", Selection: []orm.SelectionOption{
				{Value: "contact", Label: "Contact"}, {Value: "invoice", Label: "Invoice Address"},
				{Value: "delivery", Label: "Delivery Address"}, {Value: "other", Label: "Other Address"}}},
			{Name: "email", Type: orm.Char},
			{Name: "phone", Type: orm.Char},
			{Name: "mobile", Type: orm.Char},
			{Name: "street", Type: orm.Char},
			{Name: "street2", Type: orm.Char},
			{Name: "zip", Type: orm.Char},
			{Name: "city", Type: orm.Char},
			{Name: "country_id", Type: orm.Many2one, Comodel: "res.country", OnDelete: orm.Restrict},
			{Name: "vat", Type: orm.Char, String: "Tax ID"},
			{Name: "website", Type: orm.Char},
			{Name: "ref", Type: orm.Char, String: "Reference", Index: true},
			{Name: "lang", Type: orm.Char, String: "Language"},
			{Name: "comment", Type: orm.HTML, String: "Notes"},
			{Name: "active", Type: orm.Boolean, Default: true},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Index: true},
			{Name: "user_ids", Type: orm.One2many, Comodel: "res.users", InverseName: "partner_id", String: "Users"},
			{Name: "category_id", Type: orm.Many2many, Comodel: PartnerCategory, Relation: "res_partner_res_partner_category_rel",
				Column1: "partner_id", Column2: "category_id", String: "Tags"},
		},
	}
}

// commercialPartner is the partner itself when it is a company or has no parent,
// otherwise the commercial entity of its parent.
func commercialPartner(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	out := make(map[int64]any, len(ids))
	su := env.Sudo()
	const maxDepth = 32
	for _, id := range ids {
		cur := id
		for depth := 0; ; depth++ {
			recs, err := su.ReadValues(ctx, "res.partner", []int64{cur}, []string{"is_company", "parent_id"})
			if err != nil {
				return nil, err
			}
			parent, hasParent := recs[0]["parent_id"].(int64)
			if recs[0]["is_company"] == true || !hasParent || depth == maxDepth {
				break
			}
			cur = parent
		}
		out[id] = cur
	}
	return out, nil
}

func usersModel() *orm.Model {
	return &orm.Model{
		Name: "res.users", Description: "User", Order: "name, login",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true},
			{Name: "login", Type: orm.Char, Required: true, Size: 254, Help: "used to sign in; unique regardless of letter case"},
			{Name: "email", Type: orm.Char},
			{Name: "password", Type: orm.Char, Secret: true, Help: "PBKDF2-SHA512 hash; set only by the password procedure"},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", Required: true, OnDelete: orm.Restrict, String: "Related Partner"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, OnDelete: orm.Restrict, String: "Company"},
			{Name: "company_ids", Type: orm.Many2many, Comodel: "res.company", Relation: "res_company_users_rel", Column1: "user_id", Column2: "cid", String: "Companies"},
			{Name: "groups_id", Type: orm.Many2many, Comodel: "res.groups", Relation: "res_groups_users_rel", Column1: "uid", Column2: "gid", String: "Groups"},
			{Name: "active", Type: orm.Boolean, Default: true},
			{Name: "share", Type: orm.Boolean, String: "Share User", Help: "external user (portal or public) with limited access",
				Compute: computeShare, Store: true, Depends: []string{"groups_id"}},
			{Name: "lang", Type: orm.Char, Default: "en_US"},
			{Name: "tz", Type: orm.Char, String: "Timezone"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "login_key", Fields: []string{"login"}, CaseInsensitive: true, Message: "you cannot have two users with the same login"}},
		Checks:         []orm.Check{{Name: "company_allowed", Fields: []string{"company_id", "company_ids"}, Func: checkUserCompany}},
	}
}

// computeShare marks users outside the Internal User group (directly or implied).
func computeShare(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		groups, err := userGroups(ctx, env, id)
		if err != nil {
			return nil, err
		}
		internal, err := groupID(ctx, env, GroupUser)
		if err != nil {
			return nil, err
		}
		out[id] = !groups[internal]
	}
	return out, nil
}

func checkUserCompany(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.ReadValues(ctx, "res.users", ids, []string{"company_id", "company_ids"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		cid, _ := r["company_id"].(int64)
		allowed := r["company_ids"].([]int64)
		found := false
		for _, c := range allowed {
			found = found || c == cid
		}
		if !found {
			return &orm.ValidationError{Model: "res.users", Field: "company_id", Message: "the user's company must be one of their allowed companies"}
		}
	}
	return nil
}

func modelFieldsModel() *orm.Model {
	return &orm.Model{
		Name: "ir.model.fields", Description: "Fields", Order: "model, name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Field Name"},
			{Name: "model", Type: orm.Char, Required: true, Index: true, String: "Model Name"},
			{Name: "model_id", Type: orm.Many2one, Comodel: "ir.model", Required: true, OnDelete: orm.Cascade, String: "Model"},
			{Name: "field_description", Type: orm.Char, String: "Field Label"},
			{Name: "help", Type: orm.Text},
			{Name: "ttype", Type: orm.Char, Required: true, String: "Field Type"},
			{Name: "relation", Type: orm.Char, String: "Related Model"},
			{Name: "required", Type: orm.Boolean},
			{Name: "readonly", Type: orm.Boolean},
			{Name: "store", Type: orm.Boolean, String: "Stored"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "name_unique", Fields: []string{"model", "name"}, Message: "field names must be unique per model"}},
	}
}

func configParameterModel() *orm.Model {
	return &orm.Model{
		Name: "ir.config_parameter", Description: "System Parameter", Order: "key", RecName: "key",
		Fields: []*orm.Field{
			{Name: "key", Type: orm.Char, Required: true},
			{Name: "value", Type: orm.Text, Required: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "key_uniq", Fields: []string{"key"}, Message: "the key must be unique"}},
	}
}

func sequenceModel() *orm.Model {
	return &orm.Model{
		Name: "ir.sequence", Description: "Sequence", Order: "name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true},
			{Name: "code", Type: orm.Char, String: "Sequence Code", Index: true},
			{Name: "prefix", Type: orm.Char, Help: "may use %(year)s, %(month)s, %(day)s, %(y)s"},
			{Name: "suffix", Type: orm.Char},
			{Name: "padding", Type: orm.Integer, Default: 0, String: "Sequence Size"},
			{Name: "number_next", Type: orm.Integer, Default: 1, String: "Next Number"},
			{Name: "number_increment", Type: orm.Integer, Default: 1, String: "Step"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		Checks: []orm.Check{{Name: "increment_positive", Fields: []string{"number_increment", "padding"}, Func: checkSequence}},
	}
}

func checkSequence(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.Read(ctx, "ir.sequence", ids, []string{"number_increment", "padding"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r["number_increment"].(int64) <= 0 {
			return &orm.ValidationError{Model: "ir.sequence", Field: "number_increment", Message: "the step must be positive"}
		}
		if p := r["padding"].(int64); p < 0 || p > 32 {
			return &orm.ValidationError{Model: "ir.sequence", Field: "padding", Message: "the size must be between 0 and 32"}
		}
	}
	return nil
}

// computeRuleGlobal marks the rules that name no group: those apply to every user.
func computeRuleGlobal(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.Sudo().Read(ctx, "ir.rule", ids, []string{"groups"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(recs))
	for _, r := range recs {
		groups, _ := r["groups"].([]int64)
		out[r["id"].(int64)] = len(groups) == 0
	}
	return out, nil
}
