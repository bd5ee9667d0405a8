package webui_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cssdomain "github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// browser is headless Chromium driven over the DevTools protocol, against the real
// handler chain served over TLS on loopback (acme.localhost resolves to it).
type browser struct {
	t        *testing.T
	alloc    context.Context
	root     context.Context // the first tab, which owns the browser
	origin   string
	shotDir  string
	mu       sync.Mutex
	incident map[context.Context][]string // by tab: dialogs and page errors the listeners saw
}

// hook runs before any page script: it records calls to the dialog functions and
// every CSP violation, which is how injected markup shows even when CSP blocks it.
const hook = `(() => {
  window.__incidents = [];
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const original = window[name];
    window[name] = function (...args) { window.__incidents.push(name + "(" + args.join(",") + ")"); };
  }
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__incidents.push("csp " + e.violatedDirective + " " + e.blockedURI);
  });
})();`

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED LOUDLY: no chromium on PATH; install Debian's chromium (.ci/services.sh ensure_packages) to run the browser tests")
	return ""
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("INSTANTERP_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "instanterp-artifacts")
	}
	dir = filepath.Join(dir, "webui", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newBrowser(t *testing.T, f *fixture) *browser {
	t.Helper()
	exe := chromiumPath(t)
	srv := httptest.NewUnstartedServer(f.server)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	profile, err := os.MkdirTemp("", "webui-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 860),
		// Tabs that load pages at the same time all run at full speed (a throttled
		// timer would hold up the read of a page's incidents), and the browser does no
		// work of its own between pages.
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true), chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-client-side-phishing-detection", true), chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-features", "Translate,BackForwardCache,OptimizationHints,MediaRouter,PaintHolding"),
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(func() {
		cancel()
		// Chromium may still be flushing its profile as it exits.
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	return &browser{t: t, alloc: alloc, origin: "https://acme.localhost:" + port, shotDir: artifactsDir(t), incident: map[context.Context][]string{}}
}

// tab opens a browser context (fresh cookies when fresh is true) with the hook.
func (b *browser) tab(fresh bool) context.Context {
	if b.root == nil {
		if fresh {
			b.t.Fatal("open a first tab before a fresh one")
		}
		ctx := b.open(b.alloc)
		b.root = ctx
		return ctx
	}
	// Later tabs share the browser the first one started.
	if fresh {
		return b.open(b.root, chromedp.WithNewBrowserContext())
	}
	return b.open(b.root)
}

// tabBeside opens another tab in the browser context of tab, sharing its cookies.
func (b *browser) tabBeside(tab context.Context) context.Context {
	return b.open(tab)
}

// open opens a tab from parent with the hook and the incident listeners.
func (b *browser) open(parent context.Context, opts ...chromedp.ContextOption) context.Context {
	ctx, cancel := chromedp.NewContext(parent, opts...)
	b.t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hook}); err != nil {
		b.t.Fatalf("start chromium: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.record(ctx, "dialog "+string(e.Type)+" "+e.Message)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case *runtime.EventExceptionThrown:
			b.record(ctx, "exception "+e.ExceptionDetails.Text)
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return ctx
}

// record notes an incident of the tab ctx; tabs load pages at the same time, so
// each keeps its own.
func (b *browser) record(tab context.Context, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.incident[tab] = append(b.incident[tab], s)
}

// takeRecorded returns and forgets the incidents the listeners noted for the tab.
func (b *browser) takeRecorded(tab context.Context) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.incident[tab]
	delete(b.incident, tab)
	return out
}

type step = chromedp.Action[chromedp.Void]

// run runs steps with a time limit and fails the test with the step's name.
func (b *browser) run(ctx context.Context, name string, steps ...step) {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : ""`))
		b.t.Fatalf("%s: %v (at %s)\n%s", name, err, loc, body)
	}
}

// value runs one action returning a value, failing the test on error.
func value[T any](b *browser, ctx context.Context, name string, a chromedp.Action[T]) T {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	return v
}

// incidents returns what the hook and the listeners saw on the tab's current page.
func (b *browser) incidents(ctx context.Context) []string {
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__incidents || []`))
	return append(b.takeRecorded(ctx), page...)
}

