package orm

import (
	"context"
)

// Copy duplicates a record: copyable fields are read as the user sees them,
// overridden by overrides, and created anew (many2many links are kept, one2many
// elements are not copied). It returns the new id.
func (e *Env) Copy(ctx context.Context, model string, id int64, overrides map[string]any) (int64, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return 0, err
	}
	var names []string
	for _, f := range m.Fields {
		if !f.copyable() || f.Secret {
			continue
		}
		ok, err := e.fieldAllowed(ctx, f)
		if err != nil {
			return 0, err
		}
		if ok {
			names = append(names, f.Name)
		}
	}
	recs, err := e.Read(ctx, m.Name, []int64{id}, names)
	if err != nil {
		return 0, err
	}
	vals := map[string]any{}
	for _, name := range names {
		f := m.fields[name]
		v := recs[0][name]
		switch f.Type {
		case Many2one:
			if pair, ok := v.([]any); ok {
				v = pair[0]
			}
		case Many2many:
			v = []any{[]any{int64(cmdSet), int64(0), v}}
		}
		vals[name] = v
	}
	for k, v := range overrides {
		vals[k] = v
	}
	ids, err := e.Create(ctx, m.Name, []map[string]any{vals})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}
