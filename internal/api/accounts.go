package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/store"
)

// Accounts is the Authenticator and Sessions of the platform, assembled from
// internal/auth: password logins (auth.Authenticator: passlib PBKDF2, throttling in
// the tenant database, security log), API keys (scope rpc, counted per use) and
// server-side sessions.
type Accounts struct {
	Hasher   *password.Hasher
	Throttle throttle.Config
	APIKeys  apikey.Config
	Session  session.Config
}

var (
	_ Authenticator = (*Accounts)(nil)
	_ Sessions      = (*Accounts)(nil)
)

// keyPrefix starts every API key; anything else presented as a password is one.
const keyPrefix = "iek_"

// credential is a user's row as authentication needs it. The password hash is a
// secret field the ORM never returns, so it is read here, by the authentication
// code alone, and never leaves this file.
type credential struct {
	uid    int64
	login  string
	hash   string
	active bool
	totp   bool
}

func loadCredential(ctx context.Context, db *store.DB, where string, arg any) (credential, bool, error) {
	var (
		c    credential
		hash sql.NullString
		act  any
	)
	q := `SELECT u.id, u.login, u.password, u.active, EXISTS (SELECT 1 FROM auth_totp t WHERE t.user_id = u.id)
		FROM res_users u WHERE ` + where
	err := db.Read.QueryRowContext(ctx, db.Rebind(q), arg).Scan(&c.uid, &c.login, &hash, &act, &c.totp)
	if errors.Is(err, sql.ErrNoRows) {
		return credential{}, false, nil
	}
	if err != nil {
		return credential{}, false, fmt.Errorf("load credentials: %w", err)
	}
	c.hash = hash.String
	switch v := act.(type) {
	case bool:
		c.active = v
	case int64:
		c.active = v != 0
	}
	return c, true, nil
}

func (a *Accounts) throttle(db *store.DB) (*throttle.Throttle, error) {
	cfg := a.Throttle
	if cfg.Address.Failures == 0 {
		def := throttle.DefaultConfig()
		def.Now = cfg.Now
		cfg = def
	}
	return throttle.New(db, cfg)
}

func address(c Client) string {
	if c.Address.IsValid() {
		return c.Address.String()
	}
	return "0.0.0.0"
}

// Login implements Authenticator.
func (a *Accounts) Login(ctx context.Context, db *store.DB, login, secret string, c Client) (Principal, error) {
	if len(login) > throttle.MaxLoginLength {
		a.Dummy(secret)
		return Principal{}, ErrDenied
	}
	cred, found, err := loadCredential(ctx, db, `lower(u.login) = lower(?)`, login)
	if err != nil {
		return Principal{}, err
	}
	return a.check(ctx, db, login, cred, found, secret, c)
}

// Verify implements Authenticator.
func (a *Accounts) Verify(ctx context.Context, db *store.DB, uid int64, secret string, c Client) (Principal, error) {
	cred, found, err := loadCredential(ctx, db, `u.id = ?`, uid)
	if err != nil {
		return Principal{}, err
	}
	login := cred.login
	if !found {
		login = fmt.Sprintf("#%d", uid)
	}
	return a.check(ctx, db, login, cred, found, secret, c)
}

