package apikey_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/apikey"
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

func openDB(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	return db
}

func create(t *testing.T, s *apikey.Store, nk apikey.NewKey) (apikey.Key, string) {
	t.Helper()
	k, plain, err := s.Create(context.Background(), nk)
	if err != nil {
		t.Fatal(err)
	}
	return k, plain
}

func TestCreateAndCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		c := newClock()
		s := apikey.NewStore(db, apikey.Config{Now: c.Now})
		k, plain := create(t, s, apikey.NewKey{UserID: 3, Name: "erp sync", Scope: apikey.ScopeRPC, ExpiresAt: c.Now().Add(30 * 24 * time.Hour)})
		if len(plain) != apikey.KeyLength || !strings.HasPrefix(plain, "iek_"+k.Index+"_") || len(k.Index) != 8 {
			t.Fatalf("key %q, index %q", plain, k.Index)
		}
		c.Advance(time.Minute)
		got, err := s.Check(ctx, plain, apikey.ScopeRPC)
		if err != nil || got.ID != k.ID || got.UserID != 3 || got.UseCount != 1 || !got.LastUsedAt.Equal(c.Now()) {
			t.Fatalf("Check = %+v, %v", got, err)
		}
		c.Advance(time.Minute)
		s.Check(ctx, plain, apikey.ScopeRPC)
		list, err := s.List(ctx, 3)
		if err != nil || len(list) != 1 || list[0].UseCount != 2 || !list[0].LastUsedAt.Equal(c.Now()) || list[0].Name != "erp sync" {
			t.Fatalf("List = %+v, %v", list, err)
		}
		// Stored as a hash only.
		var index string
		var hash []byte
		if err := db.Read.QueryRow("SELECT index_prefix, key_hash FROM auth_api_key").Scan(&index, &hash); err != nil {
			t.Fatal(err)
		}
		secretPart := plain[len(plain)-32:]
		if len(hash) != 32 || bytes.Contains(hash, []byte(secretPart)) || strings.Contains(index, secretPart) {
			t.Fatal("the key's secret is stored in clear")
		}
	})
}

