// Package ceremony keeps the short-lived state of sign-in ceremonies that span two
// requests: an OpenID Connect redirect (state, nonce, PKCE verifier) and a passkey
// challenge. The browser holds a random 256-bit handle; the database holds only its
// SHA-256, the ceremony's data and a hash of the browser binding (such as the
// browser's anti-forgery cookie), so a handle stolen from a URL is useless in
// another browser. Taking a ceremony deletes it: each is usable once.
package ceremony

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// Kind separates ceremonies: a handle begun for one kind is never taken for another.
type Kind string

const (
	OIDCLogin           Kind = "oidc-login"
	PasskeyRegistration Kind = "passkey-registration"
	PasskeyLogin        Kind = "passkey-login"
)

const (
	handleBytes = 32
	// MaxHandle is the longest handle accepted (base64url of 32 bytes).
	MaxHandle = (handleBytes*8 + 5) / 6
	// MaxData bounds what a ceremony stores.
	MaxData = 16 << 10
	// MaxLifetime bounds how long a ceremony may wait for its second step.
	MaxLifetime = 30 * time.Minute
)

// ErrNotFound is the one answer to an unknown, used, expired, other-kind or
// other-browser handle.
var ErrNotFound = errors.New("the sign-in step is unknown or has expired; start again")

// Ceremony is the state kept between the two steps.
type Ceremony struct {
	Kind       Kind
	UserID     int64 // 0 when not yet known (passwordless sign-in, OIDC)
	ProviderID int64 // 0 when not applicable
	Data       []byte
}

// Store keeps ceremonies in a tenant database.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Store on db; now is the clock (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Begin stores c for ttl (at most MaxLifetime), bound to binding, and returns the
// handle to give the browser.
func (s *Store) Begin(ctx context.Context, c Ceremony, binding string, ttl time.Duration) (string, error) {
	switch {
	case c.Kind == "":
		return "", errors.New("ceremony: no kind")
	case binding == "":
		return "", errors.New("ceremony: no browser binding")
	case len(c.Data) > MaxData:
		return "", fmt.Errorf("ceremony: %d bytes of data, at most %d", len(c.Data), MaxData)
	case ttl <= 0 || ttl > MaxLifetime:
		return "", fmt.Errorf("ceremony: lifetime %s outside (0, %s]", ttl, MaxLifetime)
	}
	raw := make([]byte, handleBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("ceremony: %w", err)
	}
	handle := base64.RawURLEncoding.EncodeToString(raw)
	hh, bh := sha256.Sum256([]byte(handle)), sha256.Sum256([]byte(binding))
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	_, err := s.db.Write.ExecContext(ctx, s.db.Rebind(`INSERT INTO auth_ceremony
		(handle_hash, kind, user_id, provider_id, binding_hash, data, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		hh[:], string(c.Kind), nullID(c.UserID), nullID(c.ProviderID), bh[:], data, s.now().Add(ttl).Unix())
	if err != nil {
		return "", fmt.Errorf("begin %s: %w", c.Kind, err)
	}
	return handle, nil
}

// Take returns and deletes the ceremony of handle, if it is of kind, bound to
// binding and not expired. Whatever the outcome, the handle cannot be used again.
func (s *Store) Take(ctx context.Context, kind Kind, handle, binding string) (Ceremony, error) {
	if handle == "" || len(handle) > MaxHandle || binding == "" {
		return Ceremony{}, ErrNotFound
	}
	hh := sha256.Sum256([]byte(handle))
	var (
		c           Ceremony
		gotKind     string
		user, prov  sql.NullInt64
		bindingHash []byte
		expires     int64
	)
	err := s.db.Write.QueryRowContext(ctx, s.db.Rebind(`DELETE FROM auth_ceremony WHERE handle_hash = ?
		RETURNING kind, user_id, provider_id, binding_hash, data, expires_at`), hh[:]).
		Scan(&gotKind, &user, &prov, &bindingHash, &c.Data, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Ceremony{}, ErrNotFound
	}
	if err != nil {
		return Ceremony{}, fmt.Errorf("take %s: %w", kind, err)
	}
	bh := sha256.Sum256([]byte(binding))
	if subtle.ConstantTimeCompare(bindingHash, bh[:]) != 1 || Kind(gotKind) != kind || s.now().Unix() >= expires {
		return Ceremony{}, ErrNotFound
	}
	c.Kind, c.UserID, c.ProviderID = kind, user.Int64, prov.Int64
	return c, nil
}

// Prune deletes expired ceremonies (a periodic job).
func (s *Store) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.Write.ExecContext(ctx, s.db.Rebind(`DELETE FROM auth_ceremony WHERE expires_at <= ?`), s.now().Unix())
	if err != nil {
		return 0, fmt.Errorf("prune ceremonies: %w", err)
	}
	return res.RowsAffected()
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
