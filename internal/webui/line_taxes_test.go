package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// lineTaxes is a tenant with taxes of several kinds and a product whose
// customer tax is 15%.
type lineTaxes struct {
	tax15, eco, foreign, purchase int64
	product                       int64 // product.product
}

const evilTax = `Eco <script>alert(1)</script><img src=x onerror=alert(2)>`

func setupLineTaxes(f *fixture) lineTaxes {
	var lt lineTaxes
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		main, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "My Company"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		other, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "Other Co"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		taxes, err := env.Search(ctx, "account.tax", seed.Dom("name", "=", "15%", "company_id", "=", main[0]), orm.SearchOptions{})
		if err != nil || len(taxes) != 1 {
			return fmt.Errorf("tax 15%%: %v %v", taxes, err)
		}
		lt.tax15 = taxes[0]
		acc, err := env.Read(ctx, "account.tax", taxes, []string{"account_id"})
		if err != nil {
			return err
		}
		taxAccount := acc[0]["account_id"].([]any)[0]
		ids, err := env.Create(ctx, "account.tax", []map[string]any{
			{"name": evilTax, "amount": 2.0, "company_id": main[0], "type_tax_use": "sale", "account_id": taxAccount},
			{"name": "Foreign 5%", "amount": 5.0, "company_id": other[0], "type_tax_use": "sale"},
			{"name": "Purchase 7%", "amount": 7.0, "company_id": main[0], "type_tax_use": "purchase"}})
		if err != nil {
			return err
		}
		lt.eco, lt.foreign, lt.purchase = ids[0], ids[1], ids[2]
		tmpl, err := env.Create(ctx, "product.template", []map[string]any{{"name": "Desk", "list_price": "100", "sale_ok": true,
			"company_id": main[0], "taxes_id": []any{[]any{6, 0, []any{lt.tax15}}}}})
		if err != nil {
			return err
		}
		variants, err := env.Search(ctx, "product.product", seed.Leaf("product_tmpl_id", "=", tmpl[0]), orm.SearchOptions{})
		if err != nil || len(variants) != 1 {
			return fmt.Errorf("variant of Desk: %v %v", variants, err)
		}
		lt.product = variants[0]
		_, err = env.Create(ctx, "res.partner", []map[string]any{{"name": "Gemini Furniture", "is_company": true, "company_id": main[0]}})
		return err
	})
	return lt
}

// lineTaxesOf reads the taxes of every line of an order (or invoice), sorted.
func (f *fixture) lineTaxesOf(model, linesField, taxField, id string) [][]int64 {
	var out [][]int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		var n int64
		fmt.Sscan(id, &n)
		recs, err := env.Read(ctx, model, []int64{n}, []string{linesField})
		if err != nil {
			return err
		}
		co := map[string]string{"order_line": "sale.order.line", "invoice_line_ids": "account.move.line"}[linesField]
		ls, err := env.Read(ctx, co, recs[0][linesField].([]int64), []string{taxField})
		if err != nil {
			return err
		}
		for _, l := range ls {
			ids := append([]int64(nil), l[taxField].([]int64)...)
			slices.Sort(ids)
			out = append(out, ids)
		}
		return nil
	})
	return out
}

func orderWithLine(lt lineTaxes, marker string, taxes ...int64) url.Values {
	return url.Values{"partner_id__display": {"Gemini Furniture"}, "line-count": {"1"},
		"line-0-product_id": {fmt.Sprint(lt.product)}, "line-0-product_id__display": {"Desk"}, "line-0-name": {"Desk"},
		"line-0-product_uom_qty": {"2"}, "line-0-price_unit": {"100"},
		"line-0-tax_id": idValues(taxes...), "line-0-tax_id__product": {marker}}
}

