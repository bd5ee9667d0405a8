package web

import "net/http"

// HandleTenant mounts a handler on every tenant host (<tenant>.<domain>, or the bare
// domain with a database argument). Handlers find the request's tenant database with
// Tenant(ctx). Patterns follow net/http.ServeMux; mount before serving.
func (s *Server) HandleTenant(pattern string, h http.Handler) {
	s.tenant.Handle(pattern, h)
}

// HandleControl mounts a handler on the control plane (the bare domain).
func (s *Server) HandleControl(pattern string, h http.Handler) {
	s.control.Handle(pattern, h)
}
