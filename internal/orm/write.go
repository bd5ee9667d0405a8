package orm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Write sets vals on every record of ids. If any record is missing or outside the
// user's write rules, nothing is written.
func (e *Env) Write(ctx context.Context, model string, ids []int64, vals map[string]any) error {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return err
	}
	return e.write(ctx, m, ids, vals, 0)
}

func (e *Env) write(ctx context.Context, m *Model, ids []int64, vals map[string]any, depth int) error {
	if depth > e.reg.limits.MaxCommandDepth {
		return validationf(m.Name, "", "commands nest deeper than %d levels", e.reg.limits.MaxCommandDepth)
	}
	ids, err := uniqueIDs(m.Name, ids)
	if err != nil {
		return err
	}
	if len(ids) > e.reg.limits.MaxLimit {
		return validationf(m.Name, "", "writing %d records at once exceeds the limit of %d", len(ids), e.reg.limits.MaxLimit)
	}
	if err := e.checkAccess(ctx, m, opWrite); err != nil {
		return err
	}
	p, err := e.prepareVals(ctx, m, vals, opWrite)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return e.writeItems(ctx, m, []writeItem{{ids: ids, p: p}}, depth)
}

// WriteEach sets vals[i] on the record ids[i], all in one operation: as with
// Write, nothing is written if any record is missing or outside the user's write
// rules, and what depends on the records is recomputed, and the model's
// constraints checked, once for all of them after every record is written
// rather than once per record.
func (e *Env) WriteEach(ctx context.Context, model string, ids []int64, vals []map[string]any) error {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return err
	}
	if len(ids) != len(vals) {
		return validationf(m.Name, "", "%d records for %d sets of values", len(ids), len(vals))
	}
	unique, err := uniqueIDs(m.Name, ids)
	if err != nil {
		return err
	}
	if len(unique) != len(ids) {
		return validationf(m.Name, "", "a record appears twice among the records to write")
	}
	if len(ids) > e.reg.limits.MaxLimit {
		return validationf(m.Name, "", "writing %d records at once exceeds the limit of %d", len(ids), e.reg.limits.MaxLimit)
	}
	if err := e.checkAccess(ctx, m, opWrite); err != nil {
		return err
	}
	items := make([]writeItem, len(ids))
	batch := make([]*preparedVals, len(ids))
	for i, id := range ids {
		p, err := e.convertVals(ctx, m, vals[i], opWrite)
		if err != nil {
			return err
		}
		items[i] = writeItem{ids: []int64{id}, p: p}
		batch[i] = p
	}
	if err := e.checkMany2oneTargets(ctx, m, batch); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	return e.writeItems(ctx, m, items, 0)
}

// writeItem is one set of prepared values for some records.
type writeItem struct {
	ids []int64
	p   *preparedVals
}

// writeItems writes the items in one savepoint. Rules, the snapshot of what
// depends on the records, recomputation and constraints run once for all of
// them, over the union of the fields they change.
func (e *Env) writeItems(ctx context.Context, m *Model, items []writeItem, depth int) error {
	var ids []int64
	var cols []*Field
	changed := map[string]bool{}
	for _, it := range items {
		ids = append(ids, it.ids...)
		for _, f := range it.p.cols {
			if !slices.Contains(cols, f) {
				cols = append(cols, f)
			}
		}
		for name := range it.p.changed {
			changed[name] = true
		}
	}
	return e.atomicallyUnlessNested(ctx, depth, e.tracked(ctx, func() error {
		if err := e.checkRules(ctx, m, ids, opWrite); err != nil {
			return err
		}
		before, err := e.dependents(ctx, m, ids, changed)
		if err != nil {
			return err
		}
		if err := e.trackBefore(ctx, m, ids, cols); err != nil {
			return err
		}
		if err := e.watchBegin(ctx, m, changed, false); err != nil {
			return err
		}
		if err := e.updateItems(ctx, m, items); err != nil {
			return err
		}
		// What the write makes stale (the totals of records whose lines the
		// commands change) is computed below, once: not by the commands too.
		cmdCtx := computedLater(ctx, before)
		var binaries []binaryItem
		for _, it := range items {
			for _, f := range m.Fields {
				cmds, ok := it.p.commands[f]
				if !ok {
					continue
				}
				if setsLinksOnly(f, cmds) {
					same := make([][]command, len(it.ids))
					for i := range same {
						same[i] = cmds
					}
					if err := e.linkMany2many(ctx, f, it.ids, same); err != nil {
						return err
					}
					continue
				}
				for _, id := range it.ids {
					if err := e.applyCommands(cmdCtx, f, id, cmds, depth); err != nil {
						return err
					}
				}
			}
			for _, f := range m.Fields {
				if data, ok := it.p.binaries[f]; ok {
					for _, id := range it.ids {
						binaries = append(binaries, binaryItem{id: id, field: f, data: data})
					}
				}
			}
		}
		if err := e.storeBinaries(ctx, m, binaries, true, depth); err != nil {
			return err
		}
		if err := e.roundMonetary(ctx, m, ids, changed); err != nil {
			return err
		}
		if err := e.afterChange(ctx, m, ids, changed, before); err != nil {
			return err
		}
		if isAccessModel(m.Name) {
			e.cache.reset()
		}
		if err := e.runChecks(ctx, m, ids, changed); err != nil {
			return err
		}
		if m.Name == attachmentModel {
			// Moving an attachment needs write access to its new record too.
			return e.checkRules(ctx, m, ids, opWrite)
		}
		return nil
	}))
}

