package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/throttle"
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

func migrated(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	return db
}

func newThrottle(t *testing.T, db *store.DB, c *clock) *throttle.Throttle {
	t.Helper()
	cfg := throttle.DefaultConfig()
	cfg.Now = c.Now
	th, err := throttle.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func fail(t *testing.T, th *throttle.Throttle, n int, address, login string) {
	t.Helper()
	for range n {
		if err := th.RecordFailure(context.Background(), address, login); err != nil {
			t.Fatal(err)
		}
	}
}

func lockedUntil(t *testing.T, err error, kind throttle.Kind) time.Time {
	t.Helper()
	var locked *throttle.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, throttle.ErrLocked) || locked.Kind != kind {
		t.Fatalf("Check = %v, want a %s lock-out", err, kind)
	}
	return locked.Until
}

func TestAddressLockoutGrows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		th := newThrottle(t, migrated(t, e.Open(t)), c)

		fail(t, th, 9, "203.0.113.7", "alice")
		if err := th.Check(ctx, "203.0.113.7", "alice"); err != nil {
			t.Fatalf("after 9 failures: %v", err)
		}
		fail(t, th, 1, "203.0.113.7", "alice")
		until := lockedUntil(t, th.Check(ctx, "203.0.113.7", "bob"), throttle.KindAddress)
		if want := c.Now().Add(time.Minute); !until.Equal(want) {
			t.Fatalf("first lock until %v, want %v", until, want)
		}
		// Another address may still try the same account.
		if err := th.Check(ctx, "198.51.100.1", "alice"); err != nil {
			t.Fatalf("other address: %v", err)
		}
		// The lock ends, a second burst locks for twice as long, then four times.
		for _, want := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
			c.Advance(time.Hour / 4)
			if err := th.Check(ctx, "203.0.113.7", "carol"); err != nil {
				t.Fatalf("after the lock ended: %v", err)
			}
			fail(t, th, 10, "203.0.113.7", fmt.Sprintf("user%d", want))
			until := lockedUntil(t, th.Check(ctx, "203.0.113.7", "carol"), throttle.KindAddress)
			if got := until.Sub(c.Now()); got != want {
				t.Fatalf("lock of %s, want %s", got, want)
			}
		}
		// Quiet for longer than the longest lock: the next lock-out is short again.
		c.Advance(2 * time.Hour)
		fail(t, th, 10, "203.0.113.7", "dave")
		if got := lockedUntil(t, th.Check(ctx, "203.0.113.7", "dave"), throttle.KindAddress).Sub(c.Now()); got != time.Minute {
			t.Fatalf("after a quiet period: lock of %s, want 1m", got)
		}
	})
}

func TestFailuresOutsideTheWindowDoNotAddUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		th := newThrottle(t, migrated(t, e.Open(t)), c)
		fail(t, th, 9, "203.0.113.7", "alice")
		c.Advance(61 * time.Second)
		fail(t, th, 9, "203.0.113.7", "alice")
		if err := th.Check(ctx, "203.0.113.7", "alice"); err != nil {
			t.Fatalf("9 + 9 failures a minute apart: %v", err)
		}
		// But a sliding window: 9 old ones still inside plus 1 new one lock.
		c.Advance(30 * time.Second)
		fail(t, th, 1, "203.0.113.7", "alice")
		lockedUntil(t, th.Check(ctx, "203.0.113.7", "alice"), throttle.KindAddress)
	})
}

func TestAccountLockoutAndSuccessReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		th := newThrottle(t, migrated(t, e.Open(t)), c)

		// 19 failures from 19 addresses (a distributed guess), then a success.
		for i := range 19 {
			fail(t, th, 1, fmt.Sprintf("192.0.2.%d", i+1), "Alice")
		}
		if err := th.RecordSuccess(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		for i := range 19 {
			fail(t, th, 1, fmt.Sprintf("192.0.2.%d", i+1), "alice ")
		}
		if err := th.Check(ctx, "198.51.100.200", "ALICE"); err != nil {
			t.Fatalf("success did not reset the account counter: %v", err)
		}
		fail(t, th, 1, "192.0.2.100", "alice")
		until := lockedUntil(t, th.Check(ctx, "198.51.100.200", "alice"), throttle.KindAccount)
		if want := c.Now().Add(15 * time.Minute); !until.Equal(want) {
			t.Fatalf("account locked until %v, want %v", until, want)
		}
		if err := th.Check(ctx, "198.51.100.200", "bob"); err != nil {
			t.Fatalf("another account: %v", err)
		}
	})
}

