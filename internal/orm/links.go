package orm

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// setsLinksOnly reports whether many2many commands only replace or add links
// ((6, 0, ids) or (4, id)), which linkMany2many applies to many records at once.
func setsLinksOnly(f *Field, cmds []command) bool {
	if f.Type != Many2many || len(cmds) == 0 {
		return false
	}
	if len(cmds) == 1 && cmds[0].op == cmdSet {
		return true
	}
	for _, c := range cmds {
		if c.op != cmdLink {
			return false
		}
	}
	return true
}

// linkMany2many applies to each record of ids its commands (setsLinksOnly) with
// the effect applyMany2many would have, in a few statements for all of them: one
// query reads their links, one check covers every record to link, one insert
// adds the links.
func (e *Env) linkMany2many(ctx context.Context, f *Field, ids []int64, cmds [][]command) error {
	co := e.reg.models[f.Comodel]
	current := map[int64][]int64{}
	for start := 0; start < len(ids); start += linkCheckChunk {
		end := min(start+linkCheckChunk, len(ids))
		q := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s IN (%s)`, quote(f.Column1), quote(f.Column2), quote(f.Relation), quote(f.Column1), placeholders(end-start))
		rows, err := e.query(ctx, q, int64Args(ids[start:end])...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var owner, target int64
			if err := rows.Scan(&owner, &target); err != nil {
				rows.Close()
				return fmt.Errorf("read %s.%s: %w", f.model.Name, f.Name, err)
			}
			current[owner] = append(current[owner], target)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s.%s: %w", f.model.Name, f.Name, err)
		}
	}
	type pair struct{ owner, target int64 }
	var adds []pair
	var check []int64
	drops := map[int64][]int64{}
	for i, id := range ids {
		links := current[id]
		for _, c := range cmds[i] {
			if c.op == cmdSet {
				for _, t := range links {
					if !slices.Contains(c.ids, t) {
						drops[id] = append(drops[id], t)
					}
				}
				var added []int64
				for _, t := range c.ids {
					if !slices.Contains(links, t) && !slices.Contains(added, t) {
						added = append(added, t)
						adds = append(adds, pair{id, t})
					}
				}
				check = append(check, added...)
				continue
			}
			// (4, id) checks its record even when already linked, as link does.
			check = append(check, c.id)
			if !slices.Contains(links, c.id) {
				links = append(links, c.id)
				adds = append(adds, pair{id, c.id})
			}
		}
	}
	if !e.su && len(check) > 0 {
		check, err := uniqueIDs(co.Name, check)
		if err != nil {
			return err
		}
		for start := 0; start < len(check); start += linkCheckChunk {
			if err := e.checkLinkable(ctx, co, check[start:min(start+linkCheckChunk, len(check))]); err != nil {
				return err
			}
		}
	}
	for _, id := range ids {
		if targets := drops[id]; len(targets) > 0 {
			q := fmt.Sprintf(`DELETE FROM %s WHERE %s = ? AND %s IN (%s)`, quote(f.Relation), quote(f.Column1), quote(f.Column2), placeholders(len(targets)))
			if _, err := e.exec(ctx, q, append([]any{id}, int64Args(targets)...)...); err != nil {
				return e.dbError(f.model, opWrite, err)
			}
		}
	}
	per := rowsPerInsert(2, e.d.maxParams())
	for start := 0; start < len(adds); start += per {
		end := min(start+per, len(adds))
		tuples := make([]string, 0, end-start)
		args := make([]any, 0, 2*(end-start))
		for _, a := range adds[start:end] {
			tuples = append(tuples, "(?, ?)")
			args = append(args, a.owner, a.target)
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING`, quote(f.Relation), quote(f.Column1), quote(f.Column2), strings.Join(tuples, ", "))
		if _, err := e.exec(ctx, q, args...); err != nil {
			return e.dbError(f.model, opWrite, err)
		}
	}
	return nil
}
