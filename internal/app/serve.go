package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/instant-erp/instanterp/internal/api"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/certificate"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/tenancy"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

// Listening is reported once the server accepts connections.
type Listening struct {
	URL    string // https://host:port/ of the control plane
	Addr   net.Addr
	CAPath string // self-signed setup only
}

// Serve runs the HTTPS server (and the optional redirect server) until ctx ends, then
// drains requests in flight and lets running jobs finish, together, for up to the
// configured grace period, and closes every tenant database. Idle connections do not
// hold the stop (see h2Drainer). ready, if not nil, is called once the listener is open.
func (p *Platform) Serve(ctx context.Context, out io.Writer, ready func(Listening)) error {
	cfg := p.Config
	router := tenancy.NewRouter(tenancy.RouterConfig{
		Catalogue: p.Catalogue, Open: p.OpenTenant, MaxOpen: cfg.MaxOpenTenants,
	})
	defer router.Close()
	routerCtx, stopRouter := context.WithCancel(ctx)
	defer stopRouter()
	go router.Run(routerCtx)

	// Backups, replication retries, pruning and tenant maintenance run in River
	// workers beside the server.
	p.warnBackupSites()
	stopJobs, err := p.StartJobs(ctx, router)
	if err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	// Jobs stop while the requests drain, not after; whoever comes first
	// (the shutdown, or an early return) waits for them.
	stopJobsOnce := sync.OnceFunc(func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
		defer cancel()
		if err := stopJobs(stopCtx); err != nil {
			p.Log.Warn("stop jobs", "error", err)
		}
	})
	defer stopJobsOnce()

	handler, err := web.NewServer(web.Config{
		Domain: cfg.Domain, MaxBodyBytes: cfg.MaxBodyBytes, TrustedProxies: cfg.TrustedProxies,
	}, router, p.Log)
	if err != nil {
		return err
	}
	// The external API (XML-RPC, JSON-RPC, JSON-2, /doc) on every tenant host and,
	// with a db argument, on the bare domain.
	hasher, err := password.NewHasher(0)
	if err != nil {
		return err
	}
	accounts := &api.Accounts{Registry: p.Registry, Hasher: hasher}
	rpc, err := api.New(api.Config{Registry: p.Registry, Tenants: router, Auth: accounts, Sessions: accounts, Log: p.Log,
		FilestoreDir: p.Storage.FilestoreDir})
	if err != nil {
		return fmt.Errorf("external API: %w", err)
	}
	rpc.Mount(handler)
	// The web application and the customer portal on every tenant host.
	// Administrators download their exports through signed links on the tenant's host.
	downloads, err := p.downloadService(ctx)
	if err != nil {
		return fmt.Errorf("backup downloads: %w", err)
	}
	// Reset and invitation links go through the platform's mail sender: SMTP with
	// --smtp-url, else the outbox directory.
	sender, err := mail.New(mail.Settings{DataDir: cfg.DataDir, SMTPURL: cfg.SMTPURL, SMTPPassword: cfg.SMTPPassword, From: cfg.MailFrom})
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ui, err := webui.New(webui.Config{Registry: p.Registry, Key: p.Key, Hasher: hasher, Mail: sender, Log: p.Log, Downloads: downloads,
		FilestoreDir: p.Storage.FilestoreDir})
	if err != nil {
		return fmt.Errorf("web application: %w", err)
	}
	defer ui.Wait()
	ui.Mount(handler)
	tlsConfig, redirect, info, err := p.tlsSetup(out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := newHTTPServer(handler, p.Log)
	drainer := newH2Drainer()
	scheme := "https"
	if tlsConfig != nil {
		srv.TLSConfig = tlsConfig
		srv.ConnState = drainer.connState
		ln = tls.NewListener(drainer.listener(ln), tlsConfig)
	} else {
		scheme = "http"
	}
	info.Addr = ln.Addr()
	info.URL = fmt.Sprintf("%s://%s/", scheme, displayHost(cfg.Domain, ln.Addr()))

	servers := []*http.Server{srv}
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ln) }()
	if cfg.HTTPListen != "" {
		rln, err := net.Listen("tcp", cfg.HTTPListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen on %s: %w", cfg.HTTPListen, err)
		}
		rsrv := newHTTPServer(redirect, p.Log)
		servers = append(servers, rsrv)
		go func() { errs <- rsrv.Serve(rln) }()
	}
	p.Log.Info("serving", "url", info.URL, "domain", cfg.Domain)
	if ready != nil {
		ready(info)
	}

	select {
	case err := <-errs:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	p.Log.Info("shutting down", "grace", cfg.ShutdownGrace)
	go stopJobsOnce()
	drainer.drain()
	return shutdownServers(context.WithoutCancel(ctx), servers, cfg.ShutdownGrace)
}