func (b *browser) screenshot(ctx context.Context, name string) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(b.shotDir, name+".png"), png, 0o644)
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

func (b *browser) signIn(ctx context.Context, login, code string) {
	b.run(ctx, "sign in", chromedp.Navigate(b.origin+"/web/login"), chromedp.WaitVisible(css("#login")),
		chromedp.SendKeys(css("#login"), login), chromedp.SendKeys(css("#password"), testPassword))
	b.screenshot(ctx, "01-sign-in")
	b.run(ctx, "submit password", chromedp.Click(css(`form[action="/web/login"] button[type=submit]`)))
	if code != "" {
		b.run(ctx, "second factor", chromedp.WaitVisible(css("#code")), chromedp.SendKeys(css("#code"), code),
			chromedp.Click(css(`form[action="/web/login/totp"] button[type=submit]`)))
	}
	b.run(ctx, "start page", chromedp.WaitVisible(css(".usermenu")))
}

// until waits for a JavaScript condition to hold, across page loads (a form post
// navigates while the condition is being watched).
func until(expr string) step {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := chromedp.Evaluate[bool](fmt.Sprintf("(() => { try { return !!(%s); } catch (e) { return false; } })()", expr))(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("waited 10s for %s (last error: %v)", expr, err)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// pick types into a many2one picker and chooses the first suggestion.
func pick(id, text string) step {
	return chromedp.Steps(
		chromedp.SendKeys(css("#"+id), text),
		until(fmt.Sprintf(`document.querySelector('#%s-options li').textContent.includes(%q)`, id, text)),
		chromedp.Click(css(fmt.Sprintf(`#%s-options li`, id))),
		until(fmt.Sprintf(`document.querySelector('#%s').closest('[data-picker]').querySelector('[data-picker-id]').value !== ''`, id)),
	)
}

func clickAction(method string) step {
	return chromedp.Click(css(fmt.Sprintf(`[data-action=%q]`, method)))
}

func textIs(sel, want string) step {
	return until(fmt.Sprintf(`(document.querySelector(%q)||{}).textContent === %q`, sel, want))
}

func TestBrowserSalesToPayment(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t)
	b := newBrowser(t, f)
	code := f.enableTOTP(t, "admin")
	ctx := b.tab(false)
	b.signIn(ctx, "admin@example.com", code)
	b.screenshot(ctx, "02-start")

	b.run(ctx, "new customer", chromedp.Navigate(b.origin+"/odoo/contacts/new"), chromedp.WaitVisible(css("#f-name")),
		chromedp.SendKeys(css("#f-name"), "Gemini Furniture"), chromedp.Click(css("#f-is_company")),
		chromedp.SendKeys(css("#f-email"), "buyer@gemini.example"), pick("f-country_id", "Belgi"),
		chromedp.Click(css(".formbar button.primary")), chromedp.WaitVisible(css(".flash")))
	b.screenshot(ctx, "03-contact")
	for _, p := range []struct{ name, price string }{{"Office Desk", "300"}, {"Office Chair", "45.50"}} {
		b.run(ctx, "new product "+p.name, chromedp.Navigate(b.origin+"/odoo/products/new"), chromedp.WaitVisible(css("#f-name")),
			chromedp.SendKeys(css("#f-name"), p.name), chromedp.SetValue(css("#f-list_price"), p.price),
			chromedp.Click(css(".formbar button.primary")), chromedp.WaitVisible(css(".flash")))
	}
	b.run(ctx, "quotation", chromedp.Navigate(b.origin+"/odoo/sales/new"), chromedp.WaitVisible(css("#f-partner_id")),
		pick("f-partner_id", "Gemini"),
		// The first line takes its description and price from the product.
		pick("f-line-0-product_id", "Desk"),
		until(`document.querySelector('#f-line-0-price_unit').value === '300.00' && document.querySelector('#f-line-0-name').value === 'Office Desk'`),
		chromedp.SetValue(css("#f-line-0-product_uom_qty"), "2"),
		pick("f-line-1-product_id", "Chair"), chromedp.SendKeys(css("#f-line-1-name"), "Office Chair"),
		chromedp.SetValue(css("#f-line-1-product_uom_qty"), "4"), chromedp.SendKeys(css("#f-line-1-price_unit"), "45.50"),
		chromedp.Click(css("#f-line-1-discount")),
		textIs(`[data-total="amount_untaxed"]`, "782.00"))
	b.screenshot(ctx, "04-quotation-lines")
	b.run(ctx, "save quotation", chromedp.Click(css(".formbar button.primary")), chromedp.WaitVisible(css(".flash")),
		clickAction("action_quotation_send"), chromedp.WaitVisible(css(`.steps li.current`)), textIs(".steps li.current", "Quotation Sent"))
	orderURL := value(b, ctx, "order url", chromedp.Location())
	b.run(ctx, "customer link", chromedp.Click(css(`form[action$="/share"] button`)), chromedp.WaitVisible(css("[data-share-url]")))
	link := value(b, ctx, "link", chromedp.Value(css("[data-share-url]")))
	b.screenshot(ctx, "05-order-sent")
	if !strings.Contains(link, "access_token=") {
		t.Fatalf("customer link %q", link)
	}

	customer := b.tab(true)
	b.run(customer, "portal", chromedp.Navigate(link), chromedp.WaitVisible(css("#signed_by")))
	b.screenshot(customer, "06-portal")
	b.run(customer, "accept", chromedp.SendKeys(css("#signed_by"), "Ada Buyer"),
		chromedp.Click(css(`form[action$="/accept"] button`)), textIs(".toolbar .badge", "Sales Order"))
	b.screenshot(customer, "07-portal-accepted")

	b.run(ctx, "confirmed in the back office", chromedp.Navigate(orderURL), textIs(".steps li.current", "Sales Order"),
		clickAction("action_create_invoice"), chromedp.WaitVisible(css(`button[data-action="action_post"]`)))
	b.screenshot(ctx, "08-invoice-draft")
	b.run(ctx, "post and pay", clickAction("action_post"), chromedp.WaitVisible(css(`[data-action="action_register_payment"]`)),
		clickAction("action_register_payment"), chromedp.WaitVisible(css("#p-amount")),
		until(`document.querySelector('#p-amount').value === '782.00'`),
		chromedp.Click(css(".formbar button.primary")), chromedp.WaitVisible(css(".flash")),
		until(`document.querySelector("#f-payment_state").textContent === "Paid"`))
	b.screenshot(ctx, "09-invoice-paid")
	invoiceURL := value(b, ctx, "invoice url", chromedp.Location())
	b.run(ctx, "invoice list", chromedp.Navigate(b.origin+"/odoo/invoices"), chromedp.WaitVisible(css("table.list")))
	b.screenshot(ctx, "10-invoices")
	b.run(ctx, "dashboard", chromedp.Navigate(b.origin+"/odoo"), chromedp.WaitVisible(css(".cards")))
	b.screenshot(ctx, "11-dashboard")
	b.run(ctx, "invoice again", chromedp.Navigate(invoiceURL), chromedp.WaitVisible(css(".statusbar")))
	if value(b, ctx, "pdf link", chromedp.Evaluate[bool](`document.querySelector("a[download]") !== null`)) {
		status := value(b, ctx, "pdf", chromedp.Evaluate[int64](fmt.Sprintf(
			`fetch(%q).then(r => r.headers.get("content-type") === "application/pdf" ? r.status : -1)`, invoiceURL+"/pdf"), chromedp.EvalAwaitPromise))
		if status != 200 {
			t.Fatalf("PDF download: %d", status)
		}
	} else {
		t.Fatal("the invoice form offers no PDF download")
	}
	for _, c := range []context.Context{ctx, customer} {
		for _, inc := range b.incidents(c) {
			t.Errorf("browser incident: %s", inc)
		}
	}
	t.Logf("screenshots in %s", b.shotDir)
}

// The corpus rendered in Chromium: the hook fails the test on any script run by a
// payload, any dialog, and any CSP violation (markup that reached the DOM).
func TestBrowserXSSCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t)
	b := newBrowser(t, f)
	pages := f.xssPages(t, loadPayloads(t))
	// Several tabs load pages at once: one page keeps the server, the browser and
	// this process busy in turn, so a single tab leaves each idle most of the time.
	tabs := make([]corpusTab, corpusTabs)
	for i := range tabs {
		if i == 0 {
			tabs[i] = corpusTab{signedIn: b.tab(false), anonymous: b.tab(true)}
			b.signIn(tabs[i].signedIn, "admin@example.com", "")
		} else {
			tabs[i] = corpusTab{signedIn: b.tabBeside(tabs[0].signedIn), anonymous: b.tabBeside(tabs[0].anonymous)}
		}
		for _, tab := range []context.Context{tabs[i].signedIn, tabs[i].anonymous} {
			b.onlyPages(tab)
		}
	}
	problems := make([][]string, len(pages))
	next := make(chan int)
	var wg sync.WaitGroup
	for _, tab := range tabs {
		wg.Go(func() {
			for i := range next {
				c := tab.signedIn
				if strings.HasPrefix(pages[i], "/my/orders/") {
					c = tab.anonymous
				}
				problems[i] = b.visit(c, pages[i])
			}
		})
	}
	for i := range pages {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, p := range pages {
		for _, problem := range problems[i] {
			t.Errorf("%s: %s", p, problem)
		}
	}
	b.screenshot(tabs[0].signedIn, "xss-last-page")
	t.Logf("%d pages visited in %d tabs", len(pages), len(tabs))
}

