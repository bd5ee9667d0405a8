// Package mail declares mail.mail, the queue of outgoing messages the business
// modules write (a quotation sent to a customer, say). A transport elsewhere sends
// the rows in state "outgoing" and records the outcome; nothing here talks SMTP.
//
// It also keeps the change history of records (mail.message with its
// mail.tracking.value rows, Odoo's names): the registry's tracker writes one
// message per changed record whenever a Tracked field changes, in the same
// transaction, and users add notes with Post. The history is read and written
// only through History and Post, which first check through the ORM that the
// user may read the record: a record's messages are visible exactly when it is.
package mail

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Model is the outgoing mail queue.
const Model = "mail.mail"

// Register declares mail.mail and the change history (mail.message,
// mail.tracking.value), and installs the tracker that writes it.
func Register(reg *orm.Registry) error {
	if err := registerHistory(reg); err != nil {
		return err
	}
	err := reg.Define(&orm.Model{
		Name: Model, Description: "Outgoing Mails", Order: "id desc", RecName: "subject",
		Fields: []*orm.Field{
			{Name: "subject", Type: orm.Char, Size: 998},
			{Name: "body_html", Type: orm.HTML, String: "Body"},
			{Name: "email_from", Type: orm.Char, String: "From", Size: 254},
			{Name: "email_to", Type: orm.Char, String: "To", Required: true, Size: 254},
			{Name: "state", Type: orm.Selection, Default: "outgoing", Index: true, Selection: []orm.SelectionOption{
				{Value: "outgoing", Label: "Outgoing"}, {Value: "sent", Label: "Sent"},
				{Value: "exception", Label: "Delivery Failed"}, {Value: "cancel", Label: "Cancelled"}}},
			{Name: "model", Type: orm.Char, String: "Related Document Model"},
			{Name: "res_id", Type: orm.Integer, String: "Related Document ID"},
			{Name: "failure_reason", Type: orm.Text},
			{Name: "company_id", Type: orm.Many2one, Comodel: "res.company"},
		},
	})
	if err != nil {
		return err
	}
	return reg.Extend(Model, deliveryFields()...)
}

// Message is one mail to queue.
type Message struct {
	To, From, Subject string
	// Body is HTML built by the caller with html/template (so values are escaped);
	// the ORM sanitises HTML fields once more on the way in.
	Body      string
	Model     string
	ResID     int64
	CompanyID int64
}

// Queue stores msg as an outgoing mail and returns its id. It writes as the
// system: callers have already checked that the user may send it.
func Queue(ctx context.Context, env *orm.Env, msg Message) (int64, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil || strings.ContainsAny(msg.To, "\r\n") {
		return 0, &orm.UserError{Message: fmt.Sprintf("%q is not a valid email address", msg.To)}
	}
	if strings.ContainsAny(msg.Subject, "\r\n") || strings.ContainsAny(msg.From, "\r\n") {
		return 0, &orm.UserError{Message: "a mail subject or sender cannot span lines"}
	}
	vals := map[string]any{"email_to": to.String(), "email_from": msg.From, "subject": msg.Subject,
		"body_html": msg.Body, "model": msg.Model, "res_id": msg.ResID}
	if msg.CompanyID != 0 {
		vals["company_id"] = msg.CompanyID
	}
	ids, err := env.Sudo().Create(ctx, Model, []map[string]any{vals})
	if err != nil {
		return 0, fmt.Errorf("queue mail: %w", err)
	}
	return ids[0], nil
}
