package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// What serve --demo prints on standard output.
var (
	caLine      = regexp.MustCompile(`(?m)^Self-signed HTTPS: trust the CA (.+) \(SHA-256 ([0-9A-F:]+)\) to avoid browser warnings\.$`)
	servingLine = regexp.MustCompile(`(?m)^Instant-ERP is serving (https://\S+)$`)
	demoLine    = regexp.MustCompile(`(?m)^Demo tenant: (https://\S+)$`)
	signupLine  = regexp.MustCompile(`(?m)^Sign in to the demo as ` + regexp.QuoteMeta(demoAdmin) + `: choose a password with this one-time link \(valid [^)]+\):\n(https://\S+)\n`)
)

// expectedWarnings are the warnings every default installation logs: a single
// local backup site is the default, and the warning is its reminder.
var expectedWarnings = []string{`msg="backups are not replicated to a second data centre`}

// TestSmokeServeDemo runs the README's first command as a newcomer does: `serve
// --demo` in an empty directory, with the default, relative data directory and
// nothing else changed but the listening address (a free port, so that runs can
// share a machine). It then follows the printed one-time link as a browser
// trusting the printed CA, chooses a password through the form, signs in and
// goes through the screens a new user meets first, by the links and forms the
// pages offer; it uploads a company logo, downloads PDFs and opens a customer
// link. Every page must be a page of the application, the server must log no
// error, and Ctrl-C must stop it cleanly. Then it runs the command again in the
// same directory, as the newcomer does next: the demo keeps its data and the
// printed link sets a new password.
func TestSmokeServeDemo(t *testing.T) {
	dir := t.TempDir()
	started := time.Now()
	first := startDemo(t, dir)
	t.Logf("serving with a new demo tenant after %s", time.Since(started).Round(time.Millisecond))
	if !strings.HasPrefix(first.link, first.demo+"web/signup?") {
		t.Errorf("one-time link %q is not the demo tenant's invitation", first.link)
	}

	// The platform's own address, printed first, tells where a company's ERP is.
	admin := newBrowser(t, first.caPEM)
	if got, want := admin.typed(first.serving).text("code"), "https://<your-company>.localhost:"+first.port+"/"; got != want {
		t.Errorf("%s gives the address of a company's ERP as %q, want %q", first.serving, got, want)
	}

	const passphrase = "seven brown owls read the ledger"
	home := first.signIn(admin, passphrase)
	openFirst(t, home.click("Contacts"))
	openFirst(t, home.click("Products"))
	sales := home.click("Sales")
	openFirst(t, sales.click("Quotations"))
	order := openFirst(t, sales.click("Sales orders"))
	invoice := openFirst(t, home.click("Invoicing").click("Invoices"))

	// The company logo goes to the tenant's filestore, under the relative data
	// directory; it then shows on the company's form and in the top bar.
	company := openFirst(t, home.click("Settings").click("Companies"))
	logo := pngImage(t)
	saved := company.form("Upload").upload("logo", "logo.png", "image/png", logo)
	if saved.url.String() != company.url.String() {
		t.Errorf("uploading the logo led to %s, want the company's form %s", saved.url, company.url)
	}
	preview := find(saved.doc, func(n *html.Node) bool { return n.Data == "img" && hasClass(n, "logo-preview") })
	if len(preview) != 1 {
		t.Fatalf("%s: no logo shown after the upload\n%s", saved.url, saved.body)
	}
	checkImage(t, saved, attr(preview[0], "src"), logo)
	checkTopBarLogo(t, saved, logo)
	if n := countFiles(t, filepath.Join(dir, "instanterp-data", "tenants", "demo", "filestore")); n == 0 {
		t.Error("the demo tenant's filestore under ./instanterp-data holds no file after the logo upload")
	}

	// The PDFs print the logo now, read from the filestore.
	checkPDF(t, "order", order)
	checkPDF(t, "invoice", invoice)

	// The customer opens the order through the link the user made for them.
	shared := order.form("Customer link").submit()
	var share string
	for _, n := range find(shared.doc, func(n *html.Node) bool { _, ok := attrOK(n, "data-share-url"); return ok }) {
		share = attr(n, "value")
	}
	if !strings.HasPrefix(share, first.demo+"my/") {
		t.Fatalf("customer link %q, want one under %smy/", share, first.demo)
	}
	portal := newBrowser(t, first.caPEM).typed(share)
	if got, want := portal.text("h1"), order.text("h1"); !strings.HasPrefix(got, want) {
		t.Errorf("the customer link shows %q, want the order %q", got, want)
	}
	checkPDF(t, "customer's order", portal)

	if out := home.form("Sign out").submit(); out.url.Path != "/web/login" {
		t.Errorf("signing out led to %s", out.url)
	}
	first.stop()

	// Again in the same directory: the same CA, the demo's data kept, and a link
	// to choose a new password.
	restarted := time.Now()
	second := startDemo(t, dir)
	t.Logf("serving the existing demo tenant after %s", time.Since(restarted).Round(time.Millisecond))
	if second.caSum != first.caSum {
		t.Errorf("the CA changed across restarts: %s, then %s", first.caSum, second.caSum)
	}
	if !strings.HasPrefix(second.link, second.demo+"web/reset_password?") {
		t.Errorf("one-time link %q on restart is not a reset of the demo administrator's password", second.link)
	}
	home = second.signIn(newBrowser(t, second.caPEM), passphrase+" again")
	checkTopBarLogo(t, home, logo)
	openFirst(t, home.click("Sales").click("Sales orders"))
	second.stop()

	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 || entries[0].Name() != "instanterp-data" {
		t.Errorf("the working directory holds %v (%v), want only instanterp-data", entries, err)
	}
	t.Logf("whole run: %s", time.Since(started).Round(time.Millisecond))
}

