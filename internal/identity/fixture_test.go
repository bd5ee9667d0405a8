package identity_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mailbox records what would have been sent.
type mailbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailbox) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

func (m *mailbox) last() mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent[len(m.sent)-1]
}

var (
	hasherOnce sync.Once
	hasher     *password.Hasher
	policy     *password.Policy
)

// tools are shared: the common-password list and the hasher are costly to build.
func tools(t testing.TB) (*password.Hasher, *password.Policy) {
	hasherOnce.Do(func() {
		var err error
		if hasher, err = password.NewHasher(0); err != nil {
			panic(err)
		}
		common, err := password.LoadCommonList()
		if err != nil {
			panic(err)
		}
		if policy, err = password.NewPolicy(0, common); err != nil {
			panic(err)
		}
	})
	return hasher, policy
}

type fixture struct {
	t        *testing.T
	tn       *erptest.Tenant
	clock    *clock
	svc      *identity.Service
	mail     *mailbox
	logs     *bytes.Buffer
	login    *auth.Authenticator
	sessions *session.Store
}

func newFixture(t *testing.T, e storetest.Engine) *fixture {
	t.Helper()
	tn := erptest.Install(t, e)
	setSecret(t, tn.DB)
	return newFixtureOn(t, tn)
}

func newFixtureOn(t *testing.T, tn *erptest.Tenant) *fixture {
	t.Helper()
	h, p := tools(t)
	f := &fixture{t: t, tn: tn, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, mail: &mailbox{}, logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	f.svc, err = identity.New(identity.Config{DB: tn.DB, Registry: tn.Reg, BaseURL: "https://acme.erp.example.com", Tenant: "acme",
		Hasher: h, Policy: p, Mail: f.mail, Logger: logger, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	thCfg := throttle.DefaultConfig()
	thCfg.Now = f.clock.Now
	th, err := throttle.New(tn.DB, thCfg)
	if err != nil {
		t.Fatal(err)
	}
	f.login, err = auth.NewAuthenticator(f.svc.Accounts(), h, th, securitylog.New(tn.DB, f.clock.Now), logger)
	if err != nil {
		t.Fatal(err)
	}
	if f.sessions, err = session.NewStore(tn.DB, session.Config{Now: f.clock.Now}); err != nil {
		t.Fatal(err)
	}
	return f
}

// setSecret gives the tenant its signing secret, as provisioning does.
func setSecret(t testing.TB, db *store.DB) {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, db.Rebind("DELETE FROM ir_config_parameter WHERE key = ?"), "database.secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, db.Rebind("INSERT INTO ir_config_parameter (key, value) VALUES (?, ?)"), "database.secret", hex.EncodeToString(secret)); err != nil {
		t.Fatal(err)
	}
}

// user creates an internal user with an email address.
func (f *fixture) user(login string) int64 {
	f.t.Helper()
	c := f.tn.MainCompany()
	return f.tn.User(login, c, []int64{c}, 0, base.GroupUser)
}

// linkParts splits a link into its path, uid and token.
func linkParts(t testing.TB, link string) (path, uid, tok string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "acme.erp.example.com" {
		t.Fatalf("link %q not on the tenant's origin", link)
	}
	return u.Path, u.Query().Get("uid"), u.Query().Get("token")
}

var securitylogAll = securitylog.Filter{}
