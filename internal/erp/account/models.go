// Package account is double-entry bookkeeping and invoicing: chart of accounts,
// journals, taxes, payment terms, currency rates, journal entries (account.move)
// and their items (account.move.line), customer invoices and credit notes,
// payments, reconciliation, and the aged receivables report.
//
// A move's state and number are computed from its log (account.move.log), which
// only this package writes, as the system, after checking the user's rights: no
// one can write "posted" or a number directly. Global record rules make posted
// entries and their items read-only for everyone.
package account

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Model names.
const (
	Move       = "account.move"
	MoveLine   = "account.move.line"
	MoveLog    = "account.move.log"
	Payment    = "account.payment"
	Partial    = "account.partial.reconcile"
	FullRec    = "account.full.reconcile"
	Journal    = "account.journal"
	Account    = "account.account"
	Tax        = "account.tax"
	Term       = "account.payment.term"
	Rate       = "res.currency.rate"
	counterMod = "account.journal.counter"
)

// Register declares the accounting models and extends company, partner and product.
func Register(reg *orm.Registry) error {
	for _, m := range []*orm.Model{accountModel(), taxModel(), journalModel(), counterModel(), termModel(), rateModel(),
		moveModel(), moveLogModel(), moveLineModel(), partialModel(), fullReconcileModel(), paymentModel()} {
		if err := reg.Define(m); err != nil {
			return fmt.Errorf("account: %w", err)
		}
	}
	exts := []struct {
		model  string
		fields []*orm.Field
	}{
		{"res.company", []*orm.Field{
			{Name: "tax_calculation_rounding_method", Type: orm.Selection, Default: RoundPerLine, String: "Tax Calculation Rounding Method",
				Selection: []orm.SelectionOption{{Value: RoundPerLine, Label: "Round per Line"}, {Value: RoundGlobally, Label: "Round Globally"}}},
			{Name: "account_reset_policy", Type: orm.Selection, Default: "allowed", String: "Posted Entries",
				Help:      "whether posted entries may be reset to draft (logged), or corrected only by credit notes",
				Selection: []orm.SelectionOption{{Value: "allowed", Label: "Reset to draft allowed, with a log entry"}, {Value: "locked", Label: "Locked: correct by credit note"}}},
		}},
		{"res.partner", []*orm.Field{
			{Name: "commercial_member_ids", Type: orm.One2many, Comodel: "res.partner", InverseName: "commercial_partner_id", String: "Members of the Commercial Entity"},
			{Name: "property_payment_term_id", Type: orm.Many2one, Comodel: Term, String: "Customer Payment Terms"},
		}},
		{"product.template", []*orm.Field{
			{Name: "taxes_id", Type: orm.Many2many, Comodel: Tax, Relation: "product_taxes_rel", Column1: "prod_id", Column2: "tax_id", String: "Customer Taxes"},
			{Name: "property_account_income_id", Type: orm.Many2one, Comodel: Account, String: "Income Account"},
		}},
	}
	for _, e := range exts {
		if err := reg.Extend(e.model, e.fields...); err != nil {
			return fmt.Errorf("account: %w", err)
		}
	}
	if err := registerMethods(reg); err != nil {
		return fmt.Errorf("account: %w", err)
	}
	return nil
}

// Account types, as Odoo names them.
var accountTypes = []orm.SelectionOption{
	{Value: "asset_receivable", Label: "Receivable"}, {Value: "asset_cash", Label: "Bank and Cash"},
	{Value: "asset_current", Label: "Current Assets"}, {Value: "liability_payable", Label: "Payable"},
	{Value: "liability_current", Label: "Current Liabilities"}, {Value: "equity", Label: "Equity"},
	{Value: "income", Label: "Income"}, {Value: "income_other", Label: "Other Income"},
	{Value: "expense", Label: "Expenses"},
}

