package webui

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestRichText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>"},
		{"plain & <text>", "plain &amp; "},
		{"<script>alert(1)</script>after", "after"},
		{"<p onclick=alert(1) style=color:red>x</p>", "<p>x</p>"},
		{`<a href="javascript:alert(1)">x</a>`, "<a>x</a>"},
		{`<a href="https://example.com/?a=1&b=2" target=_blank>x</a>`, `<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer nofollow">x</a>`},
		{`<a href="mailto:a@example.com">m</a>`, `<a href="mailto:a@example.com" rel="noopener noreferrer nofollow">m</a>`},
		{`<a href="//evil.example/">x</a>`, "<a>x</a>"},
		{"<img src=x onerror=alert(1)>text", "text"},
		{"<svg><script>alert(1)</script><p>in svg</p></svg>ok", "ok"},
		{"<b>unclosed <i>nested", "<b>unclosed <i>nested</i></b>"},
		{"</b>stray end", "stray end"},
		{"<ul><li>a<li>b</ul>", "<ul><li>a<li>b</li></li></ul>"},
		{"<style>*{}</style><p>x</p>", "<p>x</p>"},
		{"<plaintext><b>x</b>", ""},
		{"<textarea><script>x</script></textarea>y", "y"},
		{`<p title="&quot;><script>">x</p>`, "<p>x</p>"},
		{"<br/><hr>", "<br><hr>"},
	}
	for _, c := range cases {
		if got := string(richText(c.in)); got != c.want {
			t.Errorf("richText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRichText: whatever the input, the output holds no element outside the
// allow-list, no attribute but a safe href, and no raw '<' in text.
func FuzzRichText(f *testing.F) {
	for _, s := range []string{"<p>x</p>", "<script>alert(1)</script>", `<a href="javascript:x">`, "<svg/onload=1>",
		"<b><i></b></i>", "&lt;script&gt;", "<a href=https://x.example/>y</a>", "<!--<script>-->", "<math><style><img src=x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(richText(in))
		z := html.NewTokenizer(strings.NewReader(out))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			switch tt {
			case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
				tok := z.Token()
				if !allowedRichTag(tok.DataAtom) {
					t.Fatalf("richText(%q) = %q has <%s>", in, out, tok.Data)
				}
				for _, a := range tok.Attr {
					if tok.DataAtom != atom.A || (a.Key != "href" && a.Key != "rel") || a.Key == "href" && !safeHref(a.Val) {
						t.Fatalf("richText(%q) = %q has %s=%q on <%s>", in, out, a.Key, a.Val, tok.Data)
					}
				}
			case html.CommentToken, html.DoctypeToken:
				t.Fatalf("richText(%q) = %q has a comment or doctype", in, out)
			}
		}
		// Sanitising is idempotent: the output is its own sanitised form.
		if again := string(richText(out)); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}

func TestSafeRedirect(t *testing.T) {
	cases := []struct{ in, want string }{
		{"/odoo/contacts", "/odoo/contacts"},
		{"/odoo/contacts?q=a%20b&f=archived", "/odoo/contacts?q=a%20b&f=archived"},
		{"/my", "/my"},
		{"", "/x"},
		{"odoo", "/x"},
		{"//evil.example", "/x"},
		{"/\\evil.example", "/x"},
		{"https://evil.example/", "/x"},
		{"javascript:alert(1)", "/x"},
		{"/odoo\r\nLocation: https://evil.example", "/x"},
		{"/odoo\x00", "/x"},
		{"/web/login?redirect=/odoo", "/x"},
		{"/" + strings.Repeat("a", 3000), "/x"},
	}
	for _, c := range cases {
		if got := safeRedirect(c.in, "/x"); got != c.want {
			t.Errorf("safeRedirect(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzSafeRedirect: an accepted target is always a path on this origin.
func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{"/odoo", "//x", "/\\x", "https://x", "/%2F/x", "/odoo?a=b#c", "\t/x", "/x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeRedirect(in, "/fallback")
		if out == "/fallback" {
			return
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") ||
			strings.ContainsAny(out, "\r\n\t\\\x00") {
			t.Fatalf("safeRedirect(%q) = %q", in, out)
		}
	})
}

func TestRecordID(t *testing.T) {
	cases := []struct {
		in string
		id int64
		ok bool
	}{{"new", 0, true}, {"1", 1, true}, {"42", 42, true}, {"0", 0, false}, {"01", 0, false}, {"-1", 0, false},
		{"1e3", 0, false}, {"", 0, false}, {"99999999999999999999", 0, false}, {"+5", 0, false}}
	for _, c := range cases {
		if id, ok := recordID(c.in); id != c.id || ok != c.ok {
			t.Errorf("recordID(%q) = %d, %v", c.in, id, ok)
		}
	}
}

func TestNeutraliseFormula(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+33 1": "'+33 1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "plain": "plain", "": ""} {
		if got := neutraliseFormula(in); got != want {
			t.Errorf("neutraliseFormula(%q) = %q", in, got)
		}
	}
}
