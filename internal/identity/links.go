package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/store"
)

// LinkKind is a password link: a reset or an invitation (set-password).
type LinkKind int

const (
	// ResetLink lets a user choose a new password within 4 hours.
	ResetLink LinkKind = iota + 1
	// InvitationLink lets a new user (or a tenant's first administrator) set a
	// password within 144 hours.
	InvitationLink
)

// The paths the web UI serves these links at; the query holds uid and token.
const (
	ResetPath      = "/web/reset_password"
	InvitationPath = "/web/signup"
)

func (k LinkKind) scope() token.Scope {
	if k == InvitationLink {
		return token.ScopeInvitation
	}
	return token.ScopeResetPassword
}

func (k LinkKind) lifetime() time.Duration {
	if k == InvitationLink {
		return token.InvitationLifetime
	}
	return token.ResetPasswordLifetime
}

// Path is where the link points.
func (k LinkKind) Path() string {
	if k == InvitationLink {
		return InvitationPath
	}
	return ResetPath
}

func (k LinkKind) valid() bool { return k == ResetLink || k == InvitationLink }

// String names the kind in the security log.
func (k LinkKind) String() string { return string(k.scope()) }

// ErrInvalidLink is the one answer to a link that is malformed, altered, expired,
// already used, killed by a sign-in, for another tenant, or for an inactive or
// unknown user: the visitor learns nothing more.
var ErrInvalidLink = errors.New("the link is invalid or has expired")

// ErrInactive refuses links for archived users.
var ErrInactive = errors.New("the user is archived")

// Link returns a single-use link of kind for user id: it dies when a password is set
// through it (the hash changes), on any sign-in (the last login changes), at expiry,
// and when the tenant's database.secret is rotated.
func (s *Service) Link(ctx context.Context, kind LinkKind, id int64) (string, error) {
	if !kind.valid() {
		return "", fmt.Errorf("link: unknown kind %d", kind)
	}
	u, err := s.accounts.one(ctx, s.cfg.DB.Read, "id = ?", id)
	if err != nil {
		return "", err
	}
	if !u.Active {
		return "", ErrInactive
	}
	binding, err := s.binding(ctx, u)
	if err != nil {
		return "", err
	}
	signer, err := token.LoadSigner(ctx, s.cfg.DB, s.cfg.Now)
	if err != nil {
		return "", err
	}
	uid := strconv.FormatInt(id, 10)
	tok, err := signer.Sign(kind.scope(), []byte(uid), binding, s.cfg.Now().Add(kind.lifetime()))
	if err != nil {
		return "", fmt.Errorf("sign %s link: %w", kind, err)
	}
	link := *s.base
	link.Path = kind.Path()
	link.RawQuery = url.Values{"uid": {uid}, "token": {tok}}.Encode()
	return link.String(), nil
}

func (s *Service) binding(ctx context.Context, u userRow) ([]byte, error) {
	last, err := LastLogin(ctx, s.log, u.ID)
	if err != nil {
		return nil, err
	}
	return token.ResetBinding(u.ID, u.hash, last), nil
}

// CheckLink verifies a link's uid and token without using it, and returns its user.
func (s *Service) CheckLink(ctx context.Context, kind LinkKind, uid, tok string) (User, error) {
	u, err := s.checkLink(ctx, s.cfg.DB.Read, kind, uid, tok)
	return u.User, err
}

func (s *Service) checkLink(ctx context.Context, q querier, kind LinkKind, uid, tok string) (userRow, error) {
	id, err := strconv.ParseInt(uid, 10, 64)
	if !kind.valid() || err != nil || id <= 0 || tok == "" || strconv.FormatInt(id, 10) != uid {
		return userRow{}, ErrInvalidLink
	}
	u, err := s.accounts.one(ctx, q, "id = ?", id)
	if errors.Is(err, auth.ErrNoAccount) {
		return userRow{}, ErrInvalidLink
	}
	if err != nil {
		return userRow{}, err
	}
	binding, err := s.binding(ctx, u)
	if err != nil {
		return userRow{}, err
	}
	signer, err := token.LoadSigner(ctx, s.cfg.DB, s.cfg.Now)
	if err != nil {
		return userRow{}, err
	}
	payload, err := signer.Verify(kind.scope(), tok, binding)
	if err != nil || string(payload) != uid || !u.Active {
		return userRow{}, ErrInvalidLink
	}
	return u, nil
}

// SetPasswordWithLink sets the password of the link's user and uses the link up.
// The password is checked against the policy (a *password.PolicyError, with the
// link still valid) before anything changes. Every other session of the user ends.
func (s *Service) SetPasswordWithLink(ctx context.Context, kind LinkKind, uid, tok, newPassword string, from Origin) (User, error) {
	u, err := s.checkLink(ctx, s.cfg.DB.Read, kind, uid, tok)
	if err != nil {
		return User{}, err
	}
	if err := s.cfg.Policy.Check(newPassword); err != nil {
		return User{}, err
	}
	hash, err := s.cfg.Hasher.Hash(newPassword)
	if err != nil {
		return User{}, fmt.Errorf("hash new password: %w", err)
	}
	// Check again inside the writing transaction, with the row locked, so two
	// concurrent uses of one link cannot both succeed.
	err = s.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := lockUser(ctx, s.cfg.DB, tx, u.ID); err != nil {
			return err
		}
		if _, err := s.checkLink(ctx, tx, kind, uid, tok); err != nil {
			return err
		}
		return s.storePassword(ctx, tx, u.ID, hash, 0)
	})
	if err != nil {
		return User{}, err
	}
	ref := kind.String()
	s.record(ctx, securitylog.Event{Kind: securitylog.ResetUsed, UserID: u.ID, Address: from.Address, UserAgent: from.UserAgent, Reference: ref})
	s.record(ctx, securitylog.Event{Kind: securitylog.PasswordChanged, UserID: u.ID, Address: from.Address, UserAgent: from.UserAgent, Reference: ref})
	return u.User, nil
}

// lockUser takes the row lock of a user for the rest of tx. On SQLite the write
// transaction already excludes every other writer.
func lockUser(ctx context.Context, db *store.DB, tx *sql.Tx, id int64) error {
	if db.Engine != store.Postgres {
		return nil
	}
	var got int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM res_users WHERE id = $1 FOR UPDATE", id).Scan(&got); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidLink
		}
		return fmt.Errorf("lock user %d: %w", id, err)
	}
	return nil
}
