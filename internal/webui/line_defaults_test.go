package webui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/money"
)

// A new line where the user picks a product and leaves the other cells empty
// is previewed and saved with the product's description, price and quantity
// 1; a price the user typed is kept.
func TestNewLineTakesItsProductsDefaults(t *testing.T) {
	f := newFixture(t)
	_, c, _ := f.deskQuotation(t)
	form := url.Values{"partner_id__display": {"Gemini Furniture"}, "line-count": {"3"},
		"line-0-product_id__display": {"Office Desk"}, "line-0-name": {""}, "line-0-product_uom_qty": {""}, "line-0-price_unit": {""},
		"line-1-product_id__display": {"Office Desk"}, "line-1-product_uom_qty": {"2"}, "line-1-price_unit": {"250"},
		"line-2-product_id__display": {""}, "line-2-name": {""}}

	pv := c.post("/odoo/sales/new/totals", cloneValues(form))
	var preview struct {
		Lines []map[string]string `json:"lines"`
		Error string              `json:"error"`
	}
	if err := json.Unmarshal(pv.Body.Bytes(), &preview); pv.Code != http.StatusOK || err != nil || preview.Error != "" {
		t.Fatalf("preview: %d %s", pv.Code, pv.Body)
	}
	want := []map[string]string{
		{"name": "[DESK] Office Desk", "product_uom_qty": "1", "price_unit": "300.00"},
		{"name": "[DESK] Office Desk", "product_uom_qty": "2", "price_unit": "250.00"},
	}
	if len(preview.Lines) != len(want) {
		t.Fatalf("preview of %d lines, want %d: %s", len(preview.Lines), len(want), pv.Body)
	}
	for i, w := range want {
		for k, v := range w {
			if got := preview.Lines[i][k]; got != v {
				t.Errorf("preview line %d, %s: %q, want %q", i+1, k, got, v)
			}
		}
	}

	order := locationID(t, c.post("/odoo/sales/new", cloneValues(form)), "/odoo/sales/")
	untaxed, err := money.From(f.field("sale.order", order, "amount_untaxed"))
	if err != nil || money.Format(untaxed, 2) != "800.00" {
		t.Errorf("saved order: untaxed %v (%v), want 800.00 (300 + 2 × 250)", untaxed, err)
	}
}
