// Package session keeps server-side login sessions in the tenant database.
//
// The cookie carries a random 256-bit token; the database holds only its SHA-256, so
// a copy of the database does not let anyone take over a session. Every login and
// every privilege change issues a new token (no session fixation). A session lives in
// one tenant's database and so is unknown to every other tenant.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

const (
	tokenBytes = 32
	// tokenLength is the cookie value's length: base64url without padding of 32 bytes.
	tokenLength = (tokenBytes*8 + 5) / 6
	csrfBytes   = 32

	DefaultIdleTimeout   = 2 * time.Hour
	DefaultLifetime      = 7 * 24 * time.Hour
	DefaultTouchInterval = time.Minute

	maxUserAgent = 512
	maxAddress   = 64
)

// ErrNotFound means the token names no live session: unknown, malformed, logged out,
// idle too long or past its lifetime.
var ErrNotFound = errors.New("session not found or expired")

// Config sets the lifetimes. Zero fields take the defaults.
type Config struct {
	// IdleTimeout ends a session unused for this long.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after login, however active.
	Lifetime time.Duration
	// TouchInterval limits how often a lookup records the last use (one write per
	// session per interval at most).
	TouchInterval time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Session is a live session as the application sees it. It never holds the token.
type Session struct {
	ID            int64
	UserID        int64
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
	ClientAddress string
	UserAgent     string
	csrf          []byte
}

// CSRFToken is the per-session anti-forgery token to put in forms.
func (s Session) CSRFToken() string {
	return base64.RawURLEncoding.EncodeToString(s.csrf)
}

// CheckCSRF compares a submitted anti-forgery token with the session's in constant time.
func (s Session) CheckCSRF(submitted string) bool {
	want := s.CSRFToken()
	return len(s.csrf) == csrfBytes && subtle.ConstantTimeCompare([]byte(submitted), []byte(want)) == 1
}

// Store reads and writes sessions of one tenant database.
type Store struct {
	db  *store.DB
	cfg Config
}

// NewStore returns a Store on db. Lifetimes must be positive and the idle timeout no
// longer than the lifetime.
func NewStore(db *store.DB, cfg Config) (*Store, error) {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.TouchInterval == 0 {
		cfg.TouchInterval = DefaultTouchInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout < time.Minute || cfg.Lifetime < cfg.IdleTimeout || cfg.TouchInterval < 0 || cfg.TouchInterval >= cfg.IdleTimeout {
		return nil, fmt.Errorf("session lifetimes: idle %s, lifetime %s, touch %s: need 1m <= idle <= lifetime and touch < idle",
			cfg.IdleTimeout, cfg.Lifetime, cfg.TouchInterval)
	}
	return &Store{db: db, cfg: cfg}, nil
}

// Create starts a new session for userID and returns it with the token to put in the
// cookie. It always issues a fresh token; a token presented before login is never kept.
func (s *Store) Create(ctx context.Context, userID int64, clientAddress, userAgent string) (Session, string, error) {
	var (
		sess  Session
		token string
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		sess, token, err = s.insert(ctx, tx, userID, s.cfg.Now(), clientAddress, userAgent)
		return err
	})
	if err != nil {
		return Session{}, "", fmt.Errorf("create session for user %d: %w", userID, err)
	}
	return sess, token, nil
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, userID int64, now time.Time, clientAddress, userAgent string) (Session, string, error) {
	if userID <= 0 {
		return Session{}, "", fmt.Errorf("invalid user id %d", userID)
	}
	raw := make([]byte, tokenBytes)
	csrf := make([]byte, csrfBytes)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, "", err
	}
	if _, err := rand.Read(csrf); err != nil {
		return Session{}, "", err
	}
	hash := sha256.Sum256(raw)
	sess := Session{
		UserID:        userID,
		CreatedAt:     now.Truncate(time.Second),
		LastSeenAt:    now.Truncate(time.Second),
		ExpiresAt:     now.Add(s.cfg.Lifetime).Truncate(time.Second),
		ClientAddress: truncate(clientAddress, maxAddress),
		UserAgent:     truncate(userAgent, maxUserAgent),
		csrf:          csrf,
	}
	err := tx.QueryRowContext(ctx, s.db.Rebind(`INSERT INTO auth_session
		(token_hash, user_id, created_at, last_seen_at, expires_at, client_address, user_agent, csrf_token)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		hash[:], userID, sess.CreatedAt.Unix(), sess.LastSeenAt.Unix(), sess.ExpiresAt.Unix(),
		sess.ClientAddress, sess.UserAgent, csrf).Scan(&sess.ID)
	if err != nil {
		return Session{}, "", err
	}
	return sess, base64.RawURLEncoding.EncodeToString(raw), nil
}

// Lookup returns the live session named by token, recording its use at most once per
// TouchInterval. Expired sessions are deleted on sight.
func (s *Store) Lookup(ctx context.Context, token string) (Session, error) {
	hash, ok := hashToken(token)
	if !ok {
		return Session{}, ErrNotFound
	}
	sess, err := s.byHash(ctx, s.db.Read, hash)
	if err != nil {
		return Session{}, err
	}
	now := s.cfg.Now()
	if !s.alive(sess, now) {
		if _, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE id = ?"), sess.ID); err != nil {
			return Session{}, fmt.Errorf("delete expired session %d: %w", sess.ID, err)
		}
		return Session{}, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) >= s.cfg.TouchInterval {
		sess.LastSeenAt = now.Truncate(time.Second)
		if _, err := s.db.Write.ExecContext(ctx, s.db.Rebind("UPDATE auth_session SET last_seen_at = ? WHERE id = ?"),
			sess.LastSeenAt.Unix(), sess.ID); err != nil {
			return Session{}, fmt.Errorf("touch session %d: %w", sess.ID, err)
		}
	}
	return sess, nil
}

// Rotate replaces the session named by token with a new one for the same user (new
// token, new CSRF token, same login time and lifetime), for use on any privilege
// change. The old token stops working at once.
func (s *Store) Rotate(ctx context.Context, token string) (Session, string, error) {
	hash, ok := hashToken(token)
	if !ok {
		return Session{}, "", ErrNotFound
	}
	var (
		sess     Session
		newToken string
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		old, err := s.byHash(ctx, tx, hash)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		if !s.alive(old, now) {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE id = ?"), old.ID); err != nil {
			return err
		}
		sess, newToken, err = s.insert(ctx, tx, old.UserID, now, old.ClientAddress, old.UserAgent)
		if err != nil {
			return err
		}
		// A rotation does not extend the absolute lifetime.
		sess.CreatedAt, sess.ExpiresAt = old.CreatedAt, old.ExpiresAt
		_, err = tx.ExecContext(ctx, s.db.Rebind("UPDATE auth_session SET created_at = ?, expires_at = ? WHERE id = ?"),
			sess.CreatedAt.Unix(), sess.ExpiresAt.Unix(), sess.ID)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Session{}, "", ErrNotFound
	}
	if err != nil {
		return Session{}, "", fmt.Errorf("rotate session: %w", err)
	}
	return sess, newToken, nil
}

// Delete ends the session named by token (logout). Unknown tokens are not an error.
func (s *Store) Delete(ctx context.Context, token string) error {
	hash, ok := hashToken(token)
	if !ok {
		return nil
	}
	if _, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE token_hash = ?"), hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Revoke ends one of userID's sessions by its id, as listed by List. It reports
// ErrNotFound when the session is not that user's.
func (s *Store) Revoke(ctx context.Context, userID, sessionID int64) error {
	res, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE id = ? AND user_id = ?"), sessionID, userID)
	if err != nil {
		return fmt.Errorf("revoke session %d of user %d: %w", sessionID, userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteOthers ends every session of userID except keepSessionID (0 keeps none), as a
// password change, a 2FA change or a deactivation requires. It returns how many ended.
func (s *Store) DeleteOthers(ctx context.Context, userID, keepSessionID int64) (int64, error) {
	return s.deleteOthers(ctx, s.db.Write, userID, keepSessionID)
}

// DeleteOthersTx is DeleteOthers within the caller's transaction, so that a password
// change and the end of the user's other sessions commit together or not at all.
func (s *Store) DeleteOthersTx(ctx context.Context, tx *sql.Tx, userID, keepSessionID int64) (int64, error) {
	return s.deleteOthers(ctx, tx, userID, keepSessionID)
}

func (s *Store) deleteOthers(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, userID, keepSessionID int64) (int64, error) {
	res, err := q.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE user_id = ? AND id <> ?"), userID, keepSessionID)
	if err != nil {
		return 0, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// Execer runs a statement: a *sql.Tx, or the transaction an ORM Env works in.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// EndOfUsers ends every session of the users, except keepSessionID (0 keeps
// none), within the caller's transaction on a database of engine: for the
// code that takes privileges away in that transaction and holds no Store (a
// change of group membership), so both commit together or not at all. It
// returns how many ended.
func EndOfUsers(ctx context.Context, q Execer, engine store.Engine, users []int64, keepSessionID int64) (int64, error) {
	rb := &store.DB{Engine: engine}
	var ended int64
	for chunk := range slices.Chunk(users, 500) {
		args := []any{keepSessionID}
		for _, uid := range chunk {
			args = append(args, uid)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		res, err := q.ExecContext(ctx, rb.Rebind("DELETE FROM auth_session WHERE id <> ? AND user_id IN ("+marks+")"), args...)
		if err != nil {
			return ended, fmt.Errorf("end sessions of %d users: %w", len(users), err)
		}
		n, _ := res.RowsAffected()
		ended += n
	}
	return ended, nil
}

// actingSessionKey carries, in a request's context, the session the request
// came with.
type actingSessionKey struct{}

// WithActing returns ctx carrying the id of the session a request came with, so
// that a change of privileges made by that request ends the acting user's other
// sessions but not the one in use (an administrator who takes themselves out of
// a group keeps the page they did it from).
func WithActing(ctx context.Context, sessionID int64) context.Context {
	return context.WithValue(ctx, actingSessionKey{}, sessionID)
}

// Acting returns the session id WithActing put in ctx, or 0.
func Acting(ctx context.Context) int64 {
	id, _ := ctx.Value(actingSessionKey{}).(int64)
	return id
}

// List returns userID's live sessions, most recently used first.
func (s *Store) List(ctx context.Context, userID int64) ([]Session, error) {
	now := s.cfg.Now()
	rows, err := s.db.Read.QueryContext(ctx, s.db.Rebind(`SELECT `+sessionColumns+` FROM auth_session
		WHERE user_id = ? AND expires_at > ? AND last_seen_at > ? ORDER BY last_seen_at DESC, id DESC`),
		userID, now.Unix(), now.Add(-s.cfg.IdleTimeout).Unix())
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions of user %d: %w", userID, err)
		}
		out = append(out, sess)
	}
	return out, rows.Err()
}

// DeleteExpired removes sessions past their lifetime or idle timeout.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	now := s.cfg.Now()
	res, err := s.db.Write.ExecContext(ctx, s.db.Rebind("DELETE FROM auth_session WHERE expires_at <= ? OR last_seen_at <= ?"),
		now.Unix(), now.Add(-s.cfg.IdleTimeout).Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

func (s *Store) alive(sess Session, now time.Time) bool {
	return now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) < s.cfg.IdleTimeout
}

const sessionColumns = "id, user_id, created_at, last_seen_at, expires_at, client_address, user_agent, csrf_token"

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) byHash(ctx context.Context, q queryRower, hash []byte) (Session, error) {
	row := q.QueryRowContext(ctx, s.db.Rebind("SELECT "+sessionColumns+" FROM auth_session WHERE token_hash = ?"), hash)
	sess, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up session: %w", err)
	}
	return sess, nil
}

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var (
		sess                     Session
		created, seen, expiresAt int64
	)
	if err := row.Scan(&sess.ID, &sess.UserID, &created, &seen, &expiresAt, &sess.ClientAddress, &sess.UserAgent, &sess.csrf); err != nil {
		return Session{}, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(expiresAt, 0)
	return sess, nil
}

// hashToken validates the shape of a cookie value before hashing it, so malformed or
// oversized input never reaches the database.
func hashToken(token string) ([]byte, bool) {
	if len(token) != tokenLength {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	return sum[:], true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary so stored text stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
