// Package product declares the catalogue: units of measure (uom.uom), product
// categories, product templates and their variants (one variant per template for
// now, but both models exist as in Odoo so that integrations keep working).
package product

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Register declares the product models.
func Register(reg *orm.Registry) error {
	for _, m := range []*orm.Model{uomModel(), categoryModel(), templateModel(), variantModel()} {
		if err := reg.Define(m); err != nil {
			return fmt.Errorf("product: %w", err)
		}
	}
	return nil
}

func uomModel() *orm.Model {
	return &orm.Model{
		Name: "uom.uom", Description: "Product Unit of Measure", Order: "category, factor desc, name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Unit of Measure"},
			{Name: "category", Type: orm.Selection, Required: true, Selection: []orm.SelectionOption{
				{Value: "unit", Label: "Unit"}, {Value: "weight", Label: "Weight"},
				{Value: "time", Label: "Working Time"}, {Value: "length", Label: "Length"}, {Value: "volume", Label: "Volume"}}},
			{Name: "factor", Type: orm.Float, Default: 1.0, Help: "how many of this unit make the category's reference unit"},
			{Name: "rounding", Type: orm.Float, Default: 0.01, String: "Rounding Precision"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "name_uniq", Fields: []string{"name"}, Message: "a unit of measure with this name already exists"}},
		Checks:         []orm.Check{{Name: "factor_positive", Fields: []string{"factor", "rounding"}, Func: checkUoM}},
	}
}

func checkUoM(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.Read(ctx, "uom.uom", ids, []string{"factor", "rounding"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r["factor"].(float64) <= 0 || r["rounding"].(float64) <= 0 {
			return &orm.ValidationError{Model: "uom.uom", Field: "factor", Message: "the ratio and the rounding precision must be positive"}
		}
	}
	return nil
}

func categoryModel() *orm.Model {
	return &orm.Model{
		Name: "product.category", Description: "Product Category", Order: "name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true},
			{Name: "parent_id", Type: orm.Many2one, Comodel: "product.category", OnDelete: orm.Cascade, String: "Parent Category"},
			{Name: "child_id", Type: orm.One2many, Comodel: "product.category", InverseName: "parent_id", String: "Child Categories"},
		},
	}
}

// ProductTypes are the kinds of product sold (storable goods come with inventory).
var productTypes = []orm.SelectionOption{{Value: "consu", Label: "Goods"}, {Value: "service", Label: "Service"}}

func templateModel() *orm.Model {
	return &orm.Model{
		Name: "product.template", Description: "Product", Order: "name, id",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, Index: true},
			{Name: "default_code", Type: orm.Char, String: "Internal Reference", Index: true},
			{Name: "barcode", Type: orm.Char},
			{Name: "type", Type: orm.Selection, Required: true, Default: "consu", Selection: productTypes, String: "Product Type"},
			{Name: "list_price", Type: orm.Monetary, Default: "1", String: "Sales Price", Help: "more decimals than the currency has are refused"},
			{Name: "standard_price", Type: orm.Monetary, CurrencyField: "currency_id", String: "Cost"},
			{Name: "categ_id", Type: orm.Many2one, Comodel: "product.category", String: "Product Category"},
			{Name: "uom_id", Type: orm.Many2one, Comodel: "uom.uom", String: "Unit of Measure", OnDelete: orm.Restrict},
			{Name: "description_sale", Type: orm.Text, String: "Sales Description"},
			{Name: "sale_ok", Type: orm.Boolean, Default: true, String: "Can be Sold"},
			{Name: "active", Type: orm.Boolean, Default: true},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Index: true},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "company_id.currency_id"},
			{Name: "product_variant_ids", Type: orm.One2many, Comodel: "product.product", InverseName: "product_tmpl_id", String: "Variants"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "default_code_company_uniq", Fields: []string{"default_code", "company_id"},
			Message: "the internal reference must be unique per company"}},
		Checks: []orm.Check{
			{Name: "prices_not_negative", Fields: []string{"list_price", "standard_price"}, Func: checkPrices},
			// Every template has exactly one variant whose active flag follows it.
			{Name: "one_variant", Fields: []string{"active", "name"}, Func: syncVariant},
		},
	}
}

