package api

import (
	"context"
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
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// Accounts is the Authenticator and Sessions of the platform, assembled from
// internal/auth: password logins (auth.Authenticator: passlib PBKDF2, throttling in
// the tenant database, security log), API keys (scope rpc, counted per use) and
// server-side sessions. Users and their credentials are read through
// internal/identity.Accounts, as the web sign-in reads them.
type Accounts struct {
	// Registry is the ERP's: password hashes are upgraded through the ORM.
	Registry *orm.Registry
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

// user is the account an RPC login names, read through the tenant's one reader
// of res.users credentials (internal/identity). found is false for an unknown
// login or uid.
func (a *Accounts) user(ctx context.Context, db *store.DB, find func(*identity.Accounts) (identity.User, error)) (identity.User, bool, error) {
	if a.Registry == nil {
		return identity.User{}, false, errors.New("api accounts: no registry")
	}
	u, err := find(identity.NewAccounts(db, a.Registry))
	if errors.Is(err, auth.ErrNoAccount) {
		return identity.User{}, false, nil
	}
	if err != nil {
		return identity.User{}, false, fmt.Errorf("load credentials: %w", err)
	}
	return u, true, nil
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
	u, found, err := a.user(ctx, db, func(acc *identity.Accounts) (identity.User, error) { return acc.UserByLogin(ctx, login) })
	if err != nil {
		return Principal{}, err
	}
	return a.check(ctx, db, login, u, found, secret, c)
}

// Verify implements Authenticator.
func (a *Accounts) Verify(ctx context.Context, db *store.DB, uid int64, secret string, c Client) (Principal, error) {
	u, found, err := a.user(ctx, db, func(acc *identity.Accounts) (identity.User, error) { return acc.User(ctx, uid) })
	if err != nil {
		return Principal{}, err
	}
	login := u.Login
	if !found {
		login = fmt.Sprintf("#%d", uid)
	}
	return a.check(ctx, db, login, u, found, secret, c)
}

// check verifies secret for the user: an API key here, a password through
// internal/auth's Authenticator (throttling, dummy hashing for unknown logins, hash
// upgrade, security log). Both are throttled per address and account.
func (a *Accounts) check(ctx context.Context, db *store.DB, login string, u identity.User, found bool, secret string, c Client) (Principal, error) {
	th, err := a.throttle(db)
	if err != nil {
		return Principal{}, err
	}
	if !strings.HasPrefix(secret, keyPrefix) {
		// With a second factor on, the RPC password path takes API keys only.
		// The password is not even checked, so trying it tells nothing; the
		// attempt is still throttled and logged as a failure like a wrong one.
		if found && u.TwoFactor {
			return Principal{}, a.refuseSecondFactorUser(ctx, db, th, login, u, secret, c)
		}
		authn, err := auth.NewAuthenticator(identity.NewAccounts(db, a.Registry), a.Hasher, th, securitylog.New(db, nil), nil)
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
		case found && acct.ID != u.ID:
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
	case errors.Is(err, apikey.ErrInvalid) || errors.Is(err, apikey.ErrExpired) || err == nil && (!found || !u.Active || k.UserID != u.ID):
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
	return Principal{UID: u.ID, KeyID: k.ID}, nil
}

// refuseSecondFactorUser answers a password login of a user with a second
// factor: ErrDenied after the same throttling, hashing work and security log
// entry as a wrong password, or an internal error.
func (a *Accounts) refuseSecondFactorUser(ctx context.Context, db *store.DB, th *throttle.Throttle, login string, u identity.User, secret string, c Client) error {
	if err := th.Check(ctx, address(c), login); err != nil {
		if errors.Is(err, throttle.ErrLocked) {
			return ErrDenied
		}
		return err
	}
	a.Dummy(secret)
	if err := th.RecordFailure(ctx, address(c), login); err != nil {
		return err
	}
	err := securitylog.New(db, nil).Append(ctx, securitylog.Event{Kind: securitylog.LoginFailure, UserID: u.ID,
		Login: login, Address: address(c), UserAgent: c.UserAgent})
	if err != nil {
		return err
	}
	return ErrDenied
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