func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		c := newClock()
		s := apikey.NewStore(db, apikey.Config{Now: c.Now})
		rpc, rpcKey := create(t, s, apikey.NewKey{UserID: 3, Name: "rpc only", Scope: apikey.ScopeRPC, ExpiresAt: c.Now().Add(time.Hour)})
		_, anyKey := create(t, s, apikey.NewKey{UserID: 3, Name: "any use", ExpiresAt: c.Now().Add(2 * time.Hour)})

		flipped := []byte(rpcKey)
		flipped[len(flipped)-1] ^= 1
		if flipped[len(flipped)-1] == rpcKey[len(rpcKey)-1] || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz234567", rune(flipped[len(flipped)-1])) {
			flipped[len(flipped)-1] = 'a' + (rpcKey[len(rpcKey)-1]-'a'+1)%26
		}
		cases := []struct {
			name, key, scope string
			want             error
		}{
			{"wrong secret", string(flipped), apikey.ScopeRPC, apikey.ErrInvalid},
			{"upper-cased", strings.ToUpper(rpcKey), apikey.ScopeRPC, apikey.ErrInvalid},
			{"truncated", rpcKey[:len(rpcKey)-1], apikey.ScopeRPC, apikey.ErrInvalid},
			{"empty", "", apikey.ScopeRPC, apikey.ErrInvalid},
			{"password-looking", "correct horse battery staple", apikey.ScopeRPC, apikey.ErrInvalid},
			{"newline inside", rpcKey[:20] + "\n" + rpcKey[21:], apikey.ScopeRPC, apikey.ErrInvalid},
			{"other scope", rpcKey, "web", apikey.ErrInvalid},
			{"any-use key for rpc", anyKey, apikey.ScopeRPC, nil},
		}
		for _, cs := range cases {
			_, err := s.Check(ctx, cs.key, cs.scope)
			if !errors.Is(err, cs.want) && !(cs.want == nil && err == nil) {
				t.Errorf("%s: %v, want %v", cs.name, err, cs.want)
			}
			if err != nil && cs.key != "" && strings.Contains(err.Error(), cs.key) {
				t.Errorf("%s: error repeats the key", cs.name)
			}
		}

		// Expired: refused at once, before any job deletes it.
		c.Advance(time.Hour)
		if _, err := s.Check(ctx, rpcKey, apikey.ScopeRPC); !errors.Is(err, apikey.ErrExpired) {
			t.Fatalf("expired key: %v", err)
		}
		if n, err := apikey.DeleteExpired(ctx, db, c.Now()); err != nil || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v", n, err)
		}
		if _, err := s.Check(ctx, rpcKey, apikey.ScopeRPC); !errors.Is(err, apikey.ErrInvalid) {
			t.Fatalf("deleted key: %v", err)
		}

		// Revoked: another user cannot revoke it; its owner can, and it stops at once.
		list, _ := s.List(ctx, 3)
		if len(list) != 1 || list[0].ID == rpc.ID {
			t.Fatalf("List after DeleteExpired = %+v", list)
		}
		if err := s.Revoke(ctx, 4, list[0].ID); !errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("Revoke by another user: %v", err)
		}
		if err := s.Revoke(ctx, 3, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Check(ctx, anyKey, ""); !errors.Is(err, apikey.ErrInvalid) {
			t.Fatalf("revoked key: %v", err)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	db := openDB(t, storetest.Engines()[0])
	c := newClock()
	s := apikey.NewStore(db, apikey.Config{Now: c.Now})
	now := c.Now()
	cases := []struct {
		name string
		nk   apikey.NewKey
		ok   bool
	}{
		{"90 days", apikey.NewKey{UserID: 1, Name: "k", ExpiresAt: now.Add(apikey.MaxLifetime)}, true},
		{"91 days", apikey.NewKey{UserID: 1, Name: "k", ExpiresAt: now.Add(apikey.MaxLifetime + 24*time.Hour)}, false},
		{"91 days, allowed", apikey.NewKey{UserID: 1, Name: "k", ExpiresAt: now.Add(apikey.MaxLifetime + 24*time.Hour), AllowLongLived: true}, true},
		{"never expires", apikey.NewKey{UserID: 1, Name: "k"}, false},
		{"never expires, allowed", apikey.NewKey{UserID: 1, Name: "k", AllowLongLived: true}, true},
		{"already expired", apikey.NewKey{UserID: 1, Name: "k", ExpiresAt: now}, false},
		{"no name", apikey.NewKey{UserID: 1, Name: "  ", ExpiresAt: now.Add(time.Hour)}, false},
		{"long name", apikey.NewKey{UserID: 1, Name: strings.Repeat("n", 129), ExpiresAt: now.Add(time.Hour)}, false},
		{"unknown scope", apikey.NewKey{UserID: 1, Name: "k", Scope: "admin", ExpiresAt: now.Add(time.Hour)}, false},
		{"no user", apikey.NewKey{Name: "k", ExpiresAt: now.Add(time.Hour)}, false},
	}
	for _, cs := range cases {
		_, plain, err := s.Create(context.Background(), cs.nk)
		if (err == nil) != cs.ok {
			t.Errorf("%s: %v", cs.name, err)
		}
		if err != nil && plain != "" {
			t.Errorf("%s: a key was returned with an error", cs.name)
		}
	}
	var n int
	db.Read.QueryRow("SELECT COUNT(*) FROM auth_api_key").Scan(&n)
	if n != 3 {
		t.Fatalf("%d keys stored, want the 3 valid ones", n)
	}
}

// sameIndex yields the same five index bytes for every key and random secrets, so
// every key lands on one index.
type sameIndex struct{}

func (sameIndex) Read(p []byte) (int, error) {
	rand.Read(p)
	copy(p, []byte{1, 2, 3, 4, 5})
	return len(p), nil
}

func TestIndexCollision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		c := newClock()
		s := apikey.NewStore(openDB(t, e), apikey.Config{Now: c.Now, Random: sameIndex{}})
		var keys []string
		var ids []int64
		for i := range 3 {
			k, plain := create(t, s, apikey.NewKey{UserID: int64(10 + i), Name: "k", ExpiresAt: c.Now().Add(time.Hour)})
			if i > 0 && k.Index != "aebagbaf" {
				t.Fatalf("index %q, want the forced one", k.Index)
			}
			keys, ids = append(keys, plain), append(ids, k.ID)
		}
		for i, plain := range keys {
			got, err := s.Check(ctx, plain, apikey.ScopeRPC)
			if err != nil || got.ID != ids[i] || got.UserID != int64(10+i) {
				t.Fatalf("key %d under a shared index: %+v, %v", i, got, err)
			}
		}
		forged := keys[0][:len(keys[0])-32] + strings.Repeat("a", 32)
		if _, err := s.Check(ctx, forged, apikey.ScopeRPC); !errors.Is(err, apikey.ErrInvalid) {
			t.Fatalf("forged secret under a shared index: %v", err)
		}
	})
}
