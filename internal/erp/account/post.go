package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Billing groups, as Odoo names them.
const (
	GroupBilling = "account.group_account_invoice"
	GroupManager = "account.group_account_manager"
)

// RateOn returns how many units of currency make one unit of the company's
// currency on date: 1 for the company's own currency, else the latest rate on or
// before date (a rate of the company before a shared one).
func RateOn(ctx context.Context, env *orm.Env, currency, company int64, date string) (*apd.Decimal, error) {
	cc, err := CompanyCurrency(ctx, env, company)
	if err != nil {
		return nil, err
	}
	if currency == cc {
		return money.Int(1), nil
	}
	recs, err := env.Sudo().SearchReadValues(ctx, Rate, seed.Dom("currency_id", "=", currency, "name", "<=", date, "company_id", "in", []any{company, false}),
		[]string{"rate"}, orm.SearchOptions{Order: "name desc, company_id", Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		cur, err := readOne(ctx, env.Sudo(), "res.currency", currency, "name")
		if err != nil {
			return nil, err
		}
		return nil, &orm.UserError{Message: fmt.Sprintf("no exchange rate for %s on or before %s; add one in the currency's rates", Str(cur["name"]), date)}
	}
	return Dec(recs[0]["rate"]), nil
}

// toCompany converts an amount to the company's currency at rate, rounded.
func toCompany(amount, rate *apd.Decimal, digits int) *apd.Decimal {
	return money.Round(money.Div(amount, rate), digits)
}

func debitCredit(balance *apd.Decimal) (any, any) {
	if balance.Sign() >= 0 {
		return balance, money.Zero()
	}
	return money.Zero(), money.Neg(balance)
}

// AccountByType returns the first account of a type in a company (by code).
func AccountByType(ctx context.Context, env *orm.Env, company int64, accountType string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, Account, seed.Dom("company_id", "=", company, "account_type", "=", accountType), orm.SearchOptions{Limit: 1, Order: "code"})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, &orm.UserError{Message: fmt.Sprintf("the company has no %s account; install a chart of accounts", accountType)}
	}
	return ids[0], nil
}

// JournalByType returns the first journal of a type in a company.
func JournalByType(ctx context.Context, env *orm.Env, company int64, journalType string) (int64, error) {
	ids, err := env.Sudo().Search(ctx, Journal, seed.Dom("company_id", "=", company, "type", "=", journalType), orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, &orm.UserError{Message: fmt.Sprintf("the company has no %s journal", journalType)}
	}
	return ids[0], nil
}

func dueDate(ctx context.Context, env *orm.Env, term int64, invoiceDate string) (string, error) {
	if term == 0 {
		return invoiceDate, nil
	}
	t, err := readOne(ctx, env.Sudo(), Term, term, "days")
	if err != nil {
		return "", err
	}
	return DueDate(invoiceDate, int(t["days"].(int64)))
}

// DueDate adds a payment term's days to an invoice date.
func DueDate(invoiceDate string, days int) (string, error) {
	d, err := time.Parse(orm.DateLayout, invoiceDate)
	if err != nil {
		return "", fmt.Errorf("invoice date %q: %w", invoiceDate, err)
	}
	return d.AddDate(0, 0, days).Format(orm.DateLayout), nil
}

