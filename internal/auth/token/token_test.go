package token

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestSigner(t *testing.T, secret string, c *clock) *Signer {
	t.Helper()
	s, err := NewSigner([]byte(secret), c.now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	secretA = "0123456789abcdef0123456789abcdef"
	secretB = "fedcba9876543210fedcba9876543210"
)

func TestResetTokenLifecycle(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, secretA, c)
	hashBefore := "$pbkdf2-sha512$600000$salt$before"
	lastLogin := c.t.Add(-48 * time.Hour)
	payload := []byte("uid=42")
	tok, err := s.Sign(ScopeResetPassword, payload, ResetBinding(42, hashBefore, lastLogin), c.t.Add(ResetPasswordLifetime))
	if err != nil {
		t.Fatal(err)
	}

	// Valid as issued.
	got, err := s.Verify(ScopeResetPassword, tok, ResetBinding(42, hashBefore, lastLogin))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("Verify = %q, %v", got, err)
	}
	// Using it sets a new password: the hash changes, the token dies.
	if _, err := s.Verify(ScopeResetPassword, tok, ResetBinding(42, "$pbkdf2-sha512$600000$salt$after", lastLogin)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("after use: %v, want ErrInvalid", err)
	}
	// Any login changes the last login, the token dies.
	if _, err := s.Verify(ScopeResetPassword, tok, ResetBinding(42, hashBefore, c.t)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("after a login: %v, want ErrInvalid", err)
	}
	// For another user.
	if _, err := s.Verify(ScopeResetPassword, tok, ResetBinding(43, hashBefore, lastLogin)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other user: %v, want ErrInvalid", err)
	}
	// Just before and at expiry.
	c.t = c.t.Add(ResetPasswordLifetime - time.Second)
	if _, err := s.Verify(ScopeResetPassword, tok, ResetBinding(42, hashBefore, lastLogin)); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	c.t = c.t.Add(time.Second)
	if _, err := s.Verify(ScopeResetPassword, tok, ResetBinding(42, hashBefore, lastLogin)); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
}

func TestTokenRefusals(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, secretA, c)
	binding := Bind("state", "1")
	tok, err := s.Sign(ScopeInvitation, []byte("uid=7"), binding, c.t.Add(InvitationLifetime))
	if err != nil {
		t.Fatal(err)
	}
	other := newTestSigner(t, secretB, c)
	cases := []struct {
		name    string
		signer  *Signer
		scope   Scope
		token   string
		binding []byte
	}{
		{"another scope", s, ScopeResetPassword, tok, binding},
		{"portal scope", s, ScopePortal, tok, binding},
		{"another tenant's secret", other, ScopeInvitation, tok, binding},
		{"other binding", s, ScopeInvitation, tok, Bind("state", "2")},
		{"binding split differently", s, ScopeInvitation, tok, Bind("stat", "e1")},
		{"no binding", s, ScopeInvitation, tok, nil},
		{"empty", s, ScopeInvitation, "", binding},
		{"padded", s, ScopeInvitation, tok + "=", binding},
		{"standard base64", s, ScopeInvitation, strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+", binding},
		{"truncated", s, ScopeInvitation, tok[:len(tok)-1], binding},
		{"extended", s, ScopeInvitation, tok + "AA", binding},
		{"too long", s, ScopeInvitation, strings.Repeat("A", maxTokenSize+4), binding},
		{"invalid scope", s, Scope("Invitation"), tok, binding},
	}
	for _, c := range cases {
		if _, err := c.signer.Verify(c.scope, c.token, c.binding); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", c.name, err)
		}
	}
}

func TestEveryFlippedByteIsRefused(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, secretA, c)
	tok, err := s.Sign(ScopeBackupDownload, []byte("backup 2026-03-01"), nil, c.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			altered := append([]byte(nil), raw...)
			altered[i] ^= bit
			if _, err := s.Verify(ScopeBackupDownload, base64.RawURLEncoding.EncodeToString(altered), nil); !errors.Is(err, ErrInvalid) {
				t.Fatalf("byte %d ^ %#x accepted: %v", i, bit, err)
			}
		}
	}
	// Altering the expiry to extend a token is caught by the MAC, not by the clock.
	altered := append([]byte(nil), raw...)
	altered[7]++
	if _, err := s.Verify(ScopeBackupDownload, base64.RawURLEncoding.EncodeToString(altered), nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("extended expiry: %v", err)
	}
}

func TestSignRefusesBadInput(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, secretA, c)
	cases := []struct {
		name    string
		scope   Scope
		payload []byte
		expires time.Time
	}{
		{"empty scope", "", nil, c.t.Add(time.Hour)},
		{"scope with NUL", "reset\x00password", nil, c.t.Add(time.Hour)},
		{"upper-case scope", "Portal", nil, c.t.Add(time.Hour)},
		{"payload too large", ScopePortal, make([]byte, MaxPayload+1), c.t.Add(time.Hour)},
		{"expiry now", ScopePortal, nil, c.t},
		{"expiry past", ScopePortal, nil, c.t.Add(-time.Second)},
	}
	for _, cs := range cases {
		if _, err := s.Sign(cs.scope, cs.payload, nil, cs.expires); err == nil {
			t.Errorf("%s: Sign accepted", cs.name)
		}
	}
	if _, err := NewSigner(make([]byte, MinSecretLen-1), nil); err == nil {
		t.Error("NewSigner accepted a short secret")
	}
	// The largest payload round-trips.
	big := bytes.Repeat([]byte{0xa5}, MaxPayload)
	tok, err := s.Sign(ScopePortal, big, nil, c.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Verify(ScopePortal, tok, nil); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("largest payload: %v", err)
	}
}

func TestBindIsUnambiguous(t *testing.T) {
	pairs := [][2][]string{
		{{"ab", "c"}, {"a", "bc"}},
		{{"", "a"}, {"a", ""}},
		{{"a"}, {"a", ""}},
	}
	for _, p := range pairs {
		if bytes.Equal(Bind(p[0]...), Bind(p[1]...)) {
			t.Errorf("Bind(%q) == Bind(%q)", p[0], p[1])
		}
	}
	never := ResetBinding(1, "h", time.Time{})
	once := ResetBinding(1, "h", time.Unix(0, 1))
	if bytes.Equal(never, once) {
		t.Error("never logged in and logged in bind the same")
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, _ := NewSigner([]byte(secretA), func() time.Time { return now })
	good, _ := s.Sign(ScopePortal, []byte("order 12"), nil, now.Add(time.Hour))
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", 60))
	f.Fuzz(func(t *testing.T, tok string) {
		payload, err := s.Verify(ScopePortal, tok, nil)
		if err == nil && tok != good {
			t.Fatalf("forged token %q accepted with payload %q", tok, payload)
		}
	})
}
