package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

var shareURL = regexp.MustCompile(`value="(https?://[^"]+access_token=[^"]+)" aria-label="Customer link"`)

func locationID(t *testing.T, w interface{ Header() http.Header }, prefix string) string {
	t.Helper()
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("redirected to %q, want %s…", loc, prefix)
	}
	return strings.TrimPrefix(loc, prefix)
}

func (f *fixture) field(model string, id string, field string) any {
	var out any
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		var n int64
		fmt.Sscan(id, &n)
		recs, err := env.Read(ctx, model, []int64{n}, []string{field})
		if err == nil {
			out = recs[0][field]
		}
		return err
	})
	return out
}

// The sales flow through the screens: customer, product, quotation with two lines,
// send, customer link, accept in the portal, invoice, post, payment.
func TestSalesFlowThroughTheScreens(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	w := c.post("/odoo/contacts/new", url.Values{"name": {"Gemini Furniture"}, "email": {"buyer@gemini.example"}, "is_company": {"on"}})
	locationID(t, w, "/odoo/contacts/")
	admin := f.signIn("admin") // products are the sales manager's
	for _, p := range []struct{ name, price string }{{"Office Desk", "300"}, {"Office Chair", "45.50"}} {
		w = admin.post("/odoo/products/new", url.Values{"name": {p.name}, "type": {"consu"}, "list_price": {p.price}, "sale_ok": {"on"}})
		locationID(t, w, "/odoo/products/")
	}
	quote := url.Values{"partner_id__display": {"Gemini Furniture"}, "line-count": {"3"},
		"line-0-product_id__display": {"Office Desk"}, "line-0-name": {"Office Desk"}, "line-0-product_uom_qty": {"2"}, "line-0-price_unit": {"300"},
		"line-1-product_id__display": {"Office Chair"}, "line-1-name": {"Office Chair"}, "line-1-product_uom_qty": {"4"}, "line-1-price_unit": {"45.50"},
	}
	// The totals preview computes without saving.
	pv := c.post("/odoo/sales/new/totals", cloneValues(quote))
	if pv.Code != 200 || !strings.Contains(pv.Body.String(), `"amount_untaxed":"782.00"`) {
		t.Fatalf("totals preview: %d %s", pv.Code, pv.Body)
	}
	if n := f.count("sale.order", nil); n != 0 {
		t.Fatalf("the preview stored %d orders", n)
	}
	w = c.post("/odoo/sales/new", cloneValues(quote))
	order := locationID(t, w, "/odoo/sales/")
	page := c.get("/odoo/sales/" + order)
	if !strings.Contains(page.Body.String(), "782.00") || !strings.Contains(page.Body.String(), "Office Chair") {
		t.Fatalf("order form: %s", page.Body)
	}
	if w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"action_quotation_send"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	if st := f.field("sale.order", order, "state"); st != "sent" {
		t.Fatalf("state after send: %v", st)
	}
	share := c.post("/odoo/sales/"+order+"/share", nil)
	m := shareURL.FindStringSubmatch(share.Body.String())
	if share.Code != 200 || m == nil {
		t.Fatalf("share: %d %s", share.Code, share.Body)
	}
	link, _ := url.Parse(htmlUnescape(m[1]))
	tok := link.Query().Get("access_token")

	customer := f.client()
	doc := customer.get(link.RequestURI())
	if doc.Code != 200 || !strings.Contains(doc.Body.String(), "Accept and sign") || !strings.Contains(doc.Body.String(), "Office Desk") {
		t.Fatalf("portal page: %d %s", doc.Code, doc.Body)
	}
	checkPage(t, "portal", doc.Header(), doc.Body.Bytes())
	invalid := customer.get(fmt.Sprintf("/my/orders/%s?access_token=%s", order, strings.Repeat("A", 43)))
	for name, target := range map[string]string{
		"flipped token":  fmt.Sprintf("/my/orders/%s?access_token=%s", order, flip(tok)),
		"other document": fmt.Sprintf("/my/orders/%d?access_token=%s", 999, tok),
		"no token":       "/my/orders/" + order,
		"invoice kind":   fmt.Sprintf("/my/invoices/%s?access_token=%s", order, tok),
	} {
		w := customer.get(target)
		if w.Code != http.StatusNotFound || stripVolatile(w.Body.String()) != stripVolatile(invalid.Body.String()) || strings.Contains(w.Body.String(), "Office") {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {tok}, "signed_by": {""}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("accept without a name: %d", w.Code)
	}
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {tok}, "signed_by": {"Ada Buyer"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", w.Code, w.Body)
	}
	if st := f.field("sale.order", order, "state"); st != "sale" {
		t.Fatalf("state after accept: %v", st)
	}
	again := customer.post(link.Path+"/decline", url.Values{"access_token": {tok}})
	if again.Code != http.StatusUnprocessableEntity || !strings.Contains(again.Body.String(), "already been answered") {
		t.Fatalf("second answer: %d %s", again.Code, again.Body)
	}
	if st := f.field("sale.order", order, "state"); st != "sale" {
		t.Fatalf("state after a second answer: %v", st)
	}

	w = c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"action_create_invoice"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create invoice: %d %s", w.Code, w.Body)
	}
	invoice := locationID(t, w, "/odoo/invoices/")
	if w := c.post("/odoo/invoices/"+invoice+"/action", url.Values{"method": {"action_post"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("post: %d %s", w.Code, w.Body)
	}
	if w := c.post("/odoo/invoices/"+invoice+"/action", url.Values{"method": {"action_register_payment"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("payment: %d %s", w.Code, w.Body)
	}
	if ps := f.field("account.move", invoice, "payment_state"); ps != "paid" {
		t.Fatalf("payment state: %v", ps)
	}
	if w := c.get("/odoo/invoices/" + invoice); !strings.Contains(w.Body.String(), "Paid") {
		t.Fatalf("invoice form: %s", w.Body)
	}
	// An action the view does not offer, or offered in another state, is refused.
	if w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"get_portal_url"}}); w.Code != http.StatusBadRequest {
		t.Fatalf("undeclared action: %d", w.Code)
	}
	if w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"action_confirm"}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("action in the wrong state: %d", w.Code)
	}
}

