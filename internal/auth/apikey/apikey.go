// Package apikey issues and checks API keys for the external API.
//
// A key reads "iek_<index>_<secret>": index is 8 random base32 characters (40 bits)
// stored in clear to find the row, secret is 160 random bits. Only a SHA-256 of the
// whole key is stored (the key is random, so no key stretching is needed), and the key
// is shown once, at creation. Every row sharing an index is compared in constant time,
// so an index collision neither fails nor leaks which row matched.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/store"
)

const (
	keyPrefix   = "iek_"
	indexBytes  = 5  // 8 base32 characters
	secretBytes = 20 // 160 bits, 32 base32 characters
	indexLength = indexBytes * 8 / 5
	// KeyLength is the length of every key string.
	KeyLength = len(keyPrefix) + indexLength + 1 + secretBytes*8/5

	// MaxLifetime is the longest expiry a key may have unless the caller allows more.
	MaxLifetime   = 90 * 24 * time.Hour
	maxNameLength = 128
)

// ScopeRPC limits a key to the RPC APIs; the empty scope allows every use.
const ScopeRPC = "rpc"

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

var (
	// ErrInvalid covers malformed, unknown, revoked and wrong-scope keys.
	ErrInvalid = errors.New("API key is not valid")
	// ErrExpired means the key was right but is past its expiry.
	ErrExpired = errors.New("API key has expired")
	// ErrNotFound means no such key for that user (Revoke).
	ErrNotFound = errors.New("API key not found")
)

// Key is a stored key's description; it never holds the key or its hash.
type Key struct {
	ID         int64
	UserID     int64
	Name       string
	Scope      string
	Index      string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never (only when allowed)
	LastUsedAt time.Time // zero: never used
	UseCount   int64
}

// Config configures a Store.
type Config struct {
	Now func() time.Time
	// Random is the source of key material (crypto/rand when nil).
	Random io.Reader
}

// Store issues and checks the keys of one tenant database.
type Store struct {
	db  *store.DB
	cfg Config
}

// NewStore returns a Store on db.
func NewStore(db *store.DB, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	return &Store{db: db, cfg: cfg}
}

// NewKey describes a key to create.
type NewKey struct {
	UserID int64
	Name   string
	Scope  string // ScopeRPC or "" (any)
	// ExpiresAt must lie within MaxLifetime unless AllowLongLived; zero means never
	// and also needs AllowLongLived (the tenant admin's permission).
	ExpiresAt      time.Time
	AllowLongLived bool
}