// demoRun is one run of serve --demo and what it printed.
type demoRun struct {
	t                   *testing.T
	srv                 *process
	printed             string
	serving, port, demo string // addresses of the platform and of the demo tenant
	link                string // the one-time link
	caPEM               []byte
	caSum               string
}

// startDemo runs serve --demo in dir and checks what it prints: the CA (in the
// data directory ./instanterp-data, with its fingerprint) and addresses on the
// port it listens on.
func startDemo(t *testing.T, dir string) *demoRun {
	t.Helper()
	r := &demoRun{t: t, srv: startServer(t, dir, "serve", "--demo", "--listen", "127.0.0.1:0")}
	r.link = r.srv.waitFor(signupLine, startTimeout)[1]
	r.printed = r.srv.stdout.String()
	caPath, caSum := printedValue(t, caLine, r.printed, 1), printedValue(t, caLine, r.printed, 2)
	r.serving, r.demo = printedValue(t, servingLine, r.printed, 1), printedValue(t, demoLine, r.printed, 1)

	if !filepath.IsAbs(caPath) {
		caPath = filepath.Join(dir, caPath)
	}
	sameFile(t, caPath, filepath.Join(dir, "instanterp-data", "tls", "ca.pem"))
	var err error
	if r.caPEM, err = os.ReadFile(caPath); err != nil {
		t.Fatal(err)
	}
	if r.caSum = caFingerprint(t, r.caPEM); r.caSum != caSum {
		t.Errorf("printed CA fingerprint %s, the file's is %s", caSum, r.caSum)
	}
	u, err := url.Parse(r.serving)
	if err != nil || u.Hostname() != "localhost" || u.Port() == "" || u.Port() == "0" {
		t.Fatalf("serving address %q", r.serving)
	}
	r.port = u.Port()
	if want := "https://demo.localhost:" + r.port + "/"; r.demo != want {
		t.Errorf("demo tenant at %q, want %q", r.demo, want)
	}
	return r
}