// count counts the records of model matching dom (an Odoo domain; nil: all).
func (f *fixture) count(model string, dom []any) int {
	f.t.Helper()
	d, err := domain.FromValue(dom, domain.Limits{})
	if err != nil {
		f.t.Fatalf("count %s: %v", model, err)
	}
	n := 0
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, model, d, orm.SearchOptions{})
		n = len(ids)
		return err
	})
	return n
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func flip(tok string) string {
	b := []byte(tok)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}

// deskQuotation has the admin create the product Office Desk (DESK) at 300 and a
// salesperson the customer Gemini Furniture and a quotation of 2 desks; it
// returns both signed-in clients and the quotation's path.
func (f *fixture) deskQuotation(t *testing.T) (admin, user *client, order string) {
	t.Helper()
	admin = f.signIn("admin")
	locationID(t, admin.post("/odoo/products/new", url.Values{"name": {"Office Desk"}, "default_code": {"DESK"}, "type": {"consu"},
		"list_price": {"300"}, "sale_ok": {"on"}}), "/odoo/products/")
	user = f.signIn("user")
	locationID(t, user.post("/odoo/contacts/new", url.Values{"name": {"Gemini Furniture"}, "is_company": {"on"}}), "/odoo/contacts/")
	order = "/odoo/sales/" + locationID(t, user.post("/odoo/sales/new", url.Values{"partner_id__display": {"Gemini Furniture"}, "line-count": {"1"},
		"line-0-product_id__display": {"Office Desk"}, "line-0-name": {"Office Desk"}, "line-0-product_uom_qty": {"2"}, "line-0-price_unit": {"300"}}), "/odoo/sales/")
	return admin, user, order
}

// act presses a form's button and returns where it led, failing the test
// unless it was done.
func (c *client) act(t *testing.T, path, method string) string {
	t.Helper()
	w := c.post(path+"/action", url.Values{"method": {method}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("%s on %s: %d %s", method, path, w.Code, regexpAlerts(w.Body.String()))
	}
	return w.Header().Get("Location")
}
