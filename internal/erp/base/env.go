package base

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// ErrInactiveUser is returned for a user that is archived or does not exist.
var ErrInactiveUser = errors.New("the user does not exist or is archived")

// NewEnv returns the Env of user uid within tx: their groups (with implied ones),
// current and allowed companies, partner, language and time zone. Every operation
// on it is subject to that user's access rights and rules. opts (the tenant's
// filestore, a clock) are passed on to orm.NewEnv.
func NewEnv(ctx context.Context, tx orm.Querier, engine store.Engine, reg *orm.Registry, uid int64, opts ...orm.EnvOption) (*orm.Env, error) {
	sys, err := reg.NewEnv(tx, engine, orm.Identity{})
	if err != nil {
		return nil, err
	}
	su := sys.Sudo()
	ids, err := su.Search(ctx, "res.users", leaf("id", "=", uid), orm.SearchOptions{})
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", uid, err)
	}
	if len(ids) == 0 {
		return nil, ErrInactiveUser
	}
	recs, err := su.ReadValues(ctx, "res.users", ids, []string{"partner_id", "company_id", "company_ids", "lang", "tz"})
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", uid, err)
	}
	u := recs[0]
	groups, err := userGroups(ctx, su, uid)
	if err != nil {
		return nil, fmt.Errorf("load groups of user %d: %w", uid, err)
	}
	id := orm.Identity{UID: uid, CompanyIDs: u["company_ids"].([]int64)}
	id.PartnerID, _ = u["partner_id"].(int64)
	id.CompanyID, _ = u["company_id"].(int64)
	for g := range groups {
		id.GroupIDs = append(id.GroupIDs, g)
	}
	slices.Sort(id.GroupIDs)
	id.Lang, _ = u["lang"].(string)
	id.TZ, _ = u["tz"].(string)
	return reg.NewEnv(tx, engine, id, opts...)
}
