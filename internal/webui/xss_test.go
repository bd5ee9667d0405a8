package webui_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

func loadPayloads(t testing.TB) []string {
	t.Helper()
	fh, err := os.Open("testdata/xss-payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			out = append(out, line)
		}
	}
	if len(out) < 100 {
		t.Fatalf("the corpus has %d payloads, want at least 100", len(out))
	}
	return out
}

// xssPages stores every payload in every char, text and html field of a partner, a
// product and an order (with a line), in notes and tracked changes of their
// history, issues a portal link per order, and returns
// the pages that show them: lists, groupings, forms and portal pages.
func (f *fixture) xssPages(t testing.TB, payloads []string) []string {
	t.Helper()
	pages := []string{}
	var orders []int64
	tokens := map[int64]string{}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		companies, err := env.SearchRead(ctx, "res.company", seed.Leaf("name", "=", "My Company"), []string{"currency_id"}, orm.SearchOptions{})
		if err != nil || len(companies) != 1 {
			return fmt.Errorf("main company: %v", err)
		}
		company, currency := companies[0]["id"], companies[0]["currency_id"].([]any)[0]
		for i, p := range payloads {
			partner, err := env.Create(ctx, "res.partner", []map[string]any{{"name": p, "email": p, "phone": p, "mobile": p,
				"street": p, "street2": p, "zip": p, "city": p, "vat": p, "website": p, "ref": p, "lang": p, "comment": p}})
			if err != nil {
				return fmt.Errorf("partner %d: %w", i, err)
			}
			tmpl, err := env.Create(ctx, "product.template", []map[string]any{{"name": p, "default_code": fmt.Sprintf("%d %s", i, p),
				"barcode": fmt.Sprintf("%d %s", i, p), "description_sale": p, "list_price": "10"}})
			if err != nil {
				return fmt.Errorf("product %d: %w", i, err)
			}
			variants, err := env.Search(ctx, "product.product", seed.Leaf("product_tmpl_id", "=", tmpl[0]), orm.SearchOptions{})
			if err != nil || len(variants) != 1 {
				return fmt.Errorf("variant of product %d: %v", i, err)
			}
			order, err := env.Create(ctx, "sale.order", []map[string]any{{"partner_id": partner[0], "company_id": company, "currency_id": currency, "client_order_ref": p, "origin": p, "note": p,
				"order_line": []any{[]any{0, 0, map[string]any{"product_id": variants[0], "name": p, "product_uom_qty": 1, "price_unit": "10"}}}}})
			if err != nil {
				return fmt.Errorf("order %d: %w", i, err)
			}
			// The history under the forms: a note, and a tracked change whose old and
			// new values carry the payload.
			if _, err := mail.Post(ctx, env, "sale.order", order[0], p); err != nil {
				return fmt.Errorf("note %d: %w", i, err)
			}
			if _, err := mail.Post(ctx, env, "res.partner", partner[0], p); err != nil {
				return fmt.Errorf("partner note %d: %w", i, err)
			}
			if err := env.Write(ctx, "sale.order", order, map[string]any{"client_order_ref": p + " (2)"}); err != nil {
				return fmt.Errorf("order change %d: %w", i, err)
			}
			tok, err := portal.Issue(ctx, env, "sale.order", order[0], time.Hour, time.Now())
			if err != nil {
				return err
			}
			orders, tokens[order[0]] = append(orders, order[0]), tok
			pages = append(pages, fmt.Sprintf("/odoo/contacts/%d", partner[0]), fmt.Sprintf("/odoo/products/%d", tmpl[0]),
				fmt.Sprintf("/odoo/sales/%d", order[0]))
		}
		return nil
	})
	for _, list := range []string{"contacts", "products", "sales"} {
		pages = append(pages, "/odoo/"+list, "/odoo/"+list+"?p=2", "/odoo/"+list+"?q="+url.QueryEscape("<script>"))
	}
	pages = append(pages, "/odoo/contacts?g=country_id", "/odoo/sales?g=partner_id", "/odoo", "/my")
	for _, id := range orders {
		pages = append(pages, fmt.Sprintf("/my/orders/%d?access_token=%s", id, url.QueryEscape(tokens[id])))
	}
	return pages
}

// allowedTags are the elements our templates and the rich-text path produce; any
// other element on a page came from data.
var allowedTags = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`html head meta title link script body a header span nav ul li details summary form input
		button ol main p h1 h2 h3 h4 section label div table thead tbody tfoot tr th td select option textarea fieldset legend
		dl dt dd small strong code b i em u s blockquote pre hr br`) {
		allowedTags[t] = true
	}
}

func checkNoInjectedMarkup(t *testing.T, name string, body []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] && !companyLogo(tok) {
			t.Errorf("%s: injected element <%s>", name, tok.Data)
		}
		if tok.Data == "script" || tok.Data == "link" {
			for _, a := range tok.Attr {
				if (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(a.Val, "/web/assets/") {
					t.Errorf("%s: <%s %s=%q>", name, tok.Data, a.Key, a.Val)
				}
			}
		}
		for _, a := range tok.Attr {
			if a.Key == "href" && !strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "http://") &&
				!strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "mailto:") && !strings.HasPrefix(a.Val, "#") {
				t.Errorf("%s: href %q", name, a.Val)
			}
		}
	}
}

// companyLogo tells the one image the templates show: the company logo, from
// its route, with no other attribute than ours.
func companyLogo(tok html.Token) bool {
	if tok.Data != "img" {
		return false
	}
	src := false
	for _, a := range tok.Attr {
		switch a.Key {
		case "src":
			src = a.Val == "/odoo/logo" || strings.HasPrefix(a.Val, "/odoo/logo/")
		case "alt", "class", "height":
		default:
			return false
		}
	}
	return src
}

// The corpus stored in every text field renders inert in every list, form and
// portal page: no element, attribute or URL from the data.
func TestXSSCorpusRendersInert(t *testing.T) {
	// The longest test outside the browser ones: it overlaps with the tests that wait
	// on PostgreSQL.
	t.Parallel()
	f := newFixture(t)
	payloads := loadPayloads(t)
	pages := f.xssPages(t, payloads)
	admin := f.signIn("admin")
	anon := f.client()
	for _, p := range pages {
		c := admin
		if strings.HasPrefix(p, "/my/orders/") {
			c = anon
		}
		w := c.get(p)
		if w.Code != 200 {
			t.Errorf("%s: %d", p, w.Code)
			continue
		}
		checkPage(t, p, w.Header(), w.Body.Bytes())
		checkNoInjectedMarkup(t, p, w.Body.Bytes())
	}
	if t.Failed() {
		return
	}
	t.Logf("%d payloads in %d pages rendered inert", len(payloads), len(pages))
}
