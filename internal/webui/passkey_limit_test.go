package webui_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/throttle"
)

// ceremonies counts the passkey ceremonies stored in a tenant's database.
func (f *fixture) ceremonies(tenant string) int {
	f.t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, tenant)
	if err != nil {
		f.t.Fatal(err)
	}
	defer lease.Release()
	var n int
	if err := lease.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_ceremony").Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// An attacker starting passwordless sign-ins from one address to fill the ceremony
// table is refused once the address reaches the throttle's limit on starts: the next
// start answers 429 and stores nothing, for a fresh browser on that address too,
// while another address still starts.
func TestPasswordlessStartsAreLimitedPerAddress(t *testing.T) {
	const path = "/web/login/passkey/options"
	limit := throttle.DefaultConfig().Start.Failures // what the fixture uses
	eachEngine(t, func(t *testing.T, f *fixture) {
		attacker := f.client()
		attacker.addr = "198.51.100.7:50000"
		attacker.get("/web/login")
		before := f.ceremonies("acme")
		for i := range limit {
			if code, o := attacker.options(t, path, nil); code != http.StatusOK || o.Handle == "" {
				t.Fatalf("start %d of %d: %d %+v", i+1, limit, code, o)
			}
		}
		if n := f.ceremonies("acme"); n != before+limit {
			t.Fatalf("%d ceremonies after %d starts, want %d", n, limit, before+limit)
		}
		// A new browser (new cookies, new token) on the same address is the same
		// address to the throttle.
		again := f.client()
		again.addr = "198.51.100.7:50001"
		again.get("/web/login")
		for _, c := range []*client{attacker, again} {
			w := c.post(path, nil)
			if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "Too many sign-in attempts") ||
				!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("start %d from the address: %d %s", limit+1, w.Code, w.Body)
			}
			if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
			}
		}
		if n := f.ceremonies("acme"); n != before+limit {
			t.Fatalf("refused starts stored ceremonies: %d, want %d", n, before+limit)
		}

		other := f.client()
		other.addr = "198.51.100.8:50000"
		other.get("/web/login")
		if code, o := other.options(t, path, nil); code != http.StatusOK || o.Handle == "" {
			t.Fatalf("start from another address: %d %+v", code, o)
		}
		if n := f.ceremonies("acme"); n != before+limit+1 {
			t.Fatalf("%d ceremonies, want %d", n, before+limit+1)
		}
	})
}
