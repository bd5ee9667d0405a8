package orm

import (
	"context"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
)

// compiler turns a domain into a SQL condition. Identifiers come only from the
// registry (fields are looked up, never copied from input); every value is
// appended to args and written as a placeholder, in text order.
type compiler struct {
	ctx    context.Context
	env    *Env
	access bool // check field groups and apply comodel rules on paths
	args   []any
	n      int
}

func (e *Env) newCompiler(ctx context.Context, access bool) *compiler {
	return &compiler{ctx: ctx, env: e, access: access && !e.su}
}

func (c *compiler) alias() string {
	c.n++
	return fmt.Sprintf("t%d", c.n)
}

func (c *compiler) bindArg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// domain compiles d for model m whose table is aliased alias.
func (c *compiler) domain(m *Model, alias string, d domain.Domain) (string, error) {
	return c.node(m, alias, d.Root(), false)
}

const (
	sqlTrue  = "(1 = 1)"
	sqlFalse = "(1 = 0)"
)

// node compiles n; negated asks for NOT n, which is pushed down to the leaves the
// way Odoo does, so that ('!', ('a','=',1)) means a != 1 and includes empty a.
func (c *compiler) node(m *Model, alias string, n domain.Node, negated bool) (string, error) {
	switch n := n.(type) {
	case domain.Constant:
		if bool(n) != negated {
			return sqlTrue, nil
		}
		return sqlFalse, nil
	case domain.Not:
		return c.node(m, alias, n.Child, !negated)
	case domain.And:
		return c.join(m, alias, n.Children, negated, " AND ", " OR ")
	case domain.Or:
		return c.join(m, alias, n.Children, negated, " OR ", " AND ")
	case domain.Leaf:
		if negated {
			if inv, ok := negation(n.Operator); ok {
				return c.leaf(m, alias, n.Path, inv, n.Value)
			}
			s, err := c.leaf(m, alias, n.Path, n.Operator, n.Value)
			if err != nil {
				return "", err
			}
			return "(NOT COALESCE(" + s + ", " + sqlFalse + "))", nil
		}
		return c.leaf(m, alias, n.Path, n.Operator, n.Value)
	}
	return "", fmt.Errorf("compile domain: unexpected node %T", n)
}

