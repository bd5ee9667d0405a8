package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

var recordURL = regexp.MustCompile(`^/odoo/contacts/(\d+)$`)

func (f *fixture) partnerCount(name string) int {
	n := 0
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.partner", seed.Leaf("name", "=", name), orm.SearchOptions{IncludeArchived: true})
		n = len(ids)
		return err
	})
	return n
}

func TestContactsCreateEditArchiveExportDelete(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	if w := c.get("/odoo/contacts/new"); w.Code != 200 || !strings.Contains(w.Body.String(), `name="email"`) {
		t.Fatalf("new form: %d", w.Code)
	}
	// A country typed by name resolves without scripts; an unknown one is refused
	// next to its field and nothing is saved.
	w := c.post("/odoo/contacts/new", url.Values{"name": {"Azure Interior"}, "email": {"info@azure.example"}, "country_id__display": {"Atlantis"}, "is_company": {"on"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "nothing matches this name") || !strings.Contains(w.Body.String(), `value="info@azure.example"`) {
		t.Fatalf("unknown country: %d %s", w.Code, w.Body)
	}
	if n := f.partnerCount("Azure Interior"); n != 0 {
		t.Fatalf("refused save stored %d records", n)
	}
	w = c.post("/odoo/contacts/new", url.Values{"name": {"Azure Interior"}, "email": {"info@azure.example"}, "country_id__display": {"Belgium"}, "is_company": {"on"}})
	m := recordURL.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	id := m[1]
	page := c.get("/odoo/contacts/" + id)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "Created.") || !strings.Contains(page.Body.String(), `value="Belgium"`) {
		t.Fatalf("form after create: %d %s", page.Code, page.Body)
	}
	w = c.post("/odoo/contacts/"+id, url.Values{"name": {"Azure Interior SA"}, "email": {"sales@azure.example"}, "is_company": {"on"}, "comment": {"<p>Good <b>customer</b></p><script>alert(1)</script>"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	page = c.get("/odoo/contacts/" + id)
	if !strings.Contains(page.Body.String(), "sales@azure.example") || strings.Contains(page.Body.String(), "<script>alert") {
		t.Fatalf("form after edit: %s", page.Body)
	}
	list := c.get("/odoo/contacts?q=azure")
	if list.Code != 200 || !strings.Contains(list.Body.String(), "Azure Interior SA") || !strings.Contains(list.Body.String(), "1–1 of 1") {
		t.Fatalf("search: %d %s", list.Code, list.Body)
	}
	export := c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"export"}})
	if export.Code != 200 || !strings.HasPrefix(export.Header().Get("Content-Type"), "text/csv") || !strings.Contains(export.Body.String(), "Azure Interior SA,sales@azure.example") {
		t.Fatalf("export: %d %q %s", export.Code, export.Header().Get("Content-Type"), export.Body)
	}
	if w := c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"archive"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("archive: %d %s", w.Code, w.Body)
	}
	if l := c.get("/odoo/contacts?q=azure"); strings.Contains(l.Body.String(), "Azure Interior SA") {
		t.Fatal("archived contact still listed")
	}
	if l := c.get("/odoo/contacts?q=azure&f=archived"); !strings.Contains(l.Body.String(), "Azure Interior SA") {
		t.Fatal("archived contact not under the Archived filter")
	}
	if w := c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"delete"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if n := f.partnerCount("Azure Interior SA"); n != 0 {
		t.Fatalf("deleted contact still stored (%d)", n)
	}
	if w := c.get("/odoo/contacts/" + id); w.Code != http.StatusNotFound {
		t.Fatalf("deleted contact's form: %d", w.Code)
	}
}

func TestExportNeutralisesFormulas(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	w := c.post("/odoo/contacts/new", url.Values{"name": {"=HYPERLINK(\"http://evil.example\",\"x\")"}, "email": {"+1@x.example"}})
	id := recordURL.FindStringSubmatch(w.Header().Get("Location"))[1]
	export := c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"export"}})
	body := export.Body.String()
	if !strings.Contains(body, `'=HYPERLINK`) || !strings.Contains(body, "'+1@x.example") {
		t.Fatalf("formula cells not neutralised:\n%s", body)
	}
}

// Another company's record id in the URL: the same not-found page, and none of its
// data, for every way of reaching it.
func TestDirectObjectReferences(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	id := fmt.Sprint(f.otherPartner)
	const secret = "Secret Supplier of Other Co"
	missing := c.get("/odoo/contacts/999999")
	cases := []struct {
		name string
		do   func() *httptest.ResponseRecorder
	}{
		{"form", func() *httptest.ResponseRecorder { return c.get("/odoo/contacts/" + id) }},
		{"save", func() *httptest.ResponseRecorder { return c.post("/odoo/contacts/"+id, url.Values{"name": {"Stolen"}}) }},
		{"archive", func() *httptest.ResponseRecorder {
			return c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"archive"}})
		}},
		{"delete", func() *httptest.ResponseRecorder {
			return c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"delete"}})
		}},
		{"export", func() *httptest.ResponseRecorder {
			return c.post("/odoo/contacts/selection", url.Values{"ids": {id}, "op": {"export"}})
		}},
		{"as a link", func() *httptest.ResponseRecorder {
			return c.post("/odoo/contacts/new", url.Values{"name": {"Child"}, "parent_id": {id}})
		}},
	}
	for _, cs := range cases {
		w := cs.do()
		if cs.name == "as a link" {
			if w.Code != http.StatusUnprocessableEntity || strings.Contains(w.Body.String(), secret) {
				t.Errorf("%s: %d", cs.name, w.Code)
			}
			continue
		}
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), secret) || strings.Contains(w.Body.String(), "hidden@other") {
			t.Errorf("%s: %d %s", cs.name, w.Code, w.Body)
		}
		if stripVolatile(w.Body.String()) != stripVolatile(missing.Body.String()) {
			t.Errorf("%s: answer differs from a missing record's", cs.name)
		}
	}
	for _, target := range []string{"/odoo/contacts?q=Secret", "/odoo/picker/contacts/parent_id?q=Secret", "/odoo/contacts?g=company_id"} {
		if w := c.get(target); strings.Contains(w.Body.String(), secret) {
			t.Errorf("%s reveals the other company's contact", target)
		}
	}
	if n := f.partnerCount(secret); n != 1 {
		t.Fatalf("the other company's contact was changed (%d)", n)
	}
}

var volatile = regexp.MustCompile(`value="[A-Za-z0-9_\-]{43}"`)

func stripVolatile(s string) string { return volatile.ReplaceAllString(s, "") }
