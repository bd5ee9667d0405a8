package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
)

// Operations checked by access rights and record rules.
const (
	opRead   = "read"
	opWrite  = "write"
	opCreate = "create"
	opUnlink = "unlink"
)

// accessCache remembers, for one Env, the answers of ir.model.access, ir.rule and
// the user's group xml ids. Writing any of those models clears it.
type accessCache struct {
	acl         map[string]bool // model and operation granted
	aclLoaded   map[string]bool // operations whose grants acl holds
	rules       map[string]domain.Domain
	rulesLoaded map[string]bool // operations whose rules, of every model, rules holds
	groupKeys   map[string]bool
}

func newAccessCache() *accessCache {
	return &accessCache{acl: map[string]bool{}, aclLoaded: map[string]bool{}, rules: map[string]domain.Domain{}, rulesLoaded: map[string]bool{}}
}

func (c *accessCache) reset() { *c = *newAccessCache() }

// accessModels are those whose changes alter access decisions.
func isAccessModel(name string) bool {
	switch name {
	case "ir.model.access", "ir.rule", "res.groups", "ir.model":
		return true
	}
	return false
}

func permColumn(op string) string {
	switch op {
	case opRead:
		return `"perm_read"`
	case opWrite:
		return `"perm_write"`
	case opCreate:
		return `"perm_create"`
	case opUnlink:
		return `"perm_unlink"`
	}
	panic("orm: unknown operation " + op)
}

// checkAccess applies ir.model.access: the operation is allowed when an active
// row for the model grants it to everyone (no group) or to one of the user's groups.
func (e *Env) checkAccess(ctx context.Context, m *Model, op string) error {
	if e.su {
		return nil
	}
	if !e.cache.aclLoaded[op] {
		if err := e.loadAccess(ctx, op); err != nil {
			return fmt.Errorf("check access to %s: %w", m.Name, err)
		}
	}
	allowed := e.cache.acl[m.Name+"\x00"+op]
	if !allowed {
		return &AccessError{Model: m.Name, Operation: op, reason: "no access right grants it to your groups"}
	}
	return nil
}

