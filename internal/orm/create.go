package orm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Create makes one record per vals mapping and returns their ids, in the order
// of vals. Missing fields take their defaults; x2many fields take command lists.
// Records are inserted several per statement, and the user's create rules are
// checked once for the whole batch: if any new record falls outside them,
// nothing is created.
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
	err := e.atomicallyUnlessNested(ctx, depth, e.tracked(ctx, func() error {
		rows, err := e.prepareCreate(ctx, m, vals)
		if err != nil {
			return err
		}
		if ids, err = e.insertRows(ctx, m, rows); err != nil {
			return err
		}
		e.trackCreated(m, ids)
		batched := e.batchedLinks(m, ids, rows)
		// The new records' stored computed fields are computed below, once
		// their lines exist: what the commands change does not compute them.
		cmdCtx := computedLater(ctx, storedComputed(m, ids))
		for i, p := range rows {
			for _, f := range m.Fields {
				if cmds, ok := p.commands[f]; ok && batched[f] == nil {
					if err := e.applyCommands(cmdCtx, f, ids[i], cmds, depth); err != nil {
						return err
					}
				}
			}
		}
		for _, f := range m.Fields {
			if b := batched[f]; b != nil {
				if err := e.linkMany2many(ctx, f, b.ids, b.cmds); err != nil {
					return err
				}
			}
		}
		var items []binaryItem
		for i, p := range rows {
			for _, f := range m.Fields {
				if data, ok := p.binaries[f]; ok {
					items = append(items, binaryItem{id: ids[i], field: f, data: data})
				}
			}
		}
		if err := e.storeBinaries(ctx, m, items, false, depth); err != nil {
			return err
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
	}))
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// linkBatch is the many2many commands of some records.
type linkBatch struct {
	ids  []int64
	cmds [][]command
}

// batchedLinks picks the many2many fields whose commands, in every record that
// has some, only set or add links: those are applied for all records at once.
func (e *Env) batchedLinks(m *Model, ids []int64, rows []*preparedVals) map[*Field]*linkBatch {
	out := map[*Field]*linkBatch{}
	for _, f := range m.Fields {
		if f.Type != Many2many {
			continue
		}
		b := &linkBatch{}
		for i, p := range rows {
			cmds, ok := p.commands[f]
			if !ok {
				continue
			}
			if !setsLinksOnly(f, cmds) {
				b = nil
				break
			}
			b.ids = append(b.ids, ids[i])
			b.cmds = append(b.cmds, cmds)
		}
		if b != nil && len(b.ids) > 0 {
			out[f] = b
		}
	}
	return out
}

// prepareCreate fills defaults, validates and converts every mapping, checks
// required fields, and checks the many2one targets of the batch at once.
func (e *Env) prepareCreate(ctx context.Context, m *Model, vals []map[string]any) ([]*preparedVals, error) {
	rows := make([]*preparedVals, len(vals))
	for i, v := range vals {
		if v == nil {
			v = map[string]any{}
		}
		full, err := e.addDefaults(ctx, m, v)
		if err != nil {
			return nil, err
		}
		p, err := e.prepareVals(ctx, m, full, opCreate)
		if err != nil {
			return nil, err
		}
		set := make(map[string]bool, len(p.cols))
		for j, f := range p.cols {
			if p.params[j] != nil {
				set[f.Name] = true
			}
		}
		for _, f := range m.Fields {
			if f.Required && f.IsStored() && f.Compute == nil && !set[f.Name] {
				return nil, validationf(m.Name, f.Name, "the field %q is required", f.String)
			}
		}
		rows[i] = p
	}
	if err := e.checkMany2oneTargets(ctx, m, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// maxRowsPerInsert bounds one multi-row INSERT, whatever the parameter limit:
// beyond a few hundred rows a bigger statement saves nothing measurable.
const maxRowsPerInsert = 500

// rowsPerInsert is how many rows of cols columns fit in one statement under the
// engine's limit on bind parameters.
func rowsPerInsert(cols, maxParams int) int {
	return max(1, min(maxRowsPerInsert, maxParams/max(cols, 1)))
}

// insertRows inserts the prepared rows, consecutive rows with the same columns
// in one statement, and returns their ids in the order of rows.
func (e *Env) insertRows(ctx context.Context, m *Model, rows []*preparedVals) ([]int64, error) {
	ids := make([]int64, 0, len(rows))
	now := e.nowString()
	for start := 0; start < len(rows); {
		cols := rows[start].cols
		per := rowsPerInsert(len(cols)+4, e.d.maxParams())
		end := start + 1
		for end < len(rows) && end-start < per && slices.Equal(rows[end].cols, cols) {
			end++
		}
		names := []string{`"create_uid"`, `"create_date"`, `"write_uid"`, `"write_date"`}
		for _, f := range cols {
			names = append(names, quote(f.Name))
		}
		tuple := "(" + placeholders(len(names)) + ")"
		var q strings.Builder
		fmt.Fprintf(&q, `INSERT INTO %s (%s) VALUES `, quote(m.Table), strings.Join(names, ", "))
		args := make([]any, 0, (end-start)*len(names))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, e.uidParam(), now, e.uidParam(), now)
			args = append(args, rows[i].params...)
		}
		q.WriteString(` RETURNING "id"`)
		got, err := e.queryIDs(ctx, q.String(), args...)
		if err != nil {
			return nil, e.dbError(m, opCreate, err)
		}
		if len(got) != end-start {
			return nil, fmt.Errorf("create %s: %d ids returned for %d records", m.Name, len(got), end-start)
		}
		// Both engines number the rows of one statement in the order of VALUES
		// (SQLite's rowid and PostgreSQL's identity are taken row by row), but
		// neither promises RETURNING in that order: sorting restores it.
		slices.Sort(got)
		ids = append(ids, got...)
		start = end
	}
	return ids, nil
}
