// Package apitest starts a real platform — control database, provisioned tenants,
// tenancy router, web server and the external API — behind an HTTPS test server,
// for the API's tests and the load benchmarks.
package apitest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/api"
	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/app/apptest"
	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
	"github.com/instant-erp/instanterp/internal/web"
)

// Options configure Start.
type Options struct {
	Tenants []string
	// Postgres keeps the control and tenant databases on the test PostgreSQL server.
	Postgres bool
	Limits   api.Limits
	// Log receives the server's log (discarded when nil).
	Log io.Writer
	// Templates, when set, are the test binary's shared tenant templates: the
	// tenants copy them instead of a template the platform builds first.
	Templates *apptest.Templates
}

// User is a tenant user the tests act as.
type User struct {
	UID   int64
	Login string
	// Key is an rpc API key of the user.
	Key string
}

// Tenant is a provisioned tenant with one user per role.
type Tenant struct {
	Name string
	// Admin is in base.group_system, Internal in base.group_user, Portal in
	// base.group_portal.
	Admin, Internal, Portal User
}

// Platform is a running server.
type Platform struct {
	URL      string
	Server   *httptest.Server
	Client   *http.Client
	CAFile   string
	App      *app.Platform
	Router   *tenancy.Router
	Accounts *api.Accounts
	Tenants  map[string]*Tenant
}

