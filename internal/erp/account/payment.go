package account

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// PaymentOptions describe a payment registered against an invoice. Zero values
// mean: the whole amount due, the company's first bank journal, today.
type PaymentOptions struct {
	Amount    *apd.Decimal
	JournalID int64
	Date      string
}

// RegisterPayment records a customer payment (or a refund paid out, for a credit
// note) of an open posted invoice, posts it and reconciles it with the invoice.
// It refuses more than the amount due.
func RegisterPayment(ctx context.Context, env *orm.Env, invoiceID int64, opts PaymentOptions) (int64, error) {
	ctx = WithLookups(ctx)
	moves, err := loadMoves(ctx, env, []int64{invoiceID})
	if err != nil {
		return 0, err
	}
	mc := moves[invoiceID]
	if !mc.isInvoice() || mc.state != StatePosted {
		return 0, &orm.UserError{Message: fmt.Sprintf("%s is not a posted invoice or credit note; only those can be paid", mc.label())}
	}
	inv, err := readOne(ctx, env, Move, invoiceID, "amount_residual")
	if err != nil {
		return 0, err
	}
	due := Dec(inv["amount_residual"])
	if due.IsZero() {
		return 0, &orm.UserError{Message: fmt.Sprintf("%s is already paid", mc.name)}
	}
	amount := opts.Amount
	if amount == nil {
		amount = due
	}
	if amount.Sign() <= 0 {
		return 0, &orm.UserError{Message: "a payment amount must be positive"}
	}
	if err := CheckDigits(Payment, "amount", amount, mc.digits); err != nil {
		return 0, err
	}
	if amount.Cmp(due) > 0 {
		return 0, &orm.UserError{Message: fmt.Sprintf("the payment of %s is more than the %s still due on %s",
			money.Format(amount, mc.digits), money.Format(due, mc.digits), mc.name)}
	}
	journal := opts.JournalID
	if journal == 0 {
		if journal, err = JournalByType(ctx, env, mc.company, "bank"); err != nil {
			return 0, err
		}
	}
	date := opts.Date
	if date == "" {
		date = today(nowFunc())
	}
	kind := "inbound"
	if mc.moveType == TypeRefund {
		kind = "outbound"
	}
	partner := mc.commercial
	if partner == 0 {
		partner = mc.partner
	}
	ids, err := env.Create(ctx, Payment, []map[string]any{{"payment_type": kind, "partner_type": "customer", "partner_id": partner,
		"amount": amount, "currency_id": mc.currency, "date": date, "journal_id": journal, "company_id": mc.company, "memo": mc.name,
		"invoice_ids": []any{[]any{6, 0, []any{invoiceID}}}}})
	if err != nil {
		return 0, err
	}
	if err := PostPayments(ctx, env, ids); err != nil {
		return 0, err
	}
	pay, err := readOne(ctx, env, Payment, ids[0], "move_id")
	if err != nil {
		return 0, err
	}
	recv, err := env.Search(ctx, MoveLine, seed.Dom("move_id", "in", []any{invoiceID, M2O(pay["move_id"])}, "display_type", "=", LinePaymentTerm, "reconciled", "=", false), orm.SearchOptions{})
	if err != nil {
		return 0, err
	}
	if err := Reconcile(ctx, env, recv); err != nil {
		return 0, err
	}
	return ids[0], nil
}

// PostPayments creates and posts the journal entry of payments that have none:
// the bank or cash account against the customer's receivable.
func PostPayments(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = WithLookups(ctx)
	recs, err := env.ReadValues(ctx, Payment, ids, []string{"move_id", "payment_type", "partner_id", "amount", "currency_id", "date", "journal_id", "company_id", "memo"})
	if err != nil {
		return err
	}
	for _, p := range recs {
		if M2O(p["move_id"]) != 0 {
			return &orm.UserError{Message: fmt.Sprintf("the payment %d is already posted", p["id"])}
		}
		company, currency := M2O(p["company_id"]), M2O(p["currency_id"])
		amount := Dec(p["amount"])
		digits, err := CurrencyDigits(ctx, env, currency)
		if err != nil {
			return err
		}
		if amount.Sign() <= 0 {
			return &orm.UserError{Message: "a payment amount must be positive"}
		}
		if err := CheckDigits(Payment, "amount", amount, digits); err != nil {
			return err
		}
		j, err := readOne(ctx, env, Journal, M2O(p["journal_id"]), "type", "default_account_id")
		if err != nil {
			return err
		}
		if t := Str(j["type"]); t != "bank" && t != "cash" {
			return &orm.UserError{Message: "payments are registered in a bank or cash journal"}
		}
		liquidity := M2O(j["default_account_id"])
		if liquidity == 0 {
			return &orm.UserError{Message: "the payment journal has no default account"}
		}
		receivable, err := AccountByType(ctx, env, company, "asset_receivable")
		if err != nil {
			return err
		}
		date := Str(p["date"])
		rate, err := RateOn(ctx, env, currency, company, date)
		if err != nil {
			return err
		}
		cc, err := CompanyCurrency(ctx, env, company)
		if err != nil {
			return err
		}
		compDigits, err := CurrencyDigits(ctx, env, cc)
		if err != nil {
			return err
		}
		cur := amount // received: debit the bank
		if p["payment_type"] == "outbound" {
			cur = money.Neg(amount)
		}
		bal := toCompany(cur, rate, compDigits)
		bd, bc := debitCredit(bal)
		rd, rc := debitCredit(money.Neg(bal))
		partner := M2O(p["partner_id"])
		label := Str(p["memo"])
		moveIDs, err := env.Create(ctx, Move, []map[string]any{{
			"move_type": TypeEntry, "journal_id": M2O(p["journal_id"]), "date": date, "currency_id": currency, "company_id": company,
			"partner_id": partner, "ref": label,
			"line_ids": []any{
				[]any{0, 0, map[string]any{"account_id": liquidity, "partner_id": partner, "name": label, "debit": bd, "credit": bc, "amount_currency": cur, "date": date}},
				[]any{0, 0, map[string]any{"account_id": receivable, "partner_id": partner, "name": label, "debit": rd, "credit": rc, "amount_currency": money.Neg(cur),
					"date": date, "date_maturity": date, "display_type": LinePaymentTerm}},
			},
		}})
		if err != nil {
			return err
		}
		if err := Post(ctx, env, moveIDs); err != nil {
			return err
		}
		if err := env.Write(ctx, Payment, []int64{p["id"].(int64)}, map[string]any{"move_id": moveIDs[0]}); err != nil {
			return err
		}
	}
	return nil
}

