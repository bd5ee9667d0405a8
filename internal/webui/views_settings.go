package webui

// settingsViews are the administrators' editors of the access layer and the
// companies. Internal users may read groups, companies and access rights through
// the ORM (the application needs the names), so these views are Admin: the web
// screens open to the Settings group only. Saving goes through the ORM, whose
// checks refuse a record rule with an invalid domain and an access right on a
// model that is not installed.
func settingsViews() []*View {
	return []*View{
		{
			Slug: "groups", App: "Settings", Title: "Groups", Model: "res.groups", Admin: true,
			Columns: []string{"name", "category", "xml_id"},
			Search:  []string{"name", "category"},
			Sections: []Section{
				{Title: "", Fields: []string{"name", "category", "xml_id", "comment"}},
				{Title: "Inherited groups", Fields: []string{"implied_ids"}},
				{Title: "Users", Fields: []string{"users"}},
				{Title: "Access", Fields: []string{"model_access", "rule_groups"}},
			},
		},
		{
			Slug: "companies", App: "Settings", Title: "Companies", Model: "res.company", Admin: true,
			Columns: []string{"name", "partner_id", "currency_id", "email", "phone"},
			Search:  []string{"name", "email", "vat"},
			Filters: []Filter{{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}}},
			Sections: []Section{
				{Title: "", Fields: []string{"name", "partner_id", "parent_id", "currency_id", "vat", "email", "phone", "sequence"}},
				{Title: "Address (edited on the company's contact)", Fields: []string{"street", "street2", "zip", "city", "country_id"}},
			},
		},
		{
			Slug: "access-rights", App: "Settings", Title: "Access rights", Model: "ir.model.access", Admin: true,
			Columns: []string{"name", "model_id", "group_id", "perm_read", "perm_write", "perm_create", "perm_unlink"},
			Search:  []string{"name"},
			Filters: []Filter{
				{Name: "everyone", Label: "Everyone (no group)", Domain: []any{[]any{"group_id", "=", false}}},
				{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}},
			},
			GroupBy: []string{"model_id", "group_id"},
			Sections: []Section{
				{Title: "", Fields: []string{"name", "model_id", "group_id", "active"}},
				{Title: "Permissions", Fields: []string{"perm_read", "perm_write", "perm_create", "perm_unlink"}},
			},
		},
		{
			Slug: "record-rules", App: "Settings", Title: "Record rules", Model: "ir.rule", Admin: true,
			Columns: []string{"name", "model_id", "global", "domain_force", "perm_read", "perm_write", "perm_create", "perm_unlink"},
			Search:  []string{"name"},
			Filters: []Filter{{Name: "archived", Label: "Archived", Domain: []any{[]any{"active", "=", false}}}},
			GroupBy: []string{"model_id"},
			Sections: []Section{
				{Title: "", Fields: []string{"name", "model_id", "active", "global", "groups"}},
				{Title: "Domain", Fields: []string{"domain_force"}},
				{Title: "Applies to", Fields: []string{"perm_read", "perm_write", "perm_create", "perm_unlink"}},
			},
		},
	}
}