// Two processes (two handles on one database) share counters and lock-outs.
func TestLockoutSharedAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	pair := map[string]func(t *testing.T) (*store.DB, *store.DB){
		"sqlite": func(t *testing.T) (*store.DB, *store.DB) {
			path := filepath.Join(t.TempDir(), "tenant.db")
			open := func() *store.DB {
				db, err := store.OpenSQLite(path, store.SQLiteOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			return open(), open()
		},
		"postgres": func(t *testing.T) (*store.DB, *store.DB) {
			url := storetest.NewPostgresDatabase(t)
			open := func() *store.DB {
				db, err := store.OpenPostgres(ctx, url, store.PostgresOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			return open(), open()
		},
	}
	for name, open := range pair {
		t.Run(name, func(t *testing.T) {
			first, second := open(t)
			migrated(t, first)
			c := newClock()
			one, two := newThrottle(t, first, c), newThrottle(t, second, c)
			// Failures alternate between the processes; neither alone saw 20.
			for i := range 20 {
				th := one
				if i%2 == 1 {
					th = two
				}
				fail(t, th, 1, fmt.Sprintf("192.0.2.%d", i+1), "alice")
			}
			lockedUntil(t, one.Check(ctx, "198.51.100.1", "alice"), throttle.KindAccount)
			lockedUntil(t, two.Check(ctx, "198.51.100.2", "alice"), throttle.KindAccount)

			fail(t, one, 10, "203.0.113.50", "bob")
			lockedUntil(t, two.Check(ctx, "203.0.113.50", "carol"), throttle.KindAddress)
		})
	}
}

func TestIPv6CountsPerSlash64(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		th := newThrottle(t, migrated(t, e.Open(t)), newClock())
		for i := range 10 {
			fail(t, th, 1, fmt.Sprintf("2001:db8:1:2::%x", i+1), "alice")
		}
		lockedUntil(t, th.Check(ctx, "2001:db8:1:2:ffff::1", "bob"), throttle.KindAddress)
		if err := th.Check(ctx, "2001:db8:1:3::1", "bob"); err != nil {
			t.Fatalf("another /64: %v", err)
		}
		// An IPv4-mapped address is the IPv4 address.
		fail(t, th, 10, "::ffff:192.0.2.9", "alice")
		lockedUntil(t, th.Check(ctx, "192.0.2.9", "bob"), throttle.KindAddress)
	})
}

func TestBansAndLift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		th := newThrottle(t, migrated(t, e.Open(t)), c)
		fail(t, th, 10, "203.0.113.7", "alice")
		for i := range 10 {
			fail(t, th, 1, fmt.Sprintf("192.0.2.%d", i+1), "alice")
		}
		bans, err := th.Bans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(bans) != 2 || bans[0].Kind != throttle.KindAccount || bans[0].Subject != "alice" ||
			bans[1].Kind != throttle.KindAddress || bans[1].Subject != "203.0.113.7" || bans[1].Lockouts != 1 {
			t.Fatalf("Bans = %+v", bans)
		}
		if _, err := th.Lift(ctx, "nonsense", "x"); err == nil {
			t.Fatal("Lift of an unknown kind accepted")
		}
		if lifted, err := th.Lift(ctx, throttle.KindAddress, "203.0.113.7"); err != nil || !lifted {
			t.Fatalf("Lift = %v, %v", lifted, err)
		}
		if lifted, _ := th.Lift(ctx, throttle.KindAddress, "203.0.113.7"); lifted {
			t.Fatal("second Lift reported a ban")
		}
		if err := th.Check(ctx, "203.0.113.7", "bob"); err != nil {
			t.Fatalf("after Lift: %v", err)
		}
		// Lifting forgot the failures too: one more does not lock again.
		fail(t, th, 1, "203.0.113.7", "bob")
		if err := th.Check(ctx, "203.0.113.7", "bob"); err != nil {
			t.Fatalf("one failure after Lift: %v", err)
		}
		// Expired bans are not listed.
		c.Advance(16 * time.Minute)
		if bans, _ := th.Bans(ctx); len(bans) != 0 {
			t.Fatalf("Bans after expiry = %+v", bans)
		}
	})
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		db := migrated(t, e.Open(t))
		th := newThrottle(t, db, c)
		fail(t, th, 3, "203.0.113.7", "alice")
		c.Advance(2 * time.Hour)
		fail(t, th, 1, "203.0.113.8", "bob")
		n, err := th.Prune(ctx)
		if err != nil || n != 6 {
			t.Fatalf("Prune = %d, %v; want the 6 rows from two hours ago", n, err)
		}
		var left int
		db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_login_failure").Scan(&left)
		if left != 2 {
			t.Fatalf("%d failure rows left, want 2", left)
		}
	})
}

