package session_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/session"
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

func openDB(t testing.TB, e storetest.Engine) *store.DB {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	return db
}

func newStore(t testing.TB, db *store.DB, c *clock) *session.Store {
	t.Helper()
	s, err := session.NewStore(db, session.Config{IdleTimeout: 2 * time.Hour, Lifetime: 7 * 24 * time.Hour, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateAndLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		c := newClock()
		s := newStore(t, db, c)
		sess, tok, err := s.Create(ctx, 42, "203.0.113.9", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Fatalf("token %d characters, want 43 (256 bits)", len(tok))
		}
		got, err := s.Lookup(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != sess.ID || got.UserID != 42 || got.ClientAddress != "203.0.113.9" || got.UserAgent != "Firefox" ||
			got.CSRFToken() != sess.CSRFToken() || !got.ExpiresAt.Equal(c.Now().Add(7*24*time.Hour)) {
			t.Fatalf("Lookup = %+v, created %+v", got, sess)
		}

		// The database holds a hash, never the token.
		var stored []byte
		if err := db.Read.QueryRowContext(ctx, "SELECT token_hash FROM auth_session").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 32 || bytes.Contains(stored, []byte(tok)) {
			t.Fatalf("stored token_hash %x is not a 32-byte hash", stored)
		}
		assertNoColumnHolds(t, db, tok)
	})
}

func assertNoColumnHolds(t *testing.T, db *store.DB, secret string) {
	t.Helper()
	rows, err := db.Read.Query("SELECT token_hash, client_address, user_agent, csrf_token FROM auth_session")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, d []byte
		var b, c string
		if err := rows.Scan(&a, &b, &c, &d); err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]byte{a, []byte(b), []byte(c), d} {
			if bytes.Contains(v, []byte(secret)) {
				t.Fatalf("a session column holds the token")
			}
		}
	}
}

func TestNoFixation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newStore(t, openDB(t, e), newClock())
		// A visitor's pre-login session; logging in must not keep its token.
		_, pre, err := s.Create(ctx, 7, "198.51.100.1", "UA")
		if err != nil {
			t.Fatal(err)
		}
		_, login, err := s.Create(ctx, 7, "198.51.100.1", "UA")
		if err != nil {
			t.Fatal(err)
		}
		if login == pre {
			t.Fatal("Create reused a token")
		}
		// Privilege change: rotate.
		before, err := s.Lookup(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		after, rotated, err := s.Rotate(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		if rotated == login || after.ID == before.ID || after.CSRFToken() == before.CSRFToken() {
			t.Fatal("Rotate kept the token, id or CSRF token")
		}
		if !after.ExpiresAt.Equal(before.ExpiresAt) || !after.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("Rotate changed the lifetime: %v → %v", before.ExpiresAt, after.ExpiresAt)
		}
		if _, err := s.Lookup(ctx, login); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("old token after Rotate: %v", err)
		}
		if _, _, err := s.Rotate(ctx, login); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Rotate of a rotated token: %v", err)
		}
		if got, err := s.Lookup(ctx, rotated); err != nil || got.UserID != 7 {
			t.Fatalf("new token: %+v, %v", got, err)
		}
	})
}

func TestExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		s := newStore(t, openDB(t, e), c)

		// Idle timeout: used within two hours it lives on; two idle hours end it.
		_, idle, _ := s.Create(ctx, 1, "", "")
		for range 5 {
			c.Advance(2*time.Hour - time.Minute)
			if _, err := s.Lookup(ctx, idle); err != nil {
				t.Fatalf("active session ended: %v", err)
			}
		}
		c.Advance(2 * time.Hour)
		if _, err := s.Lookup(ctx, idle); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("idle session: %v", err)
		}

		// Absolute lifetime: however active, it ends after seven days.
		_, active, _ := s.Create(ctx, 1, "", "")
		for elapsed := time.Duration(0); elapsed < 7*24*time.Hour-time.Hour; elapsed += time.Hour {
			c.Advance(time.Hour)
			if _, err := s.Lookup(ctx, active); err != nil {
				t.Fatalf("session ended after %s: %v", elapsed+time.Hour, err)
			}
		}
		c.Advance(time.Hour)
		if _, err := s.Lookup(ctx, active); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("session past its lifetime: %v", err)
		}
		if _, _, err := s.Rotate(ctx, active); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Rotate past lifetime: %v", err)
		}
	})
}

func TestTouchAtMostOncePerInterval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		c := newClock()
		s := newStore(t, db, c)
		created, tok, _ := s.Create(ctx, 1, "", "")
		lastSeen := func() int64 {
			var v int64
			if err := db.Read.QueryRowContext(ctx, "SELECT last_seen_at FROM auth_session").Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		c.Advance(59 * time.Second)
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if lastSeen() != created.LastSeenAt.Unix() {
			t.Fatal("a lookup within a minute wrote last_seen_at")
		}
		c.Advance(time.Second)
		got, err := s.Lookup(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if lastSeen() != c.Now().Unix() || !got.LastSeenAt.Equal(c.Now()) {
			t.Fatal("a lookup after a minute did not record the use")
		}
	})
}

func TestEndingSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		s := newStore(t, openDB(t, e), c)
		current, currentTok, _ := s.Create(ctx, 5, "192.0.2.1", "laptop")
		c.Advance(time.Minute)
		_, phone, _ := s.Create(ctx, 5, "192.0.2.2", "phone")
		c.Advance(time.Minute)
		tablet, tabletTok, _ := s.Create(ctx, 5, "192.0.2.3", "tablet")
		_, otherUser, _ := s.Create(ctx, 6, "192.0.2.4", "someone else")

		list, err := s.List(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].UserAgent != "tablet" || list[2].UserAgent != "laptop" {
			t.Fatalf("List = %+v", list)
		}

		// A user cannot revoke another user's session by guessing its id.
		if err := s.Revoke(ctx, 6, tablet.ID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Revoke of another user's session: %v", err)
		}
		if err := s.Revoke(ctx, 5, tablet.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, tabletTok); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("revoked session: %v", err)
		}

		// Password change: every other session of the user ends, this one stays.
		n, err := s.DeleteOthers(ctx, 5, current.ID)
		if err != nil || n != 1 {
			t.Fatalf("DeleteOthers = %d, %v; want 1", n, err)
		}
		if _, err := s.Lookup(ctx, phone); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("other session after password change: %v", err)
		}
		if _, err := s.Lookup(ctx, currentTok); err != nil {
			t.Fatalf("current session after password change: %v", err)
		}
		if _, err := s.Lookup(ctx, otherUser); err != nil {
			t.Fatalf("another user's session ended: %v", err)
		}

		// Deactivation: all of them.
		if n, err := s.DeleteOthers(ctx, 5, 0); err != nil || n != 1 {
			t.Fatalf("DeleteOthers(keep none) = %d, %v", n, err)
		}
		// Logout.
		if err := s.Delete(ctx, otherUser); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, otherUser); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("after logout: %v", err)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		s := newStore(t, openDB(t, e), c)
		_, _, _ = s.Create(ctx, 1, "", "")
		c.Advance(90 * time.Minute)
		_, fresh, _ := s.Create(ctx, 1, "", "")
		c.Advance(31 * time.Minute)
		n, err := s.DeleteExpired(ctx)
		if err != nil || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
		}
		if _, err := s.Lookup(ctx, fresh); err != nil {
			t.Fatal(err)
		}
	})
}

// A session lives in its tenant's database: presenting it to another tenant fails.
func TestCrossTenantReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		a := newStore(t, openDB(t, e), c)
		b := newStore(t, openDB(t, e), c)
		_, tok, _ := a.Create(ctx, 1, "", "")
		if _, err := b.Lookup(ctx, tok); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("tenant B accepted tenant A's session: %v", err)
		}
	})
}

func TestMalformedTokens(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, storetest.Engines()[0]), newClock())
	_, tok, _ := s.Create(ctx, 1, "", "")
	for _, bad := range []string{
		"", "x", tok[:42], tok + "A", tok[:42] + "=", strings.Repeat("A", 4096),
		strings.Replace(tok, tok[:1], "+", 1), tok[:20] + "\x00" + tok[21:],
		"' OR 1=1 --" + strings.Repeat("A", 32),
	} {
		if _, err := s.Lookup(ctx, bad); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Lookup(%q) = %v", bad, err)
		}
	}
	if err := s.Delete(ctx, "garbage"); err != nil {
		t.Errorf("Delete of garbage: %v", err)
	}
}

func TestCSRF(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, openDB(t, storetest.Engines()[0]), newClock())
	a, _, _ := s.Create(ctx, 1, "", "")
	b, _, _ := s.Create(ctx, 1, "", "")
	if a.CSRFToken() == b.CSRFToken() || len(a.CSRFToken()) != 43 {
		t.Fatal("CSRF tokens are not per session")
	}
	cases := []struct {
		submitted string
		ok        bool
	}{
		{a.CSRFToken(), true},
		{b.CSRFToken(), false},
		{"", false},
		{a.CSRFToken()[:42], false},
		{a.CSRFToken() + "A", false},
	}
	for _, c := range cases {
		if a.CheckCSRF(c.submitted) != c.ok {
			t.Errorf("CheckCSRF(%q) = %v", c.submitted, !c.ok)
		}
	}
	if (session.Session{}).CheckCSRF("") {
		t.Error("a zero session accepts an empty CSRF token")
	}
}

func TestNewStoreRefusesBadLifetimes(t *testing.T) {
	db := &store.DB{Engine: store.SQLite}
	for _, cfg := range []session.Config{
		{IdleTimeout: time.Second},
		{IdleTimeout: 8 * 24 * time.Hour, Lifetime: 7 * 24 * time.Hour},
		{IdleTimeout: time.Hour, TouchInterval: time.Hour},
		{IdleTimeout: time.Hour, TouchInterval: -time.Second},
	} {
		if _, err := session.NewStore(db, cfg); err == nil {
			t.Errorf("NewStore(%+v) accepted", cfg)
		}
	}
}

func TestCookieFlags(t *testing.T) {
	rec := httptest.NewRecorder()
	expires := time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)
	http.SetCookie(rec, session.Cookie("tok", expires))
	http.SetCookie(rec, session.ClearCookie())
	lines := rec.Result().Header.Values("Set-Cookie")
	if len(lines) != 2 {
		t.Fatalf("Set-Cookie lines: %q", lines)
	}
	for _, line := range lines {
		for _, want := range []string{"__Host-session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(line, want) {
				t.Errorf("%q lacks %q", line, want)
			}
		}
		if strings.Contains(strings.ToLower(line), "domain=") {
			t.Errorf("%q sets a Domain, which __Host- forbids", line)
		}
	}
	if !strings.Contains(lines[0], "Expires=Sun, 08 Mar 2026 09:00:00 GMT") {
		t.Errorf("cookie expiry: %q", lines[0])
	}
	if !strings.Contains(lines[1], "Max-Age=0") {
		t.Errorf("clear cookie: %q", lines[1])
	}
}
