package webui

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
)

func salesViews() []*View {
	return []*View{{
		Slug: "sales", App: "Sales", Title: "Quotations & orders", Model: sale.Order, Portal: "orders",
		PortalHidden: []string{"origin", "invoice_status"},
		Report:       pdfReport("order", report.Order),
		Columns:      []string{"name", "partner_id", "date_order", "user_id", "amount_total", "state"},
		Search:       []string{"name", "client_order_ref", "origin"},
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
			Columns:  []string{"product_id", "name", "product_uom_qty", "price_unit", "discount", "tax_id", "price_subtotal"},
			Editable: []string{"product_id", "name", "product_uom_qty", "price_unit", "discount", "tax_id"},
			Totals:   []string{"amount_untaxed", "amount_tax", "amount_total"},
			Tags:     map[string]*LineTags{"tax_id": saleTaxes()}},
		Related: []Related{{Label: "Invoices", Field: "invoice_ids"}},
		Status:  "state",
		Actions: []Action{
			{Method: "action_quotation_send", Label: "Send by email", States: []string{sale.StateDraft, sale.StateSent}},
			{Method: "action_confirm", Label: "Confirm", States: []string{sale.StateDraft, sale.StateSent}, Primary: true},
			{Method: "action_create_invoice", Label: "Create invoice", States: []string{sale.StateSale}, Primary: true, Opens: "account.move",
				When: []any{[]any{"invoice_status", "=", "to invoice"}}},
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

// saleTaxes is the taxes column of order and invoice lines: sale taxes, filled
// with the product's customer taxes when a product is picked.
func saleTaxes() *LineTags {
	return &LineTags{Domain: []any{[]any{"type_tax_use", "=", "sale"}}, Product: "product_id", Defaults: productTaxes}
}

// productTaxes are the customer taxes of a product variant's template, as the
// user may read them.
func productTaxes(ctx context.Context, env *orm.Env, product int64) ([]int64, error) {
	recs, err := env.Read(ctx, "product.product", []int64{product}, []string{"product_tmpl_id"})
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", product, err)
	}
	tmpl := ref(recs[0]["product_tmpl_id"])
	if tmpl == 0 {
		return nil, nil
	}
	tpls, err := env.Read(ctx, "product.template", []int64{tmpl}, []string{"taxes_id"})
	if err != nil {
		return nil, fmt.Errorf("taxes of product %d: %w", product, err)
	}
	ids, _ := tpls[0]["taxes_id"].([]int64)
	return ids, nil
}

// acceptOrder confirms the quotation the customer signed; the signature (typed
// name, time, address) is kept with the confirmation in the order's history.
func acceptOrder(ctx context.Context, su *orm.Env, id int64, sig Signature) error {
	return sale.ConfirmSigned(ctx, su, id, sale.Signature{Name: sig.Name, At: sig.At, Address: sig.Address})
}

func declineOrder(ctx context.Context, su *orm.Env, id int64, sig Signature) error {
	return sale.Cancel(ctx, su, []int64{id})
}
