package account

import (
	"context"
	"fmt"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

type openItem struct {
	id, account, partner, company int64
	currency, companyCur          int64
	date                          string
	res, resCur                   *apd.Decimal
	digits, compDigits            int
}

func openItems(ctx context.Context, env *orm.Env, ids []int64) ([]*openItem, error) {
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"account_id", "partner_id", "move_id", "date", "amount_residual", "amount_residual_currency", "parent_state"})
	if err != nil {
		return nil, err
	}
	var moveIDs []int64
	for _, r := range recs {
		if r["parent_state"] != StatePosted {
			return nil, &orm.UserError{Message: "only posted journal items can be reconciled"}
		}
		moveIDs = append(moveIDs, M2O(r["move_id"]))
	}
	moves, err := loadMoves(ctx, env, uniq(moveIDs))
	if err != nil {
		return nil, err
	}
	out := make([]*openItem, 0, len(recs))
	for _, r := range recs {
		mc := moves[M2O(r["move_id"])]
		out = append(out, &openItem{id: r["id"].(int64), account: M2O(r["account_id"]), partner: M2O(r["partner_id"]), company: mc.company,
			currency: mc.currency, companyCur: mc.companyCur, date: Str(r["date"]), res: Dec(r["amount_residual"]), resCur: Dec(r["amount_residual_currency"]),
			digits: mc.digits, compDigits: mc.compDigits})
	}
	return out, nil
}

