package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

var (
	relatedButton = regexp.MustCompile(`<a class="button" href="([^"]+)" data-related>([^<]+)</a>`)
	invoiceLink   = regexp.MustCompile(`href="/odoo/invoices/\d+"`)
)

// An order leads to its invoices: to the one invoice's form, then, once a
// credit note joins it, to the list narrowed to both; an invoice leads back
// to its order. The narrowed list is an
// ordinary search: the rules apply, and malformed ids are refused.
func TestOrderLeadsToItsInvoices(t *testing.T) {
	f := newFixture(t)
	_, c, order := f.deskQuotation(t)
	act := func(path, method string) string { return c.act(t, path, method) }
	related := func() [][]string {
		t.Helper()
		return relatedButton.FindAllStringSubmatch(c.get(order).Body.String(), -1)
	}
	if got := related(); len(got) != 0 {
		t.Errorf("a quotation without invoices shows %v", got)
	}
	act(order, "action_confirm")
	invoice := act(order, "action_create_invoice")
	if got := related(); len(got) != 1 || got[0][1] != invoice || got[0][2] != "Invoices (1)" {
		t.Fatalf("order with one invoice shows %v, want a button to %s", got, invoice)
	}
	// And back from the invoice to its order.
	if got := relatedButton.FindAllStringSubmatch(c.get(invoice).Body.String(), -1); len(got) != 1 || got[0][1] != order || got[0][2] != "Sales orders (1)" {
		t.Errorf("the invoice shows %v, want a button to %s", got, order)
	}
	act(invoice, "action_post")
	refund := act(invoice, "action_reverse")
	got := related()
	if len(got) != 1 || got[0][2] != "Invoices (2)" {
		t.Fatalf("order with an invoice and its credit note shows %v", got)
	}
	list := htmlUnescape(got[0][1])
	page := c.get(list)
	body := page.Body.String()
	if page.Code != http.StatusOK || !strings.Contains(body, "data-narrowed") {
		t.Fatalf("%s: %d", list, page.Code)
	}
	for _, p := range []string{invoice, refund} {
		if !strings.Contains(body, `href="`+p+`"`) {
			t.Errorf("%s lacks %s", list, p)
		}
	}
	if n := len(invoiceLink.FindAllString(body, -1)); n != 2 {
		t.Errorf("%s links to %d records, want the 2 invoices", list, n)
	}
	// Sorting keeps the narrowing.
	if sorted := c.get(list + "&o=name&d=1").Body.String(); !strings.Contains(sorted, "data-narrowed") || len(invoiceLink.FindAllString(sorted, -1)) != 2 {
		t.Errorf("sorted narrowed list lost its narrowing")
	}

	// Another company's records stay out of a narrowed list; bad ids are refused.
	other := f.signIn("portal")
	if w := other.get(list); w.Code == http.StatusOK && strings.Contains(w.Body.String(), `href="`+invoice+`"`) {
		t.Errorf("a portal user sees the invoices through %s", list)
	}
	for _, bad := range []string{"1,x", "-1", "0", ",", strings.Repeat("1,", 200) + "1", "1;2"} {
		if w := c.get("/odoo/invoices?ids=" + url.QueryEscape(bad)); w.Code != http.StatusBadRequest {
			t.Errorf("ids=%q: %d, want 400", bad, w.Code)
		}
	}
	if w := c.get(fmt.Sprintf("/odoo/invoices?ids=%d", 999999)); w.Code != http.StatusOK || invoiceLink.MatchString(w.Body.String()) {
		t.Errorf("an unknown id: %d", w.Code)
	}
}

// A customer's form leads to their orders and invoices: counted under the
// rules, the lists narrowed to that customer.
func TestCustomerLeadsToTheirOrdersAndInvoices(t *testing.T) {
	f := newFixture(t)
	_, c, order := f.deskQuotation(t)
	var customer string
	for _, row := range regexp.MustCompile(`href="(/odoo/contacts/\d+)">Gemini Furniture<`).FindAllStringSubmatch(c.get("/odoo/contacts?q=Gemini").Body.String(), -1) {
		customer = row[1]
	}
	if customer == "" {
		t.Fatal("the customer is not in the contacts list")
	}
	buttons := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, m := range relatedButton.FindAllStringSubmatch(c.get(customer).Body.String(), -1) {
			out[m[2]] = htmlUnescape(m[1])
		}
		return out
	}
	got := buttons()
	if len(got) != 1 || got["Sales (1)"] == "" {
		t.Fatalf("a customer with one quotation shows %v", got)
	}
	list := c.get(got["Sales (1)"]).Body.String()
	if !strings.Contains(list, `href="`+order+`"`) || strings.Count(list, `href="/odoo/sales/`) != 2 { // the order and New
		t.Errorf("the customer's orders list: %s", got["Sales (1)"])
	}
	c.act(t, order, "action_confirm")
	invoice := c.act(t, order, "action_create_invoice")
	got = buttons()
	if got["Invoices (1)"] == "" || !strings.Contains(c.get(got["Invoices (1)"]).Body.String(), `href="`+invoice+`"`) {
		t.Errorf("after invoicing the customer shows %v", got)
	}
}

// An employee who may not read orders or invoices still opens a contact's
// form, without the buttons to them.
func TestContactWithoutSalesRights(t *testing.T) {
	f := newFixture(t)
	_, c, _ := f.deskQuotation(t)
	var customer string
	for _, row := range regexp.MustCompile(`href="(/odoo/contacts/\d+)">Gemini Furniture<`).FindAllStringSubmatch(c.get("/odoo/contacts?q=Gemini").Body.String(), -1) {
		customer = row[1]
	}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		employee, err := seed.GroupID(ctx, env, base.GroupUser)
		if err != nil {
			return err
		}
		return env.Write(ctx, "res.users", []int64{f.uid["user"]}, map[string]any{"groups_id": []any{[]any{6, 0, []any{employee}}}})
	})
	// A change of groups ends the user's sessions.
	w := f.signIn("user").get(customer)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Gemini Furniture") {
		t.Fatalf("an employee opening %s: %d", customer, w.Code)
	}
	if got := relatedButton.FindAllStringSubmatch(w.Body.String(), -1); len(got) != 0 {
		t.Errorf("an employee without sales rights sees %v", got)
	}
}
