package orm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
)

// attachmentAccess compiles Odoo's rule for ir.attachment: a file follows the
// access rights of the record it is attached to. Reading it needs read access
// to that record; creating, changing or deleting it needs write access, since
// that changes the record. A public file may be read by anyone with access to
// the model; a file attached to nothing only by its creator; the files behind
// binary fields only through those fields. Everything is one SQL condition, so
// searches, reads and counts see exactly the files the user may open.
func (e *Env) attachmentAccess(ctx context.Context, c *compiler, alias, op string) (string, error) {
	parentOp := opWrite
	if op == opRead {
		parentOp = opRead
	}
	if err := e.loadAccessOf(ctx, parentOp); err != nil {
		return "", err
	}
	var open []any
	var restricted []*Model
	for _, m := range e.reg.Models() {
		if m.Name == attachmentModel {
			continue
		}
		if err := e.checkAccess(ctx, m, parentOp); err != nil {
			var ae *AccessError
			if errors.As(err, &ae) {
				continue
			}
			return "", err
		}
		rule, err := e.ruleDomain(ctx, m, parentOp)
		if err != nil {
			return "", err
		}
		if rule.MatchesAll() {
			open = append(open, m.Name)
		} else {
			restricted = append(restricted, m)
		}
	}
	// Arguments are bound in the order the text is written.
	var b strings.Builder
	b.WriteString("(")
	if op == opRead {
		fmt.Fprintf(&b, `%s."public" = %s OR `, alias, c.bindArg(e.d.boolParam(true)))
	}
	fmt.Fprintf(&b, `(%s."res_field" IS NULL AND (`, alias)
	// Unattached files (no record id) belong to whoever uploaded them.
	fmt.Fprintf(&b, `(COALESCE(%s."res_id", 0) = 0 AND %s."create_uid" = %s)`, alias, alias, c.bindArg(e.id.UID))
	var attached []string
	if len(open) > 0 {
		attached = append(attached, fmt.Sprintf(`%s."res_model" IN (%s)`, alias, placeholders(len(open))))
		c.args = append(c.args, open...)
	}
	for _, m := range restricted {
		sub := c.alias()
		head := fmt.Sprintf(`(%s."res_model" = %s AND EXISTS (SELECT 1 FROM %s %s WHERE %s."id" = %s."res_id" AND `,
			alias, c.bindArg(m.Name), quote(m.Table), sub, sub, alias)
		cond, err := e.ruleCondition(ctx, c, m, sub, parentOp)
		if err != nil {
			return "", err
		}
		attached = append(attached, head+cond+"))")
	}
	if len(attached) > 0 {
		fmt.Fprintf(&b, ` OR (COALESCE(%s."res_id", 0) <> 0 AND (%s))`, alias, strings.Join(attached, " OR "))
	}
	b.WriteString(")))")
	return b.String(), nil
}

// loadAccessOf answers the access rights of every model for op with one query
// and the record rules with another, so that deciding over all models at once
// (as attachments need) costs two queries, not two per model.
func (e *Env) loadAccessOf(ctx context.Context, op string) error {
	key := "\x00all\x00" + op
	if e.cache.acl[key] {
		return nil
	}
	args := []any{e.d.boolParam(true), e.d.boolParam(true)}
	groups := `a."group_id" IS NULL`
	if len(e.id.GroupIDs) > 0 {
		groups = `(a."group_id" IS NULL OR a."group_id" IN (` + placeholders(len(e.id.GroupIDs)) + `))`
		args = append(args, int64Args(e.id.GroupIDs)...)
	}
	granted, err := e.modelNames(ctx, `SELECT DISTINCT m."model" FROM "ir_model_access" a JOIN "ir_model" m ON m."id" = a."model_id"
WHERE a."active" = ? AND a.`+permColumn(op)+` = ? AND `+groups, args...)
	if err != nil {
		return fmt.Errorf("load access rights: %w", err)
	}
	ruled, err := e.modelNames(ctx, `SELECT DISTINCT m."model" FROM "ir_rule" r JOIN "ir_model" m ON m."id" = r."model_id"
WHERE r."active" = ? AND r.`+permColumn(op)+` = ?`, e.d.boolParam(true), e.d.boolParam(true))
	if err != nil {
		return fmt.Errorf("load record rules: %w", err)
	}
	for _, m := range e.reg.Models() {
		k := m.Name + "\x00" + op
		if _, ok := e.cache.acl[k]; !ok {
			e.cache.acl[k] = granted[m.Name]
		}
		if _, ok := e.cache.rules[k]; !ok && !ruled[m.Name] {
			e.cache.rules[k] = domain.Domain{}
		}
	}
	e.cache.acl[key] = true
	return nil
}

func (e *Env) modelNames(ctx context.Context, q string, args ...any) (map[string]bool, error) {
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}
