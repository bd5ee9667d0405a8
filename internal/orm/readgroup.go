package orm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/domain"
)

// GroupOptions page and sort the groups of ReadGroup.
type GroupOptions struct {
	Offset, Limit int
	// Order sorts groups by group-by specs, aggregate names or __count, e.g.
	// "__count desc, partner_id"; by default groups follow the group-by specs.
	Order           string
	IncludeArchived bool
}

// groupSpec is one validated group-by: a field, and for dates a granularity.
type groupSpec struct {
	key         string // as given: "date_order:month"
	field       *Field
	granularity string
}

// aggSpec is one validated aggregate: "amount:sum" → field amount, function sum,
// output key amount; "total:sum(amount)" names the output total.
type aggSpec struct {
	name  string // output key
	field *Field
	fn    string
}

var granularities = []string{"day", "week", "month", "quarter", "year"}

func (e *Env) parseGroupBy(ctx context.Context, m *Model, specs []string) ([]groupSpec, error) {
	if len(specs) == 0 || len(specs) > 4 {
		return nil, validationf(m.Name, "", "group by 1 to 4 fields, got %d", len(specs))
	}
	var out []groupSpec
	for _, s := range specs {
		name, gran, _ := strings.Cut(s, ":")
		f, ok := m.fields[name]
		if !ok || !f.IsStored() || f.IsX2Many() || f.Secret {
			return nil, validationf(m.Name, "", "cannot group by %q: it must be a stored field", clip(s))
		}
		if err := e.checkField(ctx, f, opRead); err != nil {
			return nil, err
		}
		switch {
		case f.Type == Date || f.Type == Datetime:
			if gran == "" {
				gran = "month"
			}
			valid := false
			for _, g := range granularities {
				valid = valid || g == gran
			}
			if !valid {
				return nil, validationf(m.Name, f.Name, "unknown granularity %q; use day, week, month, quarter or year", clip(gran))
			}
		case gran != "":
			return nil, validationf(m.Name, f.Name, "only dates take a granularity")
		}
		out = append(out, groupSpec{key: s, field: f, granularity: gran})
	}
	return out, nil
}

func (e *Env) parseAggregates(ctx context.Context, m *Model, specs []string) ([]aggSpec, error) {
	if len(specs) > 32 {
		return nil, validationf(m.Name, "", "at most 32 aggregates")
	}
	var aggs []aggSpec
	for _, s := range specs {
		if s == "__count" {
			continue
		}
		name, fn, _ := strings.Cut(s, ":")
		out := name
		if open := strings.IndexByte(fn, '('); open > 0 && strings.HasSuffix(fn, ")") {
			fn, name = fn[:open], fn[open+1:len(fn)-1]
		}
		f, ok := m.fields[name]
		if !ok || !f.IsStored() || f.Secret {
			return nil, validationf(m.Name, "", "cannot aggregate %q: it must be a stored field", clip(s))
		}
		if err := e.checkField(ctx, f, opRead); err != nil {
			return nil, err
		}
		numeric := f.Type == Integer || f.Type == Float || f.Type == Monetary
		if fn == "" {
			if !numeric {
				continue // Odoo ignores non-numeric fields listed without a function
			}
			fn = "sum"
		}
		switch fn {
		case "count", "count_distinct":
		case "sum", "avg":
			if !numeric {
				return nil, validationf(m.Name, f.Name, "%s needs a numeric field", fn)
			}
		case "min", "max":
			if !numeric && f.Type != Date && f.Type != Datetime {
				return nil, validationf(m.Name, f.Name, "%s needs a numeric or date field", fn)
			}
		default:
			return nil, validationf(m.Name, f.Name, "unknown aggregate %q; use count, count_distinct, sum, avg, min or max", clip(fn))
		}
		if err := checkFieldName(out); err != nil {
			return nil, validationf(m.Name, "", "aggregate name %q: %v", clip(out), err)
		}
		for _, prev := range aggs {
			if prev.name == out {
				return nil, validationf(m.Name, "", "two aggregates are named %q; name one with alias:function(field)", out)
			}
		}
		aggs = append(aggs, aggSpec{name: out, field: f, fn: fn})
	}
	return aggs, nil
}

