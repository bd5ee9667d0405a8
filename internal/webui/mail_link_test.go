package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

var mailLink = regexp.MustCompile(`href="([^"]+)"`)

// The quotation mail sent from the screens links, with the address the
// company is served at, to a page the customer can open. (The link used to be
// relative, which the mail's sanitiser dropped: the customer got a link to
// nowhere.)
func TestQuotationMailLinksToThePortal(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	f.sentQuotation(t, c, "Gemini Furniture")
	var body string
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		recs, err := env.SearchRead(ctx, "mail.mail", domain.Domain{}, []string{"body_html"}, orm.SearchOptions{Order: "id desc", Limit: 1})
		if err == nil && len(recs) == 1 {
			body, _ = recs[0]["body_html"].(string)
		}
		return err
	})
	m := mailLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the quotation mail has no link:\n%s", body)
	}
	link, err := url.Parse(htmlUnescape(m[1]))
	// The fixture serves the tenant over plain HTTP at acme.localhost.
	if err != nil || !link.IsAbs() || link.Host != "acme.localhost" || link.Query().Get("access_token") == "" {
		t.Fatalf("the quotation mail links to %q, want the company's address", m[1])
	}
	if w := f.client().get(link.RequestURI()); w.Code != http.StatusOK {
		t.Errorf("the customer opening %s: %d", link.RequestURI(), w.Code)
	}
}
