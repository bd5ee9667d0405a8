package passkey_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/passkey"
	"github.com/instant-erp/instanterp/internal/auth/passkey/passkeytest"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

const (
	origin = "https://acme.erp.example.com"
	rpID   = "acme.erp.example.com"
)

var (
	ada = passkey.User{ID: 7, Login: "ada@example.com", Name: "Ada"}
	bob = passkey.User{ID: 8, Login: "bob@example.com", Name: "Bob"}
)

func newManager(t *testing.T, e storetest.Engine) *passkey.Manager {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	m, err := passkey.New(db, passkey.Config{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// register adds a passkey for u through the real ceremony.
func register(t *testing.T, m *passkey.Manager, u passkey.User, a *passkeytest.Authenticator) passkey.Passkey {
	t.Helper()
	ctx := context.Background()
	opts, handle, err := m.BeginRegistration(ctx, u, "browser")
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.FinishRegistration(ctx, u, handle, "browser", a.Create(opts), "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRegistrationAndSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		m := newManager(t, e)
		ctx := context.Background()
		a := passkeytest.New(t, rpID, origin)
		p := register(t, m, ada, a)
		list, err := m.List(ctx, ada.ID)
		if err != nil || len(list) != 1 || list[0].ID != p.ID || list[0].Name != "Laptop" || !list[0].LastUsedAt.IsZero() {
			t.Fatalf("List = %+v, %v", list, err)
		}
		opts, handle, err := m.BeginLogin(ctx, ada, "browser")
		if err != nil {
			t.Fatal(err)
		}
		answer := a.Get(opts)
		if err := m.FinishLogin(ctx, ada, handle, "browser", answer); err != nil {
			t.Fatal(err)
		}
		if list, _ := m.List(ctx, ada.ID); list[0].LastUsedAt.IsZero() {
			t.Fatal("use not recorded")
		}
		// The same answer again: the challenge was used up.
		if err := m.FinishLogin(ctx, ada, handle, "browser", answer); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("replayed answer: %v", err)
		}
		// An old answer to a new challenge does not verify.
		_, handle, _ = m.BeginLogin(ctx, ada, "browser")
		if err := m.FinishLogin(ctx, ada, handle, "browser", answer); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("answer to another challenge: %v", err)
		}
		// Bob has no passkey: no second-factor ceremony starts, and Ada's does not count for him.
		if _, _, err := m.BeginLogin(ctx, bob, "browser"); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("BeginLogin without passkeys: %v", err)
		}
		opts, handle, _ = m.BeginLogin(ctx, ada, "browser")
		if err := m.FinishLogin(ctx, bob, handle, "browser", a.Get(opts)); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("Ada's passkey for Bob: %v", err)
		}
		// Deleted passkeys stop working; another user cannot delete them.
		if err := m.Delete(ctx, bob.ID, p.ID); err == nil {
			t.Fatal("Bob deleted Ada's passkey")
		}
		if err := m.Delete(ctx, ada.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.BeginLogin(ctx, ada, "browser"); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("after deletion: %v", err)
		}
	})
}

func TestPasswordless(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		m := newManager(t, e)
		ctx := context.Background()
		a := passkeytest.New(t, rpID, origin)
		register(t, m, ada, a)
		b := passkeytest.New(t, rpID, origin)
		register(t, m, bob, b)

		opts, handle, err := m.BeginPasswordless(ctx, "browser")
		if err != nil {
			t.Fatal(err)
		}
		uid, err := m.FinishPasswordless(ctx, handle, "browser", b.Get(opts))
		if err != nil || uid != bob.ID {
			t.Fatalf("FinishPasswordless = %d, %v", uid, err)
		}
		// A passkey that claims someone else's user handle is refused.
		opts, handle, _ = m.BeginPasswordless(ctx, "browser")
		a.Handle, b.Handle = b.Handle, a.Handle
		if _, err := m.FinishPasswordless(ctx, handle, "browser", a.Get(opts)); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("swapped user handle: %v", err)
		}
	})
}

func TestCeremonyRefusals(t *testing.T) {
	m := newManager(t, storetest.Engines()[0])
	ctx := context.Background()
	cases := []struct {
		name  string
		setup func(*passkeytest.Authenticator)
		other string // browser that presents the answer
		prime bool   // sign in once first, so the stored counter is ahead
	}{
		{name: "another origin", setup: func(a *passkeytest.Authenticator) { a.Origin = "https://evil.example.com" }},
		{name: "another relying party", setup: func(a *passkeytest.Authenticator) { a.WrongRPID = true }},
		{name: "bad signature", setup: func(a *passkeytest.Authenticator) { a.BadSig = true }},
		{name: "counter went backwards", prime: true, setup: func(a *passkeytest.Authenticator) { a.CountBefore = true }},
		{name: "user not present", setup: func(a *passkeytest.Authenticator) { a.Flags = passkeytest.FlagUV }},
		{name: "user not verified for passwordless", setup: func(a *passkeytest.Authenticator) { a.Flags = passkeytest.FlagUP }},
		{name: "another browser", other: "attacker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := passkeytest.New(t, rpID, origin)
			u := passkey.User{ID: time.Now().UnixNano() % 1e9, Login: "u", Name: "U"}
			register(t, m, u, a)
			if c.prime {
				a.Count = 99
				opts, handle, _ := m.BeginPasswordless(ctx, "browser")
				if _, err := m.FinishPasswordless(ctx, handle, "browser", a.Get(opts)); err != nil {
					t.Fatal(err)
				}
			}
			if c.setup != nil {
				c.setup(a)
			}
			browser := "browser"
			if c.other != "" {
				browser = c.other
			}
			opts, handle, err := m.BeginPasswordless(ctx, "browser")
			if err != nil {
				t.Fatal(err)
			}
			if uid, err := m.FinishPasswordless(ctx, handle, browser, a.Get(opts)); !errors.Is(err, passkey.ErrRefused) {
				t.Fatalf("accepted (user %d): %v", uid, err)
			}
		})
	}
}

func TestRegistrationRefusals(t *testing.T) {
	m := newManager(t, storetest.Engines()[0])
	ctx := context.Background()
	a := passkeytest.New(t, rpID, origin)
	a.Origin = "https://evil.example.com"
	opts, handle, err := m.BeginRegistration(ctx, ada, "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.FinishRegistration(ctx, ada, handle, "browser", a.Create(opts), "x"); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("registration from another origin: %v", err)
	}
	// A registration begun for Ada cannot be finished for Bob.
	a = passkeytest.New(t, rpID, origin)
	opts, handle, _ = m.BeginRegistration(ctx, ada, "browser")
	if _, err := m.FinishRegistration(ctx, bob, handle, "browser", a.Create(opts), "x"); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("registration switched user: %v", err)
	}
	// The same credential cannot be registered twice.
	register(t, m, ada, a)
	opts, handle, _ = m.BeginRegistration(ctx, bob, "browser")
	if _, err := m.FinishRegistration(ctx, bob, handle, "browser", a.Create(opts), "x"); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("credential registered twice: %v", err)
	}
	// Garbage and over-long answers.
	_, handle, _ = m.BeginRegistration(ctx, ada, "browser")
	if _, err := m.FinishRegistration(ctx, ada, handle, "browser", []byte(`{"id":1}`), "x"); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("garbage: %v", err)
	}
	_, handle, _ = m.BeginRegistration(ctx, ada, "browser")
	if _, err := m.FinishRegistration(ctx, ada, handle, "browser", make([]byte, passkey.MaxResponse+1), "x"); !errors.Is(err, passkey.ErrRefused) {
		t.Fatalf("over-long: %v", err)
	}
}
