// Package token signs and verifies stateless tokens (password reset, invitation,
// portal links, backup downloads) with the tenant's database.secret.
//
// A token is base64url (no padding) of
//
//	version (1) | expiry, Unix seconds, big-endian (8) | payload | HMAC-SHA256 (32)
//
// The MAC covers a domain label, the scope, the token body and a digest of the
// caller's binding. The binding is never in the token: the verifier recomputes it from
// current state (for a reset: the user's password hash and last login), so any change
// of that state kills every token issued before it, which makes such tokens single use
// without storing them.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Scope separates token purposes: a token signed for one scope never verifies for another.
type Scope string

const (
	ScopeResetPassword  Scope = "reset-password"
	ScopeInvitation     Scope = "invitation"
	ScopePortal         Scope = "portal"
	ScopeBackupDownload Scope = "backup-download"
	// ScopeTrustedDevice marks a browser whose user passed the second factor there
	// and asked not to be asked again on it (see TrustedDeviceBinding).
	ScopeTrustedDevice Scope = "trusted-device"
)

// Lifetimes as the incumbent uses them.
const (
	ResetPasswordLifetime = 4 * time.Hour
	InvitationLifetime    = 144 * time.Hour
	// TrustedDeviceLifetime is counted from the second-factor check that granted it;
	// using the device does not extend it.
	TrustedDeviceLifetime = 30 * 24 * time.Hour
)

const (
	version      byte = 1
	headerSize        = 1 + 8
	macSize           = sha256.Size
	MinSecretLen      = 32
	// MaxPayload bounds what a token carries (and so the length a verifier reads).
	MaxPayload   = 1024
	maxTokenSize = (headerSize + MaxPayload + macSize + 2) / 3 * 4
	macLabel     = "instanterp/token v1\x00"
)

var (
	// ErrInvalid covers every token that does not authenticate: malformed, altered,
	// another scope, another tenant, or state changed since it was issued. They are
	// deliberately not told apart.
	ErrInvalid = errors.New("token is invalid or has already been used")
	// ErrExpired is returned only for authentic tokens past their expiry.
	ErrExpired = errors.New("token has expired")
)

// Signer signs and verifies tokens under one tenant's secret.
type Signer struct {
	secret []byte
	now    func() time.Time
}

// NewSigner returns a Signer keyed by secret (at least MinSecretLen bytes). now is the
// clock; nil means time.Now.
func NewSigner(secret []byte, now func() time.Time) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("token secret is %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{secret: append([]byte(nil), secret...), now: now}, nil
}

// Sign returns a token for scope carrying payload, valid until expires and only while
// the verifier presents the same binding.
func (s *Signer) Sign(scope Scope, payload, binding []byte, expires time.Time) (string, error) {
	if err := checkScope(scope); err != nil {
		return "", err
	}
	if len(payload) > MaxPayload {
		return "", fmt.Errorf("token payload is %d bytes, limit is %d", len(payload), MaxPayload)
	}
	if !expires.After(s.now()) {
		return "", errors.New("token expiry is not in the future")
	}
	raw := make([]byte, headerSize, headerSize+len(payload)+macSize)
	raw[0] = version
	binary.BigEndian.PutUint64(raw[1:headerSize], uint64(expires.Unix()))
	raw = append(raw, payload...)
	raw = append(raw, s.mac(scope, raw, binding)...)
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// Verify checks token for scope and binding and returns its payload. The MAC is
// compared in constant time, before expiry is looked at.
func (s *Signer) Verify(scope Scope, token string, binding []byte) ([]byte, error) {
	if checkScope(scope) != nil || len(token) > maxTokenSize {
		return nil, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < headerSize+macSize || raw[0] != version {
		return nil, ErrInvalid
	}
	body, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sum, s.mac(scope, body, binding)) {
		return nil, ErrInvalid
	}
	expires := int64(binary.BigEndian.Uint64(body[1:headerSize]))
	if s.now().Unix() >= expires {
		return nil, ErrExpired
	}
	return append([]byte(nil), body[headerSize:]...), nil
}

func (s *Signer) mac(scope Scope, body, binding []byte) []byte {
	bound := sha256.Sum256(binding)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(macLabel))
	m.Write([]byte{byte(len(scope))})
	m.Write([]byte(scope))
	m.Write(bound[:])
	m.Write(body)
	return m.Sum(nil)
}

// checkScope allows lowercase ASCII words joined by '-', so a scope can never be
// confused with another through its encoding.
func checkScope(scope Scope) error {
	if len(scope) == 0 || len(scope) > 64 {
		return fmt.Errorf("token scope %q: must be 1 to 64 characters", scope)
	}
	for _, c := range []byte(scope) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("token scope %q: only a-z, 0-9 and '-' allowed", scope)
		}
	}
	return nil
}
