package webui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/audit"
)

// sentQuotation creates a quotation through the screens, sends it and returns its
// id and customer link.
func (f *fixture) sentQuotation(t *testing.T, c *client, customer string) (int64, *url.URL) {
	t.Helper()
	w := c.post("/odoo/contacts/new", url.Values{"name": {customer}, "email": {"buyer@customer.example"}, "is_company": {"on"}})
	locationID(t, w, "/odoo/contacts/")
	w = c.post("/odoo/sales/new", url.Values{"partner_id__display": {customer}, "line-count": {"1"},
		"line-0-name": {"Consulting"}, "line-0-product_uom_qty": {"2"}, "line-0-price_unit": {"100"}})
	order := locationID(t, w, "/odoo/sales/")
	if w := c.post("/odoo/sales/"+order+"/action", url.Values{"method": {"action_quotation_send"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	share := c.post("/odoo/sales/"+order+"/share", nil)
	m := shareURL.FindStringSubmatch(share.Body.String())
	if m == nil {
		t.Fatalf("share: %d %s", share.Code, share.Body)
	}
	link, _ := url.Parse(htmlUnescape(m[1]))
	var id int64
	fmt.Sscan(order, &id)
	return id, link
}

// portalAudit returns the acme audit entries about one order, oldest first, after
// checking that the chain holds.
func (f *fixture) portalAudit(t *testing.T, order int64) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	log := audit.New(lease.DB, nil)
	if _, err := log.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := log.List(ctx, audit.Filter{Model: "sale.order", RecordID: order})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	return got
}

func actions(entries []audit.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

// TestPortalUsesAreAudited: every use of a document link (view, PDF, accept,
// decline) is in the tenant's audit log as a portal actor with the document and
// the client address; refused links and refused answers leave nothing.
func TestPortalUsesAreAudited(t *testing.T) {
	eachEngine(t, testPortalUsesAreAudited)
}

func testPortalUsesAreAudited(t *testing.T, f *fixture) {
	c := f.signIn("user")
	order, link := f.sentQuotation(t, c, "Gemini Furniture")
	tok := link.Query().Get("access_token")
	customer := f.client()

	if w := customer.get(link.RequestURI()); w.Code != http.StatusOK {
		t.Fatalf("view: %d", w.Code)
	}
	if w := customer.get(link.Path + "/pdf?access_token=" + url.QueryEscape(tok)); w.Code != http.StatusOK {
		t.Fatalf("pdf: %d", w.Code)
	}
	// Refused links are not uses.
	for _, target := range []string{
		fmt.Sprintf("/my/orders/%d?access_token=%s", order, flip(tok)),
		fmt.Sprintf("/my/orders/%d/pdf", order),
		fmt.Sprintf("/my/orders/%d/nothing?access_token=%s", order, url.QueryEscape(tok)),
	} {
		if w := customer.get(target); w.Code != http.StatusNotFound {
			t.Fatalf("%s: %d", target, w.Code)
		}
	}
	if got := actions(f.portalAudit(t, order)); got != "portal.view portal.pdf" {
		t.Fatalf("after a view and a PDF: %q", got)
	}
	// An answer the document refuses (a signature is one line) is shown with the
	// reason, and neither it nor its entry is kept.
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {tok}, "signed_by": {"Ada\nBuyer"}}); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "one line") {
		t.Fatalf("accept with a two-line signature: %d %s", w.Code, w.Body)
	}
	if got := actions(f.portalAudit(t, order)); got != "portal.view portal.pdf" {
		t.Fatalf("after a refused answer: %q", got)
	}
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {tok}, "signed_by": {"Ada Buyer"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", w.Code, w.Body)
	}
	// A second answer is refused and rolled back with its entry.
	if w := customer.post(link.Path+"/decline", url.Values{"access_token": {tok}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("second answer: %d", w.Code)
	}
	entries := f.portalAudit(t, order)
	if got := actions(entries); got != "portal.view portal.pdf portal.accept" {
		t.Fatalf("after accepting: %q", got)
	}
	sum := sha256.Sum256([]byte(tok))
	for _, e := range entries {
		if e.ActorKind != audit.ActorPortal || e.ActorID != 0 || e.Address != "192.0.2.10" ||
			e.Detail["link"] != hex.EncodeToString(sum[:6]) || strings.Contains(fmt.Sprint(e), tok) {
			t.Fatalf("entry = %+v", e)
		}
	}
	if entries[2].Detail["signed_by"] != "Ada Buyer" {
		t.Fatalf("accept entry = %+v", entries[2])
	}

	declined, link2 := f.sentQuotation(t, c, "Orion Traders")
	tok2 := link2.Query().Get("access_token")
	if w := customer.post(link2.Path+"/decline", url.Values{"access_token": {tok2}}); w.Code != http.StatusSeeOther {
		t.Fatalf("decline: %d %s", w.Code, w.Body)
	}
	if got := actions(f.portalAudit(t, declined)); got != "portal.decline" {
		t.Fatalf("after declining: %q", got)
	}
}
