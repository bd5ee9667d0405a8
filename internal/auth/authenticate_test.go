package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Made by internal/auth/password/testdata/make_passlib_vectors.py: passlib's
// pbkdf2_sha512 at its old default of 25,000 rounds.
const (
	legacyPassword = "correct horse battery staple"
	legacyHash     = "$pbkdf2-sha512$25000$AAECAwQFBgcICQoLDA0ODw$SD45rjg2efG3ODIHQeklcrq1rgpKrbMw16UwshxvBWLgNENeDWMvNiO.Lj6BUMRx4V/sPJndUTpKWVbG79Akig"
)

// memoryAccounts stands in for res.users.
type memoryAccounts struct {
	mu       sync.Mutex
	byLogin  map[string]auth.Account
	upgrades int
}

func (m *memoryAccounts) AccountByLogin(_ context.Context, login string) (auth.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.byLogin[login]
	if !ok {
		return auth.Account{}, auth.ErrNoAccount
	}
	return a, nil
}

func (m *memoryAccounts) SetPasswordHash(_ context.Context, id int64, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for login, a := range m.byLogin {
		if a.ID == id {
			a.PasswordHash = hash
			m.byLogin[login] = a
			m.upgrades++
			return nil
		}
	}
	return auth.ErrNoAccount
}

func (m *memoryAccounts) hash(login string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byLogin[login].PasswordHash
}

type fixture struct {
	accounts *memoryAccounts
	hasher   *password.Hasher
	throttle *throttle.Throttle
	log      *securitylog.Log
	logs     *bytes.Buffer
	auth     *auth.Authenticator
	db       *store.DB
}

