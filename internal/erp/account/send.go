package account

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/orm"
)

var invoiceMail = template.Must(template.New("invoice").Parse(
	`<p>Hello {{.Customer}},</p>
<p>Here is your {{.Kind}} <strong>{{.Name}}</strong> amounting to <strong>{{.Total}} {{.Currency}}</strong>{{if .Due}}, of which <strong>{{.Due}} {{.Currency}}</strong> is due{{if .DueDate}} by {{.DueDate}}{{end}}{{end}}.</p>
<p><a href="{{.URL}}">View {{.Kind}} {{.Name}}</a></p>
{{if .Due}}<p>Please use the following communication for your payment: <strong>{{.Reference}}</strong>.</p>{{end}}
<p>Do not hesitate to contact us if you have any questions.</p>`))

// SendInvoice mails the customer of each posted invoice or credit note a link
// to it (the mail is queued for the mail transport) and marks it sent. The
// link leads to the address ctx carries (orm.BaseURL), which the web server
// sets from the request; without it nothing is sent. It returns the queued
// mails.
func SendInvoice(ctx context.Context, env *orm.Env, ids []int64, now time.Time) ([]int64, error) {
	ctx = WithLookups(ctx)
	base, err := LinkBase(ctx, "an invoice")
	if err != nil {
		return nil, err
	}
	moves, err := loadMoves(ctx, env, ids)
	if err != nil {
		return nil, err
	}
	var mails []int64
	for _, id := range ids {
		mc := moves[id]
		if mc == nil {
			continue
		}
		if !mc.isInvoice() || mc.state != StatePosted {
			return nil, &orm.UserError{Message: fmt.Sprintf("%s is not a posted invoice or credit note; only those are sent", mc.label())}
		}
		token, err := portal.Issue(ctx, env, Move, id, portal.DefaultTTL, now)
		if err != nil {
			return nil, err
		}
		recs, err := env.Read(ctx, Move, []int64{id}, []string{"amount_total", "amount_residual", "currency_id", "payment_reference"})
		if err != nil {
			return nil, err
		}
		m := recs[0]
		kind, subject := "invoice", "Invoice "+mc.name
		if mc.moveType == TypeRefund {
			kind, subject = "credit note", "Credit note "+mc.name
		}
		values := map[string]string{"Kind": kind, "Name": mc.name, "Currency": M2OName(m["currency_id"]),
			"Total": money.Format(Dec(m["amount_total"]), mc.digits), "DueDate": mc.dueDate, "Reference": Str(m["payment_reference"])}
		if values["Reference"] == "" {
			values["Reference"] = mc.name
		}
		if due := Dec(m["amount_residual"]); mc.moveType == TypeInvoice && due.Sign() > 0 {
			values["Due"] = money.Format(due, mc.digits)
		}
		mid, err := QueueDocumentMail(ctx, env, base, DocumentMail{Model: Move, ID: id, Partner: mc.partner, Company: mc.company,
			Name: mc.name, Subject: subject, Template: invoiceMail, Values: values,
			Path: "/my/invoices/" + strconv.FormatInt(id, 10) + "?access_token=" + url.QueryEscape(token)})
		if err != nil {
			return nil, err
		}
		mails = append(mails, mid)
		// Posted entries are read-only to users; the mark is the module's.
		if err := env.Sudo().Write(ctx, Move, []int64{id}, map[string]any{"is_move_sent": true}); err != nil {
			return nil, err
		}
	}
	return mails, nil
}