// corpusTabs is how many tabs load the corpus's pages at once: two keep the
// machines we run on (two cores) busy; more only add the cost of their processes.
const corpusTabs = 2

// corpusTab is a tab signed in as the administrator and one without a session, for
// the portal links.
type corpusTab struct {
	signedIn, anonymous context.Context
}

// onlyPages keeps the tab to what the corpus checks: each page, its scripts and its
// styles. The DevTools domains that only the query actions need are switched off, so
// that the browser does not report each page's DOM and styles to this process.
func (b *browser) onlyPages(tab context.Context) {
	b.t.Helper()
	for _, disable := range []cdp.Command[cdp.Empty, cdp.Empty]{cssdomain.Disable, dom.Disable, log.Disable} {
		if _, err := chromedp.Call(tab, disable, cdp.Empty{}); err != nil {
			b.t.Fatalf("%s: %v", disable.Method, err)
		}
	}
	if _, err := chromedp.Call(tab, target.SetDiscoverTargets, target.SetDiscoverTargetsParams{Discover: false}); err != nil {
		b.t.Fatalf("stop discovering targets: %v", err)
	}
}

// visit loads path in the tab and returns what went wrong there: a failed load, an
// answer other than the page itself (an error or a redirect to the sign-in), and
// every incident. It does not stop the test, so that tabs can call it at once.
func (b *browser) visit(tab context.Context, path string) []string {
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	var problems []string
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.origin+path))
	switch {
	case err != nil:
		return append(b.takeRecorded(tab), fmt.Sprintf("load: %v", err))
	case resp.Status != 200 || resp.URL != b.origin+path:
		problems = append(problems, fmt.Sprintf("answered %d from %s", resp.Status, resp.URL))
	}
	// A CSP violation is reported in a task queued while the page loaded: let the
	// tasks queued so far run before reading what the hook saw.
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`new Promise(done => setTimeout(() => done(window.__incidents), 0))`, chromedp.EvalAwaitPromise))
	if err != nil {
		problems = append(problems, fmt.Sprintf("read the incidents: %v", err))
	}
	return append(append(problems, b.takeRecorded(tab)...), seen...)
}
