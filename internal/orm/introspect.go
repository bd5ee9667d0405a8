package orm

import (
	"context"

	"github.com/instant-erp/instanterp/internal/domain"
)

// maxNameSearchLimit bounds name_search, which feeds autocompletion.
const maxNameSearchLimit = 1000

// NameSearch returns [id, display_name] pairs of records whose name matches name
// with operator (ilike by default), within dom.
func (e *Env) NameSearch(ctx context.Context, model, name string, dom domain.Domain, operator string, limit int) ([][2]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxNameSearchLimit {
		limit = 100
	}
	if operator == "" {
		operator = "ilike"
	}
	full := dom
	if name != "" || (operator != "ilike" && operator != "like") {
		if m.RecName == "" {
			return nil, validationf(m.Name, "", "records of this model have no name to search")
		}
		leaf, err := domain.FromValue([]any{[]any{m.RecName, operator, name}}, e.reg.limits.Domain)
		if err != nil {
			return nil, validationf(m.Name, m.RecName, "%v", err)
		}
		full = domain.AndAll(dom, leaf)
	}
	ids, err := e.Search(ctx, m.Name, full, SearchOptions{Limit: limit})
	if err != nil {
		return nil, err
	}
	names, err := e.displayNames(ctx, m, ids)
	if err != nil {
		return nil, err
	}
	out := make([][2]any, len(ids))
	for i, id := range ids {
		out[i] = [2]any{id, names[id]}
	}
	return out, nil
}

// FieldsGet describes the fields the user may see, with Odoo's attribute names.
// attributes restricts the keys returned per field (all when empty).
func (e *Env) FieldsGet(ctx context.Context, model string, names []string, attributes []string) (map[string]map[string]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	if err := e.checkAccess(ctx, m, opRead); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	keep := map[string]bool{}
	for _, a := range attributes {
		keep[a] = true
	}
	out := map[string]map[string]any{}
	for _, name := range m.fieldOrder {
		f := m.fields[name]
		if len(want) > 0 && !want[name] {
			continue
		}
		ok, err := e.fieldAllowed(ctx, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		desc := map[string]any{
			"type":       string(f.Type),
			"string":     f.String,
			"help":       f.Help,
			"required":   f.Required,
			"readonly":   f.readonly(),
			"store":      f.IsStored(),
			"sortable":   f.IsStored() && !f.Secret,
			"searchable": (f.IsStored() || f.IsX2Many() || f.Related != "" || f.Name == "display_name") && !f.Secret,
		}
		if f.IsRelational() {
			desc["relation"] = f.Comodel
		}
		if f.Type == One2many {
			desc["relation_field"] = f.InverseName
		}
		if f.Type == Selection {
			opts := make([][2]string, len(f.Selection))
			for i, o := range f.Selection {
				opts[i] = [2]string{o.Value, o.Label}
			}
			desc["selection"] = opts
		}
		if f.Type == Char && f.Size > 0 {
			desc["size"] = f.Size
		}
		if f.Type == Monetary && f.CurrencyField != "" {
			desc["currency_field"] = f.CurrencyField
		}
		if f.Related != "" {
			desc["related"] = f.Related
		}
		if f.Type == Binary {
			desc["attachment"] = true
		}
		if len(keep) > 0 {
			for k := range desc {
				if !keep[k] {
					delete(desc, k)
				}
			}
		}
		out[name] = desc
	}
	return out, nil
}

// DefaultGet returns the default values of the named fields (all when none).
func (e *Env) DefaultGet(ctx context.Context, model string, names []string) (map[string]any, error) {
	m, err := e.reg.mustModel(model)
	if err != nil {
		return nil, err
	}
	if err := e.checkAccess(ctx, m, opRead); err != nil {
		return nil, err
	}
	all, err := e.addDefaults(ctx, m, map[string]any{})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return all, nil
	}
	out := map[string]any{}
	for _, n := range names {
		if _, ok := m.fields[n]; !ok {
			return nil, validationf(m.Name, "", "invalid field %q", clip(n))
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}
