package webui_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

// The password of every test user.
const testPassword = "a long and unusual passphrase 42"

// testRounds is the PBKDF2 cost of the shared hasher. At the production cost one
// sign-in takes seconds under the race detector, and the tests sign in hundreds of
// times; TestSignInAtProductionCost signs in at the full cost.
const testRounds = 1000

// hasher is shared by the tests, which hash their few passwords once.
var (
	hasherOnce sync.Once
	hasher     *password.Hasher
	hashOnce   sync.Once
	testHash   string
)

func sharedHasher(t testing.TB) (*password.Hasher, string) {
	hasherOnce.Do(func() {
		var err error
		if hasher, err = password.NewTestHasher(testRounds); err != nil {
			panic(err)
		}
		if testHash, err = hasher.Hash(testPassword); err != nil {
			panic(err)
		}
	})
	return hasher, testHash
}

// outbox records the mails the application sends; wait waits for the reset mails
// the application sends after answering.
type outbox struct {
	mu   sync.Mutex
	msgs []string
	wait func()
}

type fixture struct {
	t        testing.TB
	platform *app.Platform
	server   *web.Server
	ui       *webui.UI
	outbox   *outbox
	logs     *syncBuffer
	// users by role: admin, user (internal, main company only), portal
	uid map[string]int64
	// otherPartner belongs to a company the user is not in.
	otherPartner int64
	db           map[string]*store.DB
	router       *tenancy.Router
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newFixture provisions the tenants (the first one gets the test users) behind the
// real server with the application mounted.
func newFixture(t testing.TB, tenants ...string) *fixture {
	t.Helper()
	return newFixtureArgs(t, nil, tenants...)
}

// newFixtureArgs is newFixture with more command-line arguments, such as
// --database-url for a PostgreSQL platform.
func newFixtureArgs(t testing.TB, args []string, tenants ...string) *fixture {
	t.Helper()
	h, _ := sharedHasher(t)
	return newFixtureHasher(t, h, args, tenants...)
}

// newFixtureHasher is newFixtureArgs with the application hashing with h. Without
// arguments the data directory is a copy of a template provisioned once per list of
// tenants, test users included: provisioning is most of the cost of a fixture. With
// arguments (a PostgreSQL platform) the tenants are provisioned here; new tenants
// are always copies of the test run's tenant template.
func newFixtureHasher(t testing.TB, h *password.Hasher, args []string, tenants ...string) *fixture {
	t.Helper()
	if len(tenants) == 0 {
		tenants = []string{"acme"}
	}
	data := t.TempDir()
	var tpl *platformTemplate
	if len(args) == 0 {
		tpl = sharedTemplate(t, tenants)
		tpl.copyTo(t, data)
	}
	cfg := testConfig(t, data, args)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	p, err := app.OpenWith(context.Background(), cfg, log, tenantTemplates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if tpl == nil {
		provision(t, p, tenants)
	}
	router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
	t.Cleanup(func() { router.Close() })
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: cfg.MaxBodyBytes}, router, log)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, platform: p, server: s, outbox: &outbox{}, logs: logs, uid: map[string]int64{}, router: router, db: map[string]*store.DB{}}
	// The production limits, with the address window widened to an hour: hashing at
	// full cost under the race detector can take longer than a minute for ten tries.
	limits := throttle.DefaultConfig()
	limits.Address.Window = time.Hour
	f.ui, err = webui.New(webui.Config{Registry: p.Registry, Key: p.Key, Hasher: h, Log: log, Mail: f.outbox, Throttle: limits})
	if err != nil {
		t.Fatal(err)
	}
	f.outbox.wait = f.ui.Wait
	f.ui.Mount(s)
	if tpl != nil {
		f.uid, f.otherPartner = maps.Clone(tpl.uid), tpl.otherPartner
		return f
	}
	for _, n := range tenants {
		f.seedUsers(n)
	}
	return f
}

