package webui

import (
	"context"

	"github.com/instant-erp/instanterp/internal/domain"
	erpaccount "github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/orm"
)

func invoicingViews() []*View {
	customerDocuments := []any{[]any{"move_type", "in", []any{erpaccount.TypeInvoice, erpaccount.TypeRefund}}}
	return []*View{{
		Slug: "invoices", App: "Invoicing", Title: "Invoices", Model: erpaccount.Move, Portal: "invoices",
		Report:   pdfReport("invoice", report.Invoice),
		Domain:   customerDocuments,
		Defaults: map[string]any{"move_type": erpaccount.TypeInvoice},
		Columns:  []string{"name", "partner_id", "invoice_date", "invoice_date_due", "amount_total", "amount_residual", "state", "payment_state"},
		Search:   []string{"name", "ref", "payment_reference", "invoice_origin"},
		Filters: []Filter{
			{Name: "invoices", Label: "Invoices", Domain: []any{[]any{"move_type", "=", erpaccount.TypeInvoice}}},
			{Name: "credit-notes", Label: "Credit notes", Domain: []any{[]any{"move_type", "=", erpaccount.TypeRefund}}},
			{Name: "draft", Label: "Draft", Domain: []any{[]any{"state", "=", erpaccount.StateDraft}}},
			{Name: "unpaid", Label: "Not paid", Domain: []any{[]any{"state", "=", erpaccount.StatePosted}, []any{"payment_state", "in", []any{"not_paid", "partial"}}}},
		},
		GroupBy: []string{"state", "payment_state", "partner_id"},
		Sum:     []string{"amount_total", "amount_residual"},
		Sections: []Section{
			{Fields: []string{"partner_id", "invoice_date", "invoice_date_due", "invoice_payment_term_id", "payment_reference"}},
			{Title: "Other information", Fields: []string{"move_type", "ref", "invoice_origin", "invoice_user_id", "company_id", "payment_state"}},
			{Title: "Terms and conditions", Fields: []string{"narration"}},
		},
		Lines: &Lines{Field: "invoice_line_ids",
			Columns:  []string{"product_id", "name", "quantity", "price_unit", "discount", "tax_ids", "price_subtotal"},
			Editable: []string{"product_id", "name", "quantity", "price_unit", "discount", "tax_ids"},
			Totals:   []string{"amount_untaxed", "amount_tax", "amount_total", "amount_residual"},
			Tags:     map[string]*LineTags{"tax_ids": saleTaxes()}},
		Related: []Related{{Label: "Sales orders", Field: "sale_order_ids"}},
		Status:  "state",
		Actions: []Action{
			{Method: "action_post", Label: "Confirm", States: []string{erpaccount.StateDraft}, Primary: true},
			{Method: "action_register_payment", Label: "Register payment", States: []string{erpaccount.StatePosted}, Primary: true,
				When: []any{[]any{"payment_state", "in", []any{"not_paid", "partial"}}}, Params: paymentParams()},
			{Method: "action_invoice_sent", Label: "Send by email", States: []string{erpaccount.StatePosted}},
			{Method: "action_reverse", Label: "Credit note", States: []string{erpaccount.StatePosted}},
			{Method: "button_draft", Label: "Reset to draft", States: []string{erpaccount.StatePosted, erpaccount.StateCancel}},
			{Method: "button_cancel", Label: "Cancel", States: []string{erpaccount.StateDraft}},
		},
		Figures: []Figure{
			{Label: "To post", Domain: []any{[]any{"state", "=", erpaccount.StateDraft}}},
			{Label: "Amount due", Domain: []any{[]any{"state", "=", erpaccount.StatePosted}}, Sum: "amount_residual"},
		},
	}}
}

// paymentParams are what registering a payment asks: the amount (what is
// still due, or less), the date (today) and the bank or cash journal.
func paymentParams() []ActionParam {
	return []ActionParam{
		{Name: "amount", Label: "Amount", Kind: "amount", Default: func(ctx context.Context, env *orm.Env, id int64) (string, error) {
			recs, err := env.Read(ctx, erpaccount.Move, []int64{id}, []string{"amount_residual", "currency_id"})
			if err != nil {
				return "", err
			}
			digits, err := erpaccount.CurrencyDigits(ctx, env, erpaccount.M2O(recs[0]["currency_id"]))
			if err != nil {
				return "", err
			}
			return money.Format(erpaccount.Dec(recs[0]["amount_residual"]), digits), nil
		}},
		{Name: "payment_date", Label: "Payment date", Kind: "date", Default: func(ctx context.Context, env *orm.Env, id int64) (string, error) {
			return env.Now().In(env.Location()).Format(orm.DateLayout), nil
		}},
		{Name: "journal_id", Label: "Journal", Kind: "choice", Choices: paymentJournals},
	}
}

// paymentJournals are the bank and cash journals of the invoice's company,
// the bank first.
func paymentJournals(ctx context.Context, env *orm.Env, id int64) ([]ParamChoice, error) {
	recs, err := env.Read(ctx, erpaccount.Move, []int64{id}, []string{"company_id"})
	if err != nil {
		return nil, err
	}
	journals, err := env.SearchRead(ctx, erpaccount.Journal, domain.AndAll(leaf("type", "in", []any{"bank", "cash"}),
		leaf("company_id", "=", erpaccount.M2O(recs[0]["company_id"]))), []string{"name"}, orm.SearchOptions{Order: "type, sequence, id"})
	if err != nil {
		return nil, err
	}
	out := make([]ParamChoice, len(journals))
	for i, j := range journals {
		out[i] = ParamChoice{ID: j["id"].(int64), Label: erpaccount.Str(j["name"])}
	}
	return out, nil
}
