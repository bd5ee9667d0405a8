package sale

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

type orderInfo struct {
	id                  int64
	name, state         string
	partner, invPartner int64
	company, currency   int64
	term, user          int64
}

func loadOrders(ctx context.Context, env *orm.Env, ids []int64) ([]orderInfo, error) {
	recs, err := env.ReadValues(ctx, Order, ids, []string{"name", "state", "partner_id", "partner_invoice_id", "company_id", "currency_id", "payment_term_id", "user_id"})
	if err != nil {
		return nil, err
	}
	out := make([]orderInfo, len(recs))
	for i, r := range recs {
		out[i] = orderInfo{id: r["id"].(int64), name: account.Str(r["name"]), state: account.Str(r["state"]), partner: account.M2O(r["partner_id"]),
			invPartner: account.M2O(r["partner_invoice_id"]), company: account.M2O(r["company_id"]), currency: account.M2O(r["currency_id"]),
			term: account.M2O(r["payment_term_id"]), user: account.M2O(r["user_id"])}
		if out[i].invPartner == 0 {
			out[i].invPartner = out[i].partner
		}
	}
	return out, nil
}

// transition records a new state in an order's history after proving, by a
// write, that the user may change the order.
func transition(ctx context.Context, env *orm.Env, o orderInfo, state, note string, vals map[string]any) error {
	return signedTransition(ctx, env, o, state, note, vals, nil)
}

// signedTransition is transition keeping the customer's signature in the history.
func signedTransition(ctx context.Context, env *orm.Env, o orderInfo, state, note string, vals map[string]any, sig *Signature) error {
	if vals == nil {
		vals = map[string]any{}
	}
	if err := env.Write(ctx, Order, []int64{o.id}, vals); err != nil {
		return err
	}
	entry := map[string]any{"order_id": o.id, "state": state, "note": note}
	if sig != nil {
		entry["signed_by"] = sig.Name
		entry["signed_on"] = sig.At.UTC().Format(orm.DatetimeLayout)
		entry["signature_address"] = sig.Address
	}
	_, err := env.Sudo().Create(ctx, OrderLog, []map[string]any{entry})
	return err
}

// refuseConfirmedUnlink keeps users from deleting a sent quotation or a
// sales order, whose history and invoices refer to it: it must be cancelled
// first, as in Odoo.
func refuseConfirmedUnlink(ctx context.Context, env *orm.Env, ids []int64) error {
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.state != StateDraft && o.state != StateCancel {
			return refuse("%s is %s; only quotations not yet sent and cancelled orders can be deleted: cancel it first", o.name, stateLabel(o.state))
		}
	}
	return nil
}

func refuse(format string, args ...any) error {
	return &orm.UserError{Message: fmt.Sprintf(format, args...)}
}

// Confirm turns quotations into sales orders. Every line's product must still be
// active, and there must be a line.
func Confirm(ctx context.Context, env *orm.Env, ids []int64) error {
	return confirm(ctx, env, ids, nil)
}

func confirm(ctx context.Context, env *orm.Env, ids []int64, sig *Signature) error {
	ctx = account.WithLookups(ctx)
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.state != StateDraft && o.state != StateSent {
			return refuse("%s is %s; only quotations can be confirmed", o.name, stateLabel(o.state))
		}
		lines, err := env.SearchReadValues(ctx, OrderLine, seed.Dom("order_id", "=", o.id), []string{"product_id"}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			return refuse("%s has no lines; add a product before confirming it", o.name)
		}
		var products []int64
		for _, l := range lines {
			if p := account.M2O(l["product_id"]); p != 0 {
				products = append(products, p)
			}
		}
		if len(products) > 0 {
			ps, err := env.Sudo().ReadValues(ctx, "product.product", uniq(products), []string{"active", "name"})
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p["active"] != true {
					return refuse("the product %q on %s is archived; restore it or remove the line before confirming", account.Str(p["name"]), o.name)
				}
			}
		}
		if err := signedTransition(ctx, env, o, StateSale, "", map[string]any{"date_order": time.Now().UTC().Format(orm.DatetimeLayout)}, sig); err != nil {
			return err
		}
	}
	return nil
}