// testConfig is the configuration of a test platform over the data directory.
func testConfig(t testing.TB, data string, args []string) *config.Config {
	t.Helper()
	fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
	if err := fs.Parse(append([]string{"--data", data, "--max-body-bytes", "1048576"}, args...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func provision(t testing.TB, p *app.Platform, tenants []string) {
	t.Helper()
	for _, n := range tenants {
		if _, err := p.Provisioner.Create(context.Background(), n, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
	}
}

func (o *outbox) Send(ctx context.Context, msg mailMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, strings.Join(msg.To, ",")+"\n"+msg.Subject+"\n"+msg.HTML)
	return nil
}

func (o *outbox) last() string {
	if o.wait != nil {
		o.wait()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		return ""
	}
	return o.msgs[len(o.msgs)-1]
}

// tenantDB opens a lease on a tenant's database for direct setup.
func (f *fixture) sudo(tenant string, fn func(ctx context.Context, env *orm.Env) error) {
	f.t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, tenant)
	if err != nil {
		f.t.Fatal(err)
	}
	defer lease.Release()
	err = lease.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := f.platform.Registry.NewEnv(tx, lease.DB.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return fn(ctx, env.Sudo())
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) seedUsers(tenant string) {
	_, hash := sharedHasher(f.t)
	f.sudo(tenant, func(ctx context.Context, env *orm.Env) error {
		admin, err := env.Search(ctx, "res.users", seed.Leaf("login", "=", "admin@example.com"), orm.SearchOptions{})
		if err != nil {
			return err
		}
		if err := env.Write(ctx, "res.users", admin, map[string]any{"password": hash}); err != nil {
			return err
		}
		recs, err := env.Read(ctx, "res.users", admin, []string{"company_id"})
		if err != nil {
			return err
		}
		company := recs[0]["company_id"].([]any)[0].(int64)
		mk := func(role, login, group string, companyID int64) (int64, error) {
			var gids []any
			for _, g := range strings.Split(group, ",") {
				gid, err := seed.GroupID(ctx, env, g)
				if err != nil {
					return 0, err
				}
				gids = append(gids, gid)
			}
			p, err := env.Create(ctx, "res.partner", []map[string]any{{"name": strings.ToUpper(role[:1]) + role[1:] + " Person", "email": login, "company_id": companyID}})
			if err != nil {
				return 0, err
			}
			ids, err := env.Create(ctx, "res.users", []map[string]any{{"name": strings.ToUpper(role[:1]) + role[1:] + " Person", "login": login,
				"partner_id": p[0], "company_id": companyID, "company_ids": []any{companyID}, "groups_id": gids, "password": hash}})
			if err != nil {
				return 0, err
			}
			return ids[0], nil
		}
		f.uid["admin"] = admin[0]
		if f.uid["user"], err = mk("user", "user@example.com", base.GroupUser+","+sale.GroupSalesman+","+account.GroupBilling, company); err != nil {
			return err
		}
		if f.uid["portal"], err = mk("portal", "portal@example.com", base.GroupPortal, company); err != nil {
			return err
		}
		// Another company, with a contact the user must never reach.
		cp, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Other Holding", "is_company": true}})
		if err != nil {
			return err
		}
		other, err := env.Create(ctx, "res.company", []map[string]any{{"name": "Other Co", "partner_id": cp[0]}})
		if err != nil {
			return err
		}
		secret, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Secret Supplier of Other Co", "email": "hidden@other.example", "company_id": other[0]}})
		if err != nil {
			return err
		}
		f.otherPartner = secret[0]
		return nil
	})
}

// client is a browser: it keeps cookies and the page's anti-forgery token.
type client struct {
	f       *fixture
	host    string
	cookies map[string]*http.Cookie
	csrf    string
	addr    string
}

func (f *fixture) client() *client {
	return &client{f: f, host: "acme.localhost", cookies: map[string]*http.Cookie{}, addr: "192.0.2.10:40000"}
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// do sends a request; a form body is posted as application/x-www-form-urlencoded.
func (c *client) do(method, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.send(r, header...)
}

// send sends r from the client's address with its cookies and the extra header
// pairs, and keeps the cookies and anti-forgery token of the answer.
func (c *client) send(r *http.Request, header ...string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	r.Host, r.RemoteAddr = c.host, c.addr
	for _, ck := range c.cookies {
		r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	c.f.server.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	if m := csrfPattern.FindStringSubmatch(w.Body.String()); m != nil {
		c.csrf = htmlUnescape(m[1])
	}
	return w
}

// post sends a form with the current anti-forgery token.
func (c *client) post(target string, form url.Values) *httptest.ResponseRecorder {
	c.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", c.csrf)
	}
	return c.do("POST", target, form)
}

func (c *client) get(target string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	return c.do("GET", target, nil)
}

// signIn signs in as a role and returns the client.
func (f *fixture) signIn(role string) *client {
	f.t.Helper()
	c := f.client()
	if role == "anonymous" {
		return c
	}
	c.get("/web/login")
	logins := map[string]string{"admin": "admin@example.com", "user": "user@example.com", "portal": "portal@example.com"}
	w := c.post("/web/login", url.Values{"login": {logins[role]}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("sign in as %s: %d %s", role, w.Code, w.Body)
	}
	c.get(w.Header().Get("Location"))
	return c
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&#61;", "=", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}
