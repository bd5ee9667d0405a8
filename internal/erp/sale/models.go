// Package sale is quotations and sales orders: sale.order and sale.order.line
// with Odoo's states (draft, sent, sale, cancel), S00001 numbering, payment terms,
// exact totals, confirmation, cancellation, sending the quotation with a portal
// link, and invoicing what is ordered and not yet invoiced (in part, by quantity).
//
// An order's state is computed from its history (sale.order.log), which only this
// package writes after checking the user's rights, so a state cannot be written
// around the actions that validate it.
package sale

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Model names.
const (
	Order     = "sale.order"
	OrderLine = "sale.order.line"
	OrderLog  = "sale.order.log"
)

// States of an order.
const (
	StateDraft  = "draft"
	StateSent   = "sent"
	StateSale   = "sale"
	StateCancel = "cancel"
)

var orderStates = []orm.SelectionOption{{Value: StateDraft, Label: "Quotation"}, {Value: StateSent, Label: "Quotation Sent"},
	{Value: StateSale, Label: "Sales Order"}, {Value: StateCancel, Label: "Cancelled"}}

// Register declares the sales models and links invoice lines to order lines.
func Register(reg *orm.Registry) error {
	for _, m := range []*orm.Model{orderModel(), orderLogModel(), orderLineModel()} {
		if err := reg.Define(m); err != nil {
			return fmt.Errorf("sale: %w", err)
		}
	}
	if err := reg.Extend(account.MoveLine, &orm.Field{Name: "sale_line_ids", Type: orm.Many2many, Comodel: OrderLine,
		Relation: "sale_order_line_invoice_rel", Column1: "invoice_line_id", Column2: "order_line_id", String: "Sales Order Lines"}); err != nil {
		return fmt.Errorf("sale: %w", err)
	}
	if err := reg.Extend(account.Move, &orm.Field{Name: "sale_order_ids", Type: orm.Many2many, Comodel: Order,
		Compute: computeSaleOrderIDs, String: "Sales Orders"}); err != nil {
		return fmt.Errorf("sale: %w", err)
	}
	if err := reg.AddUnlinkCheck(Order, orm.Check{Name: "only quotations and cancelled orders", Func: refuseConfirmedUnlink}); err != nil {
		return fmt.Errorf("sale: %w", err)
	}
	if err := reg.AddMethods(Order, methods()); err != nil {
		return fmt.Errorf("sale: %w", err)
	}
	return nil
}

func orderModel() *orm.Model {
	amount := func(name, label string, pick func(account.Totals) *apd.Decimal) *orm.Field {
		return &orm.Field{Name: name, Type: orm.Monetary, CurrencyField: "currency_id", String: label, Store: true, Compute: orderAmount(pick),
			Depends: []string{"order_line.price_subtotal", "order_line.product_uom_qty", "order_line.price_unit", "order_line.discount",
				"order_line.tax_id", "currency_id", "company_id"}}
	}
	return &orm.Model{
		Name: Order, Description: "Sales Order", Order: "date_order desc, id desc",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, Index: true, String: "Order Reference", DefaultFunc: nextOrderName},
			{Name: "state", Type: orm.Selection, Selection: orderStates, String: "Status", Index: true, Store: true, Compute: computeState, Depends: []string{"log_ids.state"}, Tracked: true},
			{Name: "log_ids", Type: orm.One2many, Comodel: OrderLog, InverseName: "order_id", String: "History"},
			{Name: "partner_id", Type: orm.Many2one, Comodel: "res.partner", Required: true, OnDelete: orm.Restrict, Index: true, String: "Customer", Tracked: true},
			{Name: "partner_invoice_id", Type: orm.Many2one, Comodel: "res.partner", OnDelete: orm.Restrict, String: "Invoice Address",
				Help: "the customer when empty"},
			{Name: "partner_shipping_id", Type: orm.Many2one, Comodel: "res.partner", OnDelete: orm.Restrict, String: "Delivery Address",
				Help: "the customer when empty"},
			{Name: "date_order", Type: orm.Datetime, Required: true, Index: true, String: "Order Date",
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) {
					return time.Now().UTC().Format(orm.DatetimeLayout), nil
				}},
			{Name: "validity_date", Type: orm.Date, String: "Expiration", Tracked: true,
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) {
					return time.Now().UTC().AddDate(0, 0, 30).Format(orm.DateLayout), nil
				}},
			{Name: "payment_term_id", Type: orm.Many2one, Comodel: account.Term, String: "Payment Terms", Tracked: true},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Required: true, DefaultFunc: defaultCurrency},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Required: true, Index: true,
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return nilIfZero(env.Identity().CompanyID), nil }},
			{Name: "user_id", Type: orm.Many2one, Comodel: "res.users", Index: true, String: "Salesperson", Tracked: true,
				DefaultFunc: func(ctx context.Context, env *orm.Env) (any, error) { return nilIfZero(env.UID()), nil }},
			{Name: "order_line", Type: orm.One2many, Comodel: OrderLine, InverseName: "order_id", String: "Order Lines"},
			{Name: "note", Type: orm.Text, String: "Terms and Conditions"},
			{Name: "client_order_ref", Type: orm.Char, String: "Customer Reference", Tracked: true},
			{Name: "origin", Type: orm.Char, String: "Source Document"},
			amount("amount_untaxed", "Untaxed Amount", func(t account.Totals) *apd.Decimal { return t.Untaxed }),
			amount("amount_tax", "Taxes", func(t account.Totals) *apd.Decimal { return t.Tax }),
			tracked(amount("amount_total", "Total", func(t account.Totals) *apd.Decimal { return t.Total })),
			// The customer's signature, kept in the order's history by ConfirmSigned
			// only: computed, so no write (UI or API) can forge it.
			signature("signed_by", orm.Char, "Signed By"),
			signature("signed_on", orm.Datetime, "Signed On"),
			signature("signature_address", orm.Char, "Signed From"),
			{Name: "invoice_ids", Type: orm.Many2many, Comodel: account.Move, String: "Invoices", Compute: computeInvoiceIDs},
			{Name: "invoice_count", Type: orm.Integer, String: "Invoice Count", Compute: computeInvoiceCount},
			{Name: "invoice_status", Type: orm.Selection, Store: true, Compute: computeInvoiceStatus, Index: true,
				Depends: []string{"state", "order_line.qty_to_invoice", "order_line.qty_invoiced"},
				Selection: []orm.SelectionOption{{Value: "upselling", Label: "Upselling Opportunity"}, {Value: "invoiced", Label: "Fully Invoiced"},
					{Value: "to invoice", Label: "To Invoice"}, {Value: "no", Label: "Nothing to Invoice"}}},
		},
	}
}