// Taxes are edited on order lines as tags; the server computes the totals from
// them, fills them from a newly picked product, and refuses what the order's
// company does not offer with nothing saved.
func TestOrderLineTaxes(t *testing.T) {
	f := newFixture(t)
	lt := setupLineTaxes(f)
	c := f.signIn("user")
	product := fmt.Sprint(lt.product)

	// Two taxes, the product already filled from: 2 × 100, 15% + 2%.
	w := c.post("/odoo/sales/new", orderWithLine(lt, product, lt.tax15, lt.eco))
	order := locationID(t, w, "/odoo/sales/")
	want := []int64{lt.tax15, lt.eco}
	slices.Sort(want)
	if got := f.lineTaxesOf("sale.order", "order_line", "tax_id", order); len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("line taxes: %v, want [%v]", got, want)
	}
	page := c.get("/odoo/sales/" + order)
	body := page.Body.String()
	for _, s := range []string{`data-total="amount_untaxed">200.00<`, `data-total="amount_tax">34.00<`, `data-total="amount_total">234.00<`,
		`name="line-0-tax_id" size="3" data-tags-select`, fmt.Sprintf(`<option value="%d" selected>Eco &lt;script&gt;`, lt.eco),
		fmt.Sprintf(`name="line-0-tax_id__product" value="%d"`, lt.product)} {
		if !strings.Contains(body, s) {
			t.Errorf("order form lacks %s", s)
		}
	}
	for _, s := range []string{"Foreign 5%", "Purchase 7%"} {
		if strings.Contains(body, s) {
			t.Errorf("the order form offers %s", s)
		}
	}
	checkPage(t, "order with taxes", page.Header(), page.Body.Bytes())
	checkNoInjectedMarkup(t, "order with taxes", page.Body.Bytes())

	// Picking the product on a new line fills its customer taxes (the preview
	// tells the script which); choosing taxes in the same submission wins.
	fresh := orderWithLine(lt, "")
	pv := c.post("/odoo/sales/new/totals", cloneValues(fresh))
	var ans struct {
		Totals   map[string]string `json:"totals"`
		LineTags []map[string]struct {
			Product string `json:"product"`
			Tags    []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"tags"`
		} `json:"line_tags"`
	}
	if err := json.Unmarshal(pv.Body.Bytes(), &ans); err != nil || pv.Code != 200 {
		t.Fatalf("preview: %d %s %v", pv.Code, pv.Body, err)
	}
	if ans.Totals["amount_tax"] != "30.00" || len(ans.LineTags) != 1 || ans.LineTags[0]["tax_id"].Product != product ||
		len(ans.LineTags[0]["tax_id"].Tags) != 1 || ans.LineTags[0]["tax_id"].Tags[0].ID != lt.tax15 {
		t.Errorf("preview of a picked product: %s", pv.Body)
	}
	filled := locationID(t, c.post("/odoo/sales/new", cloneValues(fresh)), "/odoo/sales/")
	if got := f.lineTaxesOf("sale.order", "order_line", "tax_id", filled); len(got) != 1 || !slices.Equal(got[0], []int64{lt.tax15}) {
		t.Errorf("taxes filled from the product: %v", got)
	}
	chosen := locationID(t, c.post("/odoo/sales/new", orderWithLine(lt, "", lt.eco)), "/odoo/sales/")
	if got := f.lineTaxesOf("sale.order", "order_line", "tax_id", chosen); len(got) != 1 || !slices.Equal(got[0], []int64{lt.eco}) {
		t.Errorf("taxes chosen with the product: %v", got)
	}
	// Taxes removed from a line whose product was already filled stay removed.
	var lineID int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "sale.order.line", seed.Leaf("order_id", "=", mustInt(filled)), orm.SearchOptions{})
		lineID = ids[0]
		return err
	})
	edit := orderWithLine(lt, product)
	edit.Set("line-0-id", fmt.Sprint(lineID))
	if w := c.post("/odoo/sales/"+filled, edit); w.Code != http.StatusSeeOther {
		t.Fatalf("remove the taxes: %d %s", w.Code, w.Body)
	}
	if got := f.lineTaxesOf("sale.order", "order_line", "tax_id", filled); len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("taxes after removing them: %v", got)
	}

	// Refusals: another company's tax, a purchase tax, a missing id, a bad id.
	orders := f.count("sale.order", nil)
	for _, r := range []struct {
		name  string
		taxes []string
	}{
		{"another company's tax", idValues(lt.tax15, lt.foreign)},
		{"a purchase tax", idValues(lt.purchase)},
		{"a missing tax", idValues(999999)},
		{"not an id", []string{"15%"}},
	} {
		form := orderWithLine(lt, product)
		form["line-0-tax_id"] = r.taxes
		w := c.post("/odoo/sales/new", form)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="e-line-0-tax_id" role="alert"`) {
			t.Errorf("new order with %s: %d %s", r.name, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "Foreign 5%") {
			t.Errorf("new order with %s: the refusal names another company's tax", r.name)
		}
		edit := orderWithLine(lt, product)
		edit["line-0-tax_id"] = r.taxes
		edit.Set("line-0-id", fmt.Sprint(firstLine(f, order)))
		if w := c.post("/odoo/sales/"+order, edit); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="e-line-0-tax_id"`) {
			t.Errorf("order edited with %s: %d", r.name, w.Code)
		}
		if got := f.lineTaxesOf("sale.order", "order_line", "tax_id", order); len(got) != 1 || !slices.Equal(got[0], want) {
			t.Errorf("order edited with %s: taxes now %v", r.name, got)
		}
	}
	if n := f.count("sale.order", nil); n != orders {
		t.Errorf("refused orders were stored: %d, want %d", n, orders)
	}
	// The preview tells which line and column are refused, and stores nothing.
	bad := orderWithLine(lt, product)
	bad["line-0-tax_id"] = idValues(lt.foreign)
	if pv := c.post("/odoo/sales/new/totals", bad); pv.Code != 200 || !strings.Contains(pv.Body.String(), `"error":"line 1, Taxes: pick from the list`) {
		t.Errorf("preview with another company's tax: %d %s", pv.Code, pv.Body)
	}
	// The search offers the company's sale taxes only.
	for q, wantIn := range map[string]bool{"Eco": true, "Foreign": false, "Purchase": false} {
		w := c.get("/odoo/picker/sales/order_line.tax_id?q=" + url.QueryEscape(q))
		if w.Code != 200 || strings.Contains(w.Body.String(), `"name"`) != wantIn {
			t.Errorf("picker %q: %d %s", q, w.Code, w.Body)
		}
	}
}

