package account

import (
	"bytes"
	"context"
	"fmt"
	"html/template"

	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/orm"
)

// DocumentMail is a mail to a document's customer with a link to the
// document (a quotation, an invoice).
type DocumentMail struct {
	Model         string
	ID, Partner   int64
	Company       int64
	Name, Subject string
	Path          string // the customer's link, on the company's address
	Template      *template.Template
	Values        map[string]string // Customer and URL are added
}

// LinkBase is the address ctx carries (orm.BaseURL), which the web server sets
// from the request. Without it a link would reach the customer without a
// target, so what names the document being sent is refused.
func LinkBase(ctx context.Context, what string) (string, error) {
	base := orm.BaseURL(ctx)
	if base == "" {
		return "", &orm.UserError{Message: fmt.Sprintf("%s is sent with a link to it, which needs the address the company is served at; send it from the web interface or the API", what)}
	}
	return base, nil
}

// QueueDocumentMail queues d for the mail transport, to the customer's
// address on base, and returns the mail's id; a customer without an address
// is refused.
func QueueDocumentMail(ctx context.Context, env *orm.Env, base string, d DocumentMail) (int64, error) {
	p, err := readOne(ctx, env, "res.partner", d.Partner, "name", "email")
	if err != nil {
		return 0, err
	}
	email := Str(p["email"])
	if email == "" {
		return 0, &orm.UserError{Message: fmt.Sprintf("the customer of %s has no email address", d.Name)}
	}
	values := map[string]string{"Customer": Str(p["name"]), "URL": base + d.Path}
	for k, v := range d.Values {
		values[k] = v
	}
	var body bytes.Buffer
	if err := d.Template.Execute(&body, values); err != nil {
		return 0, fmt.Errorf("render the mail of %s: %w", d.Name, err)
	}
	return mail.Queue(ctx, env, mail.Message{To: email, Subject: d.Subject, Body: body.String(), Model: d.Model, ResID: d.ID, CompanyID: d.Company})
}