// SyncInvoice rewrites the journal items of a draft invoice or credit note from
// its product lines: each product line's amount, one line per tax, and the
// receivable line that balances them (and absorbs the rounding of conversion).
func SyncInvoice(ctx context.Context, env *orm.Env, moveID int64) error {
	ctx = WithLookups(ctx)
	moves, err := loadMoves(ctx, env, []int64{moveID})
	if err != nil {
		return err
	}
	mc := moves[moveID]
	if !mc.isInvoice() {
		return nil
	}
	if mc.state != StateDraft {
		return &orm.UserError{Message: fmt.Sprintf("%s is not a draft; its journal items cannot change", mc.name)}
	}
	if mc.partner == 0 {
		return &orm.UserError{Message: "an invoice needs a customer"}
	}
	lines, inputs, err := productLines(ctx, env, []int64{moveID})
	if err != nil {
		return err
	}
	totals := ComputeTotals(inputs[moveID], mc.digits, mc.method)
	sign := money.Int(-1) // an invoice credits income and tax, and debits the customer
	if mc.moveType == TypeRefund {
		sign = money.Int(1)
	}
	date := mc.invoiceDate
	if date == "" {
		date = mc.date
	}
	rate, err := RateOn(ctx, env, mc.currency, mc.company, date)
	if err != nil {
		return err
	}
	income, err := defaultIncome(ctx, env, mc)
	if err != nil {
		return err
	}
	receivable, err := AccountByType(ctx, env, mc.company, "asset_receivable")
	if err != nil {
		return err
	}
	partner := mc.commercial
	if partner == 0 {
		partner = mc.partner
	}
	names, err := productNames(ctx, env, lines[moveID])
	if err != nil {
		return err
	}
	incomes, err := productIncomes(ctx, env, lines[moveID])
	if err != nil {
		return err
	}
	sumCur, sumBal := money.Zero(), money.Zero()
	var lineIDs, unchanged []int64
	var lineVals []map[string]any
	for i, l := range lines[moveID] {
		cur := money.Mul(sign, totals.Lines[i].Subtotal)
		bal := toCompany(cur, rate, mc.compDigits)
		sumCur, sumBal = money.Add(sumCur, cur), money.Add(sumBal, bal)
		debit, credit := debitCredit(bal)
		vals := map[string]any{"amount_currency": cur, "debit": debit, "credit": credit, "date": date, "partner_id": partner}
		if M2O(l["account_id"]) == 0 {
			acc, ok := incomes[M2O(l["product_id"])]
			if !ok {
				acc = income
			}
			vals["account_id"] = acc
		}
		if name, ok := names[M2O(l["product_id"])]; ok && Str(l["name"]) == "" {
			vals["name"] = name
		}
		if sameValues(l, vals) {
			// Posting an invoice synced when it was made: nothing to rewrite.
			unchanged = append(unchanged, l["id"].(int64))
			continue
		}
		lineIDs = append(lineIDs, l["id"].(int64))
		lineVals = append(lineVals, vals)
	}
	// One operation for every product line: the invoice's totals and checks
	// follow once, not once per line.
	if err := env.WriteEach(ctx, MoveLine, lineIDs, lineVals); err != nil {
		return err
	}
	var create []map[string]any
	for _, bt := range totals.ByTax {
		if bt.Amount.IsZero() {
			continue
		}
		if bt.Tax.AccountID == 0 {
			return &orm.UserError{Message: fmt.Sprintf("the tax %q has no tax account", bt.Tax.Name)}
		}
		cur := money.Mul(sign, bt.Amount)
		bal := toCompany(cur, rate, mc.compDigits)
		sumCur, sumBal = money.Add(sumCur, cur), money.Add(sumBal, bal)
		debit, credit := debitCredit(bal)
		create = append(create, map[string]any{"move_id": moveID, "display_type": LineTax, "name": bt.Tax.Name, "tax_line_id": bt.Tax.ID,
			"tax_base_amount": toCompany(bt.Base, rate, mc.compDigits), "account_id": bt.Tax.AccountID, "partner_id": partner,
			"amount_currency": cur, "debit": debit, "credit": credit, "date": date, "quantity": 0.0, "sequence": 100})
	}
	due, err := dueDate(ctx, env, mc.term, date)
	if err != nil {
		return err
	}
	debit, credit := debitCredit(money.Neg(sumBal))
	create = append(create, map[string]any{"move_id": moveID, "display_type": LinePaymentTerm, "name": mc.paymentLabel(), "account_id": receivable,
		"partner_id": partner, "amount_currency": money.Neg(sumCur), "debit": debit, "credit": credit, "date": date,
		"date_maturity": due, "quantity": 0.0, "sequence": 200})
	old, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "=", moveID, "display_type", "in", []any{LineTax, LinePaymentTerm}),
		syncedFields, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return err
	}
	oldIDs := make([]int64, len(old))
	for i, l := range old {
		oldIDs[i] = l["id"].(int64)
	}
	if sameLines(old, create) {
		unchanged = append(unchanged, oldIDs...)
	} else {
		if err := env.Unlink(ctx, MoveLine, oldIDs); err != nil {
			return err
		}
		if _, err := env.Create(ctx, MoveLine, create); err != nil {
			return err
		}
	}
	// Lines kept as they are are still written, empty, to prove the user may
	// change them, as rewriting them did.
	if err := touch(ctx, env, MoveLine, unchanged); err != nil {
		return err
	}
	if date == mc.date && due == mc.dueDate {
		return touch(ctx, env, Move, []int64{moveID})
	}
	return env.Write(ctx, Move, []int64{moveID}, map[string]any{"date": date, "invoice_date_due": due})
}

