package account

import (
	"context"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

func nowFunc() time.Time { return time.Now() }

// lastLogs returns, per move, its log entries in order.
func lastLogs(ctx context.Context, env *orm.Env, ids []int64) (map[int64][]map[string]any, error) {
	recs, err := env.SearchReadValues(ctx, MoveLog, seed.Dom("move_id", "in", ids), []string{"move_id", "state", "name"}, orm.SearchOptions{Order: "id"})
	if err != nil {
		return nil, err
	}
	out := map[int64][]map[string]any{}
	for _, r := range recs {
		m := M2O(r["move_id"])
		out[m] = append(out[m], r)
	}
	return out, nil
}

func computeMoveState(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	logs, err := lastLogs(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = StateDraft
		if l := logs[id]; len(l) > 0 {
			out[id] = l[len(l)-1]["state"]
		}
	}
	return out, nil
}

// computeMoveName gives a move the number its first posting assigned; a number
// is never taken back, so a move reset to draft keeps it.
func computeMoveName(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	logs, err := lastLogs(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		out[id] = "/"
		for _, l := range logs[id] {
			if n := Str(l["name"]); n != "" {
				out[id] = n
				break
			}
		}
	}
	return out, nil
}

func computeCommercialPartner(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, Move, ids, []string{"partner_id"})
	if err != nil {
		return nil, err
	}
	var partners []int64
	for _, r := range recs {
		if p := M2O(r["partner_id"]); p != 0 {
			partners = append(partners, p)
		}
	}
	commercial := map[int64]int64{}
	if len(partners) > 0 {
		prs, err := env.ReadValues(ctx, "res.partner", uniq(partners), []string{"commercial_partner_id"})
		if err != nil {
			return nil, err
		}
		for _, p := range prs {
			commercial[p["id"].(int64)] = M2O(p["commercial_partner_id"])
		}
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		p := M2O(r["partner_id"])
		c := commercial[p]
		if c == 0 {
			c = p
		}
		out[r["id"].(int64)] = nilIfZero(c)
	}
	return out, nil
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

// moveContext is what computing a move's amounts needs to know about it.
type moveContext struct {
	moveType    string
	state       string
	currency    int64
	digits      int
	company     int64
	companyCur  int64
	compDigits  int
	method      string
	journal     int64
	partner     int64
	commercial  int64
	date        string
	invoiceDate string
	dueDate     string
	name        string
	term        int64
	reversed    int64
}

func loadMoves(ctx context.Context, env *orm.Env, ids []int64) (map[int64]*moveContext, error) {
	ctx = WithLookups(ctx) // currencies and companies read once for all the records
	recs, err := env.ReadValues(ctx, Move, ids, []string{"move_type", "state", "currency_id", "company_id", "journal_id", "partner_id",
		"commercial_partner_id", "date", "invoice_date", "invoice_date_due", "name", "invoice_payment_term_id", "reversed_entry_id"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*moveContext, len(recs))
	for _, r := range recs {
		mc := &moveContext{moveType: Str(r["move_type"]), state: Str(r["state"]), currency: M2O(r["currency_id"]), company: M2O(r["company_id"]),
			journal: M2O(r["journal_id"]), partner: M2O(r["partner_id"]), commercial: M2O(r["commercial_partner_id"]), date: Str(r["date"]),
			invoiceDate: Str(r["invoice_date"]), dueDate: Str(r["invoice_date_due"]), name: Str(r["name"]), term: M2O(r["invoice_payment_term_id"]), reversed: M2O(r["reversed_entry_id"])}
		if mc.digits, err = CurrencyDigits(ctx, env, mc.currency); err != nil {
			return nil, err
		}
		if mc.companyCur, err = CompanyCurrency(ctx, env, mc.company); err != nil {
			return nil, err
		}
		if mc.compDigits, err = CurrencyDigits(ctx, env, mc.companyCur); err != nil {
			return nil, err
		}
		if mc.method, err = RoundingMethod(ctx, env, mc.company); err != nil {
			return nil, err
		}
		out[r["id"].(int64)] = mc
	}
	return out, nil
}

func (mc *moveContext) isInvoice() bool {
	return mc.moveType == TypeInvoice || mc.moveType == TypeRefund
}

// productLines reads the product lines of moves as tax computation inputs.
func productLines(ctx context.Context, env *orm.Env, moveIDs []int64) (map[int64][]map[string]any, map[int64][]LineInput, error) {
	recs, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "in", moveIDs, "display_type", "=", LineProduct),
		[]string{"move_id", "quantity", "price_unit", "discount", "tax_ids", "product_id", "name", "account_id", "product_uom_id", "sequence",
			"amount_currency", "debit", "credit", "date", "partner_id"},
		orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, nil, err
	}
	lines := map[int64][]map[string]any{}
	inputs := map[int64][]LineInput{}
	for _, r := range recs {
		taxes, err := TaxSpecs(ctx, env, IDs(r["tax_ids"]))
		if err != nil {
			return nil, nil, err
		}
		m := M2O(r["move_id"])
		lines[m] = append(lines[m], r)
		inputs[m] = append(inputs[m], LineInput{PriceUnit: Dec(r["price_unit"]), Quantity: Dec(r["quantity"]), Discount: Dec(r["discount"]), Taxes: taxes})
	}
	return lines, inputs, nil
}

