package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// runMainEnv, set in the environment of this test binary, makes it run the
// command's main instead of the tests. The smoke test thus runs main in a
// process of its own, as `go run ./cmd/instanterp` does, without a second build
// of the program, and under -race the server runs with the race detector.
const runMainEnv = "RUN_INSTANTERP_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// How long the server may take to start (provisioning and loading the demo
// tenant, slower under -race) and to stop (its shutdown grace is 20 s).
const (
	startTimeout = 3 * time.Minute
	stopTimeout  = time.Minute
)

// output collects what the server writes and wakes whoever waits for a line.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// process is the server running as a separate program.
type process struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr *output
	exited         chan struct{} // closed once the program has exited
	waitErr        error         // set before exited is closed
}

// startServer runs this program with args in dir, with no INSTANTERP_*
// variable of the test's environment, so that everything else is the default.
func startServer(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, stdout: newOutput(), stderr: newOutput(), exited: make(chan struct{})}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INSTANTERP_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, runMainEnv+"=1")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start instanterp: %v", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("the server's output:\n%s", p.dump())
		}
	})
	return p
}

// waitFor waits until the server's standard output matches re and returns the
// match; it fails the test if the server exits or takes longer than timeout.
func (p *process) waitFor(re *regexp.Regexp, timeout time.Duration) []string {
	p.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
			return m
		}
		select {
		case <-p.stdout.changed:
		case <-p.exited:
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				return m
			}
			p.t.Fatalf("instanterp exited (%v) before printing %q\n%s", p.waitErr, re, p.dump())
		case <-timer.C:
			p.t.Fatalf("instanterp printed no %q within %s\n%s", re, timeout, p.dump())
		}
	}
}

// interrupt sends SIGINT, as Ctrl-C does, and waits for the program to exit.
func (p *process) interrupt() (exitCode int) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		p.t.Fatalf("SIGINT: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		p.t.Fatalf("instanterp did not exit within %s of SIGINT\n%s", stopTimeout, p.dump())
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *process) dump() string {
	return "--- stdout:\n" + p.stdout.String() + "--- stderr:\n" + p.stderr.String()
}

// caFingerprint is the SHA-256 of the PEM certificate's DER as "AB:CD:…".
func caFingerprint(t *testing.T, caPEM []byte) string {
	t.Helper()
	block, _ := pem.Decode(caPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("the CA file holds no certificate")
	}
	sum := sha256.Sum256(block.Bytes)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// browser is an HTTP client that behaves as a browser for what the server can
// tell: cookies, HTTP/2, the headers of navigations and form posts, and the
// subresources of every page. It trusts only the given CA and resolves
// localhost and its subdomains to 127.0.0.1, as browsers do, and nothing else.
type browser struct {
	t       *testing.T
	client  *http.Client
	fetched map[string]bool // subresources, fetched once as a browser caches them
}

func newBrowser(t *testing.T, caPEM []byte) *browser {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("the CA file holds no certificate")
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != "localhost" && !strings.HasSuffix(host, ".localhost") {
				return nil, fmt.Errorf("the smoke test does not leave this machine: %s", addr)
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Transport: tr, Jar: jar, Timeout: time.Minute}, fetched: map[string]bool{}}
}

// page is an HTML page the browser shows.
type page struct {
	b    *browser
	url  *url.URL // after redirects
	body []byte
	doc  *html.Node
}

// typed opens an address pasted into the address bar.
func (b *browser) typed(addr string) *page {
	b.t.Helper()
	return b.navigate(b.request(http.MethodGet, addr, nil, "", "none"))
}

// click follows a link of p.
func (p *page) click(text string) *page {
	p.b.t.Helper()
	return p.b.navigate(p.b.request(http.MethodGet, p.link(text).String(), nil, "", "same-origin"))
}

// clickURL follows a link of p found by other means than its text.
func (p *page) clickURL(u *url.URL) *page {
	p.b.t.Helper()
	return p.b.navigate(p.b.request(http.MethodGet, u.String(), nil, "", "same-origin"))
}