func (c *compiler) join(m *Model, alias string, children []domain.Node, negated bool, op, negOp string) (string, error) {
	if negated {
		op = negOp
	}
	parts := make([]string, len(children))
	for i, ch := range children {
		s, err := c.node(m, alias, ch, negated)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return "(" + strings.Join(parts, op) + ")", nil
}

// negation is Odoo's table of operator inverses.
func negation(op domain.Operator) (domain.Operator, bool) {
	switch op {
	case domain.OpEqual:
		return domain.OpNotEqual, true
	case domain.OpNotEqual:
		return domain.OpEqual, true
	case domain.OpLess:
		return domain.OpGreaterOrEqual, true
	case domain.OpGreaterOrEqual:
		return domain.OpLess, true
	case domain.OpGreater:
		return domain.OpLessOrEqual, true
	case domain.OpLessOrEqual:
		return domain.OpGreater, true
	case domain.OpIn:
		return domain.OpNotIn, true
	case domain.OpNotIn:
		return domain.OpIn, true
	case domain.OpLike:
		return domain.OpNotLike, true
	case domain.OpNotLike:
		return domain.OpLike, true
	case domain.OpILike:
		return domain.OpNotILike, true
	case domain.OpNotILike:
		return domain.OpILike, true
	}
	return "", false
}

func isNegative(op domain.Operator) bool {
	switch op {
	case domain.OpNotEqual, domain.OpNotIn, domain.OpNotLike, domain.OpNotILike:
		return true
	}
	return false
}

func isLikeOp(op domain.Operator) bool {
	switch op {
	case domain.OpLike, domain.OpNotLike, domain.OpILike, domain.OpNotILike, domain.OpEqualLike, domain.OpEqualILike:
		return true
	}
	return false
}

func (c *compiler) field(m *Model, name string) (*Field, error) {
	f, ok := m.fields[name]
	if !ok {
		return nil, validationf(m.Name, "", "invalid field %q in the domain", clip(name))
	}
	if f.Secret {
		return nil, validationf(m.Name, f.Name, "a secret field cannot be searched")
	}
	if c.access {
		if err := c.env.checkField(c.ctx, f, opRead); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (c *compiler) leaf(m *Model, alias string, path []string, op domain.Operator, v domain.Value) (string, error) {
	f, err := c.field(m, path[0])
	if err != nil {
		return "", err
	}
	if f.Related != "" {
		full := make([]string, 0, len(f.related)+len(path)-1)
		for _, step := range f.related {
			full = append(full, step.Name)
		}
		return c.leaf(m, alias, append(full, path[1:]...), op, v)
	}
	if f.Name == "display_name" {
		rn, ok := m.fields[m.RecName]
		if !ok || m.RecName == "display_name" {
			return "", validationf(m.Name, f.Name, "records of this model have no searchable name")
		}
		return c.leaf(m, alias, append([]string{rn.Name}, path[1:]...), op, v)
	}
	if f.Type == Binary {
		return "", validationf(m.Name, f.Name, "binary content cannot be searched")
	}
	if !f.IsStored() && !f.IsX2Many() {
		return "", validationf(m.Name, f.Name, "the field is computed on the fly and cannot be searched")
	}
	if len(path) > 1 {
		return c.path(m, alias, f, path[1:], op, v)
	}
	switch {
	case f.IsX2Many():
		return c.x2many(m, alias, f, op, v)
	case op == domain.OpChildOf || op == domain.OpParentOf:
		return c.hierarchy(m, alias, f, op, v)
	case f.Type == Many2one && isNameMatch(op, v):
		return c.many2oneName(alias, f, op, v)
	}
	return c.column(f, alias+"."+quote(f.Name), op, v)
}

// isNameMatch reports a many2one compared with text: Odoo matches the target's name.
func isNameMatch(op domain.Operator, v domain.Value) bool {
	_, isString := v.(domain.String)
	return isString && (isLikeOp(op) || op == domain.OpEqual || op == domain.OpNotEqual)
}

// comodelRule returns " AND <rules>" restricting a subquery over co to the records
// the user may read, or "" when no access checks apply.
func (c *compiler) comodelRule(co *Model, alias string) (string, error) {
	if !c.access {
		return "", nil
	}
	if err := c.env.checkAccess(c.ctx, co, opRead); err != nil {
		return "", err
	}
	s, err := c.env.ruleCondition(c.ctx, c, co, alias, opRead)
	if err != nil || s == "" {
		return "", err
	}
	return " AND " + s, nil
}

// path follows a relational field to the rest of a dotted path with EXISTS.
func (c *compiler) path(m *Model, alias string, f *Field, rest []string, op domain.Operator, v domain.Value) (string, error) {
	co := c.env.reg.models[f.Comodel]
	switch f.Type {
	case Many2one:
		sub := c.alias()
		inner, err := c.leaf(co, sub, rest, op, v)
		if err != nil {
			return "", err
		}
		rule, err := c.comodelRule(co, sub)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf(`EXISTS (SELECT 1 FROM %s %s WHERE %s."id" = %s.%s AND %s%s)`,
			quote(co.Table), sub, sub, alias, quote(f.Name), inner, rule), nil
	case One2many, Many2many:
		// A negative condition through a list means "no element matches".
		neg := isNegative(op)
		if neg {
			op, _ = negation(op)
		}
		sub := c.alias()
		from, link := c.x2manyJoin(alias, f, co, sub)
		inner, err := c.leaf(co, sub, rest, op, v)
		if err != nil {
			return "", err
		}
		rule, err := c.comodelRule(co, sub)
		if err != nil {
			return "", err
		}
		s := fmt.Sprintf(`EXISTS (SELECT 1 FROM %s WHERE %s AND %s%s)`, from, link, inner, rule)
		if neg {
			s = "(NOT " + s + ")"
		}
		return s, nil
	}
	return "", validationf(m.Name, f.Name, "the field is not relational; a path cannot continue after it")
}

// x2manyJoin returns the FROM list and link condition reaching the elements of an
// x2many field of the record aliased alias; the elements are aliased sub.
func (c *compiler) x2manyJoin(alias string, f *Field, co *Model, sub string) (string, string) {
	if f.Type == One2many {
		only, args := f.onlySQL(sub)
		c.args = append(c.args, args...)
		return quote(co.Table) + " " + sub, fmt.Sprintf(`%s.%s = %s."id"%s`, sub, quote(f.InverseName), alias, only)
	}
	rel := c.alias()
	from := fmt.Sprintf(`%s %s JOIN %s %s ON %s."id" = %s.%s`, quote(f.Relation), rel, quote(co.Table), sub, sub, rel, quote(f.Column2))
	return from, fmt.Sprintf(`%s.%s = %s."id"`, rel, quote(f.Column1), alias)
}

// x2many compares the elements of a list field: ids, emptiness, or their names.
func (c *compiler) x2many(m *Model, alias string, f *Field, op domain.Operator, v domain.Value) (string, error) {
	co := c.env.reg.models[f.Comodel]
	neg := isNegative(op)
	pos := op
	if neg {
		pos, _ = negation(op)
	}
	var s string
	switch pos {
	case domain.OpEqual, domain.OpIn:
		list, ok := v.(domain.List)
		if !ok {
			list = domain.List{v}
		}
		ids, hasEmpty, err := idList(m, f, list)
		if err != nil {
			return "", err
		}
		var parts []string
		if len(ids) > 0 {
			sub := c.alias()
			from, link := c.x2manyJoin(alias, f, co, sub)
			in := placeholders(len(ids))
			c.args = append(c.args, int64Args(ids)...)
			rule, err := c.comodelRule(co, sub)
			if err != nil {
				return "", err
			}
			parts = append(parts, fmt.Sprintf(`EXISTS (SELECT 1 FROM %s WHERE %s AND %s."id" IN (%s)%s)`, from, link, sub, in, rule))
		}
		if hasEmpty {
			sub := c.alias()
			from, link := c.x2manyJoin(alias, f, co, sub)
			rule, err := c.comodelRule(co, sub)
			if err != nil {
				return "", err
			}
			parts = append(parts, fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM %s WHERE %s%s)`, from, link, rule))
		}
		if len(parts) == 0 {
			s = sqlFalse
		} else {
			s = "(" + strings.Join(parts, " OR ") + ")"
		}
	case domain.OpLike, domain.OpILike, domain.OpEqualLike, domain.OpEqualILike:
		rn, ok := co.fields[co.RecName]
		if !ok || !rn.IsStored() {
			return "", validationf(m.Name, f.Name, "the related records have no searchable name")
		}
		return c.path(m, alias, f, []string{rn.Name}, op, v)
	default:
		return "", validationf(m.Name, f.Name, "operator %q does not apply to a list of records", op)
	}
	if neg {
		s = "(NOT " + s + ")"
	}
	return s, nil
}

// idList splits a list of ids from the "empty" markers False and None.
func idList(m *Model, f *Field, list domain.List) ([]int64, bool, error) {
	var ids []int64
	empty := false
	for _, item := range list {
		switch x := item.(type) {
		case domain.None:
			empty = true
		case domain.Bool:
			if bool(x) {
				return nil, false, validationf(m.Name, f.Name, "expected record ids, got True")
			}
			empty = true
		case domain.Int:
			ids = append(ids, int64(x))
		default:
			return nil, false, validationf(m.Name, f.Name, "expected record ids, got %s", clip(item.String()))
		}
	}
	return ids, empty, nil
}

// hierarchy compiles child_of and parent_of with a recursive query over the
// model's parent field. UNION (not UNION ALL) stops at cycles.
func (c *compiler) hierarchy(m *Model, alias string, f *Field, op domain.Operator, v domain.Value) (string, error) {
	h := m
	if f.Name != "id" {
		if f.Type != Many2one {
			return "", validationf(m.Name, f.Name, "operator %q needs a many2one or the id", op)
		}
		h = c.env.reg.models[f.Comodel]
	}
	ids, _, err := idList(m, f, v.(domain.List))
	if err != nil {
		return "", err
	}
	col := alias + "." + quote(f.Name)
	if len(ids) == 0 {
		return sqlFalse, nil
	}
	if h.ParentName == "" {
		c.args = append(c.args, int64Args(ids)...)
		return fmt.Sprintf("%s IN (%s)", col, placeholders(len(ids))), nil
	}
	cte, x, y := c.alias(), c.alias(), c.alias()
	parent := quote(h.ParentName)
	in := placeholders(len(ids))
	c.args = append(c.args, int64Args(ids)...)
	step := fmt.Sprintf(`SELECT %s."id" FROM %s %s JOIN %s ON %s.%s = %s."id"`, y, quote(h.Table), y, cte, y, parent, cte)
	if op == domain.OpParentOf {
		step = fmt.Sprintf(`SELECT %s.%s FROM %s %s JOIN %s ON %s."id" = %s."id" WHERE %s.%s IS NOT NULL`, y, parent, quote(h.Table), y, cte, y, cte, y, parent)
	}
	return fmt.Sprintf(`%s IN (WITH RECURSIVE %s("id") AS (SELECT %s."id" FROM %s %s WHERE %s."id" IN (%s) UNION %s) SELECT "id" FROM %s)`,
		col, cte, x, quote(h.Table), x, x, in, step, cte), nil
}

// many2oneName matches a many2one by the name of its target, as Odoo does for
// ('partner_id', 'ilike', 'acme').
func (c *compiler) many2oneName(alias string, f *Field, op domain.Operator, v domain.Value) (string, error) {
	co := c.env.reg.models[f.Comodel]
	rn, ok := co.fields[co.RecName]
	if !ok || !rn.IsStored() || rn.Type == Many2one {
		return "", validationf(f.model.Name, f.Name, "the target records have no searchable name; compare with an id")
	}
	neg := isNegative(op)
	pos := op
	if neg {
		pos, _ = negation(op)
	}
	sub := c.alias()
	cond, err := c.column(rn, sub+"."+quote(rn.Name), pos, v)
	if err != nil {
		return "", err
	}
	rule, err := c.comodelRule(co, sub)
	if err != nil {
		return "", err
	}
	col := alias + "." + quote(f.Name)
	in := fmt.Sprintf(`%s IN (SELECT %s."id" FROM %s %s WHERE %s%s)`, col, sub, quote(co.Table), sub, cond, rule)
	if neg {
		return fmt.Sprintf("(%s IS NULL OR NOT %s)", col, in), nil
	}
	return in, nil
}

func isEmptyValue(v domain.Value) bool {
	switch x := v.(type) {
	case domain.None:
		return true
	case domain.Bool:
		return !bool(x)
	}
	return false
}

// column compares one stored column with Odoo's NULL semantics: '=' False is IS
// NULL, '!=' and the negative operators include empty values.
func (c *compiler) column(f *Field, col string, op domain.Operator, v domain.Value) (string, error) {
	d := c.env.d
	cmp := d.comparable(f, col)
	switch op {
	case domain.OpEqual, domain.OpNotEqual:
		if f.Type == Boolean {
			b, ok := v.(domain.Bool)
			if !ok && !isEmptyValue(v) {
				return "", validationf(f.model.Name, f.Name, "expected True or False, got %s", clip(v.String()))
			}
			if (ok && bool(b)) == (op == domain.OpEqual) {
				return fmt.Sprintf("%s = %s", col, c.bindArg(d.boolParam(true))), nil
			}
			return fmt.Sprintf("(%s IS NULL OR %s = %s)", col, col, c.bindArg(d.boolParam(false))), nil
		}
		if isEmptyValue(v) || v == domain.Value(domain.Bool(true)) {
			isNull := isEmptyValue(v) == (op == domain.OpEqual)
			if isNull {
				return col + " IS NULL", nil
			}
			return col + " IS NOT NULL", nil
		}
		p, err := c.bind(f, v)
		if err != nil {
			return "", err
		}
		if op == domain.OpEqual {
			return fmt.Sprintf("%s = %s", cmp, c.param(f, p)), nil
		}
		return fmt.Sprintf("(%s <> %s OR %s IS NULL)", cmp, c.param(f, p), col), nil
	case domain.OpLess, domain.OpLessOrEqual, domain.OpGreater, domain.OpGreaterOrEqual:
		if f.Type == Boolean {
			return "", validationf(f.model.Name, f.Name, "operator %q does not apply to a boolean", op)
		}
		p, err := c.bind(f, v)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %s %s", cmp, string(op), c.param(f, p)), nil
	case domain.OpLike, domain.OpNotLike, domain.OpILike, domain.OpNotILike, domain.OpEqualLike, domain.OpEqualILike:
		switch f.Type {
		case Char, Text, HTML, Selection:
		default:
			return "", validationf(f.model.Name, f.Name, "operator %q needs a text field; this one is %s", op, f.Type)
		}
		s := string(v.(domain.String))
		if strings.IndexByte(s, 0) >= 0 {
			return "", validationf(f.model.Name, f.Name, "the search text contains a NUL character")
		}
		pattern := s
		if op != domain.OpEqualLike && op != domain.OpEqualILike {
			pattern = "%" + s + "%"
		}
		ci := op == domain.OpILike || op == domain.OpNotILike || op == domain.OpEqualILike
		expr, arg := d.like(col, pattern, ci)
		c.args = append(c.args, arg)
		if op == domain.OpNotLike || op == domain.OpNotILike {
			return fmt.Sprintf("(NOT (%s) OR %s IS NULL)", expr, col), nil
		}
		return expr, nil
	case domain.OpIn, domain.OpNotIn:
		return c.inList(f, col, cmp, op == domain.OpNotIn, v.(domain.List))
	}
	return "", validationf(f.model.Name, f.Name, "operator %q does not apply to a %s field", op, f.Type)
}

func (c *compiler) param(f *Field, p any) string {
	c.args = append(c.args, p)
	return c.env.d.param(f)
}

func (c *compiler) inList(f *Field, col, cmp string, not bool, list domain.List) (string, error) {
	d := c.env.d
	if f.Type == Boolean {
		var parts []string
		for _, item := range list {
			s, err := c.column(f, col, domain.OpEqual, item)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			parts = []string{sqlFalse}
		}
		s := "(" + strings.Join(parts, " OR ") + ")"
		if not {
			s = "(NOT " + s + ")"
		}
		return s, nil
	}
	hasNull := false
	var marks []string
	for _, item := range list {
		if isEmptyValue(item) {
			hasNull = true
			continue
		}
		p, err := c.bind(f, item)
		if err != nil {
			return "", err
		}
		c.args = append(c.args, p)
		marks = append(marks, d.param(f))
	}
	in := ""
	if len(marks) > 0 {
		in = fmt.Sprintf("%s IN (%s)", cmp, strings.Join(marks, ", "))
	}
	switch {
	case !not && in == "" && !hasNull:
		return sqlFalse, nil
	case !not && in == "":
		return col + " IS NULL", nil
	case !not && hasNull:
		return fmt.Sprintf("(%s OR %s IS NULL)", in, col), nil
	case !not:
		return in, nil
	case in == "" && !hasNull:
		return sqlTrue, nil
	case in == "":
		return col + " IS NOT NULL", nil
	case hasNull:
		return fmt.Sprintf("(NOT %s AND %s IS NOT NULL)", in, col), nil
	default:
		return fmt.Sprintf("(NOT %s OR %s IS NULL)", in, col), nil
	}
}

// bind converts a domain value to the parameter compared with f's column.
func (c *compiler) bind(f *Field, v domain.Value) (any, error) {
	bad := func() error {
		return validationf(f.model.Name, f.Name, "cannot compare a %s field with %s", f.Type, clip(v.String()))
	}
	switch f.Type {
	case Integer, Many2one:
		switch x := v.(type) {
		case domain.Int:
			return int64(x), nil
		case domain.Float:
			if n, err := toInt64(float64(x)); err == nil {
				return n, nil
			}
		}
		return nil, bad()
	case Float:
		switch x := v.(type) {
		case domain.Int:
			return float64(x), nil
		case domain.Float:
			return float64(x), nil
		}
		return nil, bad()
	case Monetary:
		var in any
		switch x := v.(type) {
		case domain.Int:
			in = int64(x)
		case domain.Float:
			in = float64(x)
		case domain.String:
			in = string(x)
		default:
			return nil, bad()
		}
		dec, err := toDecimal(in)
		if err != nil {
			return nil, validationf(f.model.Name, f.Name, "%s", err)
		}
		return dec.Text('f'), nil
	case Char, Text, HTML, Selection:
		switch x := v.(type) {
		case domain.String:
			if strings.IndexByte(string(x), 0) >= 0 {
				return nil, validationf(f.model.Name, f.Name, "the search text contains a NUL character")
			}
			return string(x), nil
		case domain.Int:
			return x.String(), nil
		}
		return nil, bad()
	case Date, Datetime:
		s, ok := v.(domain.String)
		if !ok {
			return nil, bad()
		}
		t, err := toTime(string(s), false)
		if err != nil {
			return nil, validationf(f.model.Name, f.Name, "%s", err)
		}
		if f.Type == Date {
			return t.Format(DateLayout), nil
		}
		return t.Format(DatetimeLayout), nil
	}
	return nil, bad()
}
