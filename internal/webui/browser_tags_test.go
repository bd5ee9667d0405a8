package webui_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// In Chromium, the tags editor shows chips with remove buttons and a search box,
// saves what the chips show, and the note box adds to the history; tag names and
// notes stay text.
func TestBrowserTagsAndHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t)
	const evil = `Eco <img src=x onerror=alert(1)>`
	var eco int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		main, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "My Company"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		ids, err := env.Create(ctx, "account.tax", []map[string]any{{"name": evil, "amount": 2.0, "company_id": main[0]}})
		if err == nil {
			eco = ids[0]
		}
		return err
	})
	b := newBrowser(t, f)
	ctx := b.tab(false)
	b.signIn(ctx, "admin@example.com", "")
	addTag := func(text string) step {
		return chromedp.Steps(
			chromedp.SendKeys(css("#f-taxes_id-search"), text),
			until(fmt.Sprintf(`document.querySelector('#f-taxes_id-search-options li').textContent.includes(%q)`, text)),
			chromedp.Click(css("#f-taxes_id-search-options li")),
		)
	}
	chips := func(n int) step {
		return until(fmt.Sprintf(`document.querySelectorAll('.tags-editor .tag').length === %d`, n))
	}
	b.run(ctx, "new product with tags", chromedp.Navigate(b.origin+"/odoo/products/new"), chromedp.WaitVisible(css("#f-taxes_id-search")),
		until(`document.querySelector('#f-taxes_id').hidden`),
		chromedp.SendKeys(css("#f-name"), "Lamp"),
		addTag("15%"), chips(1), addTag("Eco"), chips(2),
		until(fmt.Sprintf(`document.querySelectorAll('.tags-editor .tag')[1].textContent.startsWith(%q)`, evil)),
		until(`document.querySelector('.tags-editor .tag img') === null`))
	b.screenshot(ctx, "tags")
	b.run(ctx, "remove a tag and save", chromedp.Click(css(".tags-editor .tag .tag-remove")), chips(1),
		chromedp.Click(css(".formbar button.primary")), chromedp.WaitVisible(css(".flash")), chips(1))
	url := value(b, ctx, "product url", chromedp.Location())
	var product string
	fmt.Sscanf(url, b.origin+"/odoo/products/%s", &product)
	if got, _ := f.field("product.template", product, "taxes_id").([]int64); !slices.Equal(got, []int64{eco}) {
		t.Fatalf("saved taxes %v, want [%d]", got, eco)
	}
	b.run(ctx, "note", chromedp.SendKeys(css("#note"), "Check the <script>alert(2)</script> supplier"),
		chromedp.Click(css(".chatter form button[type=submit]")), chromedp.WaitVisible(css(".flash")),
		until(`document.querySelector('.chatter li.note .richtext').textContent.includes('<script>alert(2)</script>')`))
	b.screenshot(ctx, "history")
	for _, inc := range b.incidents(ctx) {
		t.Errorf("browser incident: %s", inc)
	}
}
