package webui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// An invoice typed in on its form, lines and taxes included, is saved with its
// company's sales journal and currency, its totals computed by the server; once
// posted, the tax and receivable items never show among its lines.
func TestInvoiceEnteredOnItsForm(t *testing.T) {
	f := newFixture(t)
	lt := setupLineTaxes(f)
	c := f.signIn("user")
	w := c.post("/odoo/invoices/new", url.Values{"partner_id__display": {"Gemini Furniture"}, "line-count": {"1"},
		"line-0-product_id": {fmt.Sprint(lt.product)}, "line-0-product_id__display": {"Desk"}, "line-0-name": {"Desk"},
		"line-0-quantity": {"3"}, "line-0-price_unit": {"100"},
		"line-0-tax_ids": idValues(lt.tax15), "line-0-tax_ids__product": {fmt.Sprint(lt.product)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save a new invoice: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	invoice := locationID(t, w, "/odoo/invoices/")
	if got := f.lineTaxesOf("account.move", "invoice_line_ids", "tax_ids", invoice); len(got) != 1 || !slices.Equal(got[0], []int64{lt.tax15}) {
		t.Fatalf("invoice line taxes: %v", got)
	}
	body := c.get("/odoo/invoices/" + invoice).Body.String()
	for _, s := range []string{`data-total="amount_untaxed">300.00<`, `data-total="amount_tax">45.00<`, `data-total="amount_total">345.00<`} {
		if !strings.Contains(body, s) {
			t.Errorf("invoice form lacks %s", s)
		}
	}
	if w := c.post("/odoo/invoices/"+invoice+"/action", url.Values{"method": {"action_post"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("post: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	if got := f.lineTaxesOf("account.move", "invoice_line_ids", "tax_ids", invoice); len(got) != 1 {
		t.Errorf("the posted invoice shows %d lines, want its one product line", len(got))
	}
}
