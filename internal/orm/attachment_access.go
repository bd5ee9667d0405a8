package orm

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// checkAccess and ruleDomain load the rights and rules of every model for
	// the operation at once: deciding over all models costs two queries.
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