// Cancel cancels orders, and their draft invoices. Orders with posted invoices
// must have them credited first.
func Cancel(ctx context.Context, env *orm.Env, ids []int64) error {
	ctx = account.WithLookups(ctx)
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.state == StateCancel {
			return refuse("%s is already cancelled", o.name)
		}
		invoices, err := invoicesOf(ctx, env, []int64{o.id})
		if err != nil {
			return err
		}
		if len(invoices[o.id]) > 0 {
			moves, err := env.Sudo().ReadValues(ctx, account.Move, invoices[o.id], []string{"state", "name"})
			if err != nil {
				return err
			}
			var drafts []int64
			for _, m := range moves {
				switch m["state"] {
				case account.StatePosted:
					return refuse("%s has the posted invoice %s; issue a credit note before cancelling the order", o.name, account.Str(m["name"]))
				case account.StateDraft:
					drafts = append(drafts, m["id"].(int64))
				}
			}
			if err := account.Cancel(ctx, env, drafts); err != nil {
				return err
			}
		}
		if err := transition(ctx, env, o, StateCancel, "", nil); err != nil {
			return err
		}
	}
	return nil
}

// SetToDraft turns cancelled or sent quotations back into draft quotations.
func SetToDraft(ctx context.Context, env *orm.Env, ids []int64) error {
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.state != StateCancel && o.state != StateSent {
			return refuse("%s is %s; only cancelled or sent quotations go back to draft", o.name, stateLabel(o.state))
		}
		if err := transition(ctx, env, o, StateDraft, "", nil); err != nil {
			return err
		}
	}
	return nil
}

func stateLabel(s string) string {
	for _, o := range orderStates {
		if o.Value == s {
			return "a " + o.Label
		}
	}
	return s
}

// PortalURL issues a new link through which the customer opens the order without
// an account. Earlier links stay valid until they expire or are revoked.
func PortalURL(ctx context.Context, env *orm.Env, id int64, now time.Time) (string, error) {
	orders, err := loadOrders(ctx, env, []int64{id})
	if err != nil {
		return "", err
	}
	// Sharing a document is a change to it: the user must be allowed to write it.
	if err := env.Write(ctx, Order, []int64{id}, map[string]any{}); err != nil {
		return "", err
	}
	token, err := portal.Issue(ctx, env, Order, orders[0].id, portal.DefaultTTL, now)
	if err != nil {
		return "", err
	}
	return "/my/orders/" + strconv.FormatInt(id, 10) + "?access_token=" + url.QueryEscape(token), nil
}

// RevokePortalLinks invalidates every link to the order.
func RevokePortalLinks(ctx context.Context, env *orm.Env, id int64, now time.Time) (int, error) {
	if err := env.Write(ctx, Order, []int64{id}, map[string]any{}); err != nil {
		return 0, err
	}
	return portal.Revoke(ctx, env, Order, id, now)
}

var quotationMail = template.Must(template.New("quotation").Parse(
	`<p>Hello {{.Customer}},</p>
<p>Your quotation <strong>{{.Name}}</strong> amounting to <strong>{{.Total}} {{.Currency}}</strong> is ready for review.</p>
<p><a href="{{.URL}}">View quotation {{.Name}}</a></p>
<p>Do not hesitate to contact us if you have any questions.</p>`))

// SendQuotation mails the customer a link to each quotation (the mail is queued
// for the mail transport) and marks drafts as sent. It returns the queued mails.
// The link leads to the address ctx carries (orm.BaseURL), which the web server
// sets from the request; without it nothing is sent.
func SendQuotation(ctx context.Context, env *orm.Env, ids []int64, now time.Time) ([]int64, error) {
	ctx = account.WithLookups(ctx)
	base, err := account.LinkBase(ctx, "a quotation")
	if err != nil {
		return nil, err
	}
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	var mails []int64
	for _, o := range orders {
		if o.state != StateDraft && o.state != StateSent {
			return nil, refuse("%s is %s; only quotations are sent", o.name, stateLabel(o.state))
		}
		link, err := PortalURL(ctx, env, o.id, now)
		if err != nil {
			return nil, err
		}
		amounts, err := env.Read(ctx, Order, []int64{o.id}, []string{"amount_total", "currency_id"})
		if err != nil {
			return nil, err
		}
		digits, err := account.CurrencyDigits(ctx, env, o.currency)
		if err != nil {
			return nil, err
		}
		id, err := account.QueueDocumentMail(ctx, env, base, account.DocumentMail{Model: Order, ID: o.id, Partner: o.partner, Company: o.company,
			Name: o.name, Subject: "Quotation " + o.name, Path: link, Template: quotationMail, Values: map[string]string{"Name": o.name,
				"Total": money.Format(account.Dec(amounts[0]["amount_total"]), digits), "Currency": account.M2OName(amounts[0]["currency_id"])}})
		if err != nil {
			return nil, err
		}
		mails = append(mails, id)
		if o.state == StateDraft {
			if err := transition(ctx, env, o, StateSent, "", nil); err != nil {
				return nil, err
			}
		}
	}
	return mails, nil
}