func tracked(f *orm.Field) *orm.Field {
	f.Tracked = true
	return f
}

func signature(name string, typ orm.FieldType, label string) *orm.Field {
	return &orm.Field{Name: name, Type: typ, String: label, Store: true, Compute: computeSignature(name), Depends: []string{"log_ids." + name}}
}

func nilIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nextOrderName(ctx context.Context, env *orm.Env) (any, error) {
	return base.NextByCode(ctx, env, "sale.order")
}

func defaultCurrency(ctx context.Context, env *orm.Env) (any, error) {
	c := env.Identity().CompanyID
	if c == 0 {
		return nil, nil
	}
	return account.CompanyCurrency(ctx, env, c)
}

func orderLogModel() *orm.Model {
	return &orm.Model{
		Name: OrderLog, Description: "Sales Order History", Order: "id",
		Fields: []*orm.Field{
			{Name: "order_id", Type: orm.Many2one, Comodel: Order, Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "state", Type: orm.Selection, Selection: orderStates, Required: true},
			{Name: "note", Type: orm.Text},
			{Name: "signed_by", Type: orm.Char, String: "Signed By", Size: MaxSignatureName},
			{Name: "signed_on", Type: orm.Datetime, String: "Signed On"},
			{Name: "signature_address", Type: orm.Char, String: "Signed From", Size: maxSignatureAddress},
		},
	}
}

// orderLineDocument is the order a new line is on.
func orderLineDocument(ctx context.Context, env *orm.Env, vals map[string]any) (account.LineDoc, bool, error) {
	order := account.IDValue(vals["order_id"])
	if order == 0 {
		return account.LineDoc{}, false, nil
	}
	recs, err := env.ReadValues(ctx, Order, []int64{order}, []string{"currency_id", "company_id", "date_order"})
	if err != nil || len(recs) == 0 {
		return account.LineDoc{}, false, err
	}
	date := account.Str(recs[0]["date_order"])
	if len(date) > len(orm.DateLayout) {
		date = date[:len(orm.DateLayout)]
	}
	return account.LineDoc{Currency: account.M2O(recs[0]["currency_id"]), Company: account.M2O(recs[0]["company_id"]), Date: date}, true, nil
}

