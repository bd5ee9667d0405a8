package totp_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/hotp"

	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/secrets"
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

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func masterKey(t *testing.T, b byte) *secrets.MasterKey {
	t.Helper()
	k, err := secrets.NewMasterKey(bytes.Repeat([]byte{b}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type fixture struct {
	db  *store.DB
	c   *clock
	key *secrets.MasterKey
	m   *totp.Manager
}

func newFixture(t *testing.T, e storetest.Engine) *fixture {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, c: newClock(), key: masterKey(t, 7)}
	f.m = f.manager(t, "acme", f.key)
	return f
}

func (f *fixture) manager(t *testing.T, tenant string, key *secrets.MasterKey) *totp.Manager {
	t.Helper()
	m, err := totp.New(f.db, totp.Config{Tenant: tenant, Key: key, Now: f.c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := hotp.GenerateCode(secret, uint64(at.Unix()/30))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enable enrols userID at the fixture's current time and returns the secret and codes.
func (f *fixture) enable(t *testing.T, userID int64) (string, []string) {
	t.Helper()
	enr, err := f.m.NewEnrollment("user@example.com")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.m.Enable(context.Background(), userID, enr.Secret, codeAt(t, enr.Secret, f.c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return enr.Secret, codes
}

func TestDriftWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		cases := []struct {
			name   string
			offset time.Duration
			ok     bool
		}{
			{"previous step", -30 * time.Second, true},
			{"current step", 0, true},
			{"next step", 30 * time.Second, true},
			{"two steps back", -60 * time.Second, false},
			{"two steps ahead", 60 * time.Second, false},
		}
		for i, c := range cases {
			userID := int64(100 + i)
			secret, _ := f.enable(t, userID)
			f.c.Advance(10 * time.Minute)
			err := f.m.Verify(ctx, userID, codeAt(t, secret, f.c.Now().Add(c.offset)))
			if c.ok && err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			if !c.ok && !errors.Is(err, totp.ErrInvalidCode) {
				t.Errorf("%s: %v, want ErrInvalidCode", c.name, err)
			}
		}
	})
}

func TestReplayRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		secret, _ := f.enable(t, 1)
		// The code used to enable cannot be used to log in.
		if err := f.m.Verify(ctx, 1, codeAt(t, secret, f.c.Now())); !errors.Is(err, totp.ErrReplayed) {
			t.Fatalf("enabling code reused: %v", err)
		}
		f.c.Advance(5 * time.Minute)
		code := codeAt(t, secret, f.c.Now())
		if err := f.m.Verify(ctx, 1, code); err != nil {
			t.Fatal(err)
		}
		// Same code, still within its window.
		f.c.Advance(20 * time.Second)
		if err := f.m.Verify(ctx, 1, code); !errors.Is(err, totp.ErrReplayed) || !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("replayed code: %v", err)
		}
		// An older code after a newer one was accepted.
		next := codeAt(t, secret, f.c.Now().Add(30*time.Second))
		if err := f.m.Verify(ctx, 1, next); err != nil {
			t.Fatal(err)
		}
		if err := f.m.Verify(ctx, 1, codeAt(t, secret, f.c.Now())); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("older code after a newer one: %v", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		secret, codes := f.enable(t, 1)
		f.enable(t, 2)
		f.c.Advance(time.Minute)
		for i := range 5 {
			if err := f.m.Verify(ctx, 1, "000000"); !errors.Is(err, totp.ErrInvalidCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		// The right code is not even looked at now, nor a recovery code.
		if err := f.m.Verify(ctx, 1, codeAt(t, secret, f.c.Now())); !errors.Is(err, totp.ErrRateLimited) {
			t.Fatalf("right code while limited: %v", err)
		}
		if err := f.m.UseRecoveryCode(ctx, 1, codes[0]); !errors.Is(err, totp.ErrRateLimited) {
			t.Fatalf("recovery code while limited: %v", err)
		}
		// Another user is not affected.
		if err := f.m.Verify(ctx, 2, "000000"); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("other user: %v", err)
		}
		f.c.Advance(15 * time.Minute)
		if err := f.m.Verify(ctx, 1, codeAt(t, secret, f.c.Now())); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, 1); n != 10 {
			t.Fatalf("a rate-limited recovery code was consumed: %d left", n)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		_, codes := f.enable(t, 1)
		_, otherCodes := f.enable(t, 2)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if len(c) != 19 || seen[c] {
				t.Fatalf("recovery code %q malformed or repeated", c)
			}
			seen[c] = true
		}
		if err := f.m.UseRecoveryCode(ctx, 1, strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))); err != nil {
			t.Fatalf("recovery code as typed: %v", err)
		}
		if err := f.m.UseRecoveryCode(ctx, 1, codes[3]); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("recovery code reused: %v", err)
		}
		if err := f.m.UseRecoveryCode(ctx, 1, otherCodes[0]); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("another user's recovery code: %v", err)
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, 1); n != 9 {
			t.Fatalf("%d codes left, want 9", n)
		}
		// Stored hashed: no column holds a code.
		rows, err := f.db.Read.QueryContext(ctx, "SELECT code_hash FROM auth_recovery_code")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h []byte
			rows.Scan(&h)
			for _, c := range append(codes, otherCodes...) {
				if bytes.Contains(h, []byte(strings.ReplaceAll(c, "-", ""))) {
					t.Fatal("a recovery code is stored in clear")
				}
			}
		}
		rows.Close()
		fresh, err := f.m.RegenerateRecoveryCodes(ctx, 1)
		if err != nil || len(fresh) != 10 {
			t.Fatalf("Regenerate = %d, %v", len(fresh), err)
		}
		if err := f.m.UseRecoveryCode(ctx, 1, codes[5]); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("old code after regeneration: %v", err)
		}
		if err := f.m.UseRecoveryCode(ctx, 1, fresh[5]); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSecretSealedAndBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		secret, _ := f.enable(t, 1)
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		var sealed []byte
		if err := f.db.Read.QueryRowContext(ctx, "SELECT secret_sealed FROM auth_totp WHERE user_id = 1").Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, raw) || bytes.Contains(sealed, []byte(secret)) {
			t.Fatal("TOTP secret stored in clear")
		}
		f.c.Advance(time.Minute)
		code := codeAt(t, secret, f.c.Now())

		// The row copied to another user does not open.
		if _, err := f.db.Write.ExecContext(ctx, f.db.Rebind("INSERT INTO auth_totp (user_id, secret_sealed, last_step, enabled_at) VALUES (?, ?, 0, 0)"), 2, sealed); err != nil {
			t.Fatal(err)
		}
		err := f.m.Verify(ctx, 2, code)
		if err == nil || errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("secret copied to another user: %v", err)
		}
		// Another tenant's manager or another master key cannot open it either.
		for name, m := range map[string]*totp.Manager{
			"other tenant": f.manager(t, "globex", f.key),
			"other key":    f.manager(t, "acme", masterKey(t, 8)),
		} {
			err := m.Verify(ctx, 1, code)
			if err == nil || errors.Is(err, totp.ErrInvalidCode) {
				t.Fatalf("%s: %v", name, err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), code) {
				t.Fatalf("%s: error %q holds the secret or the code", name, err)
			}
		}
		if err := f.m.Verify(ctx, 1, code); err != nil {
			t.Fatalf("the right manager: %v", err)
		}
	})
}

func TestEnableAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		enr, err := f.m.NewEnrollment("alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enr.URL, "otpauth://totp/") || !strings.Contains(enr.URL, "secret="+enr.Secret) || len(enr.Secret) != 32 {
			t.Fatalf("enrollment %+v", enr)
		}
		if _, err := f.m.Enable(ctx, 1, enr.Secret, "000000"); !errors.Is(err, totp.ErrInvalidCode) {
			t.Fatalf("Enable with a wrong code: %v", err)
		}
		if on, _ := f.m.Enabled(ctx, 1); on {
			t.Fatal("enabled by a wrong code")
		}
		if _, err := f.m.Enable(ctx, 1, "not base32!", "000000"); err == nil {
			t.Fatal("Enable with a bad secret accepted")
		}
		if _, err := f.m.Enable(ctx, 1, enr.Secret, codeAt(t, enr.Secret, f.c.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Enable(ctx, 1, enr.Secret, codeAt(t, enr.Secret, f.c.Now().Add(30*time.Second))); !errors.Is(err, totp.ErrAlreadyEnabled) {
			t.Fatalf("second Enable: %v", err)
		}
		if on, _ := f.m.Enabled(ctx, 1); !on {
			t.Fatal("not enabled")
		}
		if err := f.m.Disable(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := f.m.Disable(ctx, 1); !errors.Is(err, totp.ErrNotEnabled) {
			t.Fatalf("second Disable: %v", err)
		}
		if err := f.m.Verify(ctx, 1, "123456"); !errors.Is(err, totp.ErrNotEnabled) {
			t.Fatalf("Verify after Disable: %v", err)
		}
		if n, _ := f.m.RemainingRecoveryCodes(ctx, 1); n != 0 {
			t.Fatalf("%d recovery codes survive Disable", n)
		}
		if _, err := f.m.RegenerateRecoveryCodes(ctx, 1); !errors.Is(err, totp.ErrNotEnabled) {
			t.Fatalf("Regenerate while disabled: %v", err)
		}
	})
}