// An invoice made from an order keeps its lines' taxes, shown as tags on the
// invoice lines with the totals they give.
func TestInvoiceLineTaxes(t *testing.T) {
	f := newFixture(t)
	lt := setupLineTaxes(f)
	c := f.signIn("user")
	order := locationID(t, c.post("/odoo/sales/new", orderWithLine(lt, fmt.Sprint(lt.product), lt.tax15, lt.eco)), "/odoo/sales/")
	for _, m := range []string{"action_confirm", "action_create_invoice"} {
		w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {m}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", m, w.Code, regexpAlerts(w.Body.String()))
		}
		if m == "action_create_invoice" {
			invoice := locationID(t, w, "/odoo/invoices/")
			want := []int64{lt.tax15, lt.eco}
			slices.Sort(want)
			if got := f.lineTaxesOf("account.move", "invoice_line_ids", "tax_ids", invoice); len(got) != 1 || !slices.Equal(got[0], want) {
				t.Errorf("invoice line taxes: %v, want [%v]", got, want)
			}
			page := c.get("/odoo/invoices/" + invoice)
			body := page.Body.String()
			for _, s := range []string{`data-total="amount_untaxed">200.00<`, `data-total="amount_tax">34.00<`, `data-total="amount_total">234.00<`,
				fmt.Sprintf(`<option value="%d" selected>Eco &lt;script&gt;`, lt.eco)} {
				if !strings.Contains(body, s) {
					t.Errorf("invoice form lacks %s", s)
				}
			}
			checkNoInjectedMarkup(t, "invoice with taxes", page.Body.Bytes())
		}
	}
}

func mustInt(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

func firstLine(f *fixture, order string) int64 {
	var id int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "sale.order.line", seed.Leaf("order_id", "=", mustInt(order)), orm.SearchOptions{})
		if len(ids) > 0 {
			id = ids[0]
		}
		return err
	})
	return id
}

// regexpAlerts keeps the alerts of a page, for failure messages.
func regexpAlerts(body string) string {
	var out []string
	for _, part := range strings.Split(body, `role="alert">`)[1:] {
		end := strings.Index(part, "<")
		if end < 0 {
			end = len(part)
		}
		out = append(out, part[:end])
	}
	return strings.Join(out, " | ")
}
