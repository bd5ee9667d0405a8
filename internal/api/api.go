// Package api serves the external API integrators know from Odoo: XML-RPC at
// /xmlrpc/2/{common,object}, JSON-RPC at /jsonrpc and the /web/session and
// /web/dataset/call_kw endpoints, JSON-2 at /json/2/<model>/<method>, and a /doc page
// describing what the caller may use.
//
// Every call runs as the authenticated user through orm.Env, which applies access
// rights and record rules: nothing here bypasses them. Method names are checked
// before any lookup, and only the ORM's standard operations and the methods a model
// exports can be called. Each call is one transaction, bounded in records and time.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Limits bound the API's work per call and per caller.
type Limits struct {
	// MaxRecords caps the records one call reads, creates, writes or deletes
	// (default 5,000; at most the registry's MaxLimit - 1).
	MaxRecords int
	// CallTimeout cancels a call that runs longer (default 60 s).
	CallTimeout time.Duration
	// Retries is how often a call that hit a serialization failure is run again
	// (default 3).
	Retries int
	// PerKey and PerAddress are the request rates allowed per API key (or user) and
	// per client address.
	PerKey, PerAddress Rate
}

// Rate is a token bucket: PerSecond requests on average, bursts up to Burst.
// A negative PerSecond disables the limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// DefaultLimits are generous for integrations and tight enough to stop a runaway
// script from starving a tenant.
func DefaultLimits() Limits {
	return Limits{
		MaxRecords:  5000,
		CallTimeout: 60 * time.Second,
		Retries:     3,
		PerKey:      Rate{PerSecond: 100, Burst: 200},
		PerAddress:  Rate{PerSecond: 200, Burst: 400},
	}
}

// TenantSource hands out tenant databases; *tenancy.Router is one.
type TenantSource interface {
	Acquire(ctx context.Context, name string) (*tenancy.Lease, error)
}

// Config is what the API needs.
type Config struct {
	Registry *orm.Registry
	// Tenants resolves the db argument of calls made on the bare domain.
	Tenants  TenantSource
	Auth     Authenticator
	Sessions Sessions
	Limits   Limits
	Log      *slog.Logger
	// ServerVersion is reported by version() and session info.
	ServerVersion string
	Now           func() time.Time
	// FilestoreDir is where a tenant keeps binary content (tenancy.Storage's);
	// nil means calls cannot read or write binary fields that hold content.
	FilestoreDir func(t tenancy.Tenant) string
}

// API is the external API's HTTP handlers.
type API struct {
	reg      *orm.Registry
	tenants  TenantSource
	auth     Authenticator
	sessions Sessions
	limits   Limits
	log      *slog.Logger
	version  string
	now      func() time.Time
	fsDir    func(t tenancy.Tenant) string
	perKey   *rateLimiter
	perAddr  *rateLimiter
	docs     *docPages
}

// New checks cfg and returns the API.
func New(cfg Config) (*API, error) {
	if cfg.Registry == nil || !cfg.Registry.Frozen() {
		return nil, errors.New("api: a frozen registry is required")
	}
	if cfg.Auth == nil || cfg.Tenants == nil {
		return nil, errors.New("api: an authenticator and a tenant source are required")
	}
	d := DefaultLimits()
	l := cfg.Limits
	if l.MaxRecords <= 0 {
		l.MaxRecords = d.MaxRecords
	}
	if max := cfg.Registry.Limits().MaxLimit - 1; l.MaxRecords > max {
		return nil, fmt.Errorf("api: MaxRecords %d exceeds the registry's limit of %d", l.MaxRecords, max)
	}
	if l.CallTimeout <= 0 {
		l.CallTimeout = d.CallTimeout
	}
	if l.Retries <= 0 {
		l.Retries = d.Retries
	}
	if l.PerKey == (Rate{}) {
		l.PerKey = d.PerKey
	}
	if l.PerAddress == (Rate{}) {
		l.PerAddress = d.PerAddress
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "17.0"
	}
	docs, err := parseDocPages()
	if err != nil {
		return nil, err
	}
	return &API{
		reg: cfg.Registry, tenants: cfg.Tenants, auth: cfg.Auth, sessions: cfg.Sessions,
		limits: l, log: cfg.Log, version: cfg.ServerVersion, now: cfg.Now, fsDir: cfg.FilestoreDir,
		perKey: newRateLimiter(l.PerKey, cfg.Now), perAddr: newRateLimiter(l.PerAddress, cfg.Now),
		docs: docs,
	}, nil
}

// Mounter is where the API's routes go; *web.Server is one.
type Mounter interface {
	HandleTenant(pattern string, h http.Handler)
	HandleControl(pattern string, h http.Handler)
	HandleUnresolved(prefix string, h http.Handler)
}

// Mount registers the API's routes on both planes: tenant hosts select the tenant,
// the bare domain takes the db argument of each call.
func (a *API) Mount(m Mounter) {
	routes := map[string]http.HandlerFunc{
		"POST /xmlrpc/2/{service}":            a.serveXMLRPC,
		"POST /xmlrpc/{service}":              a.serveXMLRPC,
		"POST /jsonrpc":                       a.serveJSONRPC,
		"POST /web/session/authenticate":      a.serveSessionAuthenticate,
		"POST /web/session/get_session_info":  a.serveSessionInfo,
		"POST /web/session/destroy":           a.serveSessionDestroy,
		"POST /web/dataset/call_kw":           a.serveCallKW,
		"POST /web/dataset/call_kw/{path...}": a.serveCallKW,
		"POST /json/2/{model}/{method}":       a.serveJSON2,
		"GET /doc":                            a.serveDoc,
		"GET /doc/{model}":                    a.serveDocModel,
	}
	for pattern, h := range routes {
		m.HandleTenant(pattern, h)
		m.HandleControl(pattern, h)
	}
	for _, prefix := range []string{"/xmlrpc/", "/jsonrpc", "/web/session/", "/web/dataset/", "/json/2/", "/doc"} {
		m.HandleUnresolved(prefix, http.HandlerFunc(a.serveUnresolved))
	}
}

// serveUnresolved answers a request whose tenant could not be resolved exactly as
// the same request with wrong credentials would be answered.
func (a *API) serveUnresolved(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case len(path) >= 8 && path[:8] == "/xmlrpc/":
		r.SetPathValue("service", lastSegment(path))
		a.serveXMLRPC(w, r)
	case path == "/jsonrpc":
		a.serveJSONRPC(w, r)
	case path == "/web/session/authenticate":
		a.serveSessionAuthenticate(w, r)
	case len(path) > 13 && path[:13] == "/web/session/", len(path) > 13 && path[:13] == "/web/dataset/":
		a.serveSessionInfo(w, r)
	case len(path) > 8 && path[:8] == "/json/2/":
		a.serveJSON2(w, r)
	default:
		a.serveDoc(w, r)
	}
}

func lastSegment(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}
