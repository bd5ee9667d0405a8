package base

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
)

// protectModuleGroups keeps users (administrators included, through the web UI or
// the external API) from deleting a group that has an external id: a module
// seeded it (base.group_user, base.group_system, sale.group_sale_salesman...) and
// its access rights, record rules, field groups and code find it by that id.
// Groups an administrator created have none and can be deleted.
func protectModuleGroups(reg *orm.Registry) error {
	return reg.AddUnlinkCheck("res.groups", orm.Check{Name: "module_groups", Func: refuseModuleGroupUnlink})
}

func refuseModuleGroupUnlink(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.Read(ctx, "res.groups", ids, []string{"name", "xml_id"})
	if err != nil {
		return fmt.Errorf("check the groups to delete: %w", err)
	}
	for _, r := range recs {
		if xmlID, _ := r["xml_id"].(string); xmlID != "" {
			name, _ := r["name"].(string)
			return &orm.UserError{Message: fmt.Sprintf("The group %q (%s) comes with a module and cannot be deleted; remove its users instead.", name, xmlID)}
		}
	}
	return nil
}
