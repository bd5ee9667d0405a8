package orm

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// roundMonetary rounds the monetary fields of the records to the decimal places
// of their currency (the many2one named by CurrencyField, whose model has an
// integer decimal_places field), half away from zero as accountants do.
func (e *Env) roundMonetary(ctx context.Context, m *Model, ids []int64, changed map[string]bool) error {
	for _, f := range m.Fields {
		if f.Type != Monetary || f.CurrencyField == "" || !f.IsStored() || f.Compute != nil {
			continue
		}
		if changed != nil && !changed[f.Name] && !changed[f.CurrencyField] {
			continue
		}
		cur, ok := m.fields[f.CurrencyField]
		if !ok || cur.Type != Many2one {
			continue
		}
		places, ok := e.reg.models[cur.Comodel].fields["decimal_places"]
		if !ok || places.Type != Integer {
			continue
		}
		su := e.Sudo()
		recs, err := su.ReadValues(ctx, m.Name, ids, []string{f.Name, f.CurrencyField})
		if err != nil {
			return err
		}
		scale := map[int64]int64{}
		for _, r := range recs {
			cid, ok := r[f.CurrencyField].(int64)
			if !ok || cid <= 0 {
				continue
			}
			if _, seen := scale[cid]; !seen {
				c, err := su.Read(ctx, cur.Comodel, []int64{cid}, []string{"decimal_places"})
				if err != nil {
					return err
				}
				scale[cid] = c[0]["decimal_places"].(int64)
			}
			d := r[f.Name].(*apd.Decimal)
			rounded := new(apd.Decimal)
			ctxRound := apd.BaseContext.WithPrecision(60)
			ctxRound.Rounding = apd.RoundHalfUp
			if _, err := ctxRound.Quantize(rounded, d, int32(-scale[cid])); err != nil {
				return fmt.Errorf("round %s.%s: %w", m.Name, f.Name, err)
			}
			if rounded.Cmp(d) == 0 && rounded.Exponent == d.Exponent {
				continue
			}
			q := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE "id" = ?`, quote(m.Table), quote(f.Name))
			if _, err := e.exec(ctx, q, rounded.Text('f'), r["id"]); err != nil {
				return e.dbError(m, opWrite, err)
			}
		}
	}
	return nil
}