func newFixture(t testing.TB, db *store.DB, hasher *password.Hasher, accounts *memoryAccounts) *fixture {
	t.Helper()
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cfg := throttle.DefaultConfig()
	cfg.Now = func() time.Time { return now }
	th, err := throttle.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{accounts: accounts, hasher: hasher, throttle: th, log: securitylog.New(db, cfg.Now), logs: &bytes.Buffer{}, db: db}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.auth, err = auth.NewAuthenticator(accounts, hasher, th, f.log, logger)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sharedHasher(t *testing.T) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoginPaths(t *testing.T) {
	hasher := sharedHasher(t)
	aliceHash, err := hasher.Hash("alice's long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	// Storage here is the throttle and the security log, both tested on each engine in
	// their packages; these paths cost a full 600,000-round hash each, so they run
	// once, on SQLite.
	func() {
		e := storetest.Engines()[0]
		ctx := context.Background()
		accounts := &memoryAccounts{byLogin: map[string]auth.Account{
			"alice": {ID: 1, Login: "alice", PasswordHash: aliceHash, Active: true},
			"bob":   {ID: 2, Login: "bob", PasswordHash: aliceHash, Active: false},
			"oidc":  {ID: 3, Login: "oidc", PasswordHash: "", Active: true},
		}}
		f := newFixture(t, e.Open(t), hasher, accounts)
		attempt := func(login, pw string) auth.Attempt {
			return auth.Attempt{Login: login, Password: pw, Address: "192.0.2.10", UserAgent: "test"}
		}

		cases := []struct {
			name        string
			attempt     auth.Attempt
			ok          bool
			dummy       int64 // dummy verifications expected
			derivations int64
		}{
			{"right password", attempt("alice", "alice's long passphrase"), true, 0, 1},
			{"wrong password", attempt("alice", "guess"), false, 0, 1},
			{"unknown login", attempt("mallory", "guess"), false, 1, 1},
			{"inactive, right password", attempt("bob", "alice's long passphrase"), false, 0, 1},
			{"no local password", attempt("oidc", ""), false, 1, 1},
			{"over-long login", attempt(strings.Repeat("a", 300), "guess"), false, 1, 1},
		}
		var failureMessage string
		for _, c := range cases {
			dummies, derivations := hasher.DummyVerifications(), hasher.Derivations()
			acct, err := f.auth.Authenticate(ctx, c.attempt)
			if c.ok != (err == nil) {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !c.ok {
				if !errors.Is(err, auth.ErrInvalidCredentials) {
					t.Fatalf("%s: %v, want ErrInvalidCredentials", c.name, err)
				}
				if failureMessage == "" {
					failureMessage = err.Error()
				} else if err.Error() != failureMessage {
					t.Fatalf("%s: message %q differs from %q", c.name, err, failureMessage)
				}
			}
			if c.ok && (acct.ID != 1 || acct.PasswordHash != "") {
				t.Fatalf("%s: account %+v", c.name, acct)
			}
			// Same hashing work on every path: exactly one derivation at full rounds.
			if got := hasher.DummyVerifications() - dummies; got != c.dummy {
				t.Errorf("%s: %d dummy verifications, want %d", c.name, got, c.dummy)
			}
			if got := hasher.Derivations() - derivations; got != c.derivations {
				t.Errorf("%s: %d derivations, want %d", c.name, got, c.derivations)
			}
		}

		events, err := f.log.List(ctx, securitylog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != len(cases) || events[len(events)-1].Kind != securitylog.LoginSuccess || events[0].Kind != securitylog.LoginFailure {
			t.Fatalf("security log = %+v", events)
		}
		if events[len(events)-2].UserID != 1 || events[len(events)-3].UserID != 0 {
			t.Fatalf("failure events do not name the known user only: %+v", events)
		}
		assertNoSecrets(t, f, "alice's long passphrase", aliceHash)
	}()
}

func TestLegacyHashUpgrade(t *testing.T) {
	hasher := sharedHasher(t)
	// Once, on SQLite, for the reason given in TestLoginPaths.
	func() {
		e := storetest.Engines()[0]
		ctx := context.Background()
		accounts := &memoryAccounts{byLogin: map[string]auth.Account{
			"legacy": {ID: 4, Login: "legacy", PasswordHash: legacyHash, Active: true},
			"plain":  {ID: 5, Login: "plain", PasswordHash: "odoo-era plaintext", Active: true},
		}}
		f := newFixture(t, e.Open(t), hasher, accounts)

		// A wrong password leaves the old hash alone.
		if _, err := f.auth.Authenticate(ctx, auth.Attempt{Login: "legacy", Password: "wrong", Address: "192.0.2.1"}); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatal(err)
		}
		if accounts.hash("legacy") != legacyHash {
			t.Fatal("a failed login changed the stored hash")
		}
		// The right one upgrades it to 600,000 rounds, and the new hash works.
		if _, err := f.auth.Authenticate(ctx, auth.Attempt{Login: "legacy", Password: legacyPassword, Address: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		upgraded := accounts.hash("legacy")
		if !strings.HasPrefix(upgraded, "$pbkdf2-sha512$600000$") {
			t.Fatalf("stored hash after login: %.30s…", upgraded)
		}
		if ok, rehash, err := hasher.Verify(legacyPassword, upgraded); !ok || rehash || err != nil {
			t.Fatalf("upgraded hash: %v %v %v", ok, rehash, err)
		}
		// A legacy plaintext row is hashed at its first successful login.
		if _, err := f.auth.Authenticate(ctx, auth.Attempt{Login: "plain", Password: "odoo-era plaintext", Address: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(accounts.hash("plain"), "$pbkdf2-sha512$600000$") {
			t.Fatal("plaintext row was not hashed")
		}
		if accounts.upgrades != 2 {
			t.Fatalf("%d upgrades, want 2", accounts.upgrades)
		}
		assertNoSecrets(t, f, legacyPassword, legacyHash, upgraded, "odoo-era plaintext")
	}()
}

func TestThrottleComesFirst(t *testing.T) {
	hasher := sharedHasher(t)
	hash, err := hasher.Hash("alice's long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		accounts := &memoryAccounts{byLogin: map[string]auth.Account{
			"alice": {ID: 1, Login: "alice", PasswordHash: hash, Active: true},
		}}
		f := newFixture(t, e.Open(t), hasher, accounts)
		// Ten wrong passwords from one address (recorded directly: each real one
		// would cost a full hash and prove nothing more).
		for range 10 {
			if err := f.throttle.RecordFailure(ctx, "203.0.113.66", "alice"); err != nil {
				t.Fatal(err)
			}
		}
		before := hasher.Derivations()
		_, err := f.auth.Authenticate(ctx, auth.Attempt{Login: "alice", Password: "alice's long passphrase", Address: "203.0.113.66"})
		if !errors.Is(err, throttle.ErrLocked) {
			t.Fatalf("right password from a locked address: %v", err)
		}
		if hasher.Derivations() != before {
			t.Fatal("the password was hashed while locked out")
		}
		if _, err := f.auth.Authenticate(ctx, auth.Attempt{Login: "alice", Password: "alice's long passphrase", Address: "198.51.100.5"}); err != nil {
			t.Fatalf("right password from another address: %v", err)
		}
		throttled, _ := f.log.List(ctx, securitylog.Filter{Kind: securitylog.LoginThrottled})
		if len(throttled) != 1 || throttled[0].Address != "203.0.113.66" {
			t.Fatalf("throttled events = %+v", throttled)
		}
	})
}

// assertNoSecrets scans the process log and every security log row.
func assertNoSecrets(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	events, err := f.log.List(context.Background(), securitylog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	all.Write(f.logs.Bytes())
	for _, e := range events {
		all.WriteString(e.Login + e.Address + e.UserAgent + e.Reference)
	}
	for _, s := range secrets {
		if strings.Contains(all.String(), s) {
			t.Fatalf("a password or hash appears in the logs")
		}
	}
	if f.logs.Len() == 0 {
		t.Fatal("nothing was logged, so the scan proves nothing")
	}
}

func TestNewAuthenticatorNeedsEverything(t *testing.T) {
	if _, err := auth.NewAuthenticator(nil, nil, nil, nil, nil); err == nil {
		t.Fatal("accepted")
	}
}
