package orm

import (
	"context"
	"fmt"
	"strings"
)

// Read returns the requested fields of the records, in the order of ids. With no
// fields it returns every field the user may see. Many2one values are [id, name],
// x2many values id lists, empty values false (0 for numbers).
func (e *Env) Read(ctx context.Context, model string, ids []int64, fields []string) ([]map[string]any, error) {
	return e.read(ctx, model, ids, fields, true)
}

// ReadValues is Read for code that computes with the values rather than shows
// them: a many2one value is the plain id (false when empty), so no display name
// is looked up, which costs a query per many2one field. Access rights, record
// rules and field groups apply as they do to Read.
func (e *Env) ReadValues(ctx context.Context, model string, ids []int64, fields []string) ([]map[string]any, error) {
	return e.read(ctx, model, ids, fields, false)
}

// read is Read, with many2one values named or plain ids.
func (e *Env) read(ctx context.Context, model string, ids []int64, fields []string, names bool) ([]map[string]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	ids, err = uniqueIDs(m.Name, ids)
	if err != nil {
		return nil, err
	}
	if len(ids) > e.reg.limits.MaxLimit {
		return nil, validationf(m.Name, "", "reading %d records at once exceeds the limit of %d", len(ids), e.reg.limits.MaxLimit)
	}
	if err := e.checkAccess(ctx, m, opRead); err != nil {
		return nil, err
	}
	want, err := e.readableFields(ctx, m, fields)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []map[string]any{}, nil
	}
	rows, err := e.readRows(ctx, m, ids, want)
	if err != nil {
		return nil, err
	}
	if len(rows) != len(ids) {
		// Tell missing records from forbidden ones; both abort the whole read.
		if err := e.checkRules(ctx, m, ids, opRead); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("read %s: records changed during the read", m.Name)
	}
	if err := e.fillComputed(ctx, m, ids, want, rows, names); err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = rows[id]
	}
	return out, nil
}

// readableFields resolves the field list of a read. Named fields must exist and be
// allowed; with none, every allowed field is read and restricted ones are skipped.
func (e *Env) readableFields(ctx context.Context, m *Model, names []string) ([]*Field, error) {
	var out []*Field
	if len(names) == 0 {
		for _, name := range m.fieldOrder {
			f := m.fields[name]
			ok, err := e.fieldAllowed(ctx, f)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, f)
			}
		}
		return out, nil
	}
	if len(names) > len(m.fields) {
		return nil, validationf(m.Name, "", "%d fields requested; the model has %d", len(names), len(m.fields))
	}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		f, ok := m.fields[name]
		if !ok {
			return nil, validationf(m.Name, "", "invalid field %q", clip(name))
		}
		if err := e.checkField(ctx, f, opRead); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// readRows selects the stored fields of the visible records among ids.
func (e *Env) readRows(ctx context.Context, m *Model, ids []int64, want []*Field) (map[int64]map[string]any, error) {
	cols := []string{`t."id"`}
	var stored []*Field
	for _, f := range want {
		if f.IsStored() && f.Name != "id" {
			stored = append(stored, f)
			cols = append(cols, e.d.selectExpr(f, "t."+quote(f.Name)))
		}
	}
	cond, inArgs := idsIn(`t."id"`, ids)
	c := e.newCompiler(ctx, false)
	c.args = inArgs
	r, err := e.ruleCondition(ctx, c, m, "t", opRead)
	if err != nil {
		return nil, err
	}
	if r != "" {
		cond += " AND " + r
	}
	args := c.args
	rows, err := e.query(ctx, fmt.Sprintf("SELECT %s FROM %s t WHERE %s", strings.Join(cols, ", "), quote(m.Table), cond), args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Name, err)
	}
	defer rows.Close()
	out := make(map[int64]map[string]any, len(ids))
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Name, err)
		}
		id, _ := raw[0].(int64)
		rec := make(map[string]any, len(want))
		rec["id"] = id
		for i, f := range stored {
			v, err := fromColumn(f, raw[i+1])
			if err != nil {
				return nil, err
			}
			if f.Secret {
				v = ""
			}
			rec[f.Name] = v
		}
		out[id] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Name, err)
	}
	return out, nil
}