func accountModel() *orm.Model {
	return &orm.Model{
		Name: Account, Description: "Account", Order: "code, company_id",
		Fields: []*orm.Field{
			{Name: "code", Type: orm.Char, Required: true, Size: 64, Index: true},
			{Name: "name", Type: orm.Char, Required: true, String: "Account Name"},
			{Name: "account_type", Type: orm.Selection, Required: true, Selection: accountTypes, String: "Type"},
			{Name: "reconcile", Type: orm.Boolean, String: "Allow Reconciliation"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", String: "Account Currency"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "code_company_uniq", Fields: []string{"code", "company_id"}, Message: "the code of the account must be unique per company"}},
	}
}

func taxModel() *orm.Model {
	return &orm.Model{
		Name: Tax, Description: "Tax", Order: "sequence, id",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Tax Name"},
			{Name: "description", Type: orm.Char, String: "Label on Invoices"},
			{Name: "amount_type", Type: orm.Selection, Required: true, Default: "percent", String: "Tax Computation",
				Selection: []orm.SelectionOption{{Value: "percent", Label: "Percentage of Price"}, {Value: "fixed", Label: "Fixed"}}},
			{Name: "amount", Type: orm.Float, Required: true, Digits: [2]int{16, 4}},
			{Name: "type_tax_use", Type: orm.Selection, Required: true, Default: "sale", String: "Tax Type",
				Selection: []orm.SelectionOption{{Value: "sale", Label: "Sales"}, {Value: "purchase", Label: "Purchases"}, {Value: "none", Label: "None"}}},
			{Name: "price_include", Type: orm.Boolean, String: "Included in Price"},
			{Name: "sequence", Type: orm.Integer, Default: 1},
			{Name: "account_id", Type: orm.Many2one, Comodel: Account, String: "Tax Account", OnDelete: orm.Restrict},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "name_company_uniq", Fields: []string{"name", "company_id", "type_tax_use"}, Message: "tax names must be unique per company and use"}},
		Checks:         []orm.Check{{Name: "amount_sensible", Fields: []string{"amount", "amount_type"}, Func: checkTax}},
	}
}

func checkTax(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.ReadValues(ctx, Tax, ids, []string{"amount", "amount_type"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		a := r["amount"].(float64)
		if a < 0 || (r["amount_type"] == "percent" && a >= 1000) {
			return &orm.ValidationError{Model: Tax, Field: "amount", Message: "a tax rate must be between 0 and 1000 percent, and a fixed tax not negative"}
		}
		if Dec(a).NumDigits() > 16 || -Dec(a).Exponent > 4 {
			return &orm.ValidationError{Model: Tax, Field: "amount", Message: "a tax amount has at most 4 decimals"}
		}
	}
	return nil
}

func journalModel() *orm.Model {
	return &orm.Model{
		Name: Journal, Description: "Journal", Order: "sequence, type, code",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Journal Name"},
			{Name: "code", Type: orm.Char, Required: true, Size: 5, String: "Short Code", Help: "prefix of the numbers of the journal's entries"},
			{Name: "type", Type: orm.Selection, Required: true, Selection: []orm.SelectionOption{
				{Value: "sale", Label: "Sales"}, {Value: "purchase", Label: "Purchase"}, {Value: "cash", Label: "Cash"},
				{Value: "bank", Label: "Bank"}, {Value: "general", Label: "Miscellaneous"}}},
			{Name: "default_account_id", Type: orm.Many2one, Comodel: Account, String: "Default Account", OnDelete: orm.Restrict},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true},
			{Name: "sequence", Type: orm.Integer, Default: 10},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "code_company_uniq", Fields: []string{"code", "company_id"}, Message: "journal codes must be unique per company"}},
	}
}

// counterModel holds the next number of each journal's numbering (per prefix,
// which includes the year). Only the system reads or writes it.
func counterModel() *orm.Model {
	return &orm.Model{
		Name: counterMod, Description: "Journal Numbering",
		Fields: []*orm.Field{
			{Name: "journal_id", Type: orm.Many2one, Comodel: Journal, Required: true, OnDelete: orm.Cascade},
			{Name: "prefix", Type: orm.Char, Required: true},
			{Name: "number_next", Type: orm.Integer, Default: 1},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "journal_prefix_uniq", Fields: []string{"journal_id", "prefix"}, Message: "one counter per journal and prefix"}},
	}
}