func checkPrices(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.ReadValues(ctx, "product.template", ids, []string{"list_price", "standard_price", "currency_id"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		for _, f := range []string{"list_price", "standard_price"} {
			if d, ok := r[f].(*apd.Decimal); ok && d.Sign() < 0 {
				return &orm.ValidationError{Model: "product.template", Field: f, Message: "a price cannot be negative"}
			}
		}
		digits, err := priceDigits(ctx, env, r["currency_id"])
		if err != nil {
			return err
		}
		if d, ok := r["list_price"].(*apd.Decimal); ok && money.Decimals(d) > digits {
			return &orm.ValidationError{Model: "product.template", Field: "list_price",
				Message: fmt.Sprintf("the price %s has more decimals than the currency allows (%d)", d.Text('f'), digits)}
		}
	}
	return nil
}

// priceDigits is the decimals of the product's company currency, or of the main
// company's for a product shared between companies.
func priceDigits(ctx context.Context, env *orm.Env, currency any) (int, error) {
	cid, _ := currency.(int64)
	if cid == 0 {
		companies, err := env.Sudo().SearchReadValues(ctx, "res.company", seed.Dom(), []string{"currency_id"}, orm.SearchOptions{Limit: 1, Order: "id"})
		if err != nil || len(companies) == 0 {
			return 2, err
		}
		cid, _ = companies[0]["currency_id"].(int64)
	}
	if cid == 0 {
		return 2, nil
	}
	c, err := env.Sudo().Read(ctx, "res.currency", []int64{cid}, []string{"decimal_places"})
	if err != nil {
		return 0, err
	}
	return int(c[0]["decimal_places"].(int64)), nil
}

// syncVariant creates the variant of a new template and archives or restores it
// with its template. It runs as the system inside the template's transaction.
func syncVariant(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.Read(ctx, "product.template", ids, []string{"active", "product_variant_ids"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		variants := r["product_variant_ids"].([]int64)
		if len(variants) == 0 {
			if _, err := env.Create(ctx, "product.product", []map[string]any{{"product_tmpl_id": r["id"], "active": r["active"]}}); err != nil {
				return fmt.Errorf("create variant: %w", err)
			}
			continue
		}
		if err := env.Write(ctx, "product.product", variants, map[string]any{"active": r["active"]}); err != nil {
			return fmt.Errorf("sync variant: %w", err)
		}
	}
	return nil
}

func variantModel() *orm.Model {
	return &orm.Model{
		Name: "product.product", Description: "Product Variant", Order: "product_tmpl_id, id",
		Fields: []*orm.Field{
			{Name: "product_tmpl_id", Type: orm.Many2one, Comodel: "product.template", Required: true, OnDelete: orm.Cascade, Index: true, String: "Product Template"},
			{Name: "name", Type: orm.Char, Related: "product_tmpl_id.name"},
			{Name: "default_code", Type: orm.Char, Related: "product_tmpl_id.default_code"},
			{Name: "barcode", Type: orm.Char, Related: "product_tmpl_id.barcode"},
			{Name: "type", Type: orm.Selection, Selection: productTypes, Related: "product_tmpl_id.type"},
			{Name: "list_price", Type: orm.Monetary, Related: "product_tmpl_id.list_price"},
			{Name: "standard_price", Type: orm.Monetary, Related: "product_tmpl_id.standard_price"},
			{Name: "uom_id", Type: orm.Many2one, Comodel: "uom.uom", Related: "product_tmpl_id.uom_id"},
			{Name: "categ_id", Type: orm.Many2one, Comodel: "product.category", Related: "product_tmpl_id.categ_id"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Related: "product_tmpl_id.company_id"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
	}
}

// Groups that manage the catalogue (declared by the sales and invoicing modules).
const (
	groupSaleManager    = "sales_team.group_sale_manager"
	groupAccountManager = "account.group_account_manager"
)

// Units are the units of measure a new tenant starts with.
func units() []map[string]any {
	return []map[string]any{
		{"name": "Units", "category": "unit", "factor": 1.0, "rounding": 0.01},
		{"name": "Dozens", "category": "unit", "factor": 1.0 / 12, "rounding": 0.01},
		{"name": "kg", "category": "weight", "factor": 1.0, "rounding": 0.001},
		{"name": "g", "category": "weight", "factor": 1000.0, "rounding": 0.01},
		{"name": "Hours", "category": "time", "factor": 8.0, "rounding": 0.01},
		{"name": "Days", "category": "time", "factor": 1.0, "rounding": 0.01},
		{"name": "m", "category": "length", "factor": 1.0, "rounding": 0.01},
		{"name": "L", "category": "volume", "factor": 1.0, "rounding": 0.01},
	}
}

// UnitID returns the id of a unit of measure by name.
func UnitID(ctx context.Context, env *orm.Env, name string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, "uom.uom", seed.Leaf("name", "=", name), orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("no unit of measure %q", name)
	}
	return ids[0], nil
}

// VariantOf returns the variant of a template.
func VariantOf(ctx context.Context, env *orm.Env, templateID int64) (int64, error) {
	ids, err := env.Search(ctx, "product.product", seed.Leaf("product_tmpl_id", "=", templateID), orm.SearchOptions{Limit: 1, IncludeArchived: true})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, &orm.MissingError{Model: "product.product", IDs: []int64{templateID}}
	}
	return ids[0], nil
}
