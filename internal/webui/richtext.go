package webui

import (
	"html/template"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// richText is the only way text becomes template.HTML in this package. It is for
// html fields, which the ORM sanitises on write; it sanitises again, with a stricter
// allow-list, so that rows written before a sanitiser fix, or by a path that
// bypassed it, still cannot carry script. Every allowed element is re-emitted from
// scratch with only its allowed attributes, and all text is escaped.
func richText(src string) template.HTML {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	var open []atom.Atom
	skip := 0 // depth inside an element dropped with its content
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for i := len(open) - 1; i >= 0; i-- {
				b.WriteString("</" + open[i].String() + ">")
			}
			return template.HTML(b.String()) //nolint:gosec // built from escaped text and allow-listed tags only
		case html.TextToken:
			if skip == 0 {
				b.WriteString(html.EscapeString(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if droppedWithContent(t.DataAtom) {
				if tt == html.StartTagToken && !voidElement(t.DataAtom) {
					skip++
				}
				continue
			}
			if skip > 0 || !allowedRichTag(t.DataAtom) {
				continue
			}
			b.WriteString("<" + t.DataAtom.String())
			if t.DataAtom == atom.A {
				for _, a := range t.Attr {
					if a.Namespace == "" && a.Key == "href" && safeHref(a.Val) {
						b.WriteString(` href="` + html.EscapeString(a.Val) + `" rel="noopener noreferrer nofollow"`)
						break
					}
				}
			}
			b.WriteString(">")
			if !voidElement(t.DataAtom) {
				open = append(open, t.DataAtom)
			}
		case html.EndTagToken:
			t := z.Token()
			if droppedWithContent(t.DataAtom) {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 || !allowedRichTag(t.DataAtom) || voidElement(t.DataAtom) {
				continue
			}
			// Close up to the matching open element; a stray end tag is dropped.
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == t.DataAtom {
					for j := len(open) - 1; j >= i; j-- {
						b.WriteString("</" + open[j].String() + ">")
					}
					open = open[:i]
					break
				}
			}
		}
	}
}

func allowedRichTag(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Br, atom.B, atom.Strong, atom.I, atom.Em, atom.U, atom.S,
		atom.Ul, atom.Ol, atom.Li, atom.Blockquote, atom.Code, atom.Pre,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.A, atom.Hr, atom.Span, atom.Div,
		atom.Table, atom.Thead, atom.Tbody, atom.Tr, atom.Th, atom.Td:
		return true
	}
	return false
}

func droppedWithContent(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Iframe, atom.Object, atom.Embed, atom.Noscript,
		atom.Template, atom.Svg, atom.Math, atom.Title, atom.Textarea, atom.Select, atom.Xmp,
		atom.Noembed, atom.Noframes, atom.Plaintext, atom.Frameset, atom.Frame, atom.Head:
		return true
	}
	return false
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Hr, atom.Img, atom.Input, atom.Meta, atom.Link, atom.Area, atom.Base,
		atom.Col, atom.Embed, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// safeHref allows absolute http, https and mailto links only.
func safeHref(raw string) bool {
	if len(raw) > 2048 {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return true
	}
	return false
}
