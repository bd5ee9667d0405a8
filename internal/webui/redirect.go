package webui

import (
	"net/url"
	"strings"
)

const maxRedirectLength = 2048

// safeRedirect returns target when it is a path on this origin, and fallback
// otherwise: no scheme, no host, no protocol-relative "//" or "/\", no control
// characters, so a crafted sign-in link cannot send the user elsewhere.
func safeRedirect(target, fallback string) string {
	if target == "" || len(target) > maxRedirectLength || target[0] != '/' {
		return fallback
	}
	if len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		return fallback
	}
	for _, c := range target {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	p, err := url.Parse(target)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || p.Opaque != "" || !strings.HasPrefix(p.Path, "/") {
		return fallback
	}
	// The sign-in pages themselves are no useful destination.
	if strings.HasPrefix(p.Path, "/web/login") || strings.HasPrefix(p.Path, "/web/logout") {
		return fallback
	}
	// Decoding and re-encoding may turn "/%2F x" into "//%20x", which a browser reads
	// as another host: check the result, not only the input.
	out := p.RequestURI()
	if strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
		return fallback
	}
	return out
}

func pathEscape(s string) string { return url.PathEscape(s) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
