package orm

import (
	"context"
	"fmt"
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
	return e.atomically(ctx, e.tracked(ctx, func() error {
		if err := e.checkRules(ctx, m, ids, opWrite); err != nil {
			return err
		}
		before, err := e.dependents(ctx, m, ids, p.changed)
		if err != nil {
			return err
		}
		if err := e.trackBefore(ctx, m, ids, p.cols); err != nil {
			return err
		}
		if err := e.watchBegin(ctx, m, p.changed, false); err != nil {
			return err
		}
		sets := []string{`"write_uid" = ?`, `"write_date" = ?`}
		args := []any{e.uidParam(), e.nowString()}
		for i, f := range p.cols {
			sets = append(sets, quote(f.Name)+" = ?")
			args = append(args, p.params[i])
		}
		args = append(args, int64Args(ids)...)
		q := fmt.Sprintf(`UPDATE %s SET %s WHERE "id" IN (%s)`, quote(m.Table), strings.Join(sets, ", "), placeholders(len(ids)))
		if _, err := e.exec(ctx, q, args...); err != nil {
			return e.dbError(m, opWrite, err)
		}
		for _, f := range m.Fields {
			cmds, ok := p.commands[f]
			if !ok {
				continue
			}
			for _, id := range ids {
				if err := e.applyCommands(ctx, f, id, cmds, depth); err != nil {
					return err
				}
			}
		}
		var items []binaryItem
		for _, f := range m.Fields {
			if data, ok := p.binaries[f]; ok {
				for _, id := range ids {
					items = append(items, binaryItem{id: id, field: f, data: data})
				}
			}
		}
		if err := e.storeBinaries(ctx, m, items, true, depth); err != nil {
			return err
		}
		if err := e.roundMonetary(ctx, m, ids, p.changed); err != nil {
			return err
		}
		if err := e.afterChange(ctx, m, ids, p.changed, before); err != nil {
			return err
		}
		if isAccessModel(m.Name) {
			e.cache.reset()
		}
		if err := e.runChecks(ctx, m, ids, p.changed); err != nil {
			return err
		}
		if m.Name == attachmentModel {
			// Moving an attachment needs write access to its new record too.
			return e.checkRules(ctx, m, ids, opWrite)
		}
		return nil
	}))
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
