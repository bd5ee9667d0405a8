package base

import (
	"context"
	"fmt"
	"slices"

	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// endDemotedSessions makes every loss of a group end the sessions of the users
// who lost it, in the transaction of the change: a user taken out of a group, a
// group deleted, or a group no longer inheriting another (implied_ids), which
// takes that group, and every group it brings in turn, from all its members.
// The change is seen however it is made (group editor, user page, external API,
// x2many commands of either side, module code), because the ORM reports it.
// A user who keeps every group through another path keeps their sessions; the
// session the change was made with (session.Acting) stays.
func endDemotedSessions(reg *orm.Registry) error {
	return reg.AddWatch(orm.Watch{
		Name: "end_demoted_sessions",
		Fields: map[string][]string{
			"res.groups": {"users", "implied_ids"},
			"res.users":  {"groups_id"},
		},
		Begin: func(ctx context.Context, su *orm.Env) (func(context.Context, *orm.Env) error, error) {
			before, err := effectiveMembers(ctx, su)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, su *orm.Env) error {
				after, err := effectiveMembers(ctx, su)
				if err != nil {
					return err
				}
				demoted := lostAGroup(before, after)
				if len(demoted) == 0 {
					return nil
				}
				if _, err := session.EndOfUsers(ctx, su.Tx(), su.Engine(), demoted, session.Acting(ctx)); err != nil {
					return err
				}
				return nil
			}, nil
		},
	})
}

// effectiveMembers returns, for each user in some group, every group they hold:
// their own and those implied, transitively, as NewEnv grants them (up to
// maxGroupDepth). Groups are few, so they are read whole.
func effectiveMembers(ctx context.Context, su *orm.Env) (map[int64]map[int64]bool, error) {
	ids, err := su.Search(ctx, "res.groups", domain.Domain{}, orm.SearchOptions{})
	if err != nil {
		return nil, fmt.Errorf("read group memberships: %w", err)
	}
	recs, err := su.Read(ctx, "res.groups", ids, []string{"users", "implied_ids"})
	if err != nil {
		return nil, fmt.Errorf("read group memberships: %w", err)
	}
	implied := make(map[int64][]int64, len(recs))
	for _, r := range recs {
		implied[r["id"].(int64)] = r["implied_ids"].([]int64)
	}
	members := map[int64]map[int64]bool{}
	for _, r := range recs {
		users := r["users"].([]int64)
		if len(users) == 0 {
			continue
		}
		held := closureOf(r["id"].(int64), implied)
		for _, uid := range users {
			if members[uid] == nil {
				members[uid] = map[int64]bool{}
			}
			for g := range held {
				members[uid][g] = true
			}
		}
	}
	return members, nil
}

// closureOf is group and every group it implies, followed as far as
// impliedClosure follows them for a user.
func closureOf(group int64, implied map[int64][]int64) map[int64]bool {
	all := map[int64]bool{group: true}
	frontier := []int64{group}
	for depth := 0; len(frontier) > 0 && depth < maxGroupDepth; depth++ {
		var next []int64
		for _, g := range frontier {
			for _, h := range implied[g] {
				if !all[h] {
					all[h] = true
					next = append(next, h)
				}
			}
		}
		frontier = next
	}
	return all
}

// lostAGroup returns, sorted, the users who held a group before that they do
// not hold after.
func lostAGroup(before, after map[int64]map[int64]bool) []int64 {
	var out []int64
	for uid, held := range before {
		for g := range held {
			if !after[uid][g] {
				out = append(out, uid)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
