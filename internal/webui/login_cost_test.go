package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/orm"
)

// The shared fixtures hash at testRounds; this test signs in through the screens with
// the production hasher and a 600,000-round stored hash, which must verify with one
// derivation and stay as it is.
func TestSignInAtProductionCost(t *testing.T) {
	t.Parallel()
	h, err := password.NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Rounds() != password.DefaultRounds || password.DefaultRounds < 600_000 {
		t.Fatalf("production hasher at %d rounds", h.Rounds())
	}
	f := newFixtureHasher(t, h, nil)
	stored, err := h.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$pbkdf2-sha512$600000$") {
		t.Fatalf("stored hash %q", stored)
	}
	// The ORM never shows a secret field, so the row is read as it is.
	storedHash := func() string {
		lease, err := f.router.Acquire(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Release()
		var got string
		q := "SELECT password FROM res_users WHERE id = " + strconv.FormatInt(f.uid["user"], 10)
		if err := lease.DB.Read.QueryRow(q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		return env.Write(ctx, "res.users", []int64{f.uid["user"]}, map[string]any{"password": stored})
	})
	if got := storedHash(); got != stored {
		t.Fatalf("stored %q, want %q", got, stored)
	}

	c := f.client()
	c.get("/web/login")
	before := h.Derivations()
	w := c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword + "!"}})
	if w.Code == http.StatusSeeOther {
		t.Fatalf("wrong password signed in: %d", w.Code)
	}
	w = c.post("/web/login", url.Values{"login": {"user@example.com"}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in at the production cost: %d %s", w.Code, w.Body)
	}
	if n := h.Derivations() - before; n != 2 {
		t.Errorf("%d derivations for a wrong then a right password, want 2", n)
	}
	if w := c.get(w.Header().Get("Location")); w.Code != http.StatusOK {
		t.Errorf("landing page after sign-in: %d", w.Code)
	}
	if got := storedHash(); got != stored {
		t.Errorf("the 600,000-round hash was replaced by %q", got)
	}
}
