package orm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// onlySQL is the condition a one2many's Only adds on its comodel's table aliased
// alias (empty without Only), with its arguments in order.
func (f *Field) onlySQL(alias string) (string, []any) {
	if len(f.Only) == 0 {
		return "", nil
	}
	var b strings.Builder
	var args []any
	for _, name := range slices.Sorted(maps.Keys(f.Only)) {
		values := f.Only[name]
		fmt.Fprintf(&b, ` AND %s.%s IN (%s)`, alias, quote(name), placeholders(len(values)))
		for _, v := range values {
			args = append(args, v)
		}
	}
	return b.String(), args
}

// fillOnly gives a record created through the one2many the first allowed value
// of each Only field it lacks, and refuses a value outside the list: the new
// record would not be one of the field's elements.
func (f *Field) fillOnly(vals map[string]any) error {
	for name, values := range f.Only {
		v, given := vals[name]
		if !given || isFalsy(v) {
			vals[name] = values[0]
			continue
		}
		if s, ok := v.(string); !ok || !slices.Contains(values, s) {
			return validationf(f.model.Name, f.Name, "%s", f.onlyMessage())
		}
	}
	return nil
}

// checkOnly refuses to link through the one2many records that are not of the
// kind it holds.
func (e *Env) checkOnly(ctx context.Context, f *Field, co *Model, ids []int64) error {
	if len(f.Only) == 0 || len(ids) == 0 {
		return nil
	}
	only, args := f.onlySQL("t")
	found, err := e.queryIDs(ctx, fmt.Sprintf(`SELECT t."id" FROM %s t WHERE t."id" IN (%s)%s`, quote(co.Table), placeholders(len(ids)), only),
		append(int64Args(ids), args...)...)
	if err != nil {
		return err
	}
	if len(found) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
		return validationf(f.model.Name, f.Name, "%s", f.onlyMessage())
	}
	return nil
}

// onlyMessage says which records the one2many holds.
func (f *Field) onlyMessage() string {
	var conds []string
	for _, name := range slices.Sorted(maps.Keys(f.Only)) {
		conds = append(conds, fmt.Sprintf("%s is one of %s", name, strings.Join(f.Only[name], ", ")))
	}
	return fmt.Sprintf("%s holds only records whose %s", f.Name, strings.Join(conds, " and "))
}
