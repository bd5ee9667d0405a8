package base

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// The xml ids of the base groups, as Odoo names them.
const (
	GroupPublic       = "base.group_public"
	GroupPortal       = "base.group_portal"
	GroupUser         = "base.group_user"        // Internal User
	GroupAccessRights = "base.group_erp_manager" // Access Rights
	GroupSystem       = "base.group_system"      // Settings (administrator)
)

// maxGroupDepth bounds the chain of implied groups followed.
const maxGroupDepth = 16

func groupID(ctx context.Context, env *orm.Env, xmlID string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, "res.groups", leaf("xml_id", "=", xmlID), orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("group %s is not installed", xmlID)
	}
	return ids[0], nil
}

// userGroups returns the user's groups with every group they imply, transitively.
func userGroups(ctx context.Context, env *orm.Env, uid int64) (map[int64]bool, error) {
	su := env.Sudo()
	recs, err := su.Read(ctx, "res.users", []int64{uid}, []string{"groups_id"})
	if err != nil {
		return nil, err
	}
	return impliedClosure(ctx, su, recs[0]["groups_id"].([]int64))
}

func impliedClosure(ctx context.Context, su *orm.Env, start []int64) (map[int64]bool, error) {
	all := map[int64]bool{}
	frontier := start
	for depth := 0; len(frontier) > 0; depth++ {
		var next []int64
		for _, g := range frontier {
			if !all[g] {
				all[g] = true
				next = append(next, g)
			}
		}
		if len(next) == 0 || depth == maxGroupDepth {
			break
		}
		recs, err := su.Read(ctx, "res.groups", next, []string{"implied_ids"})
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0:0]
		for _, r := range recs {
			frontier = append(frontier, r["implied_ids"].([]int64)...)
		}
	}
	return all, nil
}

func leaf(field, op string, value any) domain.Domain {
	d, err := domain.FromValue([]any{[]any{field, op, value}}, domain.Limits{})
	if err != nil {
		panic("base: invalid built-in domain: " + err.Error())
	}
	return d
}
