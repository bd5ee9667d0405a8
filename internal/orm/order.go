package orm

import (
	"fmt"
	"strings"
)

// orderTerm is one validated "field [asc|desc]" of an order specification.
type orderTerm struct {
	field *Field
	desc  bool
}

// maxOrderTerms bounds an order specification; nobody sorts by more columns.
const maxOrderTerms = 8

// parseOrder reads an order specification such as "name desc, id". Only stored
// fields of the model are accepted, so the result can name columns safely.
func parseOrder(m *Model, spec string) ([]orderTerm, error) {
	if len(spec) > 512 {
		return nil, validationf(m.Name, "", "the order specification is longer than 512 bytes")
	}
	var terms []orderTerm
	for _, part := range strings.Split(spec, ",") {
		words := strings.Fields(part)
		if len(words) == 0 {
			if strings.TrimSpace(spec) == "" {
				return nil, nil
			}
			return nil, validationf(m.Name, "", "order %q has an empty term", clip(spec))
		}
		if len(words) > 3 {
			return nil, validationf(m.Name, "", "order term %q: write a field name, then asc or desc", clip(part))
		}
		f, ok := m.fields[words[0]]
		if !ok {
			return nil, validationf(m.Name, "", "cannot order by %q: no such field", clip(words[0]))
		}
		if !f.IsStored() {
			return nil, validationf(m.Name, f.Name, "cannot order by a field that is not stored")
		}
		t := orderTerm{field: f}
		if len(words) >= 2 {
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				t.desc = true
			default:
				return nil, validationf(m.Name, "", "order term %q: direction must be asc or desc", clip(part))
			}
		}
		if len(words) == 3 {
			// Odoo accepts "nulls first|last"-less terms only; refuse anything else.
			return nil, validationf(m.Name, "", "order term %q: write a field name, then asc or desc", clip(part))
		}
		terms = append(terms, t)
		if len(terms) > maxOrderTerms {
			return nil, validationf(m.Name, "", "order has more than %d terms", maxOrderTerms)
		}
	}
	return terms, nil
}

// orderSQL renders terms for the table aliased alias, always ending with id so that
// pages never overlap. NULLs sort as PostgreSQL does by default, on both engines.
func orderSQL(reg *Registry, d dialect, alias string, terms []orderTerm) string {
	var b strings.Builder
	hasID := false
	for i, t := range terms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(orderExpr(reg, d, alias, t.field))
		if t.desc {
			b.WriteString(" DESC NULLS FIRST")
		} else {
			b.WriteString(" ASC NULLS LAST")
		}
		if t.field.Name == "id" {
			hasID = true
		}
	}
	if !hasID {
		if len(terms) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias + `."id" ASC`)
	}
	return b.String()
}

// orderExpr sorts a many2one by the name of its target, as users expect.
func orderExpr(reg *Registry, d dialect, alias string, f *Field) string {
	col := d.comparable(f, alias+"."+quote(f.Name))
	if f.Type == Many2one {
		co := reg.models[f.Comodel]
		if rn, ok := co.fields[co.RecName]; ok && co.RecName != "" && rn.IsStored() && rn.Type != Many2one {
			return fmt.Sprintf(`(SELECT %s FROM %s o WHERE o."id" = %s)`, d.comparable(rn, "o."+quote(rn.Name)), quote(co.Table), col)
		}
	}
	return col
}