// Create stores a new key and returns its description and the key itself, which is
// never available again.
func (s *Store) Create(ctx context.Context, nk NewKey) (Key, string, error) {
	now := s.cfg.Now()
	if err := s.validate(nk, now); err != nil {
		return Key{}, "", err
	}
	raw := make([]byte, indexBytes+secretBytes)
	if _, err := io.ReadFull(s.cfg.Random, raw); err != nil {
		return Key{}, "", fmt.Errorf("create API key: random: %w", err)
	}
	index := encoding.EncodeToString(raw[:indexBytes])
	plain := keyPrefix + index + "_" + encoding.EncodeToString(raw[indexBytes:])
	hash := hashKey(plain)
	k := Key{UserID: nk.UserID, Name: nk.Name, Scope: nk.Scope, Index: index, CreatedAt: now.Truncate(time.Second)}
	var expires sql.NullInt64
	if !nk.ExpiresAt.IsZero() {
		k.ExpiresAt = nk.ExpiresAt.Truncate(time.Second)
		expires = sql.NullInt64{Int64: k.ExpiresAt.Unix(), Valid: true}
	}
	err := s.db.Write.QueryRowContext(ctx, s.db.Rebind(`INSERT INTO auth_api_key
		(user_id, name, scope, index_prefix, key_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		k.UserID, k.Name, k.Scope, k.Index, hash, k.CreatedAt.Unix(), expires).Scan(&k.ID)
	if err != nil {
		return Key{}, "", fmt.Errorf("create API key %q for user %d: %w", nk.Name, nk.UserID, err)
	}
	return k, plain, nil
}

func (s *Store) validate(nk NewKey, now time.Time) error {
	switch {
	case nk.UserID <= 0:
		return fmt.Errorf("API key: invalid user id %d", nk.UserID)
	case strings.TrimSpace(nk.Name) == "" || len(nk.Name) > maxNameLength || !utf8.ValidString(nk.Name):
		return fmt.Errorf("API key name: must be 1 to %d bytes of text", maxNameLength)
	case nk.Scope != "" && nk.Scope != ScopeRPC:
		return fmt.Errorf("API key scope %q: must be %q or empty", nk.Scope, ScopeRPC)
	case nk.ExpiresAt.IsZero() && !nk.AllowLongLived:
		return errors.New("API key: an expiry is required")
	case !nk.ExpiresAt.IsZero() && !nk.ExpiresAt.After(now):
		return errors.New("API key: expiry must be in the future")
	case !nk.ExpiresAt.IsZero() && nk.ExpiresAt.Sub(now) > MaxLifetime && !nk.AllowLongLived:
		return fmt.Errorf("API key: expiry more than %d days ahead needs an administrator's permission", int(MaxLifetime.Hours()/24))
	}
	return nil
}

// Check finds the key, refuses it if expired or not valid for scope, and records its
// use. scope is the use asked for (ScopeRPC for the RPC APIs).
func (s *Store) Check(ctx context.Context, key, scope string) (Key, error) {
	index, ok := parseKey(key)
	if !ok {
		return Key{}, ErrInvalid
	}
	hash := hashKey(key)
	now := s.cfg.Now()
	rows, err := s.db.Read.QueryContext(ctx, s.db.Rebind(`SELECT id, user_id, name, scope, index_prefix, key_hash, created_at,
		expires_at, last_used_at, use_count FROM auth_api_key WHERE index_prefix = ?`), index)
	if err != nil {
		return Key{}, fmt.Errorf("check API key: %w", err)
	}
	var (
		found Key
		match int
	)
	for rows.Next() {
		k, stored, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return Key{}, fmt.Errorf("check API key: %w", err)
		}
		// No early exit: every row with this index is compared.
		eq := subtle.ConstantTimeCompare(stored, hash)
		if eq == 1 {
			found = k
		}
		match |= eq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Key{}, fmt.Errorf("check API key: %w", err)
	}
	if match != 1 {
		return Key{}, ErrInvalid
	}
	if !found.ExpiresAt.IsZero() && !now.Before(found.ExpiresAt) {
		return Key{}, ErrExpired
	}
	if found.Scope != "" && found.Scope != scope {
		return Key{}, ErrInvalid
	}
	found.LastUsedAt, found.UseCount = now.Truncate(time.Second), found.UseCount+1
	if _, err := s.db.Write.ExecContext(ctx, s.db.Rebind("UPDATE auth_api_key SET last_used_at = ?, use_count = use_count + 1 WHERE id = ?"),
		found.LastUsedAt.Unix(), found.ID); err != nil {
		return Key{}, fmt.Errorf("record API key use: %w", err)
	}
	return found, nil
}

// List returns userID's keys, newest first.
func (s *Store) List(ctx context.Context, userID int64) ([]Key, error) {
	rows, err := s.db.Read.QueryContext(ctx, s.db.Rebind(`SELECT id, user_id, name, scope, index_prefix, key_hash, created_at,
		expires_at, last_used_at, use_count FROM auth_api_key WHERE user_id = ? ORDER BY id DESC`), userID)
	if err != nil {
		return nil, fmt.Errorf("list API keys of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, _, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list API keys of user %d: %w", userID, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Revoke deletes one of userID's keys; it stops working at once.
func (s *Store) Revoke(ctx context.Context, userID, keyID int64) error {
	res, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_api_key WHERE id = ? AND user_id = ?"), keyID, userID)
	if err != nil {
		return fmt.Errorf("revoke API key %d: %w", keyID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RevokeAll deletes every key of userID (deactivation).
func (s *Store) RevokeAll(ctx context.Context, userID int64) (int64, error) {
	res, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_api_key WHERE user_id = ?"), userID)
	if err != nil {
		return 0, fmt.Errorf("revoke API keys of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// DeleteExpired removes every key expired at now. Expired keys are refused by Check
// already; this only keeps the table small (a periodic job calls it).
func DeleteExpired(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	res, err := db.Write.ExecContext(ctx, db.Rebind("DELETE FROM auth_api_key WHERE expires_at IS NOT NULL AND expires_at <= ?"), now.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired API keys: %w", err)
	}
	return res.RowsAffected()
}

func scanKey(row interface{ Scan(...any) error }) (Key, []byte, error) {
	var (
		k                   Key
		hash                []byte
		created             int64
		expires, lastUsedAt sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Scope, &k.Index, &hash, &created, &expires, &lastUsedAt, &k.UseCount); err != nil {
		return Key{}, nil, err
	}
	k.CreatedAt = time.Unix(created, 0)
	if expires.Valid {
		k.ExpiresAt = time.Unix(expires.Int64, 0)
	}
	if lastUsedAt.Valid {
		k.LastUsedAt = time.Unix(lastUsedAt.Int64, 0)
	}
	return k, hash, nil
}

// parseKey checks the shape of a presented key and returns its index.
func parseKey(key string) (string, bool) {
	if len(key) != KeyLength || !strings.HasPrefix(key, keyPrefix) {
		return "", false
	}
	rest := key[len(keyPrefix):]
	index, secret, found := strings.Cut(rest, "_")
	if !found || len(index) != indexLength {
		return "", false
	}
	// The alphabet is checked by hand: encoding/base32 skips '\r' and '\n'.
	for _, part := range []string{index, secret} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
				return "", false
			}
		}
		if _, err := encoding.DecodeString(part); err != nil {
			return "", false
		}
	}
	return index, true
}

func hashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