// truncDate returns the SQL giving the first day of the period holding col.
func (d dialect) truncDate(col, gran string) string {
	if d.postgres() {
		return fmt.Sprintf("CAST(date_trunc('%s', %s) AS DATE)", gran, col)
	}
	switch gran {
	case "day":
		return "date(" + col + ")"
	case "week": // ISO weeks start on Monday
		return fmt.Sprintf("date(%s, '-' || ((CAST(strftime('%%w', %s) AS INTEGER) + 6) %% 7) || ' days')", col, col)
	case "month":
		return fmt.Sprintf("strftime('%%Y-%%m-01', %s)", col)
	case "quarter":
		return fmt.Sprintf("printf('%%s-%%02d-01', strftime('%%Y', %s), ((CAST(strftime('%%m', %s) AS INTEGER) - 1) / 3) * 3 + 1)", col, col)
	default:
		return fmt.Sprintf("strftime('%%Y-01-01', %s)", col)
	}
}

func (d dialect) aggregate(a aggSpec, col string) string {
	switch a.fn {
	case "count":
		return "COUNT(" + col + ")"
	case "count_distinct":
		return "COUNT(DISTINCT " + col + ")"
	}
	expr := strings.ToUpper(a.fn) + "(" + d.comparable(a.field, col) + ")"
	if a.field.Type == Monetary && d.postgres() {
		return "CAST(" + expr + " AS TEXT)"
	}
	if a.fn == "avg" || a.field.Type == Float {
		return "CAST(" + expr + " AS DOUBLE PRECISION)"
	}
	if a.field.Type == Integer {
		return "CAST(" + expr + " AS BIGINT)"
	}
	return expr
}

// ReadGroup groups the records matching dom by the groupBy specs (a field, or a
// date field with :day, :week, :month, :quarter or :year) and computes aggregates
// ("field:sum", avg, min, max, count, count_distinct; a bare numeric field sums).
// Each group holds its keys, __count, the aggregates and __domain, the domain
// selecting its records. Dates are grouped in UTC.
func (e *Env) ReadGroup(ctx context.Context, model string, dom domain.Domain, aggregates, groupBy []string, opts GroupOptions) ([]map[string]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	groups, err := e.parseGroupBy(ctx, m, groupBy)
	if err != nil {
		return nil, err
	}
	aggs, err := e.parseAggregates(ctx, m, aggregates)
	if err != nil {
		return nil, err
	}
	if err := e.checkPage(m, SearchOptions{Offset: opts.Offset, Limit: opts.Limit}); err != nil {
		return nil, err
	}
	cond, args, err := e.where(ctx, m, dom, opRead, opts.IncludeArchived)
	if err != nil {
		return nil, err
	}
	var sel, keys []string
	for _, g := range groups {
		col := "t." + quote(g.field.Name)
		if g.granularity != "" {
			col = e.d.truncDate(col, g.granularity)
		}
		keys = append(keys, col)
		sel = append(sel, col)
	}
	sel = append(sel, "COUNT(*)")
	exact := !e.d.postgres() // SQLite cannot sum decimals exactly: done in Go below
	for _, a := range aggs {
		if exact && a.field.Type == Monetary && a.fn != "count" && a.fn != "count_distinct" {
			sel = append(sel, "NULL")
			continue
		}
		sel = append(sel, e.d.aggregate(a, "t."+quote(a.field.Name)))
	}
	order, err := groupOrder(m, opts.Order, groups, aggs)
	if err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit == 0 {
		limit = e.reg.limits.MaxLimit
	}
	q := fmt.Sprintf("SELECT %s FROM %s t WHERE %s GROUP BY %s ORDER BY %s LIMIT ? OFFSET ?",
		strings.Join(sel, ", "), quote(m.Table), cond, strings.Join(keys, ", "), order)
	rows, err := e.query(ctx, q, append(args, int64(limit), int64(opts.Offset))...)
	if err != nil {
		return nil, fmt.Errorf("read_group %s: %w", m.Name, err)
	}
	var out []map[string]any
	var rawKeys [][]any
	width := len(sel)
	for rows.Next() {
		raw := make([]any, width)
		ptrs := make([]any, width)
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read_group %s: %w", m.Name, err)
		}
		g := map[string]any{"__count": raw[len(groups)]}
		for i, a := range aggs {
			v := raw[len(groups)+1+i]
			switch {
			case v == nil && (a.fn == "count" || a.fn == "count_distinct"):
				v = int64(0)
			case a.fn == "count" || a.fn == "count_distinct":
			case a.fn == "avg":
				if v == nil {
					v = false
				}
			default:
				if conv, err := fromColumn(a.field, v); err == nil {
					v = conv
				}
			}
			g[a.name] = v
		}
		rawKeys = append(rawKeys, raw[:len(groups)])
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read_group %s: %w", m.Name, err)
	}
	if exact {
		if err := e.exactMonetary(ctx, m, cond, args, groups, keys, aggs, rawKeys, out); err != nil {
			return nil, err
		}
	}
	return out, e.fillGroupKeys(ctx, dom, groups, rawKeys, out)
}