func termModel() *orm.Model {
	return &orm.Model{
		Name: Term, Description: "Payment Terms", Order: "days, name",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Payment Terms"},
			{Name: "days", Type: orm.Integer, String: "Days", Help: "the invoice is due this many days after its date"},
			{Name: "note", Type: orm.Text, String: "Description on the Invoice"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company"},
			{Name: "active", Type: orm.Boolean, Default: true},
		},
		Checks: []orm.Check{{Name: "days_range", Fields: []string{"days"}, Func: func(ctx context.Context, env *orm.Env, ids []int64) error {
			recs, err := env.ReadValues(ctx, Term, ids, []string{"days"})
			if err != nil {
				return err
			}
			for _, r := range recs {
				if d := r["days"].(int64); d < 0 || d > 3660 {
					return &orm.ValidationError{Model: Term, Field: "days", Message: "payment terms run from 0 to 3660 days"}
				}
			}
			return nil
		}}},
	}
}

func rateModel() *orm.Model {
	return &orm.Model{
		Name: Rate, Description: "Currency Rate", Order: "name desc, id desc",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Date, Required: true, String: "Date"},
			{Name: "rate", Type: orm.Float, Required: true, Digits: [2]int{12, 6}, Help: "units of the currency for one unit of the company's currency"},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Index: true},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "unique_name_per_day", Fields: []string{"name", "currency_id", "company_id"}, Message: "only one rate per currency, company and day"}},
		Checks: []orm.Check{{Name: "rate_positive", Fields: []string{"rate"}, Func: func(ctx context.Context, env *orm.Env, ids []int64) error {
			recs, err := env.ReadValues(ctx, Rate, ids, []string{"rate"})
			if err != nil {
				return err
			}
			for _, r := range recs {
				if r["rate"].(float64) <= 0 {
					return &orm.ValidationError{Model: Rate, Field: "rate", Message: "a currency rate must be positive"}
				}
			}
			return nil
		}}},
	}
}

// Move types and states.
const (
	TypeEntry   = "entry"
	TypeInvoice = "out_invoice"
	TypeRefund  = "out_refund"

	StateDraft  = "draft"
	StatePosted = "posted"
	StateCancel = "cancel"
)

var moveTypes = []orm.SelectionOption{{Value: TypeEntry, Label: "Journal Entry"}, {Value: TypeInvoice, Label: "Customer Invoice"}, {Value: TypeRefund, Label: "Customer Credit Note"}}

var moveStates = []orm.SelectionOption{{Value: StateDraft, Label: "Draft"}, {Value: StatePosted, Label: "Posted"}, {Value: StateCancel, Label: "Cancelled"}}

