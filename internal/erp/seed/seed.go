// Package seed writes what a business module installs into a tenant: groups,
// access rights, record rules and sequences, all through the ORM as the system.
// Modules describe them as data; Install functions call these with a Sudo env.
package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Group is a res.groups row identified by its xml id.
type Group struct {
	XMLID, Name, Category string
	Implies               []string // xml ids of groups whose rights members also get
}

// Right is one ir.model.access row; Group "" grants everyone. Perms holds the
// letters r, w, c and u (read, write, create, unlink).
type Right struct {
	Model, Group, Perms string
}

// Rule is one ir.rule; without groups it is global. Perms as for Right; "" means
// every operation.
type Rule struct {
	Name, Model, Domain string
	Groups              []string
	Perms               string
}

// Leaf returns the one-leaf domain (field op value).
func Leaf(field, op string, value any) domain.Domain {
	d, err := domain.FromValue([]any{[]any{field, op, value}}, domain.Limits{})
	if err != nil {
		panic("seed: invalid built-in domain: " + err.Error())
	}
	return d
}

// GroupID returns the id of the group with this xml id.
func GroupID(ctx context.Context, env *orm.Env, xmlID string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, "res.groups", Leaf("xml_id", "=", xmlID), orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("group %s is not installed", xmlID)
	}
	return ids[0], nil
}

// Groups creates the groups in order (a group may imply one created before it).
func Groups(ctx context.Context, env *orm.Env, groups []Group) error {
	for _, g := range groups {
		implied := make([]any, 0, len(g.Implies))
		for _, x := range g.Implies {
			id, err := GroupID(ctx, env, x)
			if err != nil {
				return fmt.Errorf("group %s: %w", g.XMLID, err)
			}
			implied = append(implied, id)
		}
		if _, err := env.Create(ctx, "res.groups", []map[string]any{{
			"name": g.Name, "xml_id": g.XMLID, "category": g.Category, "implied_ids": []any{[]any{6, 0, implied}},
		}}); err != nil {
			return fmt.Errorf("create group %s: %w", g.XMLID, err)
		}
	}
	return nil
}

// ModelID returns the ir.model id of a model.
func ModelID(ctx context.Context, env *orm.Env, model string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, "ir.model", Leaf("model", "=", model), orm.SearchOptions{})
	if err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("model %s is not in the catalogue", model)
	}
	return ids[0], nil
}

// Rights creates the access rights.
func Rights(ctx context.Context, env *orm.Env, rights []Right) error {
	vals := make([]map[string]any, 0, len(rights))
	for _, r := range rights {
		mid, err := ModelID(ctx, env, r.Model)
		if err != nil {
			return err
		}
		v := map[string]any{
			"name": r.Model + " " + r.Group, "model_id": mid,
			"perm_read": strings.Contains(r.Perms, "r"), "perm_write": strings.Contains(r.Perms, "w"),
			"perm_create": strings.Contains(r.Perms, "c"), "perm_unlink": strings.Contains(r.Perms, "u"),
		}
		if r.Group != "" {
			gid, err := GroupID(ctx, env, r.Group)
			if err != nil {
				return err
			}
			v["group_id"] = gid
		}
		vals = append(vals, v)
	}
	if _, err := env.Create(ctx, "ir.model.access", vals); err != nil {
		return fmt.Errorf("create access rights: %w", err)
	}
	return nil
}

// Rules creates the record rules.
func Rules(ctx context.Context, env *orm.Env, rules []Rule) error {
	for _, r := range rules {
		mid, err := ModelID(ctx, env, r.Model)
		if err != nil {
			return err
		}
		v := map[string]any{"name": r.Name, "model_id": mid, "domain_force": r.Domain}
		if r.Perms != "" {
			for _, p := range []struct{ field, letter string }{{"perm_read", "r"}, {"perm_write", "w"}, {"perm_create", "c"}, {"perm_unlink", "u"}} {
				v[p.field] = strings.Contains(r.Perms, p.letter)
			}
		}
		if len(r.Groups) > 0 {
			gids := make([]any, len(r.Groups))
			for i, g := range r.Groups {
				if gids[i], err = GroupID(ctx, env, g); err != nil {
					return err
				}
			}
			v["groups"] = []any{[]any{6, 0, gids}}
		}
		if _, err := env.Create(ctx, "ir.rule", []map[string]any{v}); err != nil {
			return fmt.Errorf("create record rule %q: %w", r.Name, err)
		}
	}
	return nil
}

// AddUsersOf adds every member of the group holding xml id from to the groups to,
// so that the administrators of a new tenant manage the new applications too.
func AddUsersOf(ctx context.Context, env *orm.Env, from string, to ...string) error {
	src, err := GroupID(ctx, env, from)
	if err != nil {
		return err
	}
	users, err := env.Search(ctx, "res.users", Leaf("groups_id", "in", []any{src}), orm.SearchOptions{IncludeArchived: true})
	if err != nil || len(users) == 0 {
		return err
	}
	cmds := make([]any, 0, len(to))
	for _, x := range to {
		gid, err := GroupID(ctx, env, x)
		if err != nil {
			return err
		}
		cmds = append(cmds, []any{4, gid})
	}
	return env.Write(ctx, "res.users", users, map[string]any{"groups_id": cmds})
}

// MultiCompany is Odoo's rule domain for company-bound records.
const MultiCompany = "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]"

// Dom builds the AND of (field, operator, value) triples given flat, e.g.
// Dom("state", "=", "posted", "partner_id", "in", ids). It panics on a malformed
// built-in domain, which is a programming error.
func Dom(triples ...any) domain.Domain {
	if len(triples)%3 != 0 {
		panic("seed: Dom takes (field, operator, value) triples")
	}
	items := make([]any, 0, len(triples)/3)
	for i := 0; i < len(triples); i += 3 {
		items = append(items, []any{triples[i], triples[i+1], triples[i+2]})
	}
	d, err := domain.FromValue(items, domain.Limits{MaxListLen: 1 << 20})
	if err != nil {
		panic("seed: invalid built-in domain: " + err.Error())
	}
	return d
}