// loadAccess reads, in one query, the models ir.model.access lets the user
// reach for op: an Env touches many models, and asking model by model cost a
// query each.
func (e *Env) loadAccess(ctx context.Context, op string) error {
	args := []any{e.d.boolParam(true), e.d.boolParam(true)}
	groups := `a."group_id" IS NULL`
	if len(e.id.GroupIDs) > 0 {
		groups = `(a."group_id" IS NULL OR a."group_id" IN (` + placeholders(len(e.id.GroupIDs)) + `))`
		args = append(args, int64Args(e.id.GroupIDs)...)
	}
	rows, err := e.query(ctx, `SELECT DISTINCT m."model" FROM "ir_model_access" a JOIN "ir_model" m ON m."id" = a."model_id"
WHERE a."active" = ? AND a.`+permColumn(op)+` = ? AND `+groups, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var model string
		if err := rows.Scan(&model); err != nil {
			return err
		}
		e.cache.acl[model+"\x00"+op] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	e.cache.aclLoaded[op] = true
	return nil
}

// ruleDomain returns the record rules of the model for the operation combined as
// Odoo does: global rules AND-ed, group rules of the user's groups OR-ed, the two
// AND-ed. The zero Domain (match all) means no rule applies.
func (e *Env) ruleDomain(ctx context.Context, m *Model, op string) (domain.Domain, error) {
	if e.su {
		return domain.Domain{}, nil
	}
	if !e.cache.rulesLoaded[op] {
		if err := e.loadRules(ctx, op); err != nil {
			return domain.Domain{}, fmt.Errorf("load record rules of %s: %w", m.Name, err)
		}
	}
	// A model without rules has none in the cache: the zero Domain.
	return e.cache.rules[m.Name+"\x00"+op], nil
}

// loadRules reads, in one query, the record rules of every model for op that
// apply to the user, and combines them per model as ruleDomain describes.
func (e *Env) loadRules(ctx context.Context, op string) error {
	args := []any{e.d.boolParam(true), e.d.boolParam(true)}
	mine := "FALSE"
	if !e.d.postgres() {
		mine = "0"
	}
	if len(e.id.GroupIDs) > 0 {
		mine = `EXISTS (SELECT 1 FROM "rule_group_rel" g WHERE g."rule_group_id" = r."id" AND g."group_id" IN (` + placeholders(len(e.id.GroupIDs)) + `))`
		args = append(args, int64Args(e.id.GroupIDs)...)
	}
	q := `SELECT m."model", r."id", r."domain_force",
  EXISTS (SELECT 1 FROM "rule_group_rel" g WHERE g."rule_group_id" = r."id")
FROM "ir_rule" r JOIN "ir_model" m ON m."id" = r."model_id"
WHERE r."active" = ? AND r.` + permColumn(op) + ` = ?
  AND (NOT EXISTS (SELECT 1 FROM "rule_group_rel" g WHERE g."rule_group_id" = r."id") OR ` + mine + `)
ORDER BY m."model", r."id"`
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return err
	}
	type rule struct {
		model  string
		id     int64
		src    *string
		global bool
	}
	var rules []rule
	for rows.Next() {
		var r rule
		var hasGroups any
		if err := rows.Scan(&r.model, &r.id, &r.src, &hasGroups); err != nil {
			rows.Close()
			return err
		}
		r.global = !truthy(hasGroups)
		rules = append(rules, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	names := e.ruleNames()
	for start := 0; start < len(rules); {
		end := start
		for end < len(rules) && rules[end].model == rules[start].model {
			end++
		}
		var globals, groups []domain.Domain
		for _, r := range rules[start:end] {
			src := "[]"
			if r.src != nil && *r.src != "" {
				src = *r.src
			}
			d, err := domain.Parse(src, names, e.reg.limits.Domain)
			if err != nil {
				// A broken rule must never widen access: it matches nothing.
				d, _ = domain.FromNode(domain.False, e.reg.limits.Domain)
			}
			if r.global {
				globals = append(globals, d)
			} else {
				groups = append(groups, d)
			}
		}
		if len(groups) > 0 {
			globals = append(globals, domain.OrAll(groups...))
		}
		e.cache.rules[rules[start].model+"\x00"+op] = domain.AndAll(globals...)
		start = end
	}
	e.cache.rulesLoaded[op] = true
	return nil
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case int64:
		return b != 0
	}
	return false
}

// RuleNames lists the names record rule domains may use.
func RuleNames() []string {
	return []string{"user.id", "user.company_id", "user.partner_id", "user.company_ids", "company_id", "company_ids", "today", "now"}
}

// ruleNames resolves the names of RuleNames for this Env's user.
func (e *Env) ruleNames() domain.Resolver {
	companies := make(domain.List, len(e.id.CompanyIDs))
	for i, c := range e.id.CompanyIDs {
		companies[i] = domain.Int(c)
	}
	orFalse := func(id int64) domain.Value {
		if id == 0 {
			return domain.Bool(false)
		}
		return domain.Int(id)
	}
	now := e.Now()
	return func(name string) (domain.Value, bool) {
		switch name {
		case "user.id":
			return orFalse(e.id.UID), true
		case "user.company_id", "company_id":
			return orFalse(e.id.CompanyID), true
		case "user.partner_id":
			return orFalse(e.id.PartnerID), true
		case "user.company_ids", "company_ids":
			return companies, true
		case "today":
			return domain.String(now.Format(DateLayout)), true
		case "now":
			return domain.String(now.Format(DatetimeLayout)), true
		}
		return nil, false
	}
}

// groupKeys returns the xml ids of the user's groups.
func (e *Env) groupKeys(ctx context.Context) (map[string]bool, error) {
	if e.cache.groupKeys != nil {
		return e.cache.groupKeys, nil
	}
	keys := map[string]bool{}
	if len(e.id.GroupIDs) > 0 {
		rows, err := e.query(ctx, `SELECT "xml_id" FROM "res_groups" WHERE "xml_id" IS NOT NULL AND "id" IN (`+placeholders(len(e.id.GroupIDs))+`)`, int64Args(e.id.GroupIDs)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return nil, fmt.Errorf("load groups: %w", err)
			}
			keys[k] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load groups: %w", err)
		}
	}
	e.cache.groupKeys = keys
	return keys, nil
}