func moveAmounts(ctx context.Context, env *orm.Env, ids []int64) (map[int64]Totals, error) {
	ctx = WithLookups(ctx) // currencies, companies and taxes read once per computation
	moves, err := loadMoves(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	_, inputs, err := productLines(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Totals, len(ids))
	var entries []int64
	for id, mc := range moves {
		if mc.isInvoice() {
			out[id] = ComputeTotals(inputs[id], mc.digits, mc.method)
		} else {
			entries = append(entries, id)
		}
	}
	if len(entries) > 0 {
		recs, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "in", entries), []string{"move_id", "debit"}, orm.SearchOptions{})
		if err != nil {
			return nil, err
		}
		sums := map[int64]*apd.Decimal{}
		for _, r := range recs {
			m := M2O(r["move_id"])
			if sums[m] == nil {
				sums[m] = money.Zero()
			}
			sums[m] = money.Add(sums[m], Dec(r["debit"]))
		}
		for _, id := range entries {
			s := sums[id]
			if s == nil {
				s = money.Zero()
			}
			out[id] = Totals{Untaxed: s, Tax: money.Zero(), Total: s}
		}
	}
	return out, nil
}

// moveAmountField computes one of the amount fields of moves.
func moveAmountField(pick func(Totals) *apd.Decimal) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		totals, err := orm.ComputeOnce(ctx, "account.move amounts", ids, func() (map[int64]Totals, error) { return moveAmounts(ctx, env, ids) })
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

// receivableLines returns the payment-term lines of moves.
func receivableLines(ctx context.Context, env *orm.Env, moveIDs []int64) (map[int64][]map[string]any, error) {
	recs, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "in", moveIDs, "display_type", "=", LinePaymentTerm),
		[]string{"move_id", "amount_residual", "amount_residual_currency", "balance", "amount_currency", "matched_debit_ids", "matched_credit_ids", "account_id", "partner_id", "date_maturity"},
		orm.SearchOptions{Order: "id"})
	if err != nil {
		return nil, err
	}
	out := map[int64][]map[string]any{}
	for _, r := range recs {
		m := M2O(r["move_id"])
		out[m] = append(out[m], r)
	}
	return out, nil
}