func TestBadInput(t *testing.T) {
	db := migrated(t, storetest.OpenSQLite(t))
	th := newThrottle(t, db, newClock())
	ctx := context.Background()
	for _, c := range []struct{ address, login string }{
		{"", "alice"},
		{"not an address", "alice"},
		{"203.0.113.7:443", "alice"},
		{"203.0.113.7", strings.Repeat("a", throttle.MaxLoginLength+1)},
	} {
		if err := th.Check(ctx, c.address, c.login); err == nil || errors.Is(err, throttle.ErrLocked) {
			t.Errorf("Check(%q, %d-byte login) = %v", c.address, len(c.login), err)
		}
		if err := th.RecordFailure(ctx, c.address, c.login); err == nil {
			t.Errorf("RecordFailure(%q) accepted", c.address)
		}
	}
	var rows int
	db.Read.QueryRow("SELECT COUNT(*) FROM auth_login_failure").Scan(&rows)
	if rows != 0 {
		t.Fatalf("bad input wrote %d rows", rows)
	}
	for _, l := range []throttle.Limit{{}, {Failures: 1, Window: time.Second, FirstLock: time.Minute, MaxLock: time.Second}} {
		cfg := throttle.DefaultConfig()
		cfg.Account = l
		if _, err := throttle.New(db, cfg); err == nil {
			t.Errorf("New accepted limit %+v", l)
		}
	}
}

// Passwordless starts are limited per address on their own: the start past the
// limit is refused and counts nothing, password sign-ins from the address are not
// held back by them nor they by failed passwords, and the lock ends.
func TestStartsLimitedApartFromFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		th := newThrottle(t, migrated(t, e.Open(t)), c)
		limit := throttle.DefaultConfig().Start.Failures
		for i := range limit {
			if err := th.RecordStart(ctx, "203.0.113.7"); err != nil {
				t.Fatalf("start %d: %v", i+1, err)
			}
		}
		until := lockedUntil(t, th.RecordStart(ctx, "203.0.113.7"), throttle.KindStart)
		if want := c.Now().Add(time.Minute); !until.Equal(want) {
			t.Fatalf("starts locked until %v, want %v", until, want)
		}
		if err := th.Check(ctx, "203.0.113.7", "alice"); err != nil {
			t.Fatalf("password sign-in held back by starts: %v", err)
		}
		if err := th.RecordStart(ctx, "198.51.100.1"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		fail(t, th, 10, "198.51.100.1", "bob")
		lockedUntil(t, th.Check(ctx, "198.51.100.1", "bob"), throttle.KindAddress)
		if err := th.RecordStart(ctx, "198.51.100.1"); err != nil {
			t.Fatalf("start held back by failed passwords: %v", err)
		}
		if lifted, err := th.Lift(ctx, throttle.KindStart, "203.0.113.7"); !lifted || err != nil {
			t.Fatalf("lift the start ban: %v %v", lifted, err)
		}
		if err := th.RecordStart(ctx, "203.0.113.7"); err != nil {
			t.Fatalf("after the lift: %v", err)
		}
		for range limit - 1 {
			th.RecordStart(ctx, "203.0.113.7")
		}
		lockedUntil(t, th.RecordStart(ctx, "203.0.113.7"), throttle.KindStart)
		c.Advance(2*time.Minute + time.Second)
		if err := th.RecordStart(ctx, "203.0.113.7"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if err := th.RecordStart(ctx, "not an address"); err == nil {
			t.Fatal("a start from a malformed address was counted")
		}
	})
}
