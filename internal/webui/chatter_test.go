package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

func (f *fixture) messageCount(model, id string) int {
	n := 0
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		var rid int64
		fmt.Sscan(id, &rid)
		ids, err := env.Search(ctx, mail.MessageModel, seed.Dom("model", "=", model, "res_id", "=", rid), orm.SearchOptions{})
		n = len(ids)
		return err
	})
	return n
}

// salesperson adds a user who sees only their own orders, and signs them in.
func (f *fixture) salesperson(login string) *client {
	f.t.Helper()
	_, hash := sharedHasher(f.t)
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		company, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "My Company"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		var groups []any
		for _, g := range []string{base.GroupUser, sale.GroupSalesman} {
			gid, err := seed.GroupID(ctx, env, g)
			if err != nil {
				return err
			}
			groups = append(groups, gid)
		}
		p, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Sales " + login, "email": login, "company_id": company[0]}})
		if err != nil {
			return err
		}
		ids, err := env.Create(ctx, "res.users", []map[string]any{{"name": "Sales " + login, "login": login, "partner_id": p[0],
			"company_id": company[0], "company_ids": []any{company[0]}, "groups_id": groups, "password": hash}})
		if err == nil {
			f.uid[login] = ids[0]
		}
		return err
	})
	c := f.client()
	c.get("/web/login")
	w := c.post("/web/login", url.Values{"login": {login}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("sign in as %s: %d %s", login, w.Code, w.Body)
	}
	c.get(w.Header().Get("Location"))
	return c
}

