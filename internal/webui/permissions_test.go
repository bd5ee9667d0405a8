package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// A form offers only what the server would allow: a posted invoice, which the
// accounting rules keep from being changed, shows read-only with no Save or
// Delete; a button shows only while its method has something to do; a user
// who may only read products gets no New and no Save. What the screen leaves
// out is refused all the same when posted by hand.
func TestFormsOfferOnlyWhatIsAllowed(t *testing.T) {
	f := newFixture(t)
	admin, c, order := f.deskQuotation(t)
	forged := func(path, method string) *httptest.ResponseRecorder {
		return c.post(path+"/action", url.Values{"method": {method}})
	}

	type expect struct {
		path         string
		shows, hides []string
	}
	const (
		save          = `<button type="submit" class="primary">Save</button>`
		deleteButton  = `value="delete"`
		createInvoice = `data-action="action_create_invoice"`
		payButton     = `data-action="action_register_payment"`
		lineQuantity  = `name="line-0-quantity"`
		lineRemove    = `name="line-0-delete"`
		partnerInput  = `name="partner_id__display"`
	)
	check := func(who *client, when string, cases ...expect) {
		t.Helper()
		for _, e := range cases {
			w := who.get(e.path)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %s answered %d", when, e.path, w.Code)
			}
			body := w.Body.String()
			for _, s := range e.shows {
				if !strings.Contains(body, s) {
					t.Errorf("%s: %s lacks %s", when, e.path, s)
				}
			}
			for _, s := range e.hides {
				if strings.Contains(body, s) {
					t.Errorf("%s: %s shows %s", when, e.path, s)
				}
			}
		}
	}
	check(c, "quotation", expect{order, []string{save, deleteButton}, []string{createInvoice}})
	c.act(t, order, "action_confirm")
	// A sales order must be cancelled before it can be deleted.
	check(c, "confirmed order", expect{order, []string{createInvoice, save}, []string{deleteButton}})
	id := strings.TrimPrefix(order, "/odoo/sales/")
	if w := c.post("/odoo/sales/selection", url.Values{"ids": {id}, "op": {"delete"}}); f.count("sale.order", nil) != 1 {
		t.Errorf("deleting a sales order by hand: %d, and it is gone", w.Code)
	}

	invoice := c.act(t, order, "action_create_invoice")
	check(c, "draft invoice",
		expect{order, []string{save}, []string{createInvoice}},
		expect{invoice, []string{save, deleteButton, lineQuantity, lineRemove, partnerInput}, []string{payButton}})

	c.act(t, invoice, "action_post")
	check(c, "posted invoice", expect{invoice, []string{payButton, "Office Desk", "600.00"}, []string{save, deleteButton, lineQuantity, lineRemove, partnerInput}})

	c.act(t, invoice, "action_register_payment")
	check(c, "paid invoice", expect{invoice, []string{"Paid"}, []string{payButton, save}})

	// Posted by hand, what the screens leave out is refused and changes nothing.
	payments := f.count("account.payment", nil)
	if w := forged(invoice, "action_register_payment"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "not available") {
		t.Errorf("paying a paid invoice: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	if w := forged(order, "action_create_invoice"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("invoicing a fully invoiced order: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	if n := f.count("account.payment", nil); n != payments {
		t.Errorf("payments: %d, then %d", payments, n)
	}
	if n := f.count("account.move", []any{[]any{"move_type", "=", "out_invoice"}}); n != 1 {
		t.Errorf("%d invoices, want 1", n)
	}
	invoiceID := strings.TrimPrefix(invoice, "/odoo/invoices/")
	if w := c.post(invoice, url.Values{"ref": {"changed"}}); w.Code == http.StatusSeeOther || f.field("account.move", invoiceID, "ref") == "changed" {
		t.Errorf("saving a posted invoice: %d, ref %v", w.Code, f.field("account.move", invoiceID, "ref"))
	}

	// Products are the sales manager's: a salesperson reads them only.
	var product string
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		dom, _ := domain.FromValue([]any{[]any{"name", "=", "Office Desk"}}, domain.Limits{})
		ids, err := env.Search(ctx, "product.template", dom, orm.SearchOptions{})
		if err == nil && len(ids) == 1 {
			product = fmt.Sprintf("/odoo/products/%d", ids[0])
		}
		return err
	})
	newButton := `href="/odoo/products/new"`
	check(c, "salesperson", expect{"/odoo/products", nil, []string{newButton, deleteButton}}, expect{product, []string{"Office Desk"}, []string{save, deleteButton, `name="list_price"`}})
	check(admin, "sales manager", expect{"/odoo/products", []string{newButton, deleteButton}, nil}, expect{product, []string{save, deleteButton, `name="list_price"`}, nil})
	if w := c.get("/odoo/products/new"); w.Code == http.StatusOK && strings.Contains(w.Body.String(), save) {
		t.Errorf("a salesperson's new product form offers Save")
	}
}