func computeResidual(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, Move, ids, []string{"move_type", "state", "amount_total"})
	if err != nil {
		return nil, err
	}
	lines, err := receivableLines(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		id := r["id"].(int64)
		switch {
		case r["move_type"] == TypeEntry || r["state"] == StateCancel:
			out[id] = money.Zero()
		case r["state"] == StatePosted && len(lines[id]) > 0:
			sum := money.Zero()
			for _, l := range lines[id] {
				sum = money.Add(sum, Dec(l["amount_residual_currency"]))
			}
			out[id] = money.Abs(sum)
		default:
			out[id] = Dec(r["amount_total"])
		}
	}
	return out, nil
}

func computePaymentState(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, Move, ids, []string{"move_type", "state", "amount_total", "amount_residual"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		id := r["id"].(int64)
		out[id] = "not_paid"
		if r["state"] != StatePosted || r["move_type"] == TypeEntry {
			continue
		}
		total, residual := Dec(r["amount_total"]), Dec(r["amount_residual"])
		switch {
		case residual.IsZero():
			out[id] = "paid"
			reversed, err := settledByReversal(ctx, env, id)
			if err != nil {
				return nil, err
			}
			if reversed {
				out[id] = "reversed"
			}
		case residual.Cmp(total) != 0:
			out[id] = "partial"
		}
	}
	return out, nil
}

// settledByReversal reports whether every counterpart of the move's receivable
// lines belongs to a credit note reversing it.
func settledByReversal(ctx context.Context, env *orm.Env, moveID int64) (bool, error) {
	lines, err := receivableLines(ctx, env, []int64{moveID})
	if err != nil {
		return false, err
	}
	var partials []int64
	for _, l := range lines[moveID] {
		partials = append(partials, IDs(l["matched_debit_ids"])...)
		partials = append(partials, IDs(l["matched_credit_ids"])...)
	}
	if len(partials) == 0 {
		return false, nil
	}
	prs, err := env.ReadValues(ctx, Partial, partials, []string{"debit_move_id", "credit_move_id"})
	if err != nil {
		return false, err
	}
	own := map[int64]bool{}
	for _, l := range lines[moveID] {
		own[l["id"].(int64)] = true
	}
	var others []int64
	for _, p := range prs {
		for _, f := range []string{"debit_move_id", "credit_move_id"} {
			if l := M2O(p[f]); !own[l] {
				others = append(others, l)
			}
		}
	}
	ls, err := env.ReadValues(ctx, MoveLine, uniq(others), []string{"move_id"})
	if err != nil {
		return false, err
	}
	var moves []int64
	for _, l := range ls {
		moves = append(moves, M2O(l["move_id"]))
	}
	ms, err := env.ReadValues(ctx, Move, uniq(moves), []string{"reversed_entry_id"})
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if M2O(m["reversed_entry_id"]) != moveID {
			return false, nil
		}
	}
	return true, nil
}

func linePriceField(pick func(LineResult) *apd.Decimal) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		res, err := orm.ComputeOnce(ctx, "account.move.line prices", ids, func() (map[int64]*LineResult, error) { return linePrices(ctx, env, ids) })
		if err != nil {
			return nil, err
		}
		out := make(map[int64]any, len(res))
		for id, r := range res {
			if r == nil {
				out[id] = money.Zero()
			} else {
				out[id] = pick(*r)
			}
		}
		return out, nil
	}
}

// linePrices computes the amounts of journal items; those that are not
// product lines get nil.
func linePrices(ctx context.Context, env *orm.Env, ids []int64) (map[int64]*LineResult, error) {
	ctx = WithLookups(ctx) // currencies, companies and taxes read once per computation
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"move_id", "quantity", "price_unit", "discount", "tax_ids", "display_type"})
	if err != nil {
		return nil, err
	}
	var moveIDs []int64
	for _, r := range recs {
		moveIDs = append(moveIDs, M2O(r["move_id"]))
	}
	moves, err := loadMoves(ctx, env, uniq(moveIDs))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*LineResult, len(ids))
	for _, r := range recs {
		id := r["id"].(int64)
		if r["display_type"] != LineProduct {
			out[id] = nil
			continue
		}
		taxes, err := TaxSpecs(ctx, env, IDs(r["tax_ids"]))
		if err != nil {
			return nil, err
		}
		mc := moves[M2O(r["move_id"])]
		res := ComputeLine(LineInput{PriceUnit: Dec(r["price_unit"]), Quantity: Dec(r["quantity"]), Discount: Dec(r["discount"]), Taxes: taxes}, mc.digits, mc.method)
		out[id] = &res
	}
	return out, nil
}