// The history under a form: changes made through the form appear with old and
// new values, notes are plain text rendered inert, and another salesperson's
// order gives neither its history nor a place to write in it.
func TestChatterOnForms(t *testing.T) {
	f := newFixture(t)
	c := f.salesperson("ann@example.com")
	w := c.post("/odoo/contacts/new", url.Values{"name": {"Gemini Furniture"}, "email": {"buyer@gemini.example"}})
	partner := locationID(t, w, "/odoo/contacts/")
	w = c.post("/odoo/sales/new", url.Values{"partner_id__display": {"Gemini Furniture"}, "client_order_ref": {"PO-1"}, "line-count": {"1"},
		"line-0-name": {"Consulting"}, "line-0-product_uom_qty": {"2"}, "line-0-price_unit": {"50"}})
	order := locationID(t, w, "/odoo/sales/")
	if page := c.get("/odoo/sales/" + order).Body.String(); !strings.Contains(page, "No changes recorded yet.") {
		t.Fatalf("a new order shows history: %s", page)
	}
	w = c.post("/odoo/sales/"+order, url.Values{"client_order_ref": {"PO-2"}, "line-count": {"0"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	page := c.get("/odoo/sales/" + order).Body.String()
	if !strings.Contains(page, "Customer Reference: PO-1 → PO-2") || !strings.Contains(page, "Sales ann@example.com") {
		t.Fatalf("tracked change not shown: %s", page)
	}
	if w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"action_confirm"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", w.Code, w.Body)
	}
	if page := c.get("/odoo/sales/" + order).Body.String(); !strings.Contains(page, "Status: Quotation → Sales Order") {
		t.Fatalf("state change not shown: %s", page)
	}

	// Notes: XSS payloads are stored as text and shown inert.
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>{{.CSRF}}`
	for _, target := range []string{"/odoo/sales/" + order, "/odoo/contacts/" + partner} {
		w := c.post(target+"/note", url.Values{"note": {payload}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != target+"#chatter" {
			t.Fatalf("note on %s: %d %s", target, w.Code, w.Body)
		}
		form := c.get(target)
		checkPage(t, target, form.Header(), form.Body.Bytes())
		checkNoInjectedMarkup(t, target, form.Body.Bytes())
		if !strings.Contains(form.Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the note is not shown as text", target)
		}
	}
	before := f.messageCount("sale.order", order)
	if w := c.post("/odoo/sales/"+order+"/note", url.Values{"note": {"   "}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "the note is empty") {
		t.Errorf("empty note: %d", w.Code)
	}
	if w := c.post("/odoo/sales/"+order+"/note", url.Values{"note": {strings.Repeat("é", mail.MaxNoteRunes+1)}}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("long note: %d", w.Code)
	}
	for _, forged := range []url.Values{{"note": {"forged"}, "csrf_token": {""}}, {"note": {"forged"}, "csrf_token": {strings.Repeat("x", 43)}}} {
		if w := c.do("POST", "/odoo/sales/"+order+"/note", forged); w.Code != http.StatusForbidden {
			t.Errorf("note without the anti-forgery token: %d", w.Code)
		}
	}
	if n := f.messageCount("sale.order", order); n != before {
		t.Errorf("refused notes were stored: %d messages, had %d", n, before)
	}

	// Another salesperson's order: not found, and its history is untouched.
	var theirs string
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		var rid int64
		fmt.Sscan(partner, &rid)
		company, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "My Company"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		recs, err := env.Read(ctx, "res.company", company, []string{"currency_id"})
		if err != nil {
			return err
		}
		ids, err := env.Create(ctx, "sale.order", []map[string]any{{"partner_id": rid, "user_id": f.uid["admin"], "company_id": company[0],
			"currency_id": recs[0]["currency_id"].([]any)[0], "client_order_ref": "Admin's secret deal"}})
		if err != nil {
			return err
		}
		theirs = fmt.Sprint(ids[0])
		_, err = mail.Post(ctx, env, "sale.order", ids[0], "Confidential: margin 40%")
		return err
	})
	for _, probe := range []struct{ method, path string }{{"GET", "/odoo/sales/" + theirs}, {"POST", "/odoo/sales/" + theirs + "/note"}} {
		var w *httptest.ResponseRecorder
		if probe.method == "GET" {
			w = c.get(probe.path)
		} else {
			w = c.post(probe.path, url.Values{"note": {"I was here"}})
		}
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "Confidential") || strings.Contains(w.Body.String(), "secret deal") {
			t.Errorf("%s %s as another salesperson: %d", probe.method, probe.path, w.Code)
		}
	}
	if n := f.messageCount("sale.order", theirs); n != 1 {
		t.Errorf("another salesperson's order has %d messages, want 1", n)
	}
	// A model without history has no note route.
	if w := f.signIn("admin").post("/odoo/groups/1/note", url.Values{"note": {"x"}}); w.Code != http.StatusNotFound {
		t.Errorf("note on a page without history: %d", w.Code)
	}
}

// Accepting in the portal signs the order: name, time and address are stored,
// shown read-only on the form and recorded in its history.
func TestPortalAcceptSigns(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	id, link := f.sentQuotation(t, c, "Gemini Furniture")
	order := strconv.FormatInt(id, 10)
	customer := f.client()
	customer.addr = "198.51.100.23:51000"
	customer.get(link.RequestURI())
	signer := `Ada "Buyer" <b>`
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {link.Query().Get("access_token")}, "signed_by": {signer}}); w.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", w.Code, w.Body)
	}
	for field, want := range map[string]any{"state": "sale", "signed_by": signer, "signature_address": "198.51.100.23"} {
		if got := f.field("sale.order", order, field); got != want {
			t.Errorf("%s after accepting: %v, want %v", field, got, want)
		}
	}
	if on, _ := f.field("sale.order", order, "signed_on").(string); len(on) != len("2006-01-02 15:04:05") {
		t.Errorf("signed_on: %q", on)
	}
	form := c.get("/odoo/sales/" + order)
	body := form.Body.String()
	if !strings.Contains(body, "Customer signature") || !strings.Contains(body, `<span class="value" id="f-signed_by">Ada &#34;Buyer&#34; &lt;b&gt;</span>`) ||
		!strings.Contains(body, "Signed and accepted by Ada &#34;Buyer&#34; &lt;b&gt;") || !strings.Contains(body, "from 198.51.100.23") {
		t.Errorf("signature on the order form: %s", body)
	}
	checkNoInjectedMarkup(t, "signed order", form.Body.Bytes())
	// The signature cannot be written from the form.
	if w := c.post("/odoo/sales/"+order, url.Values{"signed_by": {"Mallory"}, "line-count": {"0"}}); w.Code == http.StatusInternalServerError {
		t.Errorf("posting a signature: %d", w.Code)
	}
	if got := f.field("sale.order", order, "signed_by"); got != signer {
		t.Errorf("signature after a forged post: %v", got)
	}
}