// Reconcile matches the open debit and credit items among ids, oldest first.
// Items in the same foreign currency are matched in that currency; a difference
// left in the company's currency when the foreign amount is settled is booked as
// an exchange difference. Fully settled groups get an account.full.reconcile.
func Reconcile(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = WithLookups(ctx)
	items, err := openItems(ctx, env, uniq(ids))
	if err != nil {
		return err
	}
	if len(items) < 2 {
		return &orm.UserError{Message: "select at least two journal items to reconcile"}
	}
	for _, it := range items[1:] {
		if it.account != items[0].account {
			return &orm.UserError{Message: "only journal items of the same account can be reconciled"}
		}
		if it.partner != items[0].partner {
			return &orm.UserError{Message: "only journal items of the same partner can be reconciled"}
		}
	}
	var debits, credits []*openItem
	for _, it := range items {
		switch {
		case it.res.Sign() > 0 || (it.res.IsZero() && it.resCur.Sign() > 0):
			debits = append(debits, it)
		case it.res.Sign() < 0 || (it.res.IsZero() && it.resCur.Sign() < 0):
			credits = append(credits, it)
		}
	}
	oldest := func(a, b *openItem) int {
		if a.date != b.date {
			if a.date < b.date {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	}
	slices.SortFunc(debits, oldest)
	slices.SortFunc(credits, oldest)
	for len(debits) > 0 && len(credits) > 0 {
		d, c := debits[0], credits[0]
		if err := match(ctx, env, d, c); err != nil {
			return err
		}
		if d.res.IsZero() || (d.currency == c.currency && d.resCur.IsZero()) {
			debits = debits[1:]
		}
		if c.res.IsZero() || (d.currency == c.currency && c.resCur.IsZero()) {
			credits = credits[1:]
		}
	}
	for _, it := range items {
		if err := settleExchange(ctx, env, it); err != nil {
			return err
		}
	}
	return fullReconcile(ctx, env, ids)
}

// match records one partial reconciliation between a debit and a credit item and
// updates their open amounts.
func match(ctx context.Context, env *orm.Env, d, c *openItem) error {
	var amt, dCur, cCur *apd.Decimal
	if d.currency == c.currency && d.currency != d.companyCur {
		cur := money.Min(d.resCur, money.Neg(c.resCur))
		dAmt := d.res
		if cur.Cmp(d.resCur) != 0 {
			dAmt = money.Round(money.Div(money.Mul(d.res, cur), d.resCur), d.compDigits)
		}
		cAmt := money.Neg(c.res)
		if cur.Cmp(money.Neg(c.resCur)) != 0 {
			cAmt = money.Round(money.Div(money.Mul(money.Neg(c.res), cur), money.Neg(c.resCur)), c.compDigits)
		}
		amt, dCur, cCur = money.Max(money.Min(dAmt, cAmt), money.Zero()), cur, cur
	} else {
		amt = money.Min(d.res, money.Neg(c.res))
		dCur, cCur = sideCurrency(d, amt), sideCurrency(c, amt)
	}
	if _, err := env.Create(ctx, Partial, []map[string]any{{"debit_move_id": d.id, "credit_move_id": c.id, "amount": amt,
		"debit_amount_currency": dCur, "credit_amount_currency": cCur}}); err != nil {
		return err
	}
	d.res, d.resCur = money.Sub(d.res, amt), money.Sub(d.resCur, dCur)
	c.res, c.resCur = money.Add(c.res, amt), money.Add(c.resCur, cCur)
	return nil
}

// sideCurrency is the part of an item's foreign amount a company-currency
// amount settles.
func sideCurrency(it *openItem, amt *apd.Decimal) *apd.Decimal {
	res := money.Abs(it.res)
	switch {
	case it.currency == it.companyCur:
		return amt
	case res.IsZero():
		return money.Zero()
	case amt.Cmp(res) == 0:
		return money.Abs(it.resCur)
	}
	return money.Round(money.Div(money.Mul(money.Abs(it.resCur), amt), res), it.digits)
}

// settleExchange books what is left of an item in the company's currency once its
// foreign amount is settled, against the exchange gain or loss account.
func settleExchange(ctx context.Context, env *orm.Env, it *openItem) error {
	if it.currency == it.companyCur || !it.resCur.IsZero() || it.res.IsZero() {
		return nil
	}
	journal, err := journalByCode(ctx, env, it.company, "EXCH")
	if err != nil {
		return err
	}
	kind := "expense" // an open debit left over is a loss
	if it.res.Sign() < 0 {
		kind = "income_other"
	}
	counterpart, err := AccountByType(ctx, env, it.company, kind)
	if err != nil {
		return err
	}
	date := today(nowFunc())
	if it.date > date {
		date = it.date
	}
	fixD, fixC := debitCredit(money.Neg(it.res))
	cpD, cpC := debitCredit(it.res)
	ids, err := env.Create(ctx, Move, []map[string]any{{
		"move_type": TypeEntry, "journal_id": journal, "date": date, "currency_id": it.companyCur, "company_id": it.company,
		"partner_id": nilIfZero(it.partner), "ref": "Exchange difference",
		"line_ids": []any{
			[]any{0, 0, map[string]any{"account_id": it.account, "partner_id": nilIfZero(it.partner), "name": "Exchange difference", "debit": fixD, "credit": fixC, "date": date, "display_type": LinePaymentTerm}},
			[]any{0, 0, map[string]any{"account_id": counterpart, "name": "Exchange difference", "debit": cpD, "credit": cpC, "date": date}},
		},
	}})
	if err != nil {
		return err
	}
	if err := Post(ctx, env, ids); err != nil {
		return err
	}
	fix, err := env.Search(ctx, MoveLine, seed.Dom("move_id", "=", ids[0], "account_id", "=", it.account), orm.SearchOptions{})
	if err != nil {
		return err
	}
	fixItems, err := openItems(ctx, env, fix)
	if err != nil {
		return err
	}
	if it.res.Sign() > 0 {
		return match(ctx, env, it, fixItems[0])
	}
	return match(ctx, env, fixItems[0], it)
}

func journalByCode(ctx context.Context, env *orm.Env, company int64, code string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, Journal, seed.Dom("company_id", "=", company, "code", "=", code), orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, &orm.UserError{Message: fmt.Sprintf("the company has no journal %s", code)}
	}
	return ids[0], nil
}

// fullReconcile groups the items connected to ids through partial
// reconciliations; when all of them are settled, the group gets a matching number.
func fullReconcile(ctx context.Context, env *orm.Env, ids []int64) error {
	lines := map[int64]bool{}
	partials := map[int64]bool{}
	frontier := ids
	for len(frontier) > 0 {
		var next []int64
		recs, err := env.ReadValues(ctx, MoveLine, uniq(frontier), []string{"matched_debit_ids", "matched_credit_ids", "reconciled", "full_reconcile_id"})
		if err != nil {
			return err
		}
		var newPartials []int64
		for _, r := range recs {
			lines[r["id"].(int64)] = true
			if r["reconciled"] != true {
				return nil
			}
			for _, p := range append(IDs(r["matched_debit_ids"]), IDs(r["matched_credit_ids"])...) {
				if !partials[p] {
					partials[p] = true
					newPartials = append(newPartials, p)
				}
			}
		}
		if len(newPartials) == 0 {
			break
		}
		prs, err := env.ReadValues(ctx, Partial, newPartials, []string{"debit_move_id", "credit_move_id"})
		if err != nil {
			return err
		}
		for _, p := range prs {
			for _, f := range []string{"debit_move_id", "credit_move_id"} {
				if l := M2O(p[f]); !lines[l] {
					next = append(next, l)
				}
			}
		}
		frontier = next
	}
	var pids []int64
	for p := range partials {
		pids = append(pids, p)
	}
	if len(pids) == 0 {
		return nil
	}
	slices.Sort(pids)
	fr, err := env.Create(ctx, FullRec, []map[string]any{{"name": fmt.Sprintf("M%d", pids[0])}})
	if err != nil {
		return err
	}
	return env.Write(ctx, Partial, pids, map[string]any{"full_reconcile_id": fr[0]})
}
