package sale

import (
	"context"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

func computeState(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	logs, err := env.SearchReadValues(ctx, OrderLog, seed.Dom("order_id", "in", ids), []string{"order_id", "state"}, orm.SearchOptions{Order: "id"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = StateDraft
	}
	for _, l := range logs {
		out[account.M2O(l["order_id"])] = l["state"]
	}
	return out, nil
}

// orderTerms is what pricing an order needs.
type orderTerms struct {
	digits int
	method string
}

func loadTerms(ctx context.Context, env *orm.Env, orderIDs []int64) (map[int64]orderTerms, error) {
	ctx = account.WithLookups(ctx) // currencies and companies read once for all the records
	recs, err := env.ReadValues(ctx, Order, orderIDs, []string{"currency_id", "company_id"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]orderTerms, len(recs))
	for _, r := range recs {
		digits, err := account.CurrencyDigits(ctx, env, account.M2O(r["currency_id"]))
		if err != nil {
			return nil, err
		}
		method, err := account.RoundingMethod(ctx, env, account.M2O(r["company_id"]))
		if err != nil {
			return nil, err
		}
		out[r["id"].(int64)] = orderTerms{digits: digits, method: method}
	}
	return out, nil
}

func lineInput(ctx context.Context, env *orm.Env, r map[string]any) (account.LineInput, error) {
	taxes, err := account.TaxSpecs(ctx, env, account.IDs(r["tax_id"]))
	if err != nil {
		return account.LineInput{}, err
	}
	return account.LineInput{PriceUnit: account.Dec(r["price_unit"]), Quantity: account.Dec(r["product_uom_qty"]),
		Discount: account.Dec(r["discount"]), Taxes: taxes}, nil
}

var lineFields = []string{"order_id", "product_uom_qty", "price_unit", "discount", "tax_id"}

func linePrice(pick func(account.LineResult) *apd.Decimal) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		res, err := orm.ComputeOnce(ctx, "sale.order.line prices", ids, func() (map[int64]account.LineResult, error) { return linePrices(ctx, env, ids) })
		if err != nil {
			return nil, err
		}
		out := make(map[int64]any, len(res))
		for id, r := range res {
			out[id] = pick(r)
		}
		return out, nil
	}
}

func linePrices(ctx context.Context, env *orm.Env, ids []int64) (map[int64]account.LineResult, error) {
	ctx = account.WithLookups(ctx) // currencies, companies and taxes read once per computation
	recs, err := env.ReadValues(ctx, OrderLine, ids, lineFields)
	if err != nil {
		return nil, err
	}
	var orders []int64
	for _, r := range recs {
		orders = append(orders, account.M2O(r["order_id"]))
	}
	terms, err := loadTerms(ctx, env, uniq(orders))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]account.LineResult, len(ids))
	for _, r := range recs {
		in, err := lineInput(ctx, env, r)
		if err != nil {
			return nil, err
		}
		t := terms[account.M2O(r["order_id"])]
		out[r["id"].(int64)] = account.ComputeLine(in, t.digits, t.method)
	}
	return out, nil
}

func orderAmount(pick func(account.Totals) *apd.Decimal) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		totals, err := orm.ComputeOnce(ctx, "sale.order amounts", ids, func() (map[int64]account.Totals, error) { return orderAmounts(ctx, env, ids) })
		if err != nil {
			return nil, err
		}
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			out[id] = pick(totals[id])
		}
		return out, nil
	}
}

func orderAmounts(ctx context.Context, env *orm.Env, ids []int64) (map[int64]account.Totals, error) {
	ctx = account.WithLookups(ctx) // currencies, companies and taxes read once per computation
	terms, err := loadTerms(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	recs, err := env.SearchReadValues(ctx, OrderLine, seed.Dom("order_id", "in", ids), lineFields, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	inputs := map[int64][]account.LineInput{}
	for _, r := range recs {
		in, err := lineInput(ctx, env, r)
		if err != nil {
			return nil, err
		}
		o := account.M2O(r["order_id"])
		inputs[o] = append(inputs[o], in)
	}
	out := make(map[int64]account.Totals, len(ids))
	for _, id := range ids {
		t := terms[id]
		out[id] = account.ComputeTotals(inputs[id], t.digits, t.method)
	}
	return out, nil
}

// computeQtyInvoiced adds the quantities of the order line on invoices that are
// not cancelled, minus those on credit notes.
func computeQtyInvoiced(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, OrderLine, ids, []string{"invoice_lines"})
	if err != nil {
		return nil, err
	}
	// The invoice lines of every order line, read at once.
	var all []int64
	for _, r := range recs {
		all = append(all, account.IDs(r["invoice_lines"])...)
	}
	invLines := map[int64]map[string]any{}
	if len(all) > 0 {
		ls, err := env.ReadValues(ctx, account.MoveLine, uniq(all), []string{"quantity", "parent_state", "move_type"})
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			invLines[l["id"].(int64)] = l
		}
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		total := money.Zero()
		for _, id := range account.IDs(r["invoice_lines"]) {
			l := invLines[id]
			q := account.Dec(l["quantity"])
			switch {
			case l["parent_state"] == account.StateCancel:
			case l["move_type"] == account.TypeRefund:
				total = money.Sub(total, q)
			default:
				total = money.Add(total, q)
			}
		}
		out[r["id"].(int64)] = total.Text('f')
	}
	return floats(out), nil
}