// syncedFields are those SyncInvoice sets on the tax and receivable lines.
var syncedFields = []string{"display_type", "name", "tax_line_id", "tax_base_amount", "account_id", "partner_id",
	"amount_currency", "debit", "credit", "date", "date_maturity", "quantity", "sequence"}

// sameLines reports whether the tax and receivable lines of a move are already
// those SyncInvoice would create, in order: an invoice synced when it was made
// and posted unchanged keeps them instead of having them deleted and recreated.
func sameLines(old, want []map[string]any) bool {
	if len(old) != len(want) {
		return false
	}
	for i := range want {
		vals := make(map[string]any, len(want[i]))
		for k, v := range want[i] {
			if k != "move_id" {
				vals[k] = v
			}
		}
		if !sameValues(old[i], vals) {
			return false
		}
	}
	return true
}

// sameValues reports whether a record read with ReadValues already holds vals.
// A value of a kind it does not know counts as different.
func sameValues(rec, vals map[string]any) bool {
	for k, v := range vals {
		cur, ok := rec[k]
		if !ok {
			return false
		}
		switch w := v.(type) {
		case *apd.Decimal:
			d, ok := cur.(*apd.Decimal)
			if !ok || d.Cmp(w) != 0 {
				return false
			}
		case int64:
			if M2O(cur) != w {
				return false
			}
		case int:
			if c, ok := cur.(int64); !ok || c != int64(w) {
				return false
			}
		case float64:
			if c, ok := cur.(float64); !ok || c != w {
				return false
			}
		case string:
			// An empty text is stored as no value.
			if c, ok := cur.(string); (!ok || c != w) && (w != "" || cur != false) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (mc *moveContext) paymentLabel() string {
	if mc.name != "/" {
		return mc.name
	}
	return ""
}

func defaultIncome(ctx context.Context, env *orm.Env, mc *moveContext) (int64, error) {
	j, err := readOne(ctx, env.Sudo(), Journal, mc.journal, "default_account_id")
	if err != nil {
		return 0, err
	}
	if a := M2O(j["default_account_id"]); a != 0 {
		return a, nil
	}
	return AccountByType(ctx, env, mc.company, "income")
}

// productIncomes returns the income account of each product of the lines that
// have no account yet, where its template names one.
func productIncomes(ctx context.Context, env *orm.Env, lines []map[string]any) (map[int64]int64, error) {
	var products []int64
	for _, l := range lines {
		if p := M2O(l["product_id"]); p != 0 && M2O(l["account_id"]) == 0 {
			products = append(products, p)
		}
	}
	out := map[int64]int64{}
	if len(products) == 0 {
		return out, nil
	}
	su := env.Sudo()
	ps, err := su.ReadValues(ctx, "product.product", uniq(products), []string{"product_tmpl_id"})
	if err != nil {
		return nil, err
	}
	var tmpls []int64
	for _, p := range ps {
		tmpls = append(tmpls, M2O(p["product_tmpl_id"]))
	}
	ts, err := su.ReadValues(ctx, "product.template", uniq(tmpls), []string{"property_account_income_id"})
	if err != nil {
		return nil, err
	}
	income := make(map[int64]int64, len(ts))
	for _, t := range ts {
		income[t["id"].(int64)] = M2O(t["property_account_income_id"])
	}
	for _, p := range ps {
		if a := income[M2O(p["product_tmpl_id"])]; a != 0 {
			out[p["id"].(int64)] = a
		}
	}
	return out, nil
}

// productNames returns the display names of the products of the lines that
// have no label of their own, as Read names a many2one.
func productNames(ctx context.Context, env *orm.Env, lines []map[string]any) (map[int64]any, error) {
	var products []int64
	for _, l := range lines {
		if p := M2O(l["product_id"]); p != 0 && Str(l["name"]) == "" {
			products = append(products, p)
		}
	}
	out := map[int64]any{}
	if len(products) == 0 {
		return out, nil
	}
	recs, err := env.Sudo().ReadValues(ctx, "product.product", uniq(products), []string{"display_name"})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r["id"].(int64)] = r["display_name"]
	}
	return out, nil
}

// touch writes nothing but the modification stamp, which proves (through the
// write rules) that the user may change the records: drafts only, for moves.
func touch(ctx context.Context, env *orm.Env, model string, ids []int64) error {
	return env.Write(ctx, model, ids, map[string]any{})
}

// Post posts draft moves: invoices get their journal items rebuilt, every move is
// checked to balance, and takes the next number of its journal for its year.
func Post(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = WithLookups(ctx)
	for _, id := range ids {
		if err := postOne(ctx, env, id); err != nil {
			return err
		}
	}
	return nil
}

func postOne(ctx context.Context, env *orm.Env, id int64) error {
	if err := requireGroup(ctx, env, GroupBilling, "post"); err != nil {
		return err
	}
	moves, err := loadMoves(ctx, env, []int64{id})
	if err != nil {
		return err
	}
	mc := moves[id]
	if mc.state != StateDraft {
		return &orm.UserError{Message: fmt.Sprintf("%s is %s; only draft entries can be posted", mc.label(), mc.state)}
	}
	if err := touch(ctx, env, Move, []int64{id}); err != nil {
		return err
	}
	if mc.isInvoice() {
		lines, _, err := productLines(ctx, env, []int64{id})
		if err != nil {
			return err
		}
		if len(lines[id]) == 0 {
			return &orm.UserError{Message: "an invoice needs at least one line before it can be posted"}
		}
		if mc.invoiceDate == "" {
			mc.invoiceDate = today(nowFunc())
			if err := env.Write(ctx, Move, []int64{id}, map[string]any{"invoice_date": mc.invoiceDate}); err != nil {
				return err
			}
		}
		if err := SyncInvoice(ctx, env, id); err != nil {
			return err
		}
		mc.date = mc.invoiceDate
	} else {
		// An entry's total is the sum of its debits, which the amounts do not
		// follow line by line: rewriting the type refreshes them.
		if err := env.Write(ctx, Move, []int64{id}, map[string]any{"move_type": mc.moveType}); err != nil {
			return err
		}
	}
	if !mc.isInvoice() && mc.currency == mc.companyCur {
		// In the company's currency the amount in currency is the balance itself.
		recs, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "=", id), []string{"balance", "amount_currency"}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if Dec(r["amount_currency"]).Cmp(Dec(r["balance"])) != 0 {
				if err := env.Write(ctx, MoveLine, []int64{r["id"].(int64)}, map[string]any{"amount_currency": Dec(r["balance"])}); err != nil {
					return err
				}
			}
		}
	}
	vals := map[string]any{"move_id": id, "state": StatePosted}
	if mc.name == "/" || mc.name == "" {
		number, err := nextNumber(ctx, env, mc)
		if err != nil {
			return err
		}
		vals["name"] = number
	}
	if _, err := env.Sudo().Create(ctx, MoveLog, []map[string]any{vals}); err != nil {
		return err
	}
	return nil
}