func groupOrder(m *Model, spec string, groups []groupSpec, aggs []aggSpec) (string, error) {
	pos := map[string]int{}
	for i, g := range groups {
		pos[g.key] = i + 1
		pos[g.field.Name] = i + 1
	}
	pos["__count"] = len(groups) + 1
	for i, a := range aggs {
		pos[a.name] = len(groups) + 2 + i
	}
	var terms []string
	if strings.TrimSpace(spec) == "" {
		for i := range groups {
			terms = append(terms, fmt.Sprintf("%d ASC NULLS LAST", i+1))
		}
		return strings.Join(terms, ", "), nil
	}
	for _, part := range strings.Split(spec, ",") {
		words := strings.Fields(part)
		if len(words) == 0 || len(words) > 2 {
			return "", validationf(m.Name, "", "group order %q: write a group or aggregate name, then asc or desc", clip(part))
		}
		p, ok := pos[words[0]]
		if !ok {
			return "", validationf(m.Name, "", "cannot order groups by %q", clip(words[0]))
		}
		dir := "ASC NULLS LAST"
		if len(words) == 2 {
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				dir = "DESC NULLS FIRST"
			default:
				return "", validationf(m.Name, "", "group order %q: direction must be asc or desc", clip(part))
			}
		}
		terms = append(terms, fmt.Sprintf("%d %s", p, dir))
	}
	return strings.Join(terms, ", "), nil
}

// exactMonetary computes monetary aggregates in Go with exact decimals (SQLite).
func (e *Env) exactMonetary(ctx context.Context, m *Model, cond string, args []any, groups []groupSpec, keys []string, aggs []aggSpec, rawKeys [][]any, out []map[string]any) error {
	var mon []aggSpec
	var cols []string
	for _, a := range aggs {
		if a.field.Type == Monetary && a.fn != "count" && a.fn != "count_distinct" {
			mon = append(mon, a)
			cols = append(cols, "t."+quote(a.field.Name))
		}
	}
	if len(mon) == 0 {
		return nil
	}
	index := map[string]int{}
	for i, k := range rawKeys {
		index[fmt.Sprint(k...)] = i
	}
	q := fmt.Sprintf("SELECT %s, %s FROM %s t WHERE %s", strings.Join(keys, ", "), strings.Join(cols, ", "), quote(m.Table), cond)
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read_group %s: %w", m.Name, err)
	}
	defer rows.Close()
	type acc struct {
		sum      *apd.Decimal
		min, max *apd.Decimal
		n        int64
	}
	accs := make([][]acc, len(out))
	for i := range accs {
		accs[i] = make([]acc, len(mon))
	}
	width := len(keys) + len(mon)
	for rows.Next() {
		raw := make([]any, width)
		ptrs := make([]any, width)
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read_group %s: %w", m.Name, err)
		}
		gi, ok := index[fmt.Sprint(raw[:len(keys)]...)]
		if !ok {
			continue // a group beyond the page
		}
		for j, a := range mon {
			if raw[len(keys)+j] == nil {
				continue
			}
			v, err := fromColumn(a.field, raw[len(keys)+j])
			if err != nil {
				return err
			}
			d := v.(*apd.Decimal)
			c := &accs[gi][j]
			if c.sum == nil {
				c.sum, c.min, c.max = new(apd.Decimal), d, d
			}
			if _, err := apd.BaseContext.WithPrecision(60).Add(c.sum, c.sum, d); err != nil {
				return err
			}
			if d.Cmp(c.min) < 0 {
				c.min = d
			}
			if d.Cmp(c.max) > 0 {
				c.max = d
			}
			c.n++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for gi := range out {
		for j, a := range mon {
			c := accs[gi][j]
			var v any = apd.New(0, 0)
			switch {
			case c.n == 0 && a.fn != "sum":
				v = false
			case a.fn == "sum":
				if c.sum != nil {
					v = c.sum
				}
			case a.fn == "min":
				v = c.min
			case a.fn == "max":
				v = c.max
			case a.fn == "avg":
				q := new(apd.Decimal)
				if _, err := apd.BaseContext.WithPrecision(34).Quo(q, c.sum, apd.New(c.n, 0)); err != nil {
					return err
				}
				f, _ := q.Float64()
				v = f
			}
			out[gi][a.name] = v
		}
	}
	return nil
}

