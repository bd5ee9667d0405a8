// Package web serves the platform over HTTP: the control plane on the bare domain and
// each tenant's ERP on <tenant>.<domain>, behind middleware that sets security headers,
// bounds requests, logs them, and routes each to its tenant's database.
package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Config is what the web layer needs to know of the platform's settings.
type Config struct {
	Domain         string
	MaxBodyBytes   int64
	TrustedProxies []netip.Prefix
}

// Server is the HTTP handler of the whole platform.
type Server struct {
	cfg     Config
	router  *tenancy.Router
	log     *slog.Logger
	pages   pages
	control *http.ServeMux
	tenant  *http.ServeMux
	handler http.Handler
	// unresolved answers API paths whose tenant cannot be resolved (unresolved.go).
	unresolved []unresolvedRoute
}

// NewServer builds the handler.
func NewServer(cfg Config, router *tenancy.Router, log *slog.Logger) (*Server, error) {
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	s := &Server{cfg: cfg, router: router, log: log, pages: p, control: http.NewServeMux(), tenant: http.NewServeMux()}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	staticHandler := http.StripPrefix("/static/", http.FileServerFS(static))
	for _, mux := range []*http.ServeMux{s.control, s.tenant} {
		mux.Handle("GET /static/", staticHandler)
		mux.HandleFunc("/", s.notFound)
	}
	s.control.HandleFunc("GET /{$}", s.controlHome)
	s.control.HandleFunc("GET /healthz", s.controlHealth)
	s.tenant.HandleFunc("GET /{$}", s.tenantHome)
	s.tenant.HandleFunc("GET /healthz", s.tenantHealth)

	s.handler = s.observe(secure(s.limitBody(http.HandlerFunc(s.route))))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

type leaseKey struct{}

// Tenant returns the tenant database lease of a request on the tenant plane.
func Tenant(ctx context.Context) *tenancy.Lease {
	l, _ := ctx.Value(leaseKey{}).(*tenancy.Lease)
	return l
}

// route sends a request to the control plane or to its tenant. Unknown hosts, unknown
// tenants and deleted tenants all get the same 404, so the answer reveals nothing about
// which tenants exist.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	target := tenancy.ResolveHost(r.Host, s.cfg.Domain)
	db := r.Header.Get("X-Odoo-Database")
	if db == "" {
		db = r.URL.Query().Get("db")
	}
	target, err := target.WithDatabase(db)
	if err != nil && s.serveUnresolved(w, r) {
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the database argument does not match the host"})
		return
	}
	switch target.Plane {
	case tenancy.ControlPlane:
		s.control.ServeHTTP(w, r)
		return
	case tenancy.UnknownHost:
		if s.serveUnresolved(w, r) {
			return
		}
		s.errorPageFor(w, r, http.StatusNotFound, "")
		return
	}
	lease, err := s.router.Acquire(r.Context(), target.Tenant)
	switch {
	case (errors.Is(err, tenancy.ErrNotFound) || errors.Is(err, tenancy.ErrSuspended)) && s.serveUnresolved(w, r):
		return
	case errors.Is(err, tenancy.ErrNotFound):
		s.errorPageFor(w, r, http.StatusNotFound, "")
		return
	case errors.Is(err, tenancy.ErrSuspended):
		s.errorPageFor(w, r, http.StatusServiceUnavailable, target.Tenant)
		return
	case errors.Is(err, tenancy.ErrBusy):
		w.Header().Set("Retry-After", "5")
		s.errorPageFor(w, r, http.StatusServiceUnavailable, "")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	defer lease.Release()
	ri := info(r.Context())
	ri.log = ri.log.With("tenant", lease.Tenant.Name)
	ctx := context.WithValue(r.Context(), leaseKey{}, lease)
	s.tenant.ServeHTTP(w, r.WithContext(orm.WithBaseURL(ctx, s.origin(r))))
}

// origin is the address the request reached the tenant at: the links a
// module puts in mails lead there. The host is the one the tenant was
// resolved from; the scheme is https unless the request came over plain HTTP
// (the development server's --plain-http) and not from a trusted proxy that
// says it received HTTPS.
func (s *Server) origin(r *http.Request) string {
	if r.TLS == nil && !(isTrusted(parseAddr(r.RemoteAddr), s.cfg.TrustedProxies) && r.Header.Get("X-Forwarded-Proto") == "https") {
		return "http://" + r.Host
	}
	return "https://" + r.Host
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	tenant := ""
	if l := Tenant(r.Context()); l != nil {
		tenant = l.Tenant.Name
	}
	s.errorPageFor(w, r, http.StatusNotFound, tenant)
}

// controlHome tells visitors where their company's ERP is: on the port they
// reached this page on, which is not 443 in the default setup (:8443).
func (s *Server) controlHome(w http.ResponseWriter, r *http.Request) {
	host := s.cfg.Domain
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "443" {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			host = net.JoinHostPort(host, port)
		}
	}
	s.render(w, r, http.StatusOK, "control_home", struct{ Tenant, Host string }{Host: host})
}

func (s *Server) tenantHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "tenant_home", struct{ Tenant string }{Tenant: Tenant(r.Context()).Tenant.Name})
}

func (s *Server) controlHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) tenantHealth(w http.ResponseWriter, r *http.Request) {
	if err := Tenant(r.Context()).DB.Ping(r.Context()); err != nil {
		logger(r.Context(), s.log).Error("tenant health check", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
