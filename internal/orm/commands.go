package orm

import (
	"context"
	"fmt"
	"slices"
)

// Odoo's x2many command codes.
const (
	cmdCreate = 0 // (0, 0, vals)   create a record and link it
	cmdUpdate = 1 // (1, id, vals)  write on a linked record
	cmdDelete = 2 // (2, id)        delete the record
	cmdUnlink = 3 // (3, id)        remove the link (one2many: clear the inverse)
	cmdLink   = 4 // (4, id)        add a link to an existing record
	cmdClear  = 5 // (5,)           remove every link
	cmdSet    = 6 // (6, 0, ids)    replace the links with ids
)

type command struct {
	op   int
	id   int64
	vals map[string]any
	ids  []int64
}

// parseCommands reads the value of an x2many field: a list of command tuples, or
// (for many2many) a plain list of ids meaning "set exactly these".
func parseCommands(f *Field, v any, maxItems int) ([]command, error) {
	bad := func(format string, args ...any) error {
		return validationf(f.model.Name, f.Name, format, args...)
	}
	if isFalsy(v) {
		return []command{{op: cmdClear}}, nil
	}
	list, ok := v.([]any)
	if !ok {
		if ids, err := toIDs(v, maxItems); err == nil && f.Type == Many2many {
			return []command{{op: cmdSet, ids: ids}}, nil
		}
		return nil, bad("expected a list of commands such as [0, 0, {values}] or [6, 0, [ids]], got %s", describe(v))
	}
	if len(list) > maxItems {
		return nil, bad("%d commands exceed the limit of %d", len(list), maxItems)
	}
	if len(list) > 0 && f.Type == Many2many && allScalars(list) {
		ids, err := toIDs(list, maxItems)
		if err != nil {
			return nil, bad("%s", err)
		}
		return []command{{op: cmdSet, ids: ids}}, nil
	}
	out := make([]command, 0, len(list))
	for i, item := range list {
		tuple, ok := item.([]any)
		if !ok || len(tuple) == 0 || len(tuple) > 3 {
			return nil, bad("command %d: expected a list of 1 to 3 elements", i)
		}
		code, err := toInt64(tuple[0])
		if err != nil || code < cmdCreate || code > cmdSet {
			return nil, bad("command %d: the first element must be a command code 0 to 6", i)
		}
		c := command{op: int(code)}
		arity := map[int]int{cmdCreate: 3, cmdUpdate: 3, cmdDelete: 2, cmdUnlink: 2, cmdLink: 2, cmdClear: 1, cmdSet: 3}[c.op]
		if len(tuple) < arity {
			return nil, bad("command %d: code %d needs %d elements, got %d", i, c.op, arity, len(tuple))
		}
		switch c.op {
		case cmdUpdate, cmdDelete, cmdUnlink, cmdLink:
			if c.id, err = toID(tuple[1]); err != nil {
				return nil, bad("command %d: %s", i, err)
			}
		}
		switch c.op {
		case cmdCreate, cmdUpdate:
			vals, ok := tuple[2].(map[string]any)
			if !ok {
				return nil, bad("command %d: the third element must be a mapping of values", i)
			}
			c.vals = vals
		case cmdSet:
			if c.ids, err = toIDs(tuple[2], maxItems); err != nil {
				return nil, bad("command %d: %s", i, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// allScalars reports a plain list of ids, as opposed to a list of command tuples.
func allScalars(list []any) bool {
	for _, item := range list {
		if _, isList := item.([]any); isList {
			return false
		}
	}
	return true
}

// applyCommands runs the commands of an x2many field of record id. Every step goes
// through the Env, so the comodel's access rights and rules apply to it.
func (e *Env) applyCommands(ctx context.Context, f *Field, id int64, cmds []command, depth int) error {
	co := e.reg.models[f.Comodel]
	for i := 0; i < len(cmds); i++ {
		c := cmds[i]
		var err error
		switch {
		case f.Type == One2many && c.op == cmdCreate:
			// Consecutive new elements are created in one batch: one insert, and
			// what depends on them computed once instead of once per element.
			end := i + 1
			for end < len(cmds) && cmds[end].op == cmdCreate {
				end++
			}
			end = min(end, i+e.reg.limits.MaxCreateBatch)
			err = e.createElements(ctx, f, co, id, cmds[i:end], depth)
			i = end - 1
		case f.Type == One2many:
			err = e.applyOne2many(ctx, f, co, id, c, depth)
		default:
			err = e.applyMany2many(ctx, f, co, id, c, depth)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// createElements runs (0, 0, vals) commands of a one2many of record id.
func (e *Env) createElements(ctx context.Context, f *Field, co *Model, id int64, cmds []command, depth int) error {
	batch := make([]map[string]any, len(cmds))
	for i, c := range cmds {
		vals := make(map[string]any, len(c.vals)+1)
		for k, v := range c.vals {
			vals[k] = v
		}
		vals[f.InverseName] = id
		if err := f.fillOnly(vals); err != nil {
			return err
		}
		batch[i] = vals
	}
	_, err := e.create(ctx, co, batch, depth+1)
	return err
}

func (e *Env) currentLinks(ctx context.Context, f *Field, co *Model, id int64) ([]int64, error) {
	if f.Type == One2many {
		only, args := f.onlySQL("t")
		return e.queryIDs(ctx, fmt.Sprintf(`SELECT t."id" FROM %s t WHERE t.%s = ?%s ORDER BY t."id"`, quote(co.Table), quote(f.InverseName), only),
			append([]any{id}, args...)...)
	}
	return e.queryIDs(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ? ORDER BY 1`, quote(f.Column2), quote(f.Relation), quote(f.Column1)), id)
}

// ownChild refuses to act through a one2many on a record that is not its element.
func (e *Env) ownChild(ctx context.Context, f *Field, co *Model, parent, child int64) error {
	links, err := e.currentLinks(ctx, f, co, parent)
	if err != nil {
		return err
	}
	if !slices.Contains(links, child) {
		return validationf(f.model.Name, f.Name, "record %d is not one of the %s of record %d", child, f.Name, parent)
	}
	return nil
}

func (e *Env) applyOne2many(ctx context.Context, f *Field, co *Model, id int64, c command, depth int) error {
	inv := co.fields[f.InverseName]
	detach := func(child int64) error {
		if inv.Required || inv.OnDelete == Cascade {
			return e.unlink(ctx, co, []int64{child})
		}
		return e.write(ctx, co, []int64{child}, map[string]any{f.InverseName: false}, depth+1)
	}
	switch c.op {
	case cmdCreate:
		return e.createElements(ctx, f, co, id, []command{c}, depth)
	case cmdUpdate:
		if err := e.ownChild(ctx, f, co, id, c.id); err != nil {
			return err
		}
		return e.write(ctx, co, []int64{c.id}, c.vals, depth+1)
	case cmdDelete:
		if err := e.ownChild(ctx, f, co, id, c.id); err != nil {
			return err
		}
		return e.unlink(ctx, co, []int64{c.id})
	case cmdUnlink:
		if err := e.ownChild(ctx, f, co, id, c.id); err != nil {
			return err
		}
		return detach(c.id)
	case cmdLink:
		if err := e.checkOnly(ctx, f, co, []int64{c.id}); err != nil {
			return err
		}
		return e.write(ctx, co, []int64{c.id}, map[string]any{f.InverseName: id}, depth+1)
	case cmdClear, cmdSet:
		links, err := e.currentLinks(ctx, f, co, id)
		if err != nil {
			return err
		}
		for _, child := range links {
			if c.op == cmdSet && slices.Contains(c.ids, child) {
				continue
			}
			if err := detach(child); err != nil {
				return err
			}
		}
		if c.op == cmdSet {
			var add []int64
			for _, child := range c.ids {
				if !slices.Contains(links, child) {
					add = append(add, child)
				}
			}
			if len(add) > 0 {
				if err := e.checkOnly(ctx, f, co, add); err != nil {
					return err
				}
				return e.write(ctx, co, add, map[string]any{f.InverseName: id}, depth+1)
			}
		}
	}
	return nil
}

func (e *Env) applyMany2many(ctx context.Context, f *Field, co *Model, id int64, c command, depth int) error {
	link := func(targets []int64) error {
		if len(targets) == 0 {
			return nil
		}
		if !e.su {
			if err := e.checkLinkable(ctx, co, targets); err != nil {
				return err
			}
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s, %s) VALUES (?, ?) ON CONFLICT DO NOTHING`, quote(f.Relation), quote(f.Column1), quote(f.Column2))
		for _, t := range targets {
			if _, err := e.exec(ctx, q, id, t); err != nil {
				return e.dbError(f.model, opWrite, err)
			}
		}
		return nil
	}
	unlinkRows := func(targets []int64) error {
		if len(targets) == 0 {
			return nil
		}
		q := fmt.Sprintf(`DELETE FROM %s WHERE %s = ? AND %s IN (%s)`, quote(f.Relation), quote(f.Column1), quote(f.Column2), placeholders(len(targets)))
		_, err := e.exec(ctx, q, append([]any{id}, int64Args(targets)...)...)
		return err
	}
	switch c.op {
	case cmdCreate:
		ids, err := e.create(ctx, co, []map[string]any{c.vals}, depth+1)
		if err != nil {
			return err
		}
		return link(ids)
	case cmdUpdate:
		return e.write(ctx, co, []int64{c.id}, c.vals, depth+1)
	case cmdDelete:
		return e.unlink(ctx, co, []int64{c.id})
	case cmdUnlink:
		return unlinkRows([]int64{c.id})
	case cmdLink:
		return link([]int64{c.id})
	case cmdClear:
		_, err := e.exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = ?`, quote(f.Relation), quote(f.Column1)), id)
		return err
	case cmdSet:
		links, err := e.currentLinks(ctx, f, co, id)
		if err != nil {
			return err
		}
		var drop, add []int64
		for _, t := range links {
			if !slices.Contains(c.ids, t) {
				drop = append(drop, t)
			}
		}
		for _, t := range c.ids {
			if !slices.Contains(links, t) && !slices.Contains(add, t) {
				add = append(add, t)
			}
		}
		if err := unlinkRows(drop); err != nil {
			return err
		}
		return link(add)
	}
	return nil
}
