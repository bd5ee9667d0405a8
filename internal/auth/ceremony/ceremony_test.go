package ceremony_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
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

func open(t *testing.T, e storetest.Engine) (*ceremony.Store, *clock, *store.DB) {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return ceremony.New(db, c.Now), c, db
}

func TestTakeOnceWithBinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, clk, _ := open(t, e)
		ctx := context.Background()
		begin := func() string {
			t.Helper()
			h, err := s.Begin(ctx, ceremony.Ceremony{Kind: ceremony.OIDCLogin, ProviderID: 3, Data: []byte(`{"nonce":"n"}`)}, "browser-A", 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		h := begin()
		c, err := s.Take(ctx, ceremony.OIDCLogin, h, "browser-A")
		if err != nil || c.ProviderID != 3 || c.UserID != 0 || string(c.Data) != `{"nonce":"n"}` {
			t.Fatalf("Take = %+v, %v", c, err)
		}
		if _, err := s.Take(ctx, ceremony.OIDCLogin, h, "browser-A"); !errors.Is(err, ceremony.ErrNotFound) {
			t.Fatalf("second Take: %v", err)
		}

		refusals := []struct {
			name    string
			kind    ceremony.Kind
			binding string
			advance time.Duration
			mangle  func(string) string
		}{
			{"other browser", ceremony.OIDCLogin, "browser-B", 0, nil},
			{"other kind", ceremony.PasskeyLogin, "browser-A", 0, nil},
			{"expired", ceremony.OIDCLogin, "browser-A", 10 * time.Minute, nil},
			{"altered handle", ceremony.OIDCLogin, "browser-A", 0, alterFirst},
			{"over-long handle", ceremony.OIDCLogin, "browser-A", 0, func(h string) string { return h + strings.Repeat("A", 100) }},
			{"empty binding", ceremony.OIDCLogin, "", 0, nil},
		}
		for _, r := range refusals {
			h := begin()
			clk.Advance(r.advance)
			presented := h
			if r.mangle != nil {
				presented = r.mangle(h)
			}
			if _, err := s.Take(ctx, r.kind, presented, r.binding); !errors.Is(err, ceremony.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", r.name, err)
			}
		}
	})
}

func TestConcurrentTakeSucceedsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s, _, _ := open(t, e)
		ctx := context.Background()
		h, err := s.Begin(ctx, ceremony.Ceremony{Kind: ceremony.PasskeyLogin}, "b", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg sync.WaitGroup
			mu sync.Mutex
			ok int
		)
		for range 8 {
			wg.Go(func() {
				if _, err := s.Take(ctx, ceremony.PasskeyLogin, h, "b"); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d takes succeeded, want 1", ok)
		}
	})
}

func TestBeginBoundsAndPrune(t *testing.T) {
	s, clk, db := open(t, storetest.Engines()[0])
	ctx := context.Background()
	bad := []struct {
		c       ceremony.Ceremony
		binding string
		ttl     time.Duration
	}{
		{ceremony.Ceremony{}, "b", time.Minute},
		{ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "", time.Minute},
		{ceremony.Ceremony{Kind: ceremony.OIDCLogin, Data: make([]byte, ceremony.MaxData+1)}, "b", time.Minute},
		{ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "b", 0},
		{ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "b", ceremony.MaxLifetime + time.Second},
	}
	for i, b := range bad {
		if _, err := s.Begin(ctx, b.c, b.binding, b.ttl); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	for range 3 {
		if _, err := s.Begin(ctx, ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "b", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Minute)
	if n, err := s.Prune(ctx); err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	var left int
	db.Read.QueryRow("SELECT count(*) FROM auth_ceremony").Scan(&left)
	if left != 0 {
		t.Fatalf("%d ceremonies left", left)
	}
}

func storeMigrate(ctx context.Context, db *store.DB) (int64, error) {
	return store.Migrate(ctx, db, store.TenantSchema)
}

// alterFirst changes the first character of a handle to another one of the
// same alphabet, whatever it was (a fixed replacement would sometimes be the
// character already there).
func alterFirst(h string) string {
	if h[0] == 'A' {
		return "B" + h[1:]
	}
	return "A" + h[1:]
}
