// Package totp is the time-based one-time password second factor (RFC 6238: HMAC-SHA1,
// 6 digits, 30-second steps, one step of clock drift either way), with what the
// incumbent lacks: a code is accepted once only (the newest accepted step is kept per
// user and nothing at or before it is accepted again), wrong codes are rate limited in
// the database, and the secret is sealed under the operator's master key, bound to the
// tenant and the user.
package totp

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
)

const (
	Period     = 30 * time.Second
	Digits     = 6
	Skew       = 1 // steps accepted before and after the current one
	secretSize = 20

	DefaultMaxFailures   = 5
	DefaultFailureWindow = 15 * time.Minute
)

var (
	ErrNotEnabled     = errors.New("two-factor authentication is not enabled")
	ErrAlreadyEnabled = errors.New("two-factor authentication is already enabled")
	// ErrInvalidCode covers wrong, malformed and replayed codes alike for the user;
	// ErrReplayed (which matches ErrInvalidCode) tells logs that it was a replay.
	ErrInvalidCode = errors.New("the code is not valid")
	ErrReplayed    = fmt.Errorf("%w: it was already used", ErrInvalidCode)
	ErrRateLimited = errors.New("too many wrong codes, try again later")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Config configures a Manager.
type Config struct {
	// Tenant names the tenant; sealed secrets are bound to it.
	Tenant string
	// Issuer is shown in authenticator apps.
	Issuer string
	// Key seals secrets at rest.
	Key *secrets.MasterKey
	// MaxFailures wrong codes (TOTP or recovery) within FailureWindow block further tries.
	MaxFailures   int
	FailureWindow time.Duration
	Now           func() time.Time
}

// Manager enables, checks and disables TOTP for the users of one tenant database.
type Manager struct {
	db  *store.DB
	cfg Config
}

// New returns a Manager on db.
func New(db *store.DB, cfg Config) (*Manager, error) {
	if cfg.Tenant == "" || cfg.Key == nil {
		return nil, errors.New("totp: tenant name and master key are required")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Instant-ERP"
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.FailureWindow == 0 {
		cfg.FailureWindow = DefaultFailureWindow
	}
	if cfg.MaxFailures < 1 || cfg.FailureWindow < time.Minute {
		return nil, fmt.Errorf("totp: need at least 1 failure per window of at least 1m, got %d per %s", cfg.MaxFailures, cfg.FailureWindow)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{db: db, cfg: cfg}, nil
}

// Enrollment is a new secret to show the user (as text and as an otpauth:// URL for a
// QR code) until they confirm it with Enable. It is not stored before that.
type Enrollment struct {
	Secret string
	URL    string
}

// NewEnrollment generates a secret for accountName (shown in the authenticator app).
func (m *Manager) NewEnrollment(accountName string) (Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      m.cfg.Issuer,
		AccountName: accountName,
		Period:      uint(Period / time.Second),
		SecretSize:  secretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("generate TOTP secret: %w", err)
	}
	return Enrollment{Secret: key.Secret(), URL: key.URL()}, nil
}

// Enable turns TOTP on for userID once code proves the user's app holds secret. The
// caller must have checked the user's password just before. It returns the recovery
// codes, to be shown once.
func (m *Manager) Enable(ctx context.Context, userID int64, secret, code string) ([]string, error) {
	raw, err := b32.DecodeString(strings.ToUpper(strings.TrimSpace(secret)))
	if err != nil || len(raw) != secretSize {
		return nil, errors.New("enable two-factor authentication: the secret is not one this server issued")
	}
	sealed, err := m.cfg.Key.Seal(raw, m.associatedData(userID))
	if err != nil {
		return nil, fmt.Errorf("enable two-factor authentication: %w", err)
	}
	var codes []string
	err = m.withFailureCounting(ctx, userID, func(tx *sql.Tx, now time.Time) error {
		var exists int
		err := tx.QueryRowContext(ctx, m.db.Rebind("SELECT COUNT(*) FROM auth_totp WHERE user_id = ?"), userID).Scan(&exists)
		if err != nil {
			return err
		}
		if exists > 0 {
			return ErrAlreadyEnabled
		}
		step, ok := matchStep(raw, code, now, -1)
		if !ok {
			return ErrInvalidCode
		}
		if _, err := tx.ExecContext(ctx, m.db.Rebind("INSERT INTO auth_totp (user_id, secret_sealed, last_step, enabled_at) VALUES (?, ?, ?, ?)"),
			userID, sealed, step, now.Unix()); err != nil {
			return err
		}
		codes, err = m.replaceRecoveryCodes(ctx, tx, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Verify checks a code from the user's app. At most MaxFailures wrong codes per
// FailureWindow are looked at; after that every attempt gets ErrRateLimited without
// the code being checked. A code for a step at or before the last accepted one is
// refused as a replay.
func (m *Manager) Verify(ctx context.Context, userID int64, code string) error {
	return m.withFailureCounting(ctx, userID, func(tx *sql.Tx, now time.Time) error {
		var (
			sealed   []byte
			lastStep int64
		)
		err := tx.QueryRowContext(ctx, m.db.Rebind("SELECT secret_sealed, last_step FROM auth_totp WHERE user_id = ?"), userID).Scan(&sealed, &lastStep)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotEnabled
		}
		if err != nil {
			return err
		}
		raw, err := m.cfg.Key.Open(sealed, m.associatedData(userID))
		if err != nil {
			return fmt.Errorf("open TOTP secret of user %d: %w", userID, err)
		}
		defer clear(raw)
		step, ok := matchStep(raw, code, now, lastStep)
		if !ok {
			if _, replay := matchStep(raw, code, now, -1); replay {
				return ErrReplayed
			}
			return ErrInvalidCode
		}
		// The condition makes two concurrent uses of one code accept only one.
		res, err := tx.ExecContext(ctx, m.db.Rebind("UPDATE auth_totp SET last_step = ? WHERE user_id = ? AND last_step < ?"), step, userID, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrReplayed
		}
		return nil
	})
}

// Disable turns TOTP off for userID and drops its recovery codes. The caller ends the
// user's other sessions.
func (m *Manager) Disable(ctx context.Context, userID int64) error {
	err := m.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, m.db.Rebind("DELETE FROM auth_totp WHERE user_id = ?"), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotEnabled
		}
		for _, q := range []string{"DELETE FROM auth_recovery_code WHERE user_id = ?", "DELETE FROM auth_totp_failure WHERE user_id = ?"} {
			if _, err := tx.ExecContext(ctx, m.db.Rebind(q), userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotEnabled) {
		return fmt.Errorf("disable two-factor authentication for user %d: %w", userID, err)
	}
	return err
}

// Enabled reports whether userID has TOTP on.
func (m *Manager) Enabled(ctx context.Context, userID int64) (bool, error) {
	var n int
	if err := m.db.Read.QueryRowContext(ctx, m.db.Rebind("SELECT COUNT(*) FROM auth_totp WHERE user_id = ?"), userID).Scan(&n); err != nil {
		return false, fmt.Errorf("read two-factor state of user %d: %w", userID, err)
	}
	return n > 0, nil
}

// withFailureCounting runs check in a transaction after the rate limit allows it.
// ErrInvalidCode from check is recorded as a failure (and committed); success clears
// the user's failures.
func (m *Manager) withFailureCounting(ctx context.Context, userID int64, check func(*sql.Tx, time.Time) error) error {
	var outcome error
	err := m.db.InTx(ctx, func(tx *sql.Tx) error {
		now := m.cfg.Now()
		var failures int
		if err := tx.QueryRowContext(ctx, m.db.Rebind("SELECT COUNT(*) FROM auth_totp_failure WHERE user_id = ? AND at > ?"),
			userID, now.Add(-m.cfg.FailureWindow).Unix()).Scan(&failures); err != nil {
			return err
		}
		if failures >= m.cfg.MaxFailures {
			outcome = ErrRateLimited
			return nil
		}
		outcome = check(tx, now)
		switch {
		case outcome == nil:
			_, err := tx.ExecContext(ctx, m.db.Rebind("DELETE FROM auth_totp_failure WHERE user_id = ?"), userID)
			return err
		case errors.Is(outcome, ErrInvalidCode):
			_, err := tx.ExecContext(ctx, m.db.Rebind("INSERT INTO auth_totp_failure (user_id, at) VALUES (?, ?)"), userID, now.Unix())
			return err
		default:
			return outcome
		}
	})
	if err != nil {
		if errors.Is(err, ErrNotEnabled) || errors.Is(err, ErrAlreadyEnabled) {
			return err
		}
		return fmt.Errorf("check second factor of user %d: %w", userID, err)
	}
	return outcome
}

// associatedData binds a sealed secret to its tenant and user, so a row copied to
// another user or another tenant's database does not open.
func (m *Manager) associatedData(userID int64) []byte {
	return []byte("instanterp/totp\x00tenant:" + m.cfg.Tenant + "\x00user:" + strconv.FormatInt(userID, 10))
}

// matchStep returns the highest step within the drift window, newer than after, whose
// code equals code. Every candidate is computed and compared in constant time.
func matchStep(secret []byte, code string, now time.Time, after int64) (int64, bool) {
	code = normaliseCode(code)
	if len(code) != Digits {
		return 0, false
	}
	current := now.Unix() / int64(Period/time.Second)
	encoded := b32.EncodeToString(secret)
	var (
		matched int64
		found   bool
	)
	for step := current - Skew; step <= current+Skew; step++ {
		want, err := hotp.GenerateCodeCustom(encoded, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after {
			matched, found = step, true
		}
	}
	return matched, found
}

// normaliseCode drops the spaces apps show in the middle of a code; anything that is
// not then six ASCII digits is returned as is to fail the comparison.
func normaliseCode(code string) string {
	if len(code) > 16 {
		return ""
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return ""
		}
	}
	return code
}

// PruneFailures deletes wrong-code records made before before. A failure only
// counts within the failure window, so the clean-up passes now minus that window;
// without it the table keeps one row per wrong code forever.
func PruneFailures(ctx context.Context, db *store.DB, before time.Time) (int64, error) {
	res, err := db.Write.ExecContext(ctx, db.Rebind("DELETE FROM auth_totp_failure WHERE at < ?"), before.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune second-factor failures: %w", err)
	}
	return res.RowsAffected()
}