func moveModel() *orm.Model {
	amount := func(name, label string, pick func(Totals) *apd.Decimal) *orm.Field {
		return &orm.Field{Name: name, Type: orm.Monetary, CurrencyField: "currency_id", String: label, Compute: moveAmountField(pick), Store: true,
			Depends: []string{"line_ids", "line_ids.price_subtotal", "line_ids.price_total", "line_ids.tax_ids", "line_ids.display_type", "currency_id", "move_type"}}
	}
	return &orm.Model{
		Name: Move, Description: "Journal Entry", Order: "date desc, name desc, id desc",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, String: "Number", Index: true, Compute: computeMoveName, Store: true, Depends: []string{"log_ids.name"}},
			{Name: "state", Type: orm.Selection, Selection: moveStates, String: "Status", Index: true, Compute: computeMoveState, Store: true, Depends: []string{"log_ids.state"}},
			{Name: "log_ids", Type: orm.One2many, Comodel: MoveLog, InverseName: "move_id", String: "History"},
			{Name: "move_type", Type: orm.Selection, Required: true, Default: TypeEntry, String: "Type", Selection: moveTypes},
			{Name: "ref", Type: orm.Char, String: "Reference"},
			{Name: "narration", Type: orm.Text, String: "Terms and Conditions"},
			{Name: "date", Type: orm.Date, Required: true, Index: true, DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return today(nowFunc()), nil }},
			{Name: "invoice_date", Type: orm.Date, String: "Invoice/Bill Date"},
			{Name: "invoice_date_due", Type: orm.Date, String: "Due Date"},
			{Name: "invoice_payment_term_id", Type: orm.Many2one, Comodel: Term, String: "Payment Terms"},
			{Name: "invoice_origin", Type: orm.Char, String: "Origin"},
			{Name: "payment_reference", Type: orm.Char},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", OnDelete: orm.Restrict, Index: true},
			{Name: "commercial_partner_id", Type: orm.Many2one, Comodel: "res.partner", String: "Commercial Entity", Index: true,
				Compute: computeCommercialPartner, Store: true, Depends: []string{"partner_id", "partner_id.commercial_partner_id"}},
			{Name: "invoice_user_id", Type: orm.Many2one, Comodel: "res.users", String: "Salesperson",
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return nilIfZero(env.UID()), nil }},
			{Name: "journal_id", Type: orm.Many2one, Comodel: Journal, Required: true, Index: true, DefaultFor: defaultMoveJournal},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true,
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return nilIfZero(env.Identity().CompanyID), nil }},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Required: true, DefaultFor: defaultMoveCurrency},
			{Name: "company_currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "company_id.currency_id"},
			{Name: "line_ids", Type: orm.One2many, Comodel: MoveLine, InverseName: "move_id", String: "Journal Items"},
			{Name: "invoice_line_ids", Type: orm.One2many, Comodel: MoveLine, InverseName: "move_id", String: "Invoice Lines",
				Only: map[string][]string{"display_type": {LineProduct, "line_section", "line_note"}}},
			{Name: "reversed_entry_id", Type: orm.Many2one, Comodel: Move, String: "Reversal of"},
			amount("amount_untaxed", "Untaxed Amount", func(t Totals) *apd.Decimal { return t.Untaxed }),
			amount("amount_tax", "Tax", func(t Totals) *apd.Decimal { return t.Tax }),
			amount("amount_total", "Total", func(t Totals) *apd.Decimal { return t.Total }),
			{Name: "amount_residual", Type: orm.Monetary, CurrencyField: "currency_id", String: "Amount Due", Compute: computeResidual, Store: true,
				Depends: []string{"line_ids.amount_residual_currency", "line_ids.display_type", "state", "amount_total"}},
			{Name: "is_move_sent", Type: orm.Boolean, Readonly: true, String: "Sent", Help: "the customer was mailed a link to it"},
			{Name: "payment_state", Type: orm.Selection, Index: true, String: "Payment Status", Compute: computePaymentState, Store: true,
				Depends: []string{"amount_residual", "state", "line_ids.amount_residual"},
				Selection: []orm.SelectionOption{{Value: "not_paid", Label: "Not Paid"}, {Value: "partial", Label: "Partially Paid"},
					{Value: "paid", Label: "Paid"}, {Value: "reversed", Label: "Reversed"}}},
		},
	}
}

func nilIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func moveLogModel() *orm.Model {
	return &orm.Model{
		Name: MoveLog, Description: "Journal Entry History", Order: "id",
		Fields: []*orm.Field{
			{Name: "move_id", Type: orm.Many2one, Comodel: Move, Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "state", Type: orm.Selection, Selection: moveStates, Required: true},
			{Name: "name", Type: orm.Char, String: "Number"},
			{Name: "note", Type: orm.Text},
		},
		Checks: []orm.Check{{Name: "posted_balanced", Func: checkPostedBalanced}},
	}
}

// Line display types, as Odoo names them.
const (
	LineProduct     = "product"
	LineTax         = "tax"
	LinePaymentTerm = "payment_term"
)

