package webui

import "github.com/instant-erp/instanterp/internal/orm"

// DefaultViews are the screens of the installed modules: a view whose model is not
// in the registry (its module is not installed) is left out.
func DefaultViews(reg *orm.Registry) []*View {
	var out []*View
	all := append(append(append(append(contactViews(), productViews()...), salesViews()...), invoicingViews()...), settingsViews()...)
	for _, v := range all {
		if _, ok := reg.Model(v.Model); ok {
			out = append(out, v)
		}
	}
	return out
}

func contactViews() []*View {
	return []*View{{
		Slug: "contacts", App: "Contacts", Title: "Contacts", Model: "res.partner",
		Columns: []string{"name", "email", "phone", "city", "country_id", "company_id"},
		// Typing a tag's name finds the contacts that carry it.
		Search: []string{"name", "email", "ref", "vat", "city", "category_id"},
		Filters: []Filter{
			{Name: "companies", Label: "Companies", Domain: []any{[]any{"is_company", "=", true}}},
			{Name: "individuals", Label: "Individuals", Domain: []any{[]any{"is_company", "=", false}}},
			{Name: "tagged", Label: "Tagged", Domain: []any{[]any{"category_id", "!=", false}}},
			{Name: "untagged", Label: "Untagged", Domain: []any{[]any{"category_id", "=", false}}},
			{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}},
		},
		GroupBy: []string{"country_id", "company_id", "is_company", "category_id"},
		Sections: []Section{
			{Title: "", Fields: []string{"name", "is_company", "parent_id", "email", "phone", "mobile", "website", "category_id"}},
			{Title: "Address", Fields: []string{"street", "street2", "zip", "city", "country_id"}},
			{Title: "Sales & invoicing", Fields: []string{"ref", "vat", "company_id", "lang"}},
			{Title: "Notes", Fields: []string{"comment"}},
		},
		Related: []Related{{Label: "Sales", View: "sales", Inverse: "partner_id"}, {Label: "Invoices", View: "invoices", Inverse: "partner_id"}},
		Figures: []Figure{
			{Label: "Companies", Domain: []any{[]any{"is_company", "=", true}}},
			{Label: "Individuals", Domain: []any{[]any{"is_company", "=", false}}},
		},
	}, {
		Slug: "contact-tags", App: "Contacts", Title: "Contact tags", Model: "res.partner.category",
		Columns: []string{"name", "parent_id", "color"},
		Search:  []string{"name"},
		Filters: []Filter{
			{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}},
		},
		GroupBy:  []string{"parent_id"},
		Sections: []Section{{Title: "", Fields: []string{"name", "parent_id", "color"}}},
	}}
}

func productViews() []*View {
	return []*View{{
		Slug: "products", App: "Products", Title: "Products", Model: "product.template",
		Columns: []string{"name", "default_code", "type", "list_price", "categ_id"},
		Search:  []string{"name", "default_code", "barcode"},
		Filters: []Filter{
			{Name: "goods", Label: "Goods", Domain: []any{[]any{"type", "=", "consu"}}},
			{Name: "services", Label: "Services", Domain: []any{[]any{"type", "=", "service"}}},
			{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}},
		},
		GroupBy: []string{"type", "categ_id"},
		Sections: []Section{
			{Title: "", Fields: []string{"name", "type", "sale_ok", "default_code", "barcode", "categ_id", "uom_id", "company_id"}},
			{Title: "Prices", Fields: []string{"list_price", "standard_price", "taxes_id"}},
			{Title: "Description", Fields: []string{"description_sale"}},
		},
		Figures: []Figure{{Label: "Products", Domain: nil}},
	}}
}
