package orm

import (
	"context"
	"fmt"
	"slices"

	"github.com/instant-erp/instanterp/internal/domain"
)

// SearchOptions page and sort a search.
type SearchOptions struct {
	Offset int
	// Limit caps the records returned; 0 means no limit for Search and the
	// registry's MaxLimit for SearchRead. Above MaxLimit it is refused.
	Limit int
	Order string // e.g. "name desc, id"; empty means the model's default order
	// IncludeArchived also returns records whose "active" field is false (Odoo's
	// active_test=False). A domain that mentions active implies it.
	IncludeArchived bool
}

// where builds the condition selecting the records of m that match dom and that
// the user may access for op, with its arguments. The table is aliased t.
func (e *Env) where(ctx context.Context, m *Model, dom domain.Domain, op string, includeArchived bool) (string, []any, error) {
	if err := e.checkAccess(ctx, m, op); err != nil {
		return "", nil, err
	}
	c := e.newCompiler(ctx, true)
	cond, err := c.domain(m, "t", dom)
	if err != nil {
		return "", nil, err
	}
	if m.HasActive() && !includeArchived && !mentions(dom.Root(), "active") {
		cond += ` AND t."active" = ` + c.bindArg(e.d.boolParam(true))
	}
	if m.Name == attachmentModel && !mentions(dom.Root(), "res_field", "id") {
		// As in Odoo, the files behind binary fields are not listed as attachments.
		cond += ` AND t."res_field" IS NULL`
	}
	r, err := e.ruleCondition(ctx, c, m, "t", op)
	if err != nil {
		return "", nil, err
	}
	if r != "" {
		cond += " AND " + r
	}
	return cond, c.args, nil
}

// mentions reports whether the domain has a condition on one of the fields.
func mentions(n domain.Node, fields ...string) bool {
	switch n := n.(type) {
	case domain.And:
		for _, ch := range n.Children {
			if mentions(ch, fields...) {
				return true
			}
		}
	case domain.Or:
		for _, ch := range n.Children {
			if mentions(ch, fields...) {
				return true
			}
		}
	case domain.Not:
		return mentions(n.Child, fields...)
	case domain.Leaf:
		return slices.Contains(fields, n.Path[0])
	}
	return false
}

func (e *Env) checkPage(m *Model, opts SearchOptions) error {
	if opts.Offset < 0 || opts.Limit < 0 {
		return validationf(m.Name, "", "offset and limit cannot be negative")
	}
	if opts.Limit > e.reg.limits.MaxLimit {
		return validationf(m.Name, "", "limit %d is above the maximum of %d; fetch the records in pages", opts.Limit, e.reg.limits.MaxLimit)
	}
	return nil
}

// Search returns the ids of the records of model matching dom that the user may read.
func (e *Env) Search(ctx context.Context, model string, dom domain.Domain, opts SearchOptions) ([]int64, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	if err := e.checkPage(m, opts); err != nil {
		return nil, err
	}
	order := m.order
	if opts.Order != "" {
		if order, err = parseOrder(m, opts.Order); err != nil {
			return nil, err
		}
		// Field groups apply to sorting as to filtering: order reveals values.
		for _, t := range order {
			if err := e.checkField(ctx, t.field, opRead); err != nil {
				return nil, err
			}
			if t.field.Secret {
				return nil, validationf(m.Name, t.field.Name, "cannot order by a secret field")
			}
		}
	}
	cond, args, err := e.where(ctx, m, dom, opRead, opts.IncludeArchived)
	if err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`SELECT t."id" FROM %s t WHERE %s ORDER BY %s`, quote(m.Table), cond, orderSQL(e.reg, e.d, "t", order))
	if opts.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, int64(opts.Limit))
	} else if opts.Offset > 0 {
		q += " LIMIT ?"
		args = append(args, int64(1<<62))
	}
	if opts.Offset > 0 {
		q += " OFFSET ?"
		args = append(args, int64(opts.Offset))
	}
	return e.queryIDs(ctx, q, args...)
}

// SearchCount counts the records of model matching dom that the user may read.
func (e *Env) SearchCount(ctx context.Context, model string, dom domain.Domain, opts SearchOptions) (int64, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return 0, err
	}
	cond, args, err := e.where(ctx, m, dom, opRead, opts.IncludeArchived)
	if err != nil {
		return 0, err
	}
	var n int64
	q := fmt.Sprintf(`SELECT COUNT(*) FROM %s t WHERE %s`, quote(m.Table), cond)
	if err := e.tx.QueryRowContext(ctx, e.rb.Rebind(q), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", m.Name, err)
	}
	return n, nil
}

// SearchRead searches and reads in one call.
func (e *Env) SearchRead(ctx context.Context, model string, dom domain.Domain, fields []string, opts SearchOptions) ([]map[string]any, error) {
	return e.searchRead(ctx, model, dom, fields, opts, true)
}

// SearchReadValues is SearchRead reading as ReadValues does: many2one values
// are plain ids.
func (e *Env) SearchReadValues(ctx context.Context, model string, dom domain.Domain, fields []string, opts SearchOptions) ([]map[string]any, error) {
	return e.searchRead(ctx, model, dom, fields, opts, false)
}

func (e *Env) searchRead(ctx context.Context, model string, dom domain.Domain, fields []string, opts SearchOptions, names bool) ([]map[string]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	capped := opts.Limit == 0
	if capped {
		opts.Limit = e.reg.limits.MaxLimit
	}
	ids, err := e.Search(ctx, model, dom, opts)
	if err != nil {
		return nil, err
	}
	if capped && len(ids) == e.reg.limits.MaxLimit {
		n, err := e.SearchCount(ctx, model, dom, opts)
		if err != nil {
			return nil, err
		}
		if n > int64(len(ids)+opts.Offset) {
			return nil, validationf(m.Name, "", "more than %d records match; pass a limit and read them in pages", e.reg.limits.MaxLimit)
		}
	}
	return e.read(ctx, model, ids, fields, names)
}

// Exists returns the ids among ids that still exist (whatever the rules say, as
// Odoo's exists()).
func (e *Env) Exists(ctx context.Context, model string, ids []int64) ([]int64, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	ids, err = uniqueIDs(m.Name, ids)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if len(ids) > e.reg.limits.MaxLimit {
		return nil, validationf(m.Name, "", "%d ids exceed the limit of %d", len(ids), e.reg.limits.MaxLimit)
	}
	if err := e.checkAccess(ctx, m, opRead); err != nil {
		return nil, err
	}
	cond, condArgs := idsIn(`"id"`, ids)
	found, err := e.queryIDs(ctx, `SELECT "id" FROM `+quote(m.Table)+` WHERE `+cond, condArgs...)
	if err != nil {
		return nil, err
	}
	in := map[int64]bool{}
	for _, id := range found {
		in[id] = true
	}
	out := make([]int64, 0, len(found))
	for _, id := range ids {
		if in[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
