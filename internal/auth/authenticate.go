package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
)

// Account is what a login needs to know about a user.
type Account struct {
	ID           int64
	Login        string
	PasswordHash string // empty: no local password (external sign-in only)
	Active       bool
}

// ErrNoAccount is what Accounts.AccountByLogin returns for an unknown login.
var ErrNoAccount = errors.New("no such account")

// Accounts is the user store (res.users, owned by the ORM).
type Accounts interface {
	// AccountByLogin returns the account with that login, or ErrNoAccount.
	AccountByLogin(ctx context.Context, login string) (Account, error)
	// SetPasswordHash replaces an account's stored hash (used to upgrade old hashes).
	SetPasswordHash(ctx context.Context, id int64, hash string) error
}

// ErrInvalidCredentials is the one answer to a wrong login, a wrong password, an
// inactive account or an account without a local password, so none can be told apart.
var ErrInvalidCredentials = errors.New("wrong login or password")

// Attempt is one login try.
type Attempt struct {
	Login     string
	Password  string
	Address   string // client IP, as resolved by the trusted-proxy rules
	UserAgent string
}

// Authenticator checks logins of one tenant.
type Authenticator struct {
	accounts Accounts
	hasher   *password.Hasher
	throttle *throttle.Throttle
	log      *securitylog.Log
	logger   *slog.Logger
}

// NewAuthenticator composes the pieces; logger may be nil (slog.Default).
func NewAuthenticator(accounts Accounts, hasher *password.Hasher, th *throttle.Throttle, log *securitylog.Log, logger *slog.Logger) (*Authenticator, error) {
	if accounts == nil || hasher == nil || th == nil || log == nil {
		return nil, errors.New("authenticator: accounts, hasher, throttle and security log are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Authenticator{accounts: accounts, hasher: hasher, throttle: th, log: log, logger: logger}, nil
}

// Authenticate checks a login and password. The throttle is consulted before any
// password work; an unknown login costs the same hashing as a wrong password; a hash
// with outdated parameters (or a legacy plaintext row) is replaced on success. It
// returns ErrInvalidCredentials, a *throttle.LockedError, or an internal error. The
// returned Account has no PasswordHash.
func (a *Authenticator) Authenticate(ctx context.Context, at Attempt) (Account, error) {
	login := at.Login
	if len(login) > throttle.MaxLoginLength {
		// Counted against the address only: such a login cannot exist.
		login = ""
	}
	if err := a.throttle.Check(ctx, at.Address, login); err != nil {
		var locked *throttle.LockedError
		if errors.As(err, &locked) {
			a.record(ctx, securitylog.LoginThrottled, 0, at)
			a.logger.InfoContext(ctx, "login refused: locked out", "login", login, "address", at.Address, "lock", locked.Kind, "until", locked.Until)
		}
		return Account{}, err
	}

	acct, err := a.accounts.AccountByLogin(ctx, login)
	if errors.Is(err, ErrNoAccount) || login == "" {
		a.hasher.DummyVerify(at.Password)
		return Account{}, a.fail(ctx, 0, at, login, "unknown login")
	}
	if err != nil {
		return Account{}, fmt.Errorf("authenticate: find account: %w", err)
	}
	ok, needsRehash, err := a.hasher.Verify(at.Password, acct.PasswordHash)
	if err != nil {
		// Logged without the value: an operator looks at the row, not at the log.
		a.logger.ErrorContext(ctx, "stored password hash does not parse", "user_id", acct.ID)
	}
	if !ok {
		return Account{}, a.fail(ctx, acct.ID, at, login, "wrong password")
	}
	if !acct.Active {
		return Account{}, a.fail(ctx, acct.ID, at, login, "inactive account")
	}
	if needsRehash {
		a.upgrade(ctx, acct.ID, at.Password)
	}
	if err := a.throttle.RecordSuccess(ctx, login); err != nil {
		return Account{}, fmt.Errorf("authenticate: %w", err)
	}
	// The success event is the user's login date, which reset and invitation links
	// are bound to (internal/identity): a login that cannot be recorded would leave
	// those links alive, so it fails.
	if err := a.log.Append(ctx, securitylog.Event{Kind: securitylog.LoginSuccess, UserID: acct.ID, Login: at.Login, Address: at.Address, UserAgent: at.UserAgent}); err != nil {
		return Account{}, fmt.Errorf("authenticate: %w", err)
	}
	acct.PasswordHash = ""
	return acct, nil
}

func (a *Authenticator) upgrade(ctx context.Context, id int64, plain string) {
	hash, err := a.hasher.Hash(plain)
	if err == nil {
		err = a.accounts.SetPasswordHash(ctx, id, hash)
	}
	if err != nil {
		// The login still succeeds; the upgrade is tried again next time.
		a.logger.WarnContext(ctx, "password hash upgrade failed", "user_id", id, "error", err)
		return
	}
	a.logger.InfoContext(ctx, "password hash upgraded", "user_id", id, "rounds", a.hasher.Rounds())
}

func (a *Authenticator) fail(ctx context.Context, userID int64, at Attempt, login, reason string) error {
	if err := a.throttle.RecordFailure(ctx, at.Address, login); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	a.record(ctx, securitylog.LoginFailure, userID, at)
	a.logger.InfoContext(ctx, "login failed", "login", login, "address", at.Address, "reason", reason)
	return ErrInvalidCredentials
}

// record writes the security log; a failure to do so is logged, not returned, so the
// outcome of the login does not depend on it.
func (a *Authenticator) record(ctx context.Context, kind securitylog.Kind, userID int64, at Attempt) {
	err := a.log.Append(ctx, securitylog.Event{Kind: kind, UserID: userID, Login: at.Login, Address: at.Address, UserAgent: at.UserAgent})
	if err != nil {
		a.logger.ErrorContext(ctx, "security log append failed", "kind", kind, "error", err)
	}
}