func (mc *moveContext) label() string {
	if mc.name == "" || mc.name == "/" {
		return "the draft entry"
	}
	return mc.name
}

// nextNumber takes the next number of the move's journal for its year, e.g.
// INV/2026/00001 (RINV/… for credit notes). The counter row is locked by an update
// before it is read, so concurrent postings queue and a rolled-back posting gives
// its number back: no gaps, no duplicates.
func nextNumber(ctx context.Context, env *orm.Env, mc *moveContext) (string, error) {
	su := env.Sudo()
	j, err := readOne(ctx, su, Journal, mc.journal, "code")
	if err != nil {
		return "", err
	}
	year := mc.date
	if len(year) >= 4 {
		year = year[:4]
	}
	prefix := Str(j["code"]) + "/" + year + "/"
	if mc.moveType == TypeRefund {
		prefix = "R" + prefix
	}
	counter, err := counterFor(ctx, su, mc.journal, prefix)
	if err != nil {
		return "", err
	}
	if err := touch(ctx, su, counterMod, []int64{counter}); err != nil {
		return "", err
	}
	r, err := readOne(ctx, su, counterMod, counter, "number_next")
	if err != nil {
		return "", err
	}
	n := r["number_next"].(int64)
	if err := su.Write(ctx, counterMod, []int64{counter}, map[string]any{"number_next": n + 1}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%05d", prefix, n), nil
}

func counterFor(ctx context.Context, su *orm.Env, journal int64, prefix string) (int64, error) {
	find := func() (int64, error) {
		ids, err := su.Search(ctx, counterMod, seed.Dom("journal_id", "=", journal, "prefix", "=", prefix), orm.SearchOptions{Limit: 1})
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		return ids[0], nil
	}
	id, err := find()
	if err != nil || id != 0 {
		return id, err
	}
	ids, err := su.Create(ctx, counterMod, []map[string]any{{"journal_id": journal, "prefix": prefix, "number_next": 1}})
	if err == nil {
		return ids[0], nil
	}
	// Another transaction created the counter first; it is committed now.
	var ve *orm.ValidationError
	if !errors.As(err, &ve) {
		return 0, err
	}
	id, ferr := find()
	if ferr != nil || id == 0 {
		return 0, errors.Join(err, ferr)
	}
	return id, nil
}

// ResetToDraft puts posted or cancelled moves back to draft, keeping their
// numbers, with reason in their history. Billing users only; refused when the
// company locks posted entries or a journal item is reconciled.
func ResetToDraft(ctx context.Context, env *orm.Env, ids []int64, reason string) error {
	ctx = WithLookups(ctx)
	if err := requireGroup(ctx, env, GroupBilling, "reset entries to draft"); err != nil {
		return err
	}
	moves, err := loadMoves(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		mc := moves[id]
		switch mc.state {
		case StateDraft:
			return &orm.UserError{Message: fmt.Sprintf("%s is already a draft", mc.label())}
		case StatePosted:
			c, err := readOne(ctx, env.Sudo(), "res.company", mc.company, "account_reset_policy")
			if err != nil {
				return err
			}
			if c["account_reset_policy"] == "locked" {
				return &orm.UserError{Message: fmt.Sprintf("%s is posted and the company locks posted entries; correct it with a credit note", mc.name)}
			}
			n, err := env.Sudo().SearchCount(ctx, Partial, domain.OrAll(seed.Dom("debit_move_id.move_id", "=", id), seed.Dom("credit_move_id.move_id", "=", id)), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if n > 0 {
				return &orm.UserError{Message: fmt.Sprintf("%s has reconciled items; remove the payments or credit notes matched with it first", mc.name)}
			}
		}
		note := "Reset to draft"
		if reason != "" {
			note += ": " + reason
		}
		if _, err := env.Sudo().Create(ctx, MoveLog, []map[string]any{{"move_id": id, "state": StateDraft, "note": note}}); err != nil {
			return err
		}
	}
	return nil
}

// Cancel cancels draft moves.
func Cancel(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = WithLookups(ctx)
	moves, err := loadMoves(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		mc := moves[id]
		if mc.state != StateDraft {
			return &orm.UserError{Message: fmt.Sprintf("%s is %s; only draft entries can be cancelled (reset it to draft first)", mc.label(), mc.state)}
		}
		if err := touch(ctx, env, Move, []int64{id}); err != nil {
			return err
		}
		if _, err := env.Sudo().Create(ctx, MoveLog, []map[string]any{{"move_id": id, "state": StateCancel}}); err != nil {
			return err
		}
	}
	return nil
}

func requireGroup(ctx context.Context, env *orm.Env, group, what string) error {
	if env.IsSuperuser() {
		return nil
	}
	ok, err := env.HasGroup(ctx, group)
	if err != nil {
		return err
	}
	if !ok {
		return &orm.AccessError{Model: Move, Operation: what}
	}
	return nil
}
