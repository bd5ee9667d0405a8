package orm

// coreModels are the models the access layer reads: the model catalogue, access
// rights, record rules and groups; and ir.attachment, which holds binary fields. Modules extend them (res.groups gains users in
// the base module); their table and column names are the contract access.go uses.
func coreModels() []*Model {
	return []*Model{
		{
			Name: "ir.model", Description: "Models", Order: "model",
			Fields: []*Field{
				{Name: "name", Type: Char, String: "Model Description", Required: true},
				{Name: "model", Type: Char, Required: true, Index: true},
				{Name: "access_ids", Type: One2many, Comodel: "ir.model.access", InverseName: "model_id", String: "Access"},
				{Name: "rule_ids", Type: One2many, Comodel: "ir.rule", InverseName: "model_id", String: "Record Rules"},
			},
			SQLConstraints: []SQLConstraint{{Name: "obj_name_uniq", Fields: []string{"model"}, Message: "each model must be unique"}},
		},
		{
			Name: "res.groups", Description: "Access Groups", Order: "name",
			Fields: []*Field{
				{Name: "name", Type: Char, Required: true},
				{Name: "xml_id", Type: Char, String: "External ID", Readonly: true, Help: "stable identifier used by field-level groups, e.g. base.group_user"},
				{Name: "comment", Type: Text},
				{Name: "implied_ids", Type: Many2many, Comodel: "res.groups", Relation: "res_groups_implied_rel", Column1: "gid", Column2: "hid", String: "Inherits",
					Help: "users of this group are automatically members of these groups"},
				{Name: "model_access", Type: One2many, Comodel: "ir.model.access", InverseName: "group_id", String: "Access Controls"},
				{Name: "rule_groups", Type: Many2many, Comodel: "ir.rule", Relation: "rule_group_rel", Column1: "group_id", Column2: "rule_group_id", String: "Rules"},
			},
			SQLConstraints: []SQLConstraint{{Name: "xml_id_uniq", Fields: []string{"xml_id"}, Message: "the external id of a group must be unique"}},
		},
		{
			Name: "ir.model.access", Description: "Model Access", Order: "model_id, group_id, name, id",
			Fields: []*Field{
				{Name: "name", Type: Char, Required: true},
				{Name: "active", Type: Boolean, Default: true},
				{Name: "model_id", Type: Many2one, Comodel: "ir.model", Required: true, OnDelete: Cascade, Index: true, String: "Model"},
				{Name: "group_id", Type: Many2one, Comodel: "res.groups", OnDelete: Cascade, Index: true, String: "Group"},
				{Name: "perm_read", Type: Boolean, String: "Read Access"},
				{Name: "perm_write", Type: Boolean, String: "Write Access"},
				{Name: "perm_create", Type: Boolean, String: "Create Access"},
				{Name: "perm_unlink", Type: Boolean, String: "Delete Access"},
			},
			Checks: []Check{{Name: "model_installed", Fields: []string{"model_id"}, Func: checkAccessModels}},
		},
		{
			Name: "ir.rule", Description: "Record Rule", Order: "model_id DESC, id",
			Fields: []*Field{
				{Name: "name", Type: Char},
				{Name: "active", Type: Boolean, Default: true},
				{Name: "model_id", Type: Many2one, Comodel: "ir.model", Required: true, OnDelete: Cascade, Index: true, String: "Model"},
				{Name: "groups", Type: Many2many, Comodel: "res.groups", Relation: "rule_group_rel", Column1: "rule_group_id", Column2: "group_id"},
				{Name: "domain_force", Type: Text, String: "Domain"},
				{Name: "perm_read", Type: Boolean, Default: true, String: "Apply for Read"},
				{Name: "perm_write", Type: Boolean, Default: true, String: "Apply for Write"},
				{Name: "perm_create", Type: Boolean, Default: true, String: "Apply for Create"},
				{Name: "perm_unlink", Type: Boolean, Default: true, String: "Apply for Delete"},
			},
			Checks: []Check{{Name: "domain_force_valid", Fields: []string{"domain_force", "model_id"}, Func: checkRuleDomains}},
		},
		attachmentModelDef(),
	}
}
