package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Contact tags: made on their own screen, put on contacts as tags, found from
// the contacts list by name and by the Tagged filter.
func TestContactTags(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	const evil = `VIP <script>alert(1)</script>`
	w := c.post("/odoo/contact-tags/new", url.Values{"name": {evil}, "color": {"4"}})
	tag := locationID(t, w, "/odoo/contact-tags/")
	if w := c.post("/odoo/contact-tags/new", url.Values{"name": {"Bad colour"}, "color": {"99"}}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("colour outside the palette: %d", w.Code)
	}
	form := c.get("/odoo/contacts/new")
	if !strings.Contains(form.Body.String(), `name="category_id" size="6" data-tags-select`) {
		t.Fatalf("contact form without the tags editor: %s", form.Body)
	}
	w = c.post("/odoo/contacts/new", url.Values{"name": {"Tagged Ltd"}, "category_id": {tag}, "category_id__display": {""}})
	contact := locationID(t, w, "/odoo/contacts/")
	c.post("/odoo/contacts/new", url.Values{"name": {"Plain Ltd"}})
	page := c.get("/odoo/contacts/" + contact)
	if !strings.Contains(page.Body.String(), fmt.Sprintf(`<option value="%s" selected>VIP &lt;script&gt;`, tag)) {
		t.Errorf("contact form without its tag: %s", page.Body)
	}
	checkNoInjectedMarkup(t, "tagged contact", page.Body.Bytes())
	for _, q := range []struct {
		query     string
		want, not string
	}{
		{"/odoo/contacts?q=" + url.QueryEscape("VIP"), "Tagged Ltd", "Plain Ltd"},
		{"/odoo/contacts?f=tagged", "Tagged Ltd", "Plain Ltd"},
		{"/odoo/contacts?f=untagged", "Plain Ltd", "Tagged Ltd"},
	} {
		body := c.get(q.query).Body.String()
		if !strings.Contains(body, q.want) || strings.Contains(body, q.not) {
			t.Errorf("%s: want %s and not %s", q.query, q.want, q.not)
		}
	}
	grouped := c.get("/odoo/contacts?g=category_id").Body.String()
	if !strings.Contains(grouped, "VIP &lt;script&gt;") || !strings.Contains(grouped, "None") ||
		!strings.Contains(grouped, "gf=category_id&amp;gv="+tag) {
		t.Errorf("contacts grouped by tag: %s", grouped)
	}
	narrowed := c.get("/odoo/contacts?gf=category_id&gv=" + tag).Body.String()
	if !strings.Contains(narrowed, "Tagged Ltd") || strings.Contains(narrowed, "Plain Ltd") {
		t.Errorf("contacts of the tag: %s", narrowed)
	}
	checkNoInjectedMarkup(t, "contacts grouped by tag", []byte(grouped))
	var got []int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		var id int64
		fmt.Sscan(contact, &id)
		recs, err := env.Read(ctx, "res.partner", []int64{id}, []string{"category_id"})
		if err == nil {
			got = recs[0]["category_id"].([]int64)
		}
		return err
	})
	if len(got) != 1 || fmt.Sprint(got[0]) != tag {
		t.Errorf("tags stored: %v, want [%s]", got, tag)
	}
	// The portal user has no contact tags.
	portal := f.signIn("portal")
	if w := portal.get("/odoo/contact-tags/" + tag); w.Code == 200 {
		t.Errorf("portal opens a tag: %d", w.Code)
	}
}
