package web

import (
	"context"
	"net/http"
	"strings"
)

// unresolvedRoute answers, in its own protocol, requests under a path prefix whose
// tenant could not be resolved.
type unresolvedRoute struct {
	prefix  string
	handler http.Handler
}

type refusedKey struct{}

// HandleUnresolved sends requests under prefix whose tenant cannot be resolved — an
// unknown host, an unknown or suspended tenant, a database argument that disagrees
// with the host — to h instead of the HTML error page, so that an API can answer in
// its own format. h sees TenantRefused(ctx) true and must answer as it answers bad
// credentials: an unknown database must not be told from a wrong password.
func (s *Server) HandleUnresolved(prefix string, h http.Handler) {
	s.unresolved = append(s.unresolved, unresolvedRoute{prefix: prefix, handler: h})
}

// TenantRefused reports whether the request's tenant could not be resolved.
func TenantRefused(ctx context.Context) bool {
	refused, _ := ctx.Value(refusedKey{}).(bool)
	return refused
}

// serveUnresolved hands the request to a HandleUnresolved handler if one covers its
// path, and reports whether it did.
func (s *Server) serveUnresolved(w http.ResponseWriter, r *http.Request) bool {
	for _, u := range s.unresolved {
		if strings.HasPrefix(r.URL.Path, u.prefix) {
			u.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), refusedKey{}, true)))
			return true
		}
	}
	return false
}