// updateItems sets the columns of the items. Consecutive items setting the
// same columns (the lines of one invoice, say) share one UPDATE that chooses
// each record's values by its id.
func (e *Env) updateItems(ctx context.Context, m *Model, items []writeItem) error {
	for start := 0; start < len(items); {
		end := start + 1
		for end < len(items) && slices.Equal(items[end].p.cols, items[start].p.cols) {
			end++
		}
		var err error
		if end-start == 1 {
			err = e.updateItem(ctx, m, items[start])
		} else {
			err = e.updateEach(ctx, m, items[start:end])
		}
		if err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (e *Env) updateItem(ctx context.Context, m *Model, it writeItem) error {
	sets := []string{`"write_uid" = ?`, `"write_date" = ?`}
	args := []any{e.uidParam(), e.nowString()}
	for i, f := range it.p.cols {
		sets = append(sets, quote(f.Name)+" = ?")
		args = append(args, it.p.params[i])
	}
	args = append(args, int64Args(it.ids)...)
	q := fmt.Sprintf(`UPDATE %s SET %s WHERE "id" IN (%s)`, quote(m.Table), strings.Join(sets, ", "), placeholders(len(it.ids)))
	if _, err := e.exec(ctx, q, args...); err != nil {
		return e.dbError(m, opWrite, err)
	}
	return nil
}

// updateEach writes items setting the same columns with one UPDATE per chunk
// of records: each column is a CASE on the id.
func (e *Env) updateEach(ctx context.Context, m *Model, items []writeItem) error {
	cols := items[0].p.cols
	type rec struct {
		id     int64
		params []any
	}
	var recs []rec
	for _, it := range items {
		for _, id := range it.ids {
			recs = append(recs, rec{id: id, params: it.p.params})
		}
	}
	per := max(1, min(maxRowsPerInsert, (e.d.maxParams()-2)/(2*len(cols)+1)))
	for start := 0; start < len(recs); start += per {
		chunk := recs[start:min(start+per, len(recs))]
		var q strings.Builder
		fmt.Fprintf(&q, `UPDATE %s SET "write_uid" = ?, "write_date" = ?`, quote(m.Table))
		args := []any{e.uidParam(), e.nowString()}
		for i, f := range cols {
			value := e.d.typedParam(f)
			fmt.Fprintf(&q, `, %s = CASE "id"`, quote(f.Name))
			for _, r := range chunk {
				q.WriteString(" WHEN ? THEN " + value)
				args = append(args, r.id, r.params[i])
			}
			q.WriteString(" END")
		}
		fmt.Fprintf(&q, ` WHERE "id" IN (%s)`, placeholders(len(chunk)))
		for _, r := range chunk {
			args = append(args, r.id)
		}
		if _, err := e.exec(ctx, q.String(), args...); err != nil {
			return e.dbError(m, opWrite, err)
		}
	}
	return nil
}

// Unlink deletes the records. If any is missing or outside the user's delete
// rules, or other records still refer to them, nothing is deleted.
func (e *Env) Unlink(ctx context.Context, model string, ids []int64) error {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return err
	}
	return e.unlink(ctx, m, ids)
}

func (e *Env) unlink(ctx context.Context, m *Model, ids []int64) error {
	ids, err := uniqueIDs(m.Name, ids)
	if err != nil {
		return err
	}
	if len(ids) > e.reg.limits.MaxLimit {
		return validationf(m.Name, "", "deleting %d records at once exceeds the limit of %d", len(ids), e.reg.limits.MaxLimit)
	}
	if err := e.checkAccess(ctx, m, opUnlink); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return e.atomically(ctx, e.tracked(ctx, func() error {
		if err := e.checkRules(ctx, m, ids, opUnlink); err != nil {
			return err
		}
		if !e.su {
			for _, c := range m.UnlinkChecks {
				if err := c.Func(ctx, e.Sudo(), ids); err != nil {
					return err
				}
			}
		}
		before, err := e.dependents(ctx, m, ids, nil)
		if err != nil {
			return err
		}
		if err := e.watchBegin(ctx, m, nil, true); err != nil {
			return err
		}
		if err := e.dropAttachments(ctx, m, ids); err != nil {
			return err
		}
		q := fmt.Sprintf(`DELETE FROM %s WHERE "id" IN (%s)`, quote(m.Table), placeholders(len(ids)))
		if _, err := e.exec(ctx, q, int64Args(ids)...); err != nil {
			return e.dbError(m, opUnlink, err)
		}
		if isAccessModel(m.Name) {
			e.cache.reset()
		}
		return e.recompute(ctx, before, 0)
	}))
}