// shutdownServers stops the servers together: each closes its listeners, then
// waits for its requests in flight, for at most grace; a server still busy
// then is closed.
func shutdownServers(ctx context.Context, servers []*http.Server, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			if err := s.Shutdown(ctx); err != nil {
				errs[i] = err
				s.Close()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// tlsSetup chooses the certificate source: the operator's files, ACME, or the
// self-signed development CA. It returns nil TLS config for --plain-http.
func (p *Platform) tlsSetup(out io.Writer) (*tls.Config, http.Handler, Listening, error) {
	cfg := p.Config
	redirect := http.HandlerFunc(redirectToHTTPS(cfg.Listen))
	switch {
	case cfg.PlainHTTP:
		return nil, redirect, Listening{}, nil
	case cfg.TLSCert != "":
		cert, err := certificate.LoadKeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, Listening{}, err
		}
		return certificate.ServerTLSConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert, nil }), redirect, Listening{}, nil
	case cfg.ACMEEmail != "":
		m := certificate.ACMEManager(filepath.Join(cfg.DataDir, "acme"), cfg.ACMEEmail, p.acmeHostPolicy)
		tc := certificate.ServerTLSConfig(m.GetCertificate)
		tc.NextProtos = append(tc.NextProtos, "acme-tls/1")
		return tc, m.HTTPHandler(redirect), Listening{}, nil
	}
	ss, err := certificate.EnsureSelfSigned(filepath.Join(cfg.DataDir, "tls"), cfg.Domain, time.Now())
	if err != nil {
		return nil, nil, Listening{}, err
	}
	ss.AllowHost = func(host string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		target := tenancy.ResolveHost(host, cfg.Domain)
		if target.Plane != tenancy.TenantPlane {
			return false
		}
		_, err := p.Catalogue.Get(ctx, target.Tenant)
		return err == nil
	}
	fmt.Fprintf(out, "Self-signed HTTPS: trust the CA %s (SHA-256 %s) to avoid browser warnings.\n", ss.CAPath, ss.CAFingerprint)
	return certificate.ServerTLSConfig(ss.GetCertificate), redirect, Listening{CAPath: ss.CAPath}, nil
}

// acmeHostPolicy allows certificates only for the domain and for live tenants, so
// nobody can make the server request certificates for names it does not serve.
func (p *Platform) acmeHostPolicy(ctx context.Context, host string) error {
	target := tenancy.ResolveHost(host, p.Config.Domain)
	switch target.Plane {
	case tenancy.ControlPlane:
		if strings.EqualFold(strings.TrimSuffix(host, "."), p.Config.Domain) {
			return nil
		}
	case tenancy.TenantPlane:
		if _, err := p.Catalogue.Get(ctx, target.Tenant); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no certificate for host %q", host)
}

// redirectToHTTPS answers every plain-HTTP request with a permanent redirect to the
// same host on the HTTPS port.
func redirectToHTTPS(httpsListen string) func(http.ResponseWriter, *http.Request) {
	_, port, _ := net.SplitHostPort(httpsListen)
	return func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@ ") {
			http.Error(w, "bad host", http.StatusBadRequest)
			return
		}
		if port != "" && port != "443" {
			host = net.JoinHostPort(host, port)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	}
}

func displayHost(domain string, addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	if port == "443" {
		return domain
	}
	return net.JoinHostPort(domain, port)
}
