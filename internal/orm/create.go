package orm

import (
	"context"
	"fmt"
	"strings"
)

// Create makes one record per vals mapping and returns their ids. Missing fields
// take their defaults; x2many fields take command lists. The new records must
// satisfy the user's create rules, or nothing is created.
func (e *Env) Create(ctx context.Context, model string, vals []map[string]any) ([]int64, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	return e.create(ctx, m, vals, 0)
}

func (e *Env) create(ctx context.Context, m *Model, vals []map[string]any, depth int) ([]int64, error) {
	if len(vals) > e.reg.limits.MaxCreateBatch {
		return nil, validationf(m.Name, "", "%d records in one create exceed the limit of %d", len(vals), e.reg.limits.MaxCreateBatch)
	}
	if depth > e.reg.limits.MaxCommandDepth {
		return nil, validationf(m.Name, "", "commands nest deeper than %d levels", e.reg.limits.MaxCommandDepth)
	}
	if err := e.checkAccess(ctx, m, opCreate); err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return []int64{}, nil
	}
	var ids []int64
	err := e.atomically(ctx, func() error {
		for _, v := range vals {
			id, err := e.insert(ctx, m, v, depth)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := e.roundMonetary(ctx, m, ids, nil); err != nil {
			return err
		}
		if err := e.afterChange(ctx, m, ids, nil, nil); err != nil {
			return err
		}
		if err := e.runChecks(ctx, m, ids, nil); err != nil {
			return err
		}
		if isAccessModel(m.Name) {
			e.cache.reset()
		}
		return e.checkRules(ctx, m, ids, opCreate)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func (e *Env) insert(ctx context.Context, m *Model, vals map[string]any, depth int) (int64, error) {
	if vals == nil {
		vals = map[string]any{}
	}
	full, err := e.addDefaults(ctx, m, vals)
	if err != nil {
		return 0, err
	}
	p, err := e.prepareVals(ctx, m, full, opCreate)
	if err != nil {
		return 0, err
	}
	set := map[string]bool{}
	for i, f := range p.cols {
		if p.params[i] != nil {
			set[f.Name] = true
		}
	}
	for _, f := range m.Fields {
		if f.Required && f.IsStored() && f.Compute == nil && !set[f.Name] {
			return 0, validationf(m.Name, f.Name, "the field %q is required", f.String)
		}
	}
	now := nowUTC()
	cols := []string{`"create_uid"`, `"create_date"`, `"write_uid"`, `"write_date"`}
	args := []any{e.uidParam(), now, e.uidParam(), now}
	marks := []string{"?", "?", "?", "?"}
	for i, f := range p.cols {
		cols = append(cols, quote(f.Name))
		args = append(args, p.params[i])
		marks = append(marks, "?")
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s) RETURNING "id"`, quote(m.Table), strings.Join(cols, ", "), strings.Join(marks, ", "))
	var id int64
	if err := e.tx.QueryRowContext(ctx, e.rb.Rebind(q), args...).Scan(&id); err != nil {
		return 0, e.dbError(m, opCreate, err)
	}
	for _, f := range m.Fields {
		if cmds, ok := p.commands[f]; ok {
			if err := e.applyCommands(ctx, f, id, cmds, depth); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}