// floats turns exact decimal texts into the float64 a float field stores; the
// values have at most three decimals, which float64 keeps exactly at its
// shortest representation.
func floats(m map[int64]any) map[int64]any {
	for k, v := range m {
		d := account.Dec(v)
		f, _ := d.Float64()
		m[k] = f
	}
	return m
}

func computeQtyToInvoice(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, OrderLine, ids, []string{"product_uom_qty", "qty_invoiced", "state"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		out[r["id"].(int64)] = "0"
		if r["state"] == StateSale {
			out[r["id"].(int64)] = money.Sub(account.Dec(r["product_uom_qty"]), account.Dec(r["qty_invoiced"])).Text('f')
		}
	}
	return floats(out), nil
}

func computeInvoiceStatus(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	orders, err := env.ReadValues(ctx, Order, ids, []string{"state"})
	if err != nil {
		return nil, err
	}
	lines, err := env.SearchReadValues(ctx, OrderLine, seed.Dom("order_id", "in", ids), []string{"order_id", "qty_to_invoice", "qty_invoiced", "product_uom_qty"}, orm.SearchOptions{})
	if err != nil {
		return nil, err
	}
	byOrder := map[int64][]map[string]any{}
	for _, l := range lines {
		o := account.M2O(l["order_id"])
		byOrder[o] = append(byOrder[o], l)
	}
	out := make(map[int64]any, len(ids))
	for _, o := range orders {
		id := o["id"].(int64)
		status := "no"
		if o["state"] == StateSale && len(byOrder[id]) > 0 {
			status = "invoiced"
			for _, l := range byOrder[id] {
				if account.Dec(l["qty_to_invoice"]).Sign() > 0 {
					status = "to invoice"
					break
				}
				if account.Dec(l["qty_invoiced"]).Cmp(account.Dec(l["product_uom_qty"])) < 0 {
					status = "no"
				}
			}
		}
		out[id] = status
	}
	return out, nil
}

// invoicesOf returns the invoices and credit notes of orders, through their lines.
func invoicesOf(ctx context.Context, env *orm.Env, ids []int64) (map[int64][]int64, error) {
	lines, err := env.SearchReadValues(ctx, OrderLine, seed.Dom("order_id", "in", ids), []string{"order_id", "invoice_lines"}, orm.SearchOptions{})
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]int64, len(ids))
	for _, l := range lines {
		il := account.IDs(l["invoice_lines"])
		if len(il) == 0 {
			continue
		}
		ls, err := env.Sudo().ReadValues(ctx, account.MoveLine, il, []string{"move_id"})
		if err != nil {
			return nil, err
		}
		o := account.M2O(l["order_id"])
		for _, x := range ls {
			out[o] = append(out[o], account.M2O(x["move_id"]))
		}
	}
	for o := range out {
		out[o] = sortedUniq(out[o])
	}
	return out, nil
}

func computeInvoiceIDs(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	inv, err := invoicesOf(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = append([]int64{}, inv[id]...)
	}
	return out, nil
}

// computeSaleOrderIDs gives each invoice the orders its lines were invoiced
// from (sale_order_ids), the way back from invoice_ids.
func computeSaleOrderIDs(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	su := env.Sudo()
	lines, err := su.SearchReadValues(ctx, account.MoveLine, seed.Dom("move_id", "in", ids), []string{"move_id", "sale_line_ids"}, orm.SearchOptions{})
	if err != nil {
		return nil, err
	}
	var orderLines []int64
	for _, l := range lines {
		orderLines = append(orderLines, account.IDs(l["sale_line_ids"])...)
	}
	orderOf := map[int64]int64{}
	if len(orderLines) > 0 {
		ols, err := su.ReadValues(ctx, OrderLine, uniq(orderLines), []string{"order_id"})
		if err != nil {
			return nil, err
		}
		for _, ol := range ols {
			orderOf[account.M2O(ol["id"])] = account.M2O(ol["order_id"])
		}
	}
	orders := make(map[int64][]int64, len(ids))
	for _, l := range lines {
		move := account.M2O(l["move_id"])
		for _, ol := range account.IDs(l["sale_line_ids"]) {
			orders[move] = append(orders[move], orderOf[ol])
		}
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = append([]int64{}, sortedUniq(orders[id])...)
	}
	return out, nil
}

func computeInvoiceCount(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	inv, err := invoicesOf(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = int64(len(inv[id]))
	}
	return out, nil
}

// sortedUniq is ids without repeats, in increasing order: the same on every
// engine, whatever order the rows came in.
func sortedUniq(ids []int64) []int64 {
	out := uniq(ids)
	slices.Sort(out)
	return out
}

func uniq(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// mirrorOrder copies a field of the order onto its lines.
func mirrorOrder(field string) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		lines, err := env.ReadValues(ctx, OrderLine, ids, []string{"order_id"})
		if err != nil {
			return nil, err
		}
		var orders []int64
		for _, l := range lines {
			orders = append(orders, account.M2O(l["order_id"]))
		}
		recs, err := env.ReadValues(ctx, Order, uniq(orders), []string{field})
		if err != nil {
			return nil, err
		}
		byOrder := map[int64]any{}
		for _, r := range recs {
			v := r[field]
			if p, ok := v.([]any); ok && len(p) == 2 {
				v = p[0]
			}
			if v == false {
				v = nil
			}
			byOrder[r["id"].(int64)] = v
		}
		out := make(map[int64]any, len(ids))
		for _, l := range lines {
			out[l["id"].(int64)] = byOrder[account.M2O(l["order_id"])]
		}
		return out, nil
	}
}