func orderLineModel() *orm.Model {
	price := func(name, label string, pick func(account.LineResult) *apd.Decimal) *orm.Field {
		return &orm.Field{Name: name, Type: orm.Monetary, CurrencyField: "currency_id", String: label, Store: true, Compute: linePrice(pick),
			Depends: []string{"product_uom_qty", "price_unit", "discount", "tax_id", "order_id.currency_id", "order_id.company_id"}}
	}
	defaults := account.NewProductDefaults("product_id", orderLineDocument)
	return &orm.Model{
		Name: OrderLine, Description: "Sales Order Line", Order: "order_id, sequence, id",
		Fields: []*orm.Field{
			{Name: "order_id", Type: orm.Many2one, Comodel: Order, Required: true, OnDelete: orm.Cascade, Index: true, String: "Order Reference"},
			{Name: "sequence", Type: orm.Integer, Default: 10},
			{Name: "product_id", Type: orm.Many2one, Comodel: "product.product", OnDelete: orm.Restrict, Index: true, String: "Product"},
			{Name: "name", Type: orm.Text, String: "Description", DefaultFor: defaults.Name},
			{Name: "product_uom_qty", Type: orm.Float, Default: 1.0, String: "Quantity"},
			{Name: "product_uom", Type: orm.Many2one, Comodel: "uom.uom", String: "Unit of Measure", DefaultFor: defaults.UoM},
			{Name: "price_unit", Type: orm.Monetary, String: "Unit Price", Help: "in the order's currency; more decimals than it has are refused",
				DefaultFor: defaults.Price},
			{Name: "discount", Type: orm.Float, String: "Discount (%)"},
			{Name: "tax_id", Type: orm.Many2many, Comodel: account.Tax, Relation: "account_tax_sale_order_line_rel", Column1: "sale_order_line_id", Column2: "account_tax_id", String: "Taxes",
				DefaultFor: defaults.Taxes},
			price("price_subtotal", "Subtotal", func(r account.LineResult) *apd.Decimal { return r.Subtotal }),
			price("price_tax", "Total Tax", func(r account.LineResult) *apd.Decimal { return r.Tax }),
			price("price_total", "Total", func(r account.LineResult) *apd.Decimal { return r.Total }),
			{Name: "invoice_lines", Type: orm.Many2many, Comodel: account.MoveLine, Relation: "sale_order_line_invoice_rel", Column1: "order_line_id", Column2: "invoice_line_id", String: "Invoice Lines"},
			{Name: "qty_invoiced", Type: orm.Float, String: "Invoiced Quantity", Store: true, Compute: computeQtyInvoiced,
				Depends: []string{"invoice_lines.quantity", "invoice_lines.move_id.state", "invoice_lines.move_id.move_type"}},
			{Name: "qty_to_invoice", Type: orm.Float, String: "Quantity To Invoice", Store: true, Compute: computeQtyToInvoice,
				Depends: []string{"product_uom_qty", "qty_invoiced", "order_id.state"}},
			{Name: "currency_id", Type: orm.Many2one, Comodel: "res.currency", Related: "order_id.currency_id"},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company", Related: "order_id.company_id"},
			{Name: "state", Type: orm.Selection, Selection: orderStates, Related: "order_id.state"},
			// Stored so that sales can be grouped by customer and month.
			{Name: "order_partner_id", Type: orm.Many2one, Comodel: "res.partner", String: "Customer", Index: true, Store: true,
				Compute: mirrorOrder("partner_id"), Depends: []string{"order_id.partner_id"}},
			{Name: "date_order", Type: orm.Datetime, String: "Order Date", Index: true, Store: true,
				Compute: mirrorOrder("date_order"), Depends: []string{"order_id.date_order"}},
			{Name: "salesman_id", Type: orm.Many2one, Comodel: "res.users", Related: "order_id.user_id", String: "Salesperson"},
		},
		Checks: []orm.Check{{Name: "line_amounts", Fields: []string{"product_uom_qty", "price_unit", "discount", "order_id"}, Func: checkLine},
			{Name: "tax_company", Fields: []string{"tax_id", "order_id"}, Func: func(ctx context.Context, env *orm.Env, ids []int64) error {
				return account.CheckTaxCompany(ctx, env, OrderLine, "tax_id", ids)
			}}},
	}
}

func checkLine(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = account.WithLookups(ctx) // each currency read once for all the lines
	recs, err := env.ReadValues(ctx, OrderLine, ids, []string{"product_uom_qty", "price_unit", "discount", "currency_id"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := account.CheckQuantity(OrderLine, "product_uom_qty", r["product_uom_qty"].(float64)); err != nil {
			return err
		}
		if err := account.CheckDiscount(OrderLine, r["discount"].(float64)); err != nil {
			return err
		}
		price := account.Dec(r["price_unit"])
		if price.Sign() < 0 {
			return &orm.ValidationError{Model: OrderLine, Field: "price_unit", Message: "a unit price cannot be negative"}
		}
		digits, err := account.CurrencyDigits(ctx, env, account.M2O(r["currency_id"]))
		if err != nil {
			return err
		}
		if err := account.CheckDigits(OrderLine, "price_unit", price, digits); err != nil {
			return err
		}
	}
	return nil
}
