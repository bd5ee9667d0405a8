package mail

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ name, html, want string }{
		{"paragraphs", "<p>Hello Ann,</p><p>Your quotation   is\nready.</p>", "Hello Ann,\n\nYour quotation is ready."},
		{"link keeps its target", `<p>Open <a href="https://acme.example.com/my/orders/7?token=a&amp;b=1">the quotation</a>.</p>`,
			"Open the quotation <https://acme.example.com/my/orders/7?token=a&b=1>."},
		{"link whose text is the target", `<a href="https://x.example/">https://x.example/</a>`, "https://x.example/"},
		{"script link not written", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"script and style dropped", "<style>p{color:red}</style><p>Hi</p><script>alert('x')</script>", "Hi"},
		{"entities", "<p>Fish &amp; chips &lt;3 &eacute;t&eacute;</p>", "Fish & chips <3 été"},
		{"line breaks and lists", "Total<br>12.00 EUR<ul><li>one</li><li>two</li></ul>", "Total\n12.00 EUR\n\none\ntwo"},
		{"plain text", "just words", "just words"},
		{"empty", "", ""},
		{"control characters dropped", "a\x00b\x1bc", "abc"},
	}
	for _, tc := range tests {
		if got := PlainText(tc.html); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", `<a href="https://x/">y</a>`, "<script>x</script>", "<a><a><b></a>", "&#0;", "<p\x00>", "\xff<br/>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := PlainText(src)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", src)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
			t.Fatalf("control character in %q from %q", out, src)
		}
		// Entities expand and each link target is written once more, but never
		// without bound: a body cannot grow past what a mail may hold.
		if len(out) > 8*len(src)+16 {
			t.Fatalf("%d bytes of text from %d bytes of HTML", len(out), len(src))
		}
	})
}
