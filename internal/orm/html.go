package orm

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// allowedTags are the elements an html field keeps; others are dropped with
// their text kept, except dropWithContent whose text is dropped too.
func allowedTag(tag string) bool {
	switch tag {
	case "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a",
		"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "span", "div",
		"table", "thead", "tbody", "tr", "td", "th", "hr", "sub", "sup":
		return true
	}
	return false
}

func dropWithContent(tag string) bool {
	switch tag {
	case "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title", "svg", "math":
		return true
	}
	return false
}

// sanitizeHTML keeps a small allow-list of formatting elements and, on links,
// only http, https and mailto targets. Everything it writes is re-escaped, so the
// result is safe to show even outside html/template.
func sanitizeHTML(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // depth inside a dropped-with-content element
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.WriteString(html.EscapeString(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if dropWithContent(tok.Data) {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if skip > 0 || !allowedTag(tok.Data) {
				continue
			}
			b.WriteByte('<')
			b.WriteString(tok.Data)
			for _, a := range tok.Attr {
				if tok.Data == "a" && a.Key == "href" && safeLink(a.Val) {
					b.WriteString(` href="` + html.EscapeString(a.Val) + `" rel="noopener noreferrer"`)
				}
				if a.Key == "title" {
					b.WriteString(` title="` + html.EscapeString(a.Val) + `"`)
				}
			}
			b.WriteByte('>')
		case html.EndTagToken:
			tok := z.Token()
			if dropWithContent(tok.Data) {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip == 0 && allowedTag(tok.Data) && tok.Data != "br" && tok.Data != "hr" {
				b.WriteString("</" + tok.Data + ">")
			}
		}
	}
}

func safeLink(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}
