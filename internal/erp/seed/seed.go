// Package seed writes what a business module installs into a tenant: groups,
// access rights, record rules and sequences, all through the ORM as the system.
// Modules describe them as data in numbered steps (Module, Step); Apply runs them
// at install and Upgrade runs those a tenant lacks, recording each module's level
// in ir_module_module. Rights and rules are known by external ids (ir_model_data)
// and groups by their xml id, so a step run again adds only what is missing and
// changes nothing a tenant already has.
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

// Groups creates the groups in order (a group may imply one created before it)
// and returns the xml ids of those it created: a group the tenant already has
// (same xml id) is left as it is, however an administrator changed it.
func Groups(ctx context.Context, env *orm.Env, groups []Group) ([]string, error) {
	var created []string
	for _, g := range groups {
		ids, err := env.Sudo().Search(ctx, "res.groups", Leaf("xml_id", "=", g.XMLID), orm.SearchOptions{Limit: 1, IncludeArchived: true})
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", g.XMLID, err)
		}
		if len(ids) > 0 {
			continue
		}
		implied := make([]any, 0, len(g.Implies))
		for _, x := range g.Implies {
			id, err := GroupID(ctx, env, x)
			if err != nil {
				return nil, fmt.Errorf("group %s: %w", g.XMLID, err)
			}
			implied = append(implied, id)
		}
		if _, err := env.Create(ctx, "res.groups", []map[string]any{{
			"name": g.Name, "xml_id": g.XMLID, "category": g.Category, "implied_ids": []any{[]any{6, 0, implied}},
		}}); err != nil {
			return nil, fmt.Errorf("create group %s: %w", g.XMLID, err)
		}
		created = append(created, g.XMLID)
	}
	return created, nil
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

// lookups reads what Rights and Rules resolve their declarations against: the
// module's external ids of model, and the tenant's model and group ids.
func lookups(ctx context.Context, su *orm.Env, module, model string) (*externalIDs, map[string]int64, map[string]int64, error) {
	x, err := loadExternalIDs(ctx, su, module, model)
	if err != nil {
		return nil, nil, nil, err
	}
	models, err := modelIDs(ctx, su)
	if err != nil {
		return nil, nil, nil, err
	}
	groups, err := groupIDs(ctx, su)
	if err != nil {
		return nil, nil, nil, err
	}
	return x, models, groups, nil
}

// Rights creates the access rights of module the tenant lacks. Each is known by
// an external id (module.access_<model>_<group>); one the tenant already has is
// left as it is, and so is one an administrator deleted. On a tenant seeded
// before external ids were recorded, an existing row for the same model and
// group is taken as the seeded one instead of adding a second.
func Rights(ctx context.Context, env *orm.Env, module string, rights []Right) error {
	su := env.Sudo()
	x, models, groups, err := lookups(ctx, su, module, "ir.model.access")
	if err != nil {
		return err
	}
	recs, err := su.SearchRead(ctx, "ir.model.access", domain.Domain{}, []string{"model_id", "group_id"}, orm.SearchOptions{IncludeArchived: true, Order: "id"})
	if err != nil {
		return fmt.Errorf("read access rights: %w", err)
	}
	existing := map[[2]int64]int64{}
	for _, r := range recs {
		k := [2]int64{many2oneID(r["model_id"]), many2oneID(r["group_id"])}
		if _, ok := existing[k]; !ok && !x.taken[r["id"].(int64)] {
			existing[k] = r["id"].(int64)
		}
	}
	var vals []map[string]any
	var names []string
	seen := map[string]bool{}
	for _, r := range rights {
		name := AccessName(r)
		if seen[name] {
			return fmt.Errorf("access rights of %s: external id %s.%s given twice", module, module, name)
		}
		seen[name] = true
		if x.known[name] {
			continue
		}
		mid, ok := models[r.Model]
		if !ok {
			return fmt.Errorf("model %s is not in the catalogue", r.Model)
		}
		var gid int64
		if r.Group != "" {
			if gid, ok = groups[r.Group]; !ok {
				return fmt.Errorf("group %s is not installed", r.Group)
			}
		}
		if id, ok := existing[[2]int64{mid, gid}]; ok {
			delete(existing, [2]int64{mid, gid})
			if err := x.record(ctx, su, name, id); err != nil {
				return err
			}
			continue
		}
		v := map[string]any{
			"name": r.Model + " " + r.Group, "model_id": mid,
			"perm_read": strings.Contains(r.Perms, "r"), "perm_write": strings.Contains(r.Perms, "w"),
			"perm_create": strings.Contains(r.Perms, "c"), "perm_unlink": strings.Contains(r.Perms, "u"),
		}
		if gid != 0 {
			v["group_id"] = gid
		}
		vals = append(vals, v)
		names = append(names, name)
	}
	if len(vals) == 0 {
		return nil
	}
	ids, err := su.Create(ctx, "ir.model.access", vals)
	if err != nil {
		return fmt.Errorf("create access rights: %w", err)
	}
	for i, id := range ids {
		if err := x.record(ctx, su, names[i], id); err != nil {
			return err
		}
	}
	return nil
}