func moveLineModel() *orm.Model {
	defaults := NewProductDefaults("product_id", invoiceLineDocument)
	return &orm.Model{
		Name: MoveLine, Description: "Journal Item", Order: "date desc, move_id desc, sequence, id",
		Fields: []*orm.Field{
			{Name: "move_id", Type: orm.Many2one, Comodel: Move, Required: true, OnDelete: orm.Cascade, Index: true, String: "Journal Entry"},
			{Name: "move_name", Type: orm.Char, Related: "move_id.name"},
			{Name: "parent_state", Type: orm.Selection, Selection: moveStates, Related: "move_id.state"},
			{Name: "move_type", Type: orm.Selection, Selection: moveTypes, Related: "move_id.move_type"},
			{Name: "journal_id", Type: orm.Many2one, Comodel: "account.journal", Related: "move_id.journal_id"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Related: "move_id.company_id"},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "move_id.currency_id"},
			{Name: "company_currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "move_id.company_id.currency_id"},
			{Name: "date", Type: orm.Date, Index: true},
			{Name: "sequence", Type: orm.Integer, Default: 10},
			{Name: "name", Type: orm.Char, String: "Label", DefaultFor: defaults.Name},
			{Name: "display_type", Type: orm.Selection, Required: true, Default: LineProduct, Selection: []orm.SelectionOption{
				{Value: LineProduct, Label: "Product"}, {Value: LineTax, Label: "Tax"}, {Value: LinePaymentTerm, Label: "Payment Term"},
				{Value: "line_section", Label: "Section"}, {Value: "line_note", Label: "Note"}}},
			{Name: "account_id", Type: orm.Many2one, Comodel: Account, OnDelete: orm.Restrict, Index: true},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", OnDelete: orm.Restrict, Index: true},
			{Name: "product_id", Type: orm.Many2one, Comodel: "product.product", OnDelete: orm.Restrict},
			{Name: "product_uom_id", Type: orm.Many2one, Comodel: "uom.uom", String: "Unit of Measure", DefaultFor: defaults.UoM},
			{Name: "quantity", Type: orm.Float, Default: 1.0},
			{Name: "price_unit", Type: orm.Monetary, String: "Unit Price", Help: "in the entry's currency; more decimals than it has are refused",
				DefaultFor: defaults.Price},
			{Name: "discount", Type: orm.Float, String: "Discount (%)"},
			{Name: "tax_ids", Type: orm.Many2many, Comodel: Tax, Relation: "account_move_line_account_tax_rel", Column1: "account_move_line_id", Column2: "account_tax_id", String: "Taxes",
				DefaultFor: defaults.Taxes},
			{Name: "tax_line_id", Type: orm.Many2one, Comodel: Tax, String: "Originator Tax", OnDelete: orm.Restrict},
			{Name: "tax_base_amount", Type: orm.Monetary},
			{Name: "price_subtotal", Type: orm.Monetary, CurrencyField: "currency_id", String: "Subtotal", Compute: linePriceField(func(r LineResult) *apd.Decimal { return r.Subtotal }), Store: true,
				Depends: []string{"quantity", "price_unit", "discount", "tax_ids", "move_id.currency_id", "move_id.company_id"}},
			{Name: "price_total", Type: orm.Monetary, CurrencyField: "currency_id", String: "Total", Compute: linePriceField(func(r LineResult) *apd.Decimal { return r.Total }), Store: true,
				Depends: []string{"quantity", "price_unit", "discount", "tax_ids", "move_id.currency_id", "move_id.company_id"}},
			{Name: "debit", Type: orm.Monetary, Help: "in the company's currency; more decimals than it has are refused"},
			{Name: "credit", Type: orm.Monetary, Help: "in the company's currency; more decimals than it has are refused"},
			{Name: "balance", Type: orm.Monetary, CurrencyField: "company_currency_id", Compute: computeBalance, Store: true, Depends: []string{"debit", "credit"}},
			{Name: "amount_currency", Type: orm.Monetary, String: "Amount in Currency"},
			{Name: "amount_residual", Type: orm.Monetary, CurrencyField: "company_currency_id", String: "Residual Amount", Compute: lineResidualField(func(r residual) any { return r.amount }), Store: true,
				Depends: residualDepends},
			{Name: "amount_residual_currency", Type: orm.Monetary, CurrencyField: "currency_id", String: "Residual Amount in Currency", Compute: lineResidualField(func(r residual) any { return r.currency }), Store: true,
				Depends: residualDepends},
			{Name: "reconciled", Type: orm.Boolean, Compute: lineResidualField(func(r residual) any { return r.reconciled }), Store: true, Depends: residualDepends},
			{Name: "matched_debit_ids", Type: orm.One2many, Comodel: Partial, InverseName: "credit_move_id", String: "Matched Debits"},
			{Name: "matched_credit_ids", Type: orm.One2many, Comodel: Partial, InverseName: "debit_move_id", String: "Matched Credits"},
			{Name: "full_reconcile_id", Type: orm.Many2one, Comodel: FullRec, String: "Matching", Compute: computeLineFullReconcile, Store: true,
				Depends: []string{"matched_debit_ids.full_reconcile_id", "matched_credit_ids.full_reconcile_id"}},
			{Name: "date_maturity", Type: orm.Date, String: "Due Date", Index: true},
		},
		Checks: []orm.Check{{Name: "amounts_valid", Fields: []string{"debit", "credit", "amount_currency", "price_unit", "quantity", "discount", "display_type"}, Func: checkLineAmounts},
			{Name: "tax_company", Fields: []string{"tax_ids", "move_id"}, Func: func(ctx context.Context, env *orm.Env, ids []int64) error {
				return CheckTaxCompany(ctx, env, MoveLine, "tax_ids", ids)
			}}},
	}
}

