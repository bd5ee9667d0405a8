package webui

import (
	"context"

	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
)

func salesViews() []*View {
	return []*View{{
		Slug: "sales", App: "Sales", Title: "Quotations & orders", Model: sale.Order, Portal: "orders",
		Report:  pdfReport("order", report.Order),
		Columns: []string{"name", "partner_id", "date_order", "user_id", "amount_total", "state"},
		Search:  []string{"name", "client_order_ref", "origin"},
		Filters: []Filter{
			{Name: "quotations", Label: "Quotations", Domain: []any{[]any{"state", "in", []any{sale.StateDraft, sale.StateSent}}}},
			{Name: "orders", Label: "Sales orders", Domain: []any{[]any{"state", "=", sale.StateSale}}},
			{Name: "cancelled", Label: "Cancelled", Domain: []any{[]any{"state", "=", sale.StateCancel}}},
		},
		GroupBy: []string{"state", "partner_id", "user_id"},
		Sum:     []string{"amount_total"},
		Sections: []Section{
			{Fields: []string{"partner_id", "date_order", "validity_date", "payment_term_id", "client_order_ref"}},
			{Title: "Other information", Fields: []string{"user_id", "company_id", "origin", "invoice_status"}},
			{Title: "Terms and conditions", Fields: []string{"note"}},
			{Title: "Customer signature", Fields: []string{"signed_by", "signed_on", "signature_address"}},
		},
		Lines: &Lines{Field: "order_line",
			Columns:  []string{"product_id", "name", "product_uom_qty", "price_unit", "discount", "price_subtotal"},
			Editable: []string{"product_id", "name", "product_uom_qty", "price_unit", "discount"},
			Totals:   []string{"amount_untaxed", "amount_tax", "amount_total"}},
		Status: "state",
		Actions: []Action{
			{Method: "action_quotation_send", Label: "Send by email", States: []string{sale.StateDraft, sale.StateSent}},
			{Method: "action_confirm", Label: "Confirm", States: []string{sale.StateDraft, sale.StateSent}, Primary: true},
			{Method: "action_create_invoice", Label: "Create invoice", States: []string{sale.StateSale}, Primary: true, Opens: "account.move"},
			{Method: "action_cancel", Label: "Cancel", States: []string{sale.StateDraft, sale.StateSent, sale.StateSale}},
			{Method: "action_draft", Label: "Set to quotation", States: []string{sale.StateCancel}},
		},
		PortalAnswer: &PortalAnswer{From: sale.StateSent, Accept: acceptOrder, Decline: declineOrder},
		Figures: []Figure{
			{Label: "Quotations", Domain: []any{[]any{"state", "in", []any{sale.StateDraft, sale.StateSent}}}},
			{Label: "Sales orders", Domain: []any{[]any{"state", "=", sale.StateSale}}},
			{Label: "Ordered amount", Domain: []any{[]any{"state", "=", sale.StateSale}}, Sum: "amount_total"},
		},
	}}
}

// acceptOrder confirms the quotation the customer signed; the signature (typed
// name, time, address) is kept with the confirmation in the order's history.
func acceptOrder(ctx context.Context, su *orm.Env, id int64, sig Signature) error {
	return sale.ConfirmSigned(ctx, su, id, sale.Signature{Name: sig.Name, At: sig.At, Address: sig.Address})
}

func declineOrder(ctx context.Context, su *orm.Env, id int64, sig Signature) error {
	return sale.Cancel(ctx, su, []int64{id})
}