// CreateInvoices makes one draft invoice per sales order of what is ordered and
// not yet invoiced. quantities, when given, invoices only those quantities of the
// named lines (partial invoicing); each must be positive and at most what is
// left to invoice.
func CreateInvoices(ctx context.Context, env *orm.Env, ids []int64, quantities map[int64]*apd.Decimal) ([]int64, error) {
	ctx = account.WithLookups(ctx)
	orders, err := loadOrders(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	var invoices []int64
	used := map[int64]bool{}
	for _, o := range orders {
		switch o.state {
		case StateSale:
		case StateCancel:
			return nil, refuse("%s is cancelled; a cancelled order cannot be invoiced", o.name)
		default:
			return nil, refuse("%s is a quotation; confirm it before invoicing", o.name)
		}
		lines, err := env.SearchReadValues(ctx, OrderLine, seed.Dom("order_id", "=", o.id),
			[]string{"product_id", "name", "qty_to_invoice", "price_unit", "discount", "tax_id", "product_uom", "sequence"}, orm.SearchOptions{Order: "sequence, id"})
		if err != nil {
			return nil, err
		}
		var cmds []any
		for _, l := range lines {
			lid := l["id"].(int64)
			left := account.Dec(l["qty_to_invoice"])
			qty := left
			if quantities != nil {
				q, ok := quantities[lid]
				if !ok {
					continue
				}
				used[lid] = true
				if q.Sign() <= 0 {
					return nil, refuse("the quantity to invoice on %s must be positive", o.name)
				}
				if q.Cmp(left) > 0 {
					return nil, refuse("only %s of this line of %s is left to invoice, not %s", left.Text('f'), o.name, q.Text('f'))
				}
				qty = q
			}
			if qty.Sign() <= 0 {
				continue
			}
			f, _ := qty.Float64()
			cmds = append(cmds, []any{0, 0, map[string]any{"display_type": account.LineProduct, "product_id": nilIfZero(account.M2O(l["product_id"])),
				"name": l["name"], "quantity": f, "price_unit": l["price_unit"], "discount": l["discount"],
				"tax_ids": []any{[]any{6, 0, account.IDs(l["tax_id"])}}, "product_uom_id": nilIfZero(account.M2O(l["product_uom"])),
				"sequence": l["sequence"], "sale_line_ids": []any{[]any{6, 0, []any{lid}}}}})
		}
		if len(cmds) == 0 {
			if quantities != nil {
				continue
			}
			return nil, refuse("there is nothing left to invoice on %s", o.name)
		}
		journal, err := account.JournalByType(ctx, env, o.company, "sale")
		if err != nil {
			return nil, err
		}
		vals := map[string]any{"move_type": account.TypeInvoice, "partner_id": o.invPartner, "journal_id": journal, "company_id": o.company,
			"currency_id": o.currency, "invoice_origin": o.name, "invoice_user_id": nilIfZero(o.user), "line_ids": cmds}
		if o.term != 0 {
			vals["invoice_payment_term_id"] = o.term
		}
		// The lines are created in one batch after the invoice, so that their
		// amounts and the invoice's totals are computed once, not line by line.
		lineCmds := vals["line_ids"].([]any)
		delete(vals, "line_ids")
		created, err := env.Create(ctx, account.Move, []map[string]any{vals})
		if err != nil {
			return nil, err
		}
		lineVals := make([]map[string]any, len(lineCmds))
		for i, c := range lineCmds {
			lineVals[i] = c.([]any)[2].(map[string]any)
			lineVals[i]["move_id"] = created[0]
		}
		if _, err := env.Create(ctx, account.MoveLine, lineVals); err != nil {
			return nil, err
		}
		if err := account.SyncInvoice(ctx, env, created[0]); err != nil {
			return nil, err
		}
		invoices = append(invoices, created[0])
	}
	for lid := range quantities {
		if !used[lid] {
			return nil, refuse("the order line %d is not on the orders being invoiced", lid)
		}
	}
	if len(invoices) == 0 {
		return nil, refuse("there is nothing to invoice")
	}
	return invoices, nil
}