// signIn follows the printed link in b, chooses the password through the form,
// signs in with it and returns the home page.
func (r *demoRun) signIn(b *browser, password string) *page {
	r.t.Helper()
	signIn := b.typed(r.link).form("Set password").set("new", password).set("confirm", password).submit()
	if signIn.url.Path != "/web/login" {
		r.t.Fatalf("choosing a password led to %s", signIn.url)
	}
	home := signIn.form("Sign in").set("login", demoAdmin).set("password", password).submit()
	if home.url.Path != "/odoo" || !strings.HasPrefix(home.text("h1"), "Welcome") {
		r.t.Fatalf("signing in led to %s %q", home.url, home.text("h1"))
	}
	return home
}

// stop presses Ctrl-C: the server must exit 0, print nothing more and have
// logged nothing alarming.
func (r *demoRun) stop() {
	r.t.Helper()
	if code := r.srv.interrupt(); code != 0 {
		r.t.Errorf("exit code %d after SIGINT\n%s", code, r.srv.dump())
	}
	if got := r.srv.stdout.String(); got != r.printed {
		r.t.Errorf("printed after start:\n%s", strings.TrimPrefix(got, r.printed))
	}
	checkServerLog(r.t, r.srv.stderr.String())
}

// openFirst opens the first record of a list and checks that it is the one
// clicked.
func openFirst(t *testing.T, list *page) *page {
	t.Helper()
	name, u := list.firstRow()
	rec := list.clickURL(u)
	if got := rec.text("h1"); got != name {
		t.Errorf("%s: heading %q, want the record clicked, %q", rec.url, got, name)
	}
	return rec
}

// checkImage fetches the image at ref of p and compares it with want.
func checkImage(t *testing.T, p *page, ref string, want []byte) {
	t.Helper()
	resp, body := p.b.do(p.b.request(http.MethodGet, p.resolve(ref).String(), nil, "", "same-origin"))
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" || !bytes.Equal(body, want) {
		t.Errorf("image at %s: %q, %d bytes, want the %d uploaded", ref, ct, len(body), len(want))
	}
}

// checkTopBarLogo checks that the top bar of p shows the logo.
func checkTopBarLogo(t *testing.T, p *page, want []byte) {
	t.Helper()
	img := find(p.doc, func(n *html.Node) bool { return n.Data == "img" && hasClass(n, "company-logo") })
	if len(img) != 1 {
		t.Fatalf("%s: no company logo in the top bar", p.url)
	}
	checkImage(t, p, attr(img[0], "src"), want)
}

// checkPDF downloads the PDF of the document on p, which must print the
// company's logo.
func checkPDF(t *testing.T, what string, p *page) {
	t.Helper()
	resp, body := p.download("Download PDF")
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Errorf("%s PDF from %s: Content-Type %q, starts %q", what, resp.Request.URL, ct, body[:min(len(body), 16)])
	}
	// The report prints a logo it cannot read as no logo at all: look for it.
	if !bytes.Contains(body, []byte("/Subtype /Image")) {
		t.Errorf("%s PDF from %s has no image: the company logo is missing", what, resp.Request.URL)
	}
}

// checkServerLog fails on any error, any warning a default installation does
// not log, and anything that is not a log line (a panic, a data race report).
func checkServerLog(t *testing.T, log string) {
	t.Helper()
	var bad []string
	stopped := false
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		stopped = stopped || strings.Contains(line, `msg="shutting down"`)
		switch {
		case !strings.HasPrefix(line, "time="):
			bad = append(bad, line)
		case strings.Contains(line, " level=ERROR "):
			bad = append(bad, line)
		case strings.Contains(line, " level=WARN "):
			expected := false
			for _, w := range expectedWarnings {
				expected = expected || strings.Contains(line, w)
			}
			if !expected {
				bad = append(bad, line)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("the server logged %d alarming lines:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	if !stopped {
		t.Errorf("the server did not log its shutdown:\n%s", log)
	}
}

func printedValue(t *testing.T, re *regexp.Regexp, out string, group int) string {
	t.Helper()
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve --demo printed no %q:\n%s", re, out)
	}
	return m[group]
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Errorf("%s is not %s", got, want)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pngImage is a small logo.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(y * 8), B: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