// fillComputed adds x2many ids, related and computed fields and, with names,
// many2one names.
func (e *Env) fillComputed(ctx context.Context, m *Model, ids []int64, want []*Field, rows map[int64]map[string]any, names bool) error {
	for _, f := range want {
		switch {
		case f.Name == "display_name":
			names, err := e.displayNames(ctx, m, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				rows[id]["display_name"] = names[id]
			}
		case f.Related != "":
			vals, err := e.relatedValues(ctx, m, ids, f, names)
			if err != nil {
				return err
			}
			for _, id := range ids {
				rows[id][f.Name] = vals[id]
			}
		case f.Compute != nil && !f.Store:
			vals, err := f.Compute(ctx, e, ids)
			if err != nil {
				return fmt.Errorf("compute %s.%s: %w", m.Name, f.Name, err)
			}
			for _, id := range ids {
				v, err := e.computedToRead(f, vals[id])
				if err != nil {
					return err
				}
				rows[id][f.Name] = v
			}
		case f.Type == Binary:
			vals, err := e.readBinaries(ctx, m, f, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				rows[id][f.Name] = vals[id]
			}
		case f.IsX2Many():
			vals, err := e.x2manyIDs(ctx, f, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				list := vals[id]
				if list == nil {
					list = []int64{}
				}
				rows[id][f.Name] = list
			}
		}
	}
	if !names {
		return nil
	}
	return e.nameMany2ones(ctx, want, ids, rows)
}

// nameMany2ones turns many2one ids into [id, display_name]. Names are read with
// Sudo, as Odoo does: linking a record already required access to it.
func (e *Env) nameMany2ones(ctx context.Context, want []*Field, ids []int64, rows map[int64]map[string]any) error {
	for _, f := range want {
		if f.Type != Many2one {
			continue
		}
		var targets []int64
		seen := map[int64]bool{}
		for _, id := range ids {
			if t, ok := rows[id][f.Name].(int64); ok && t > 0 && !seen[t] {
				seen[t] = true
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 {
			continue
		}
		names, err := e.Sudo().displayNames(ctx, e.reg.models[f.Comodel], targets)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if t, ok := rows[id][f.Name].(int64); ok && t > 0 {
				rows[id][f.Name] = []any{t, names[t]}
			}
		}
	}
	return nil
}

// displayNames returns the record name of each id, or "model,id" when the model
// has no name field.
func (e *Env) displayNames(ctx context.Context, m *Model, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if m.RecName == "" {
		for _, id := range ids {
			out[id] = fmt.Sprintf("%s,%d", m.Name, id)
		}
		return out, nil
	}
	recs, err := e.Sudo().Read(ctx, m.Name, ids, []string{m.RecName})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		id := r["id"].(int64)
		switch v := r[m.RecName].(type) {
		case string:
			out[id] = v
		case []any:
			out[id], _ = v[1].(string)
		default:
			out[id] = ""
		}
	}
	return out, nil
}

// x2manyIDs returns the ids of the elements of an x2many field per record, in the
// comodel's order, limited to elements the user may read.
func (e *Env) x2manyIDs(ctx context.Context, f *Field, ids []int64) (map[int64][]int64, error) {
	co := e.reg.models[f.Comodel]
	var q string
	args := int64Args(ids)
	if f.Type == One2many {
		only, onlyArgs := f.onlySQL("t")
		q = fmt.Sprintf(`SELECT t.%s, t."id" FROM %s t WHERE t.%s IN (%s)%s`, quote(f.InverseName), quote(co.Table), quote(f.InverseName), placeholders(len(ids)), only)
		args = append(args, onlyArgs...)
	} else {
		q = fmt.Sprintf(`SELECT r.%s, t."id" FROM %s r JOIN %s t ON t."id" = r.%s WHERE r.%s IN (%s)`,
			quote(f.Column1), quote(f.Relation), quote(co.Table), quote(f.Column2), quote(f.Column1), placeholders(len(ids)))
	}
	if co.HasActive() {
		q += ` AND t."active" = ?`
		args = append(args, e.d.boolParam(true))
	}
	c := e.newCompiler(ctx, false)
	c.args = args
	r, err := e.ruleCondition(ctx, c, co, "t", opRead)
	if err != nil {
		return nil, err
	}
	if r != "" {
		q += " AND " + r
	}
	args = c.args
	q += " ORDER BY " + orderSQL(e.reg, e.d, "t", co.order)
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", f.model.Name, f.Name, err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var owner, id int64
		if err := rows.Scan(&owner, &id); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", f.model.Name, f.Name, err)
		}
		out[owner] = append(out[owner], id)
	}
	return out, rows.Err()
}

