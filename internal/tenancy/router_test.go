package tenancy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// countingOpen wraps Storage.Open and counts opens per tenant.
type countingOpen struct {
	storage Storage
	mu      sync.Mutex
	opens   map[string]int
	delay   time.Duration
}

func (c *countingOpen) open(ctx context.Context, t Tenant, conns int) (*store.DB, error) {
	time.Sleep(c.delay)
	c.mu.Lock()
	c.opens[t.Name]++
	c.mu.Unlock()
	return c.storage.Open(ctx, t, conns)
}

func (c *countingOpen) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens[name]
}

func TestRouter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, nil)
		for _, n := range []string{"acme", "globex", "initech"} {
			if _, err := p.provisioner.Create(ctx, n, "x@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		var clock atomic.Pointer[time.Time]
		clock.Store(&now)
		opener := &countingOpen{storage: p.storage, opens: map[string]int{}, delay: 20 * time.Millisecond}
		r := NewRouter(RouterConfig{
			Catalogue: p.catalogue, Open: opener.open, MaxOpen: 2, IdleTimeout: time.Minute,
			Now: func() time.Time { return *clock.Load() },
		})
		defer r.Close()

		t.Run("concurrent first access opens once", func(t *testing.T) {
			var wg sync.WaitGroup
			for range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l, err := r.Acquire(ctx, "acme")
					if err != nil {
						t.Error(err)
						return
					}
					defer l.Release()
					if err := l.DB.Ping(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := opener.count("acme"); n != 1 {
				t.Fatalf("acme opened %d times, want 1", n)
			}
		})

		t.Run("LRU eviction and reopen", func(t *testing.T) {
			for _, n := range []string{"globex", "initech"} { // acme is least recently used
				l, err := r.Acquire(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				l.Release()
			}
			if s := r.Stats(); s.Open != 2 {
				t.Fatalf("open handles %d, want the cap 2", s.Open)
			}
			l, err := r.Acquire(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
			if n := opener.count("acme"); n != 2 {
				t.Fatalf("acme opened %d times after eviction, want 2", n)
			}
		})

		t.Run("handles in use are not evicted", func(t *testing.T) {
			a, _ := r.Acquire(ctx, "acme")
			g, _ := r.Acquire(ctx, "globex")
			if _, err := r.Acquire(ctx, "initech"); !errors.Is(err, ErrBusy) {
				t.Fatalf("third tenant with both handles busy: %v, want ErrBusy", err)
			}
			// The leased databases still work.
			if err := a.DB.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			a.Release()
			g.Release()
			l, err := r.Acquire(ctx, "initech")
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
		})

		t.Run("idle eviction", func(t *testing.T) {
			later := now.Add(2 * time.Minute)
			clock.Store(&later)
			if n := r.EvictIdle(); n != 2 {
				t.Fatalf("EvictIdle closed %d, want 2", n)
			}
			if s := r.Stats(); s.Open != 0 {
				t.Fatalf("open after idle eviction: %d", s.Open)
			}
		})

		t.Run("suspended and deleted tenants refused", func(t *testing.T) {
			l, err := r.Acquire(ctx, "globex")
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
			if _, err := p.provisioner.Suspend(ctx, "globex"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Acquire(ctx, "globex"); !errors.Is(err, ErrSuspended) {
				t.Fatalf("suspended: %v", err)
			}
			if s := r.Stats(); s.Open != 0 {
				t.Fatalf("suspended tenant's handle still open")
			}
			if _, err := p.provisioner.Resume(ctx, "globex"); err != nil {
				t.Fatal(err)
			}
			if err := p.provisioner.Delete(ctx, "initech"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Acquire(ctx, "initech"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted: %v", err)
			}
			if _, err := r.Acquire(ctx, "nosuch"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown: %v", err)
			}
		})
	})
}

func TestRouterConnectionCap(t *testing.T) {
	ctx := context.Background()
	p := newTestPlatform(t, store.Postgres, nil)
	for _, n := range []string{"acme", "globex"} {
		if _, err := p.provisioner.Create(ctx, n, "x@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	r := NewRouter(RouterConfig{Catalogue: p.catalogue, Open: p.storage.Open, PerTenantConns: 3, MaxConnections: 5})
	defer r.Close()
	a, err := r.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx, "globex"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second tenant over the connection cap: %v, want ErrBusy", err)
	}
	a.Release()
	g, err := r.Acquire(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	g.Release()
	if s := r.Stats(); s.Connections != 3 || s.Open != 1 {
		t.Fatalf("stats %+v, want one tenant with 3 connections", s)
	}
}
