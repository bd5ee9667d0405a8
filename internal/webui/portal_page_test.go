package webui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var isoDatetime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d`)

// The customer's page of a quotation shows the document, not the company's
// bookkeeping: no invoice status or source document, no empty signature block
// before the customer signs, and dates as people write them.
func TestPortalPageShowsTheCustomersDocument(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	_, link := f.sentQuotation(t, c, "Gemini Furniture")
	customer := f.client()
	page := func() string {
		t.Helper()
		w := customer.get(link.RequestURI())
		if w.Code != http.StatusOK {
			t.Fatalf("portal page: %d", w.Code)
		}
		return w.Body.String()
	}
	body := page()
	for _, hidden := range []string{"Invoice Status", "Nothing to Invoice", "Source Document", "Customer signature"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the customer's page shows %q", hidden)
		}
	}
	if m := isoDatetime.FindString(body); m != "" {
		t.Errorf("the customer's page shows a date as %q", m)
	}
	if !strings.Contains(body, "Order Date") || !strings.Contains(body, "Consulting") {
		t.Error("the customer's page lacks the order date or its lines")
	}
	tok := link.Query().Get("access_token")
	if w := customer.post(link.Path+"/accept", url.Values{"access_token": {tok}, "signed_by": {"Ada Buyer"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d", w.Code)
	}
	if body := page(); !strings.Contains(body, "Customer signature") || !strings.Contains(body, "Ada Buyer") {
		t.Error("the signed quotation's page lacks the signature")
	}
}