// relatedValues follows a related field's path with Sudo, as Odoo does; with
// names, a many2one at the end of the path is [id, name].
func (e *Env) relatedValues(ctx context.Context, m *Model, ids []int64, f *Field, names bool) (map[int64]any, error) {
	if joinable(f, names) {
		return e.relatedByJoin(ctx, m, ids, f)
	}
	su := e.Sudo()
	cur := make(map[int64]int64, len(ids)) // record → record of the current step's model
	for _, id := range ids {
		cur[id] = id
	}
	model := m
	for _, step := range f.related[:len(f.related)-1] {
		targets := distinct(cur)
		recs, err := su.read(ctx, model.Name, targets, []string{step.Name}, false)
		if err != nil {
			return nil, err
		}
		next := map[int64]int64{}
		for _, r := range recs {
			if id, ok := r[step.Name].(int64); ok && id > 0 {
				next[r["id"].(int64)] = id
			}
		}
		for id, t := range cur {
			if n, ok := next[t]; ok {
				cur[id] = n
			} else {
				delete(cur, id)
			}
		}
		model = e.reg.models[step.Comodel]
	}
	last := f.related[len(f.related)-1]
	out := make(map[int64]any, len(ids))
	recs, err := su.read(ctx, model.Name, distinct(cur), []string{last.Name}, names)
	if err != nil {
		return nil, err
	}
	byID := map[int64]any{}
	for _, r := range recs {
		byID[r["id"].(int64)] = r[last.Name]
	}
	empty, _ := fromColumn(last, nil)
	for _, id := range ids {
		if t, ok := cur[id]; ok {
			out[id] = byID[t]
		} else if last.IsX2Many() {
			out[id] = []int64{}
		} else {
			out[id] = empty
		}
	}
	return out, nil
}

// joinable reports whether a related field can be read with one query joining
// its path: every step a stored many2one, the end a plain stored column.
func joinable(f *Field, names bool) bool {
	last := f.related[len(f.related)-1]
	if !last.IsStored() || last.IsX2Many() || last.Type == Binary || last.Secret || last.Related != "" || (last.Type == Many2one && names) {
		return false
	}
	for _, step := range f.related[:len(f.related)-1] {
		if step.Type != Many2one || !step.IsStored() || step.Related != "" {
			return false
		}
	}
	return true
}

// relatedByJoin reads a joinable related field as the system, following its
// path with joins: a record whose path breaks gets the empty value.
func (e *Env) relatedByJoin(ctx context.Context, m *Model, ids []int64, f *Field) (map[int64]any, error) {
	var joins strings.Builder
	alias := "t0"
	for i, step := range f.related[:len(f.related)-1] {
		next := fmt.Sprintf("t%d", i+1)
		fmt.Fprintf(&joins, ` LEFT JOIN %s %s ON %s."id" = %s.%s`, quote(e.reg.models[step.Comodel].Table), next, next, alias, quote(step.Name))
		alias = next
	}
	last := f.related[len(f.related)-1]
	in, args := idsIn(`t0."id"`, ids)
	q := fmt.Sprintf(`SELECT t0."id", %s FROM %s t0%s WHERE %s`, e.d.selectExpr(last, alias+"."+quote(last.Name)), quote(m.Table), joins.String(), in)
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
	}
	defer rows.Close()
	out := make(map[int64]any, len(ids))
	for rows.Next() {
		var id int64
		var raw any
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
		}
		v, err := fromColumn(last, raw)
		if err != nil {
			return nil, err
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
	}
	empty, _ := fromColumn(last, nil)
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = empty
		}
	}
	return out, nil
}

func distinct(m map[int64]int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, v := range m {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// computedToRead converts a computed value (in write form) to read form.
func (e *Env) computedToRead(f *Field, v any) (any, error) {
	if f.IsX2Many() {
		ids, err := toIDs(v, e.reg.limits.MaxLimit)
		if err != nil && !isFalsy(v) {
			return nil, validationf(f.model.Name, f.Name, "computed value: %s", err)
		}
		if ids == nil {
			ids = []int64{}
		}
		return ids, nil
	}
	p, err := e.d.toColumn(f, v)
	if err != nil {
		return nil, err
	}
	return fromColumn(f, p)
}