// Rules creates the record rules of module the tenant lacks, known by external
// ids (module.rule_<name>) as Rights. On a tenant seeded before external ids were
// recorded, an existing rule on the same model with the same name, or with the
// same domain and groups, is taken as the seeded one.
func Rules(ctx context.Context, env *orm.Env, module string, rules []Rule) error {
	su := env.Sudo()
	x, models, groups, err := lookups(ctx, su, module, "ir.rule")
	if err != nil {
		return err
	}
	recs, err := su.SearchRead(ctx, "ir.rule", domain.Domain{}, []string{"name", "model_id", "domain_force", "groups"}, orm.SearchOptions{IncludeArchived: true, Order: "id"})
	if err != nil {
		return fmt.Errorf("read record rules: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		name := RuleName(r)
		if seen[name] {
			return fmt.Errorf("record rules of %s: external id %s.%s given twice", module, module, name)
		}
		seen[name] = true
		if x.known[name] {
			continue
		}
		mid, ok := models[r.Model]
		if !ok {
			return fmt.Errorf("model %s is not in the catalogue", r.Model)
		}
		gids := make([]int64, len(r.Groups))
		for i, g := range r.Groups {
			if gids[i], ok = groups[g]; !ok {
				return fmt.Errorf("group %s is not installed", g)
			}
		}
		if id := matchRule(recs, x.taken, mid, r, gids); id != 0 {
			if err := x.record(ctx, su, name, id); err != nil {
				return err
			}
			continue
		}
		v := map[string]any{"name": r.Name, "model_id": mid, "domain_force": r.Domain}
		if r.Perms != "" {
			for _, p := range []struct{ field, letter string }{{"perm_read", "r"}, {"perm_write", "w"}, {"perm_create", "c"}, {"perm_unlink", "u"}} {
				v[p.field] = strings.Contains(r.Perms, p.letter)
			}
		}
		if len(gids) > 0 {
			v["groups"] = []any{[]any{6, 0, int64sToAny(gids)}}
		}
		ids, err := su.Create(ctx, "ir.rule", []map[string]any{v})
		if err != nil {
			return fmt.Errorf("create record rule %q: %w", r.Name, err)
		}
		if err := x.record(ctx, su, name, ids[0]); err != nil {
			return err
		}
	}
	return nil
}

// matchRule finds the rule a tenant seeded before external ids has for r.
func matchRule(recs []map[string]any, taken map[int64]bool, mid int64, r Rule, gids []int64) int64 {
	var byDomain int64
	for _, rec := range recs {
		id := rec["id"].(int64)
		if taken[id] || many2oneID(rec["model_id"]) != mid {
			continue
		}
		if name, _ := rec["name"].(string); name == r.Name {
			return id
		}
		if dom, _ := rec["domain_force"].(string); byDomain == 0 && dom == r.Domain && sameIDs(int64List(rec["groups"]), gids) {
			byDomain = id
		}
	}
	return byDomain
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