// HasGroup reports whether the user belongs to the group with this xml id.
func (e *Env) HasGroup(ctx context.Context, xmlID string) (bool, error) {
	keys, err := e.groupKeys(ctx)
	if err != nil {
		return false, err
	}
	return keys[xmlID], nil
}

// fieldAllowed reports whether the user may see a field restricted to groups.
func (e *Env) fieldAllowed(ctx context.Context, f *Field) (bool, error) {
	if e.su || len(f.Groups) == 0 {
		return true, nil
	}
	keys, err := e.groupKeys(ctx)
	if err != nil {
		return false, err
	}
	for _, g := range f.Groups {
		if keys[g] {
			return true, nil
		}
	}
	return false, nil
}

func (e *Env) checkField(ctx context.Context, f *Field, op string) error {
	ok, err := e.fieldAllowed(ctx, f)
	if err != nil {
		return err
	}
	if !ok {
		return &AccessError{Model: f.model.Name, Operation: op, Field: f.Name}
	}
	return nil
}

// checkRules verifies that every id is visible under the rules for op. Ids that do
// not exist give a MissingError, ids outside the rules an AccessError; either way
// the caller changes nothing.
func (e *Env) checkRules(ctx context.Context, m *Model, ids []int64, op string) error {
	if len(ids) == 0 {
		return nil
	}
	in, inArgs := idsIn(`t."id"`, ids)
	c := e.newCompiler(ctx, false)
	where, err := e.ruleCondition(ctx, c, m, "t", op)
	if err != nil {
		return err
	}
	if where == "" {
		existing, err := e.queryIDs(ctx, `SELECT t."id" FROM `+quote(m.Table)+` t WHERE `+in, inArgs...)
		if err != nil {
			return err
		}
		if len(existing) != len(ids) {
			return &MissingError{Model: m.Name, IDs: difference(ids, existing)}
		}
		return nil
	}
	// One query tells the missing records from the forbidden ones.
	rows, err := e.query(ctx, `SELECT t."id", CASE WHEN `+where+` THEN 1 ELSE 0 END FROM `+quote(m.Table)+` t WHERE `+in, append(c.args, inArgs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var existing, allowed []int64
	for rows.Next() {
		var id, ok int64
		if err := rows.Scan(&id, &ok); err != nil {
			return fmt.Errorf("check rules of %s: %w", m.Name, err)
		}
		existing = append(existing, id)
		if ok == 1 {
			allowed = append(allowed, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check rules of %s: %w", m.Name, err)
	}
	if len(existing) != len(ids) {
		return &MissingError{Model: m.Name, IDs: difference(ids, existing)}
	}
	if len(allowed) != len(ids) {
		return &AccessError{Model: m.Name, Operation: op, IDs: difference(ids, allowed)}
	}
	return nil
}

// ruleCondition compiles, with c, the SQL condition restricting the records of
// m (aliased alias) to those the user may access for op: the record rules and,
// for ir.attachment, the access to the records the files are attached to. It
// returns "" when nothing restricts them.
func (e *Env) ruleCondition(ctx context.Context, c *compiler, m *Model, alias, op string) (string, error) {
	if e.su {
		return "", nil
	}
	rule, err := e.ruleDomain(ctx, m, op)
	if err != nil {
		return "", err
	}
	var parts []string
	if !rule.MatchesAll() {
		saved := c.access
		c.access = false
		s, err := c.domain(m, alias, rule)
		c.access = saved
		if err != nil {
			return "", fmt.Errorf("record rule of %s: %w", m.Name, err)
		}
		parts = append(parts, s)
	}
	if m.Name == attachmentModel {
		s, err := e.attachmentAccess(ctx, c, alias, op)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " AND "), nil
}

// difference returns the ids of a not in b, in a's order.
func difference(a, b []int64) []int64 {
	in := make(map[int64]bool, len(b))
	for _, id := range b {
		in[id] = true
	}
	var out []int64
	for _, id := range a {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// checkRuleDomains validates the domains of ir.rule records when they are saved:
// the text must parse with the allowed names and compile against the model.
func checkRuleDomains(ctx context.Context, env *Env, ids []int64) error {
	su := env.Sudo()
	recs, err := su.Read(ctx, "ir.rule", ids, []string{"domain_force", "model_id"})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		src, _ := rec["domain_force"].(string)
		if src == "" {
			continue
		}
		if err := domain.Validate(src, RuleNames(), env.reg.limits.Domain); err != nil {
			return validationf("ir.rule", "domain_force", "%v", err)
		}
		pair, ok := rec["model_id"].([]any)
		if !ok {
			continue
		}
		model, err := modelNameOf(ctx, su, pair[0].(int64))
		if err != nil {
			return err
		}
		m, ok := env.reg.models[model]
		if !ok {
			return validationf("ir.rule", "model_id", "the model %q is not installed", model)
		}
		d, err := domain.Parse(src, sampleRuleNames(), env.reg.limits.Domain)
		if err != nil {
			return validationf("ir.rule", "domain_force", "%v", err)
		}
		c := su.newCompiler(ctx, false)
		if _, err := c.domain(m, "t", d); err != nil {
			return validationf("ir.rule", "domain_force", "%v", err)
		}
	}
	return nil
}

// checkAccessModels refuses access rights on a model the registry does not hold: a
// right on a model that is not installed grants nothing today and would silently
// grant access the day a module of that name is installed.
func checkAccessModels(ctx context.Context, env *Env, ids []int64) error {
	su := env.Sudo()
	recs, err := su.Read(ctx, "ir.model.access", ids, []string{"model_id"})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		pair, ok := rec["model_id"].([]any)
		if !ok {
			return validationf("ir.model.access", "model_id", "a model is required")
		}
		model, err := modelNameOf(ctx, su, pair[0].(int64))
		if errors.Is(err, sql.ErrNoRows) {
			return validationf("ir.model.access", "model_id", "the model %d does not exist", pair[0].(int64))
		}
		if err != nil {
			return err
		}
		if _, ok := env.reg.models[model]; !ok {
			return validationf("ir.model.access", "model_id", "the model %q is not installed", model)
		}
	}
	return nil
}

// sampleRuleNames gives every rule name a value of the right shape, to check that
// a rule compiles before any user exists.
func sampleRuleNames() domain.Resolver {
	return func(name string) (domain.Value, bool) {
		switch name {
		case "user.id", "user.company_id", "user.partner_id", "company_id":
			return domain.Int(1), true
		case "user.company_ids", "company_ids":
			return domain.List{domain.Int(1)}, true
		case "today":
			return domain.String("2000-01-01"), true
		case "now":
			return domain.String("2000-01-01 00:00:00"), true
		}
		return nil, false
	}
}

func modelNameOf(ctx context.Context, env *Env, modelID int64) (string, error) {
	var name string
	if err := env.tx.QueryRowContext(ctx, env.rb.Rebind(`SELECT "model" FROM "ir_model" WHERE "id" = ?`), modelID).Scan(&name); err != nil {
		return "", fmt.Errorf("look up model %d: %w", modelID, err)
	}
	return name, nil
}