func computeBalance(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"debit", "credit"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		out[r["id"].(int64)] = money.Sub(Dec(r["debit"]), Dec(r["credit"]))
	}
	return out, nil
}

type residual struct {
	amount, currency *apd.Decimal
	reconciled       bool
}

func lineResiduals(ctx context.Context, env *orm.Env, ids []int64) (map[int64]residual, error) {
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"balance", "amount_currency", "account_id", "matched_debit_ids", "matched_credit_ids"})
	if err != nil {
		return nil, err
	}
	var accounts, partials []int64
	for _, r := range recs {
		accounts = append(accounts, M2O(r["account_id"]))
		partials = append(partials, IDs(r["matched_debit_ids"])...)
		partials = append(partials, IDs(r["matched_credit_ids"])...)
	}
	reconcilable := map[int64]bool{}
	var accIDs []int64
	for _, a := range uniq(accounts) {
		if a != 0 {
			accIDs = append(accIDs, a)
		}
	}
	if len(accIDs) > 0 {
		as, err := env.ReadValues(ctx, Account, accIDs, []string{"reconcile"})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			reconcilable[a["id"].(int64)] = a["reconcile"] == true
		}
	}
	pmap := map[int64]map[string]any{}
	if len(partials) > 0 {
		ps, err := env.ReadValues(ctx, Partial, uniq(partials), []string{"amount", "debit_amount_currency", "credit_amount_currency"})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			pmap[p["id"].(int64)] = p
		}
	}
	out := make(map[int64]residual, len(recs))
	for _, r := range recs {
		id := r["id"].(int64)
		if !reconcilable[M2O(r["account_id"])] {
			out[id] = residual{amount: money.Zero(), currency: money.Zero()}
			continue
		}
		amt, cur := Dec(r["balance"]), Dec(r["amount_currency"])
		for _, p := range IDs(r["matched_credit_ids"]) { // this line is the debit side
			amt = money.Sub(amt, Dec(pmap[p]["amount"]))
			cur = money.Sub(cur, Dec(pmap[p]["debit_amount_currency"]))
		}
		for _, p := range IDs(r["matched_debit_ids"]) { // this line is the credit side
			amt = money.Add(amt, Dec(pmap[p]["amount"]))
			cur = money.Add(cur, Dec(pmap[p]["credit_amount_currency"]))
		}
		out[id] = residual{amount: amt, currency: cur, reconciled: amt.IsZero() && cur.IsZero()}
	}
	return out, nil
}

func lineResidualField(pick func(residual) any) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		res, err := orm.ComputeOnce(ctx, "account.move.line residuals", ids, func() (map[int64]residual, error) { return lineResiduals(ctx, env, ids) })
		if err != nil {
			return nil, err
		}
		out := make(map[int64]any, len(ids))
		for id, r := range res {
			out[id] = pick(r)
		}
		return out, nil
	}
}

func computeLineFullReconcile(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"matched_debit_ids", "matched_credit_ids"})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(ids))
	for _, r := range recs {
		id := r["id"].(int64)
		out[id] = nil
		ps := append(IDs(r["matched_debit_ids"]), IDs(r["matched_credit_ids"])...)
		if len(ps) == 0 {
			continue
		}
		prs, err := env.ReadValues(ctx, Partial, ps, []string{"full_reconcile_id"})
		if err != nil {
			return nil, err
		}
		for _, p := range prs {
			if f := M2O(p["full_reconcile_id"]); f != 0 {
				out[id] = f
			}
		}
	}
	return out, nil
}