// fillGroupKeys sets each group's key values and __domain.
func (e *Env) fillGroupKeys(ctx context.Context, dom domain.Domain, groups []groupSpec, rawKeys [][]any, out []map[string]any) error {
	for gi, g := range out {
		var leaves []any
		ranges := map[string]any{}
		for i, spec := range groups {
			raw := rawKeys[gi][i]
			if spec.granularity != "" {
				if raw == nil {
					g[spec.key] = false
					leaves = append(leaves, []any{spec.field.Name, "=", false})
					continue
				}
				start, err := periodStart(raw)
				if err != nil {
					return err
				}
				end := periodEnd(start, spec.granularity)
				g[spec.key] = periodLabel(start, spec.granularity)
				from, to := start.Format(DateLayout), end.Format(DateLayout)
				if spec.field.Type == Datetime {
					from, to = start.Format(DatetimeLayout), end.Format(DatetimeLayout)
				}
				ranges[spec.key] = map[string]any{"from": from, "to": to}
				leaves = append(leaves, []any{spec.field.Name, ">=", from}, []any{spec.field.Name, "<", to})
				continue
			}
			v, err := fromColumn(spec.field, raw)
			if err != nil {
				return err
			}
			g[spec.key] = v
			leaves = append(leaves, []any{spec.field.Name, "=", v})
		}
		if len(ranges) > 0 {
			g["__range"] = ranges
		}
		g["__domain"] = append(leaves, domainValue(dom)...)
	}
	want := make([]*Field, 0, len(groups))
	ids := make([]int64, len(out))
	rows := make(map[int64]map[string]any, len(out))
	for i, g := range out {
		ids[i] = int64(i + 1)
		rows[int64(i+1)] = g
	}
	for _, spec := range groups {
		if spec.field.Type == Many2one {
			want = append(want, spec.field)
		}
	}
	return e.nameMany2ones(ctx, want, ids, rows)
}

// domainValue renders a domain back into the list form clients send.
func domainValue(d domain.Domain) []any {
	if d.MatchesAll() {
		return nil
	}
	v, err := domainToValue(d.Root())
	if err != nil {
		return nil
	}
	return v
}

func domainToValue(n domain.Node) ([]any, error) {
	switch n := n.(type) {
	case domain.Constant:
		if n {
			return []any{[]any{int64(1), "=", int64(1)}}, nil
		}
		return []any{[]any{int64(0), "=", int64(1)}}, nil
	case domain.Leaf:
		return []any{[]any{n.Field(), string(n.Operator), valueToGo(n.Value)}}, nil
	case domain.Not:
		inner, err := domainToValue(n.Child)
		return append([]any{"!"}, inner...), err
	case domain.And, domain.Or:
		op, children := "&", []domain.Node(nil)
		if o, ok := n.(domain.Or); ok {
			op, children = "|", o.Children
		} else {
			children = n.(domain.And).Children
		}
		var out []any
		for i := 0; i < len(children)-1; i++ {
			out = append(out, op)
		}
		for _, c := range children {
			v, err := domainToValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected node %T", n)
}

func valueToGo(v domain.Value) any {
	switch x := v.(type) {
	case domain.None:
		return nil
	case domain.Bool:
		return bool(x)
	case domain.Int:
		return int64(x)
	case domain.Float:
		return float64(x)
	case domain.String:
		return string(x)
	case domain.List:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = valueToGo(item)
		}
		return out
	}
	return nil
}

func periodStart(raw any) (time.Time, error) {
	switch t := raw.(type) {
	case time.Time:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	case string:
		return time.Parse(DateLayout, t[:min(len(t), 10)])
	case []byte:
		return time.Parse(DateLayout, string(t[:min(len(t), 10)]))
	}
	return time.Time{}, fmt.Errorf("read_group: unexpected period value %T", raw)
}

func periodEnd(start time.Time, gran string) time.Time {
	switch gran {
	case "day":
		return start.AddDate(0, 0, 1)
	case "week":
		return start.AddDate(0, 0, 7)
	case "month":
		return start.AddDate(0, 1, 0)
	case "quarter":
		return start.AddDate(0, 3, 0)
	}
	return start.AddDate(1, 0, 0)
}

// periodLabel names a period as Odoo does in English.
func periodLabel(start time.Time, gran string) string {
	switch gran {
	case "day":
		return start.Format("02 Jan 2006")
	case "week":
		y, w := start.ISOWeek()
		return fmt.Sprintf("W%d %d", w, y)
	case "month":
		return start.Format("January 2006")
	case "quarter":
		return fmt.Sprintf("Q%d %d", (int(start.Month())-1)/3+1, start.Year())
	}
	return start.Format("2006")
}
