package mail

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText renders an HTML body as the text alternative every message carries
// (Message.Text is required): block elements become line breaks, links keep
// their target after the link text so that a reader without HTML can still
// follow them, scripts and styles are dropped. The result is meant to be read,
// not parsed.
func PlainText(src string) string {
	var (
		out   strings.Builder
		line  strings.Builder // the current line, spaces collapsed
		space bool            // a space is pending before the next word
		skip  int             // depth inside script or style
		hrefs []string        // targets of the open links
	)
	flushLine := func() {
		out.WriteString(strings.TrimSpace(line.String()))
		out.WriteByte('\n')
		line.Reset()
		space = false
	}
	write := func(text string) {
		for _, r := range text {
			if unicode.IsSpace(r) {
				space = line.Len() > 0
				continue
			}
			if unicode.IsControl(r) {
				continue
			}
			if space {
				line.WriteByte(' ')
				space = false
			}
			line.WriteRune(r)
		}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF: a string reader fails in no other way.
			if line.Len() > 0 {
				flushLine()
			}
			return tidyLines(out.String())
		case html.TextToken:
			if skip == 0 {
				write(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Script || a == atom.Style:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case a == atom.A && tt == html.StartTagToken:
				href := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
				hrefs = append(hrefs, href)
			case a == atom.A && tt == html.EndTagToken && len(hrefs) > 0:
				href := hrefs[len(hrefs)-1]
				hrefs = hrefs[:len(hrefs)-1]
				if linkShown(href) && !strings.Contains(line.String(), href) {
					write(" <" + href + ">")
				}
			case blockElement(a):
				if line.Len() > 0 {
					flushLine()
				}
				if a == atom.P || a == atom.Table || a == atom.Ul || a == atom.Ol || a == atom.Blockquote || isHeading(a) {
					out.WriteByte('\n') // paragraphs stand apart
				}
			}
		}
	}
}

// linkShown: only targets a reader can use are written out.
func linkShown(href string) bool {
	h := strings.ToLower(href)
	return strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "http://") || strings.HasPrefix(h, "mailto:")
}

func blockElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.P, atom.Div, atom.Li, atom.Tr, atom.Table, atom.Ul, atom.Ol, atom.Blockquote,
		atom.Hr, atom.Pre, atom.Section, atom.Article, atom.Header, atom.Footer:
		return true
	}
	return isHeading(a)
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// tidyLines keeps at most one empty line between paragraphs and none at the
// ends.
func tidyLines(s string) string {
	var b strings.Builder
	blank := 0
	for l := range strings.SplitSeq(s, "\n") {
		if l == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
			if blank > 0 {
				b.WriteString("\n")
			}
		}
		blank = 0
		b.WriteString(l)
	}
	return b.String()
}