func (b *browser) request(method, addr string, body io.Reader, contentType, site string) *http.Request {
	b.t.Helper()
	req, err := http.NewRequest(method, addr, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", site)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	return req
}

// do sends req, following redirects, and fails unless the final answer is 200.
func (b *browser) do(req *http.Request) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %s (at %s)\n%s", req.Method, req.URL, resp.Status, resp.Request.URL, body)
	}
	return resp, body
}

// errorTitles are the titles of the application's error pages.
var errorTitles = []string{"Not found", "Request refused", "Bad request", "Not allowed", "Something went wrong", "Link invalid or expired"}

// navigate loads a page and its subresources and fails on anything but a
// well-formed page of the application that reports no error.
func (b *browser) navigate(req *http.Request) *page {
	b.t.Helper()
	resp, body := b.do(req)
	where := req.Method + " " + req.URL.String()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		b.t.Fatalf("%s: Content-Type %q, want an HTML page", where, ct)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		b.t.Fatalf("%s: %v", where, err)
	}
	p := &page{b: b, url: resp.Request.URL, body: body, doc: doc}
	title := p.text("title")
	for _, e := range errorTitles {
		if strings.HasPrefix(title, e+" ·") {
			b.t.Fatalf("%s: error page %q\n%s", where, title, body)
		}
	}
	if len(elements(doc, "main")) != 1 {
		b.t.Fatalf("%s: no <main>, not a page of the application\n%s", where, body)
	}
	for _, n := range find(doc, func(n *html.Node) bool { return attr(n, "role") == "alert" }) {
		b.t.Fatalf("%s: the page reports %q", where, textOf(n))
	}
	b.subresources(p)
	return p
}

// subresources fetches the stylesheets, scripts and images of p.
func (b *browser) subresources(p *page) {
	b.t.Helper()
	for _, n := range find(p.doc, func(n *html.Node) bool {
		return n.Data == "script" || n.Data == "img" || (n.Data == "link" && attr(n, "rel") == "stylesheet")
	}) {
		ref := attr(n, "src")
		if n.Data == "link" {
			ref = attr(n, "href")
		}
		if ref == "" || strings.HasPrefix(ref, "data:") {
			continue
		}
		u := p.resolve(ref)
		if b.fetched[u.String()] {
			continue
		}
		b.fetched[u.String()] = true
		resp, err := b.client.Do(b.request(http.MethodGet, u.String(), nil, "", "same-origin"))
		if err != nil {
			b.t.Fatalf("%s of %s: %v", u, p.url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.t.Fatalf("%s of %s: %s", u, p.url, resp.Status)
		}
	}
}

// download fetches a file a link of p points to.
func (p *page) download(text string) (*http.Response, []byte) {
	p.b.t.Helper()
	return p.b.do(p.b.request(http.MethodGet, p.link(text).String(), nil, "", "same-origin"))
}

func (p *page) resolve(ref string) *url.URL {
	p.b.t.Helper()
	u, err := p.url.Parse(ref)
	if err != nil {
		p.b.t.Fatalf("%s: bad address %q: %v", p.url, ref, err)
	}
	return u
}

// link is the target of the first link of p whose text is text.
func (p *page) link(text string) *url.URL {
	p.b.t.Helper()
	for _, a := range elements(p.doc, "a") {
		if textOf(a) == text && attr(a, "href") != "" {
			return p.resolve(attr(a, "href"))
		}
	}
	p.b.t.Fatalf("%s: no link %q", p.url, text)
	return nil
}

// firstRow is the text and target of the first record of the list on p.
func (p *page) firstRow() (string, *url.URL) {
	p.b.t.Helper()
	for _, table := range find(p.doc, func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "list") }) {
		for _, a := range elements(table, "a") {
			if inside(a, "tbody") {
				return textOf(a), p.resolve(attr(a, "href"))
			}
		}
	}
	p.b.t.Fatalf("%s: no record in a list\n%s", p.url, p.body)
	return "", nil
}

// text is the text of the first element named tag, or "".
func (p *page) text(tag string) string {
	if els := elements(p.doc, tag); len(els) > 0 {
		return textOf(els[0])
	}
	return ""
}