var residualDepends = []string{"balance", "amount_currency", "account_id", "matched_debit_ids.amount", "matched_credit_ids.amount",
	"matched_debit_ids.credit_amount_currency", "matched_credit_ids.debit_amount_currency"}

func partialModel() *orm.Model {
	return &orm.Model{
		Name: Partial, Description: "Partial Reconcile",
		Fields: []*orm.Field{
			{Name: "debit_move_id", Type: orm.Many2one, Comodel: MoveLine, Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "credit_move_id", Type: orm.Many2one, Comodel: MoveLine, Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "amount", Type: orm.Monetary, Help: "in the company's currency"},
			{Name: "debit_amount_currency", Type: orm.Monetary},
			{Name: "credit_amount_currency", Type: orm.Monetary},
			{Name: "full_reconcile_id", Type: orm.Many2one, Comodel: FullRec, OnDelete: orm.SetNull, Index: true},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Related: "debit_move_id.move_id.company_id"},
			{Name: "company_currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "debit_move_id.move_id.company_id.currency_id"},
		},
		Checks: []orm.Check{{Name: "partial_valid", Func: checkPartial}},
	}
}

func fullReconcileModel() *orm.Model {
	return &orm.Model{
		Name: FullRec, Description: "Full Reconcile",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char},
			{Name: "partial_reconcile_ids", Type: orm.One2many, Comodel: Partial, InverseName: "full_reconcile_id"},
			{Name: "reconciled_line_ids", Type: orm.One2many, Comodel: MoveLine, InverseName: "full_reconcile_id"},
			{Name: "exchange_move_id", Type: orm.Many2one, Comodel: Move},
		},
	}
}

func paymentModel() *orm.Model {
	return &orm.Model{
		Name: Payment, Description: "Payment", Order: "date desc, id desc",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Related: "move_id.name"},
			{Name: "state", Type: orm.Selection, Selection: moveStates, Related: "move_id.state"},
			{Name: "move_id", Type: orm.Many2one, Comodel: Move, String: "Journal Entry", OnDelete: orm.Restrict, Index: true},
			{Name: "payment_type", Type: orm.Selection, Required: true, Default: "inbound", Selection: []orm.SelectionOption{
				{Value: "inbound", Label: "Receive"}, {Value: "outbound", Label: "Send"}}},
			{Name: "partner_type", Type: orm.Selection, Required: true, Default: "customer", Selection: []orm.SelectionOption{
				{Value: "customer", Label: "Customer"}, {Value: "supplier", Label: "Vendor"}}},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", Required: true, OnDelete: orm.Restrict, Index: true},
			{Name: "amount", Type: orm.Monetary, Required: true, Help: "more decimals than the currency has are refused"},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Required: true},
			{Name: "date", Type: orm.Date, Required: true, DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return today(nowFunc()), nil }},
			{Name: "journal_id", Type: orm.Many2one, Comodel: Journal, Required: true},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true,
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return nilIfZero(env.Identity().CompanyID), nil }},
			{Name: "memo", Type: orm.Char},
			{Name: "invoice_ids", Type: orm.Many2many, Comodel: Move, Relation: "account_invoice_payment_rel", Column1: "payment_id", Column2: "invoice_id", String: "Invoices"},
		},
	}
}