// Start provisions the tenants and serves the platform until the test ends.
func Start(tb testing.TB, opts Options) *Platform {
	tb.Helper()
	ctx := context.Background()
	args := []string{"--data", tb.TempDir()}
	if opts.Postgres {
		args = append(args, "--database-url", storetest.NewPostgresDatabase(tb))
	}
	fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
	if err := fs.Parse(args); err != nil {
		tb.Fatal(err)
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	logOut := opts.Log
	if logOut == nil {
		logOut = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	var appOpts app.Options
	if opts.Templates != nil {
		appOpts = opts.Templates.Options(tb, cfg)
	}
	p, err := app.OpenWith(ctx, cfg, log, appOpts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
	tb.Cleanup(func() { router.Close() })
	// Few rounds: API tests sign in hundreds of times under the race detector;
	// the production cost is tested in the password and web UI packages.
	hasher, err := password.NewTestHasher(1000)
	if err != nil {
		tb.Fatal(err)
	}
	accounts := &api.Accounts{Registry: p.Registry, Hasher: hasher}
	srv, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: cfg.MaxBodyBytes, TrustedProxies: cfg.TrustedProxies}, router, log)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := api.New(api.Config{Registry: p.Registry, Tenants: router, Auth: accounts, Sessions: accounts, Limits: opts.Limits, Log: log,
		FilestoreDir: p.Storage.FilestoreDir})
	if err != nil {
		tb.Fatal(err)
	}
	a.Mount(srv)
	ts := httptest.NewTLSServer(srv)
	tb.Cleanup(ts.Close)
	out := &Platform{URL: ts.URL, Server: ts, Client: ts.Client(), App: p, Router: router, Accounts: accounts, Tenants: map[string]*Tenant{}}
	out.CAFile = writeCA(tb, ts)
	for _, name := range opts.Tenants {
		if _, err := p.Provisioner.Create(ctx, name, "admin@"+name+".example.com"); err != nil {
			tb.Fatal(err)
		}
		out.Tenants[name] = out.seed(tb, name)
	}
	return out
}

// writeCA saves the test server's certificate for clients outside Go (python3).
func writeCA(tb testing.TB, ts *httptest.Server) string {
	path := filepath.Join(tb.TempDir(), "ca.pem")
	cert := ts.Certificate()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ClientFor returns an HTTP client that sends every request to the test server
// while keeping the URL's host name (acme.localhost) in the request and TLS.
func (p *Platform) ClientFor() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(p.Server.Certificate())
	addr := p.Server.Listener.Addr().String()
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "example.com"},
		DialContext:         (&dialer{addr: addr}).dial,
		MaxIdleConnsPerHost: 64,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// Sudo runs fn with a superuser Env in one transaction of the tenant's database.
func (p *Platform) Sudo(tb testing.TB, tenant string, fn func(ctx context.Context, env *orm.Env) error) {
	tb.Helper()
	ctx := context.Background()
	lease, err := p.Router.Acquire(ctx, tenant)
	if err != nil {
		tb.Fatal(err)
	}
	defer lease.Release()
	err = lease.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := p.App.Registry.NewEnv(tx, lease.DB.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return fn(ctx, env.Sudo())
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// SetPassword stores a password for uid, as the password procedure would.
func (p *Platform) SetPassword(tb testing.TB, tenant string, uid int64, pw string) {
	tb.Helper()
	h, err := p.Accounts.Hasher.Hash(pw)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	lease, err := p.Router.Acquire(ctx, tenant)
	if err != nil {
		tb.Fatal(err)
	}
	defer lease.Release()
	if _, err := lease.DB.Write.ExecContext(ctx, lease.DB.Rebind(`UPDATE res_users SET password = ? WHERE id = ?`), h, uid); err != nil {
		tb.Fatal(err)
	}
}

// NewKey issues an rpc API key for uid.
func (p *Platform) NewKey(tb testing.TB, tenant string, uid int64) string {
	tb.Helper()
	ctx := context.Background()
	lease, err := p.Router.Acquire(ctx, tenant)
	if err != nil {
		tb.Fatal(err)
	}
	defer lease.Release()
	_, key, err := apikey.NewStore(lease.DB, apikey.Config{}).Create(ctx, apikey.NewKey{
		UserID: uid, Name: "tests", Scope: apikey.ScopeRPC, ExpiresAt: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// seed creates an internal and a portal user beside the administrator, with keys.
func (p *Platform) seed(tb testing.TB, name string) *Tenant {
	t := &Tenant{Name: name}
	p.Sudo(tb, name, func(ctx context.Context, env *orm.Env) error {
		groups := map[string]int64{}
		for _, x := range []string{base.GroupUser, base.GroupPortal} {
			ids, err := env.Search(ctx, "res.groups", leaf("xml_id", "=", x), orm.SearchOptions{Limit: 1})
			if err != nil {
				return err
			}
			groups[x] = ids[0]
		}
		users, err := env.Search(ctx, "res.users", domain.Domain{}, orm.SearchOptions{Order: "id", Limit: 1})
		if err != nil {
			return err
		}
		recs, err := env.Read(ctx, "res.users", users, []string{"login", "company_id"})
		if err != nil {
			return err
		}
		company := recs[0]["company_id"].([]any)[0]
		t.Admin = User{UID: users[0], Login: recs[0]["login"].(string)}
		mk := func(login, group string) (User, error) {
			partner, err := env.Create(ctx, "res.partner", []map[string]any{{"name": login, "company_id": company, "email": login}})
			if err != nil {
				return User{}, err
			}
			ids, err := env.Create(ctx, "res.users", []map[string]any{{
				"name": login, "login": login, "partner_id": partner[0], "company_id": company,
				"company_ids": []any{[]any{6, 0, []any{company}}}, "groups_id": []any{[]any{6, 0, []any{groups[group]}}},
			}})
			if err != nil {
				return User{}, err
			}
			return User{UID: ids[0], Login: login}, nil
		}
		if t.Internal, err = mk("user@"+name+".example.com", base.GroupUser); err != nil {
			return err
		}
		t.Portal, err = mk("portal@"+name+".example.com", base.GroupPortal)
		return err
	})
	t.Admin.Key = p.NewKey(tb, name, t.Admin.UID)
	t.Internal.Key = p.NewKey(tb, name, t.Internal.UID)
	t.Portal.Key = p.NewKey(tb, name, t.Portal.UID)
	return t
}

func leaf(field, op string, value any) domain.Domain {
	d, err := domain.FromValue([]any{[]any{field, op, value}}, domain.Limits{})
	if err != nil {
		panic(err)
	}
	return d
}
