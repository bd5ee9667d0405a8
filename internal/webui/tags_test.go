package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// taxesOf reads a product template's taxes as the system.
func (f *fixture) taxesOf(product string) []int64 {
	ids, _ := f.field("product.template", product, "taxes_id").([]int64)
	slices.Sort(ids)
	return ids
}

func idValues(ids ...int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint(id)
	}
	return out
}

// Many2many fields are edited as tags (a multi-select without scripts), saved as
// "set exactly these" (command 6), and only with records the user may read.
func TestTagsEditing(t *testing.T) {
	f := newFixture(t)
	const evil = `Eco <script>alert(1)</script><img src=x onerror=alert(2)>`
	var tax15, eco, foreign int64
	var foreignProduct string
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
		tax15 = taxes[0]
		ids, err := env.Create(ctx, "account.tax", []map[string]any{
			{"name": evil, "amount": 2.0, "company_id": main[0]},
			{"name": "Foreign 5%", "amount": 5.0, "company_id": other[0]}})
		if err != nil {
			return err
		}
		eco, foreign = ids[0], ids[1]
		p, err := env.Create(ctx, "product.template", []map[string]any{{"name": "Other Co Lamp", "company_id": other[0]}})
		foreignProduct = fmt.Sprint(p[0])
		return err
	})
	admin := f.signIn("admin")
	w := admin.post("/odoo/products/new", url.Values{"name": {"Desk"}, "type": {"consu"}, "list_price": {"120"},
		"taxes_id": idValues(tax15, eco), "taxes_id__display": {""}})
	product := locationID(t, w, "/odoo/products/")
	want := []int64{tax15, eco}
	slices.Sort(want)
	if got := f.taxesOf(product); !slices.Equal(got, want) {
		t.Fatalf("taxes after create: %v, want %v", got, want)
	}
	form := admin.get("/odoo/products/" + product)
	body := form.Body.String()
	if form.Code != 200 || !strings.Contains(body, `name="taxes_id" size="6" data-tags-select`) ||
		!strings.Contains(body, fmt.Sprintf(`<option value="%d" selected>Eco &lt;script&gt;`, eco)) {
		t.Fatalf("tags editor: %d %s", form.Code, body)
	}
	checkPage(t, "product form with tags", form.Header(), form.Body.Bytes())
	checkNoInjectedMarkup(t, "product form with tags", form.Body.Bytes())
	if strings.Contains(body, "Foreign 5%") {
		t.Error("the form offers another company's tax")
	}

	steps := []struct {
		name   string
		form   url.Values
		status int
		want   []int64
	}{
		{"remove one", url.Values{"taxes_id": idValues(eco), "taxes_id__display": {""}}, http.StatusSeeOther, []int64{eco}},
		{"add back, duplicates ignored", url.Values{"taxes_id": idValues(tax15, eco, tax15), "taxes_id__display": {""}}, http.StatusSeeOther, want},
		{"field not sent: unchanged", url.Values{"list_price": {"130"}}, http.StatusSeeOther, want},
		{"another company's tax", url.Values{"taxes_id": idValues(tax15, foreign), "taxes_id__display": {""}}, http.StatusUnprocessableEntity, want},
		{"not an id", url.Values{"taxes_id": {"abc"}, "taxes_id__display": {""}}, http.StatusUnprocessableEntity, want},
		{"negative id", url.Values{"taxes_id": {"-3"}, "taxes_id__display": {""}}, http.StatusUnprocessableEntity, want},
		{"missing record", url.Values{"taxes_id": idValues(999999), "taxes_id__display": {""}}, http.StatusUnprocessableEntity, want},
		{"clear all", url.Values{"taxes_id__display": {""}}, http.StatusSeeOther, []int64{}},
	}
	for _, st := range steps {
		w := admin.post("/odoo/products/"+product, st.form)
		if w.Code != st.status {
			t.Errorf("%s: %d %s", st.name, w.Code, w.Body)
		}
		if got := f.taxesOf(product); !slices.Equal(got, st.want) && !(len(got) == 0 && len(st.want) == 0) {
			t.Errorf("%s: taxes %v, want %v", st.name, got, st.want)
		}
	}
	// The refused form shows the submitted ids again without naming what the
	// user may not read.
	refused := admin.post("/odoo/products/"+product, url.Values{"taxes_id": idValues(eco, foreign), "taxes_id__display": {""}})
	if refused.Code != http.StatusUnprocessableEntity || strings.Contains(refused.Body.String(), "Foreign 5%") ||
		!strings.Contains(refused.Body.String(), fmt.Sprintf(`<option value="%d" selected>Restricted record</option>`, foreign)) {
		t.Errorf("refused form with another company's tax: %d %s", refused.Code, refused.Body)
	}
	// An id that does not exist looks the same: the form tells nothing of which
	// ids exist in a model the user cannot read.
	missing := admin.post("/odoo/products/"+product, url.Values{"taxes_id": idValues(eco, 999999), "taxes_id__display": {""}})
	if missing.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(missing.Body.String(), `<option value="999999" selected>Restricted record</option>`) {
		t.Errorf("refused form with a missing tax: %d %s", missing.Code, missing.Body)
	}
	// Another company's product is not found, and keeps its taxes.
	if w := admin.post("/odoo/products/"+foreignProduct, url.Values{"taxes_id": idValues(tax15), "taxes_id__display": {""}}); w.Code != http.StatusNotFound {
		t.Errorf("tags on another company's product: %d", w.Code)
	}
	if got := f.taxesOf(foreignProduct); len(got) != 0 {
		t.Errorf("another company's product got taxes %v", got)
	}
	// Search-as-you-type offers only what the user may link.
	for q, wantIn := range map[string]bool{"Eco": true, "Foreign": false} {
		w := admin.get("/odoo/picker/products/taxes_id?q=" + url.QueryEscape(q))
		if w.Code != 200 || strings.Contains(w.Body.String(), `"name"`) != wantIn {
			t.Errorf("picker %q: %d %s", q, w.Code, w.Body)
		}
	}
	if w := admin.get("/odoo/picker/products/taxes_idx?q=a"); w.Code != http.StatusNotFound {
		t.Errorf("picker on an undeclared field: %d", w.Code)
	}
}
