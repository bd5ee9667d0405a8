package token

import (
	"errors"
	"testing"
	"time"
)

// A trusted-device token dies with any change of the state it is bound to, and a
// token of another scope (a reset link) never passes for one.
func TestTrustedDeviceBinding(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, secretA, c)
	bound := TrustedDeviceBinding("acme", 42, "$pbkdf2-sha512$600000$s$h", "totp:1", 7)
	tok, err := s.Sign(ScopeTrustedDevice, []byte("42"), bound, c.t.Add(TrustedDeviceLifetime))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ScopeTrustedDevice, tok, bound); err != nil {
		t.Fatalf("as issued: %v", err)
	}
	changed := []struct {
		name    string
		binding []byte
	}{
		{"other tenant", TrustedDeviceBinding("globex", 42, "$pbkdf2-sha512$600000$s$h", "totp:1", 7)},
		{"other user", TrustedDeviceBinding("acme", 43, "$pbkdf2-sha512$600000$s$h", "totp:1", 7)},
		{"password changed", TrustedDeviceBinding("acme", 42, "$pbkdf2-sha512$600000$s$other", "totp:1", 7)},
		{"second factor re-enrolled", TrustedDeviceBinding("acme", 42, "$pbkdf2-sha512$600000$s$h", "totp:2", 7)},
		{"second factor off", TrustedDeviceBinding("acme", 42, "$pbkdf2-sha512$600000$s$h", "", 7)},
		{"devices revoked", TrustedDeviceBinding("acme", 42, "$pbkdf2-sha512$600000$s$h", "totp:1", 8)},
		// Pieces cannot slide into each other.
		{"shifted pieces", TrustedDeviceBinding("acme4", 2, "$pbkdf2-sha512$600000$s$h", "totp:1", 7)},
	}
	for _, cs := range changed {
		if _, err := s.Verify(ScopeTrustedDevice, tok, cs.binding); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", cs.name, err)
		}
	}
	reset, err := s.Sign(ScopeResetPassword, []byte("42"), bound, c.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ScopeTrustedDevice, reset, bound); !errors.Is(err, ErrInvalid) {
		t.Errorf("reset token as a trusted device: %v", err)
	}
	c.t = c.t.Add(TrustedDeviceLifetime)
	if _, err := s.Verify(ScopeTrustedDevice, tok, bound); !errors.Is(err, ErrExpired) {
		t.Errorf("after 30 days: %v, want ErrExpired", err)
	}
}
