package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

var mailLink = regexp.MustCompile(`href="([^"]+)"`)

// lastMailLink is the link of the newest queued mail, after checking that it
// leads, with the company's address, to a page a customer opens.
func (f *fixture) lastMailLink(t *testing.T) *url.URL {
	t.Helper()
	var body string
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		recs, err := env.SearchRead(ctx, "mail.mail", domain.Domain{}, []string{"body_html"}, orm.SearchOptions{Order: "id desc", Limit: 1})
		if err == nil && len(recs) == 1 {
			body, _ = recs[0]["body_html"].(string)
		}
		return err
	})
	m := mailLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the mail has no link:\n%s", body)
	}
	link, err := url.Parse(htmlUnescape(m[1]))
	// The fixture serves the tenant over plain HTTP at acme.localhost.
	if err != nil || !link.IsAbs() || link.Host != "acme.localhost" || link.Query().Get("access_token") == "" {
		t.Fatalf("the mail links to %q, want the company's address", m[1])
	}
	if w := f.client().get(link.RequestURI()); w.Code != http.StatusOK {
		t.Errorf("the customer opening %s: %d", link.RequestURI(), w.Code)
	}
	return link
}

// The quotation mail sent from the screens links, with the address the
// company is served at, to a page the customer can open. (The link used to be
// relative, which the mail's sanitiser dropped: the customer got a link to
// nowhere.)
func TestQuotationMailLinksToThePortal(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	f.sentQuotation(t, c, "Gemini Furniture")
	if link := f.lastMailLink(t); !strings.HasPrefix(link.Path, "/my/orders/") {
		t.Errorf("the quotation mail links to %s", link)
	}
}

// Send by email on a posted invoice mails the customer a link to it, and the
// invoice shows it was sent.
func TestInvoiceMailLinksToThePortal(t *testing.T) {
	f := newFixture(t)
	_, c, order := f.deskQuotation(t)
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.partner", seed.Leaf("name", "=", "Gemini Furniture"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		return env.Write(ctx, "res.partner", ids, map[string]any{"email": "ap@gemini.example"})
	})
	c.act(t, order, "action_confirm")
	invoice := c.act(t, order, "action_create_invoice")
	if strings.Contains(c.get(invoice).Body.String(), `data-action="action_invoice_sent"`) {
		t.Error("a draft invoice offers Send by email")
	}
	c.act(t, invoice, "action_post")
	c.act(t, invoice, "action_invoice_sent")
	if link := f.lastMailLink(t); link.Path != strings.Replace(invoice, "/odoo/invoices/", "/my/invoices/", 1) {
		t.Errorf("the invoice mail links to %s, want the invoice %s", link, invoice)
	}
	if sent := f.field("account.move", strings.TrimPrefix(invoice, "/odoo/invoices/"), "is_move_sent"); sent != true {
		t.Errorf("the invoice is not marked sent: %v", sent)
	}
}