// check verifies secret for the user: an API key here, a password through
// internal/auth's Authenticator (throttling, dummy hashing for unknown logins, hash
// upgrade, security log). Both are throttled per address and account.
func (a *Accounts) check(ctx context.Context, db *store.DB, login string, cred credential, found bool, secret string, c Client) (Principal, error) {
	th, err := a.throttle(db)
	if err != nil {
		return Principal{}, err
	}
	if !strings.HasPrefix(secret, keyPrefix) {
		// With a second factor on, the RPC password path takes API keys only.
		if found && cred.totp {
			a.Dummy(secret)
			return Principal{}, ErrDenied
		}
		authn, err := auth.NewAuthenticator(userStore{db: db}, a.Hasher, th, securitylog.New(db, nil), nil)
		if err != nil {
			return Principal{}, err
		}
		acct, err := authn.Authenticate(ctx, auth.Attempt{Login: login, Password: secret, Address: address(c), UserAgent: c.UserAgent})
		var locked *throttle.LockedError
		switch {
		case errors.Is(err, auth.ErrInvalidCredentials), errors.As(err, &locked):
			return Principal{}, ErrDenied
		case err != nil:
			return Principal{}, err
		case found && acct.ID != cred.uid:
			return Principal{}, ErrDenied
		}
		return Principal{UID: acct.ID}, nil
	}
	if err := th.Check(ctx, address(c), login); err != nil {
		if errors.Is(err, throttle.ErrLocked) {
			return Principal{}, ErrDenied
		}
		return Principal{}, err
	}
	k, err := apikey.NewStore(db, a.APIKeys).Check(ctx, secret, apikey.ScopeRPC)
	switch {
	case errors.Is(err, apikey.ErrInvalid) || errors.Is(err, apikey.ErrExpired) || err == nil && (!found || !cred.active || k.UserID != cred.uid):
		if err := th.RecordFailure(ctx, address(c), login); err != nil {
			return Principal{}, err
		}
		return Principal{}, ErrDenied
	case err != nil:
		return Principal{}, err
	}
	if err := th.RecordSuccess(ctx, login); err != nil {
		return Principal{}, err
	}
	return Principal{UID: cred.uid, KeyID: k.ID}, nil
}

// userStore gives internal/auth the accounts of one tenant (res.users).
type userStore struct{ db *store.DB }

func (u userStore) AccountByLogin(ctx context.Context, login string) (auth.Account, error) {
	cred, found, err := loadCredential(ctx, u.db, `lower(u.login) = lower(?)`, login)
	if err != nil {
		return auth.Account{}, err
	}
	if !found {
		return auth.Account{}, auth.ErrNoAccount
	}
	return auth.Account{ID: cred.uid, Login: cred.login, PasswordHash: cred.hash, Active: cred.active}, nil
}

func (u userStore) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	_, err := u.db.Write.ExecContext(ctx, u.db.Rebind(`UPDATE res_users SET password = ? WHERE id = ?`), hash, id)
	return err
}

// Bearer implements Authenticator.
func (a *Accounts) Bearer(ctx context.Context, db *store.DB, key string, c Client) (Principal, error) {
	k, err := apikey.NewStore(db, a.APIKeys).Check(ctx, key, apikey.ScopeRPC)
	if errors.Is(err, apikey.ErrInvalid) || errors.Is(err, apikey.ErrExpired) {
		return Principal{}, ErrDenied
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{UID: k.UserID, KeyID: k.ID}, nil
}

// Dummy implements Authenticator: the work of checking a password.
func (a *Accounts) Dummy(secret string) {
	if strings.HasPrefix(secret, keyPrefix) {
		return
	}
	a.Hasher.DummyVerify(secret)
}

func (a *Accounts) sessions(db *store.DB) (*session.Store, error) {
	return session.NewStore(db, a.Session)
}

// Start implements Sessions.
func (a *Accounts) Start(ctx context.Context, db *store.DB, p Principal, c Client) (*http.Cookie, error) {
	st, err := a.sessions(db)
	if err != nil {
		return nil, err
	}
	s, token, err := st.Create(ctx, p.UID, address(c), c.UserAgent)
	if err != nil {
		return nil, err
	}
	return session.Cookie(token, s.ExpiresAt), nil
}

// Resume implements Sessions.
func (a *Accounts) Resume(ctx context.Context, db *store.DB, r *http.Request) (Principal, error) {
	ck, err := r.Cookie(session.CookieName)
	if err != nil {
		return Principal{}, ErrDenied
	}
	st, err := a.sessions(db)
	if err != nil {
		return Principal{}, err
	}
	s, err := st.Lookup(ctx, ck.Value)
	if errors.Is(err, session.ErrNotFound) {
		return Principal{}, ErrDenied
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{UID: s.UserID}, nil
}

// End implements Sessions.
func (a *Accounts) End(ctx context.Context, db *store.DB, r *http.Request) (*http.Cookie, error) {
	if ck, err := r.Cookie(session.CookieName); err == nil {
		st, err := a.sessions(db)
		if err != nil {
			return nil, err
		}
		if err := st.Delete(ctx, ck.Value); err != nil {
			return nil, err
		}
	}
	return session.ClearCookie(), nil
}