// ReverseOptions describe a credit note. Reconcile posts it and matches it with
// the invoice at once (Odoo's "full refund").
type ReverseOptions struct {
	Date      string
	Reason    string
	Reconcile bool
}

// Reverse creates the credit note of a posted invoice, with the same lines.
func Reverse(ctx context.Context, env *orm.Env, invoiceID int64, opts ReverseOptions) (int64, error) {
	ctx = WithLookups(ctx)
	moves, err := loadMoves(ctx, env, []int64{invoiceID})
	if err != nil {
		return 0, err
	}
	mc := moves[invoiceID]
	if mc.moveType != TypeInvoice || mc.state != StatePosted {
		return 0, &orm.UserError{Message: fmt.Sprintf("%s is not a posted customer invoice; only those can be credited", mc.label())}
	}
	lines, _, err := productLines(ctx, env, []int64{invoiceID})
	if err != nil {
		return 0, err
	}
	date := opts.Date
	if date == "" {
		date = today(nowFunc())
	}
	ref := "Reversal of: " + mc.name
	if opts.Reason != "" {
		ref += ", " + opts.Reason
	}
	// Credit notes point to the sales order lines of the invoice (when sales are
	// installed), so that credited quantities count as not invoiced.
	_, hasSale := moveLineModelOf(env).Field("sale_line_ids")
	var saleLines map[int64][]int64
	if hasSale {
		saleLines = map[int64][]int64{}
		for _, l := range lines[invoiceID] {
			r, err := readOne(ctx, env, MoveLine, l["id"].(int64), "sale_line_ids")
			if err != nil {
				return 0, err
			}
			saleLines[l["id"].(int64)] = IDs(r["sale_line_ids"])
		}
	}
	var cmds []any
	for _, l := range lines[invoiceID] {
		vals := map[string]any{"display_type": LineProduct, "product_id": nilIfZero(M2O(l["product_id"])), "name": l["name"],
			"quantity": l["quantity"], "price_unit": l["price_unit"], "discount": l["discount"], "account_id": nilIfZero(M2O(l["account_id"])),
			"product_uom_id": nilIfZero(M2O(l["product_uom_id"])), "tax_ids": []any{[]any{6, 0, IDs(l["tax_ids"])}}, "sequence": l["sequence"]}
		if hasSale {
			vals["sale_line_ids"] = []any{[]any{6, 0, saleLines[l["id"].(int64)]}}
		}
		cmds = append(cmds, []any{0, 0, vals})
	}
	ids, err := env.Create(ctx, Move, []map[string]any{{"move_type": TypeRefund, "partner_id": mc.partner, "journal_id": mc.journal,
		"company_id": mc.company, "currency_id": mc.currency, "invoice_date": date, "date": date, "ref": ref, "reversed_entry_id": invoiceID}})
	if err != nil {
		return 0, err
	}
	// One batch of lines: their amounts and the totals are computed once.
	lineVals := make([]map[string]any, len(cmds))
	for i, c := range cmds {
		lineVals[i] = c.([]any)[2].(map[string]any)
		lineVals[i]["move_id"] = ids[0]
	}
	if _, err := env.Create(ctx, MoveLine, lineVals); err != nil {
		return 0, err
	}
	if err := SyncInvoice(ctx, env, ids[0]); err != nil {
		return 0, err
	}
	if !opts.Reconcile {
		return ids[0], nil
	}
	if err := Post(ctx, env, ids); err != nil {
		return 0, err
	}
	recv, err := env.Search(ctx, MoveLine, seed.Dom("move_id", "in", []any{invoiceID, ids[0]}, "display_type", "=", LinePaymentTerm, "reconciled", "=", false), orm.SearchOptions{})
	if err != nil {
		return 0, err
	}
	if len(recv) >= 2 {
		if err := Reconcile(ctx, env, recv); err != nil {
			return 0, err
		}
	}
	return ids[0], nil
}

func moveLineModelOf(env *orm.Env) *orm.Model {
	m, _ := env.Registry().Model(MoveLine)
	return m
}