// form is a form of a page being filled in.
type form struct {
	p       *page
	action  *url.URL
	values  url.Values
	fields  map[string]string // name → input type
	enctype string
}

// form returns the form of p submitted by the button labelled button, with the
// values it holds and the button's own. A select without a selected option
// sends nothing, as a multiple select does; single selects are not expected.
func (p *page) form(button string) *form {
	p.b.t.Helper()
	for _, fn := range elements(p.doc, "form") {
		var btn *html.Node
		for _, n := range elements(fn, "button") {
			if textOf(n) == button {
				btn = n
				break
			}
		}
		if btn == nil {
			continue
		}
		if m := strings.ToLower(attr(fn, "method")); m != "post" {
			p.b.t.Fatalf("%s: form of %q has method %q", p.url, button, m)
		}
		f := &form{p: p, action: p.resolve(attr(fn, "action")), values: url.Values{}, fields: map[string]string{}, enctype: attr(fn, "enctype")}
		for _, in := range find(fn, func(n *html.Node) bool { return n.Data == "input" || n.Data == "textarea" }) {
			name, typ := attr(in, "name"), strings.ToLower(attr(in, "type"))
			if name == "" {
				continue
			}
			if in.Data == "textarea" {
				typ = "textarea"
			}
			f.fields[name] = typ
			switch typ {
			case "file", "submit", "button":
			case "checkbox", "radio":
				if _, ok := attrOK(in, "checked"); ok {
					f.values.Add(name, cmp.Or(attr(in, "value"), "on"))
				}
			case "textarea":
				f.values.Add(name, textOf(in))
			default:
				f.values.Add(name, attr(in, "value"))
			}
		}
		for _, sel := range elements(fn, "select") {
			name := attr(sel, "name")
			if name == "" {
				continue
			}
			f.fields[name] = "select"
			for _, o := range elements(sel, "option") {
				if _, ok := attrOK(o, "selected"); ok {
					f.values.Add(name, attr(o, "value"))
				}
			}
		}
		if name := attr(btn, "name"); name != "" {
			f.values.Add(name, attr(btn, "value"))
		}
		return f
	}
	p.b.t.Fatalf("%s: no form with a button %q", p.url, button)
	return nil
}

// set fills in the field name, which the form must have.
func (f *form) set(name, value string) *form {
	f.p.b.t.Helper()
	if _, ok := f.fields[name]; !ok {
		f.p.b.t.Fatalf("%s: the form to %s has no field %q", f.p.url, f.action, name)
	}
	f.values.Set(name, value)
	return f
}

// submit posts the form as a browser does and returns the page it leads to.
func (f *form) submit() *page {
	f.p.b.t.Helper()
	return f.p.b.navigate(f.p.b.request(http.MethodPost, f.action.String(), strings.NewReader(f.values.Encode()),
		"application/x-www-form-urlencoded", "same-origin"))
}

// upload posts the form, which must be multipart, with a file in its file
// field name.
func (f *form) upload(name, filename, contentType string, data []byte) *page {
	f.p.b.t.Helper()
	if f.fields[name] != "file" || f.enctype != "multipart/form-data" {
		f.p.b.t.Fatalf("%s: the form to %s has no file field %q (enctype %q)", f.p.url, f.action, name, f.enctype)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range f.values {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				f.p.b.t.Fatal(err)
			}
		}
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename=%q`, name, filename)}
	h["Content-Type"] = []string{contentType}
	w, err := mw.CreatePart(h)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		f.p.b.t.Fatal(err)
	}
	return f.p.b.navigate(f.p.b.request(http.MethodPost, f.action.String(), &body, mw.FormDataContentType(), "same-origin"))
}

// find returns the elements under n (n included) for which match is true, in
// document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func elements(n *html.Node, tag string) []*html.Node {
	return find(n, func(n *html.Node) bool { return n.Data == tag })
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func inside(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return true
		}
	}
	return false
}

// textOf is the text under n with runs of white space made one space.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
