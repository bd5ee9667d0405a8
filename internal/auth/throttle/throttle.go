// Package throttle counts failed logins in the tenant database, per source address and
// per account, and locks either out for a growing time. Because the counters live in
// the database, every process and every node serving the tenant sees the same locks.
//
// Callers check before doing any password work and record the outcome after:
//
//	if err := t.Check(ctx, addr, login); err != nil { refuse }
//	... verify the password ...
//	t.RecordFailure(ctx, addr, login) or t.RecordSuccess(ctx, login)
package throttle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// Kind says what a counter or lock is about.
type Kind string

const (
	KindAddress Kind = "address"
	KindAccount Kind = "account"
	// KindStart counts, per address, sign-ins started without a login (a
	// passwordless passkey start stores a ceremony): not failures, but what an
	// address may ask of the server for nothing.
	KindStart Kind = "start"
)

// MaxLoginLength bounds the login text kept as an account subject.
const MaxLoginLength = 256

// Limit is one throttling rule: Failures within Window lock the subject out, first for
// FirstLock, doubling with each further lock-out up to MaxLock. A subject with no
// lock-out for MaxLock starts over at FirstLock.
type Limit struct {
	Failures  int
	Window    time.Duration
	FirstLock time.Duration
	MaxLock   time.Duration
}

func (l Limit) validate(name string) error {
	if l.Failures < 1 || l.Window < time.Second || l.FirstLock < time.Second || l.MaxLock < l.FirstLock {
		return fmt.Errorf("%s throttle %+v: need failures >= 1, window and first lock >= 1s, max lock >= first lock", name, l)
	}
	return nil
}

// Config holds the rules and the clock.
type Config struct {
	Address Limit
	Account Limit
	// Start limits sign-ins started without a login per address; the zero
	// value means DefaultConfig's.
	Start Limit
	Now   func() time.Time
}

// DefaultConfig: 10 failures in 60 s from one address, or 20 failures in an hour on
// one account, lock out; so do 30 passwordless starts in 60 s from one address
// (an office behind one address signs in with passkeys far less often).
func DefaultConfig() Config {
	return Config{
		Address: Limit{Failures: 10, Window: time.Minute, FirstLock: time.Minute, MaxLock: time.Hour},
		Account: Limit{Failures: 20, Window: time.Hour, FirstLock: 15 * time.Minute, MaxLock: 24 * time.Hour},
		Start:   defaultStart,
		Now:     time.Now,
	}
}

var defaultStart = Limit{Failures: 30, Window: time.Minute, FirstLock: time.Minute, MaxLock: 15 * time.Minute}

// LockedError is returned by Check while a subject is locked out. Its message is fit
// for the user; Kind and Until are for logs and the admin.
type LockedError struct {
	Kind  Kind
	Until time.Time
}

func (e *LockedError) Error() string {
	return "too many failed login attempts, try again later"
}

// ErrLocked matches every *LockedError with errors.Is.
var ErrLocked = errors.New("locked out")

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Throttle reads and writes the counters of one tenant database.
type Throttle struct {
	db  *store.DB
	cfg Config
}

// New returns a Throttle on db.
func New(db *store.DB, cfg Config) (*Throttle, error) {
	if err := cfg.Address.validate("address"); err != nil {
		return nil, err
	}
	if err := cfg.Account.validate("account"); err != nil {
		return nil, err
	}
	if cfg.Start == (Limit{}) {
		cfg.Start = defaultStart
	}
	if err := cfg.Start.validate("start"); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{db: db, cfg: cfg}, nil
}

// Subjects normalises an address and a login into the keys counters are kept under.
// IPv6 addresses count per /64, since one host commonly holds a whole /64.
func Subjects(address, login string) (addressKey, accountKey string, err error) {
	addr, err := netip.ParseAddr(address)
	if err != nil {
		return "", "", fmt.Errorf("client address is not an IP address")
	}
	addr = addr.Unmap()
	if addr.Is6() {
		addr = netip.PrefixFrom(addr, 64).Masked().Addr()
		addressKey = addr.String() + "/64"
	} else {
		addressKey = addr.String()
	}
	accountKey = strings.ToLower(strings.TrimSpace(login))
	if len(accountKey) > MaxLoginLength {
		return "", "", fmt.Errorf("login is longer than %d bytes", MaxLoginLength)
	}
	return addressKey, accountKey, nil
}

// Check returns a *LockedError when the address or the account is locked out. Call it
// before any password work.
func (t *Throttle) Check(ctx context.Context, address, login string) error {
	addrKey, accountKey, err := Subjects(address, login)
	if err != nil {
		return err
	}
	now := t.cfg.Now().Unix()
	rows, err := t.db.Read.QueryContext(ctx, t.db.Rebind(`SELECT kind, locked_until FROM auth_lockout
		WHERE locked_until > ? AND ((kind = ? AND subject = ?) OR (kind = ? AND subject = ?))
		ORDER BY locked_until DESC`), now, KindAddress, addrKey, KindAccount, accountKey)
	if err != nil {
		return fmt.Errorf("check login throttle: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var (
			kind  string
			until int64
		)
		if err := rows.Scan(&kind, &until); err != nil {
			return fmt.Errorf("check login throttle: %w", err)
		}
		return &LockedError{Kind: Kind(kind), Until: time.Unix(until, 0)}
	}
	return rows.Err()
}

// RecordFailure counts a failed login against the address and the account, locking
// either out when its limit is reached.
func (t *Throttle) RecordFailure(ctx context.Context, address, login string) error {
	addrKey, accountKey, err := Subjects(address, login)
	if err != nil {
		return err
	}
	now := t.cfg.Now()
	err = t.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := t.fail(ctx, tx, KindAddress, addrKey, t.cfg.Address, now); err != nil {
			return err
		}
		if accountKey == "" {
			return nil
		}
		return t.fail(ctx, tx, KindAccount, accountKey, t.cfg.Account, now)
	})
	if err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

func (t *Throttle) fail(ctx context.Context, tx *sql.Tx, kind Kind, subject string, limit Limit, now time.Time) error {
	if _, err := tx.ExecContext(ctx, t.db.Rebind("INSERT INTO auth_login_failure (kind, subject, at) VALUES (?, ?, ?)"),
		kind, subject, now.Unix()); err != nil {
		return err
	}
	var count int
	if err := tx.QueryRowContext(ctx, t.db.Rebind("SELECT COUNT(*) FROM auth_login_failure WHERE kind = ? AND subject = ? AND at > ?"),
		kind, subject, now.Add(-limit.Window).Unix()).Scan(&count); err != nil {
		return err
	}
	if count < limit.Failures {
		return nil
	}
	var lockouts, lastLocked int64
	err := tx.QueryRowContext(ctx, t.db.Rebind("SELECT lockouts, last_locked_at FROM auth_lockout WHERE kind = ? AND subject = ?"),
		kind, subject).Scan(&lockouts, &lastLocked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	previousEnd := time.Unix(lastLocked, 0).Add(lockDuration(limit, lockouts))
	if now.Sub(previousEnd) > limit.MaxLock {
		lockouts = 0 // quiet long enough: start over
	}
	until := now.Add(lockDuration(limit, lockouts+1))
	if _, err := tx.ExecContext(ctx, t.db.Rebind(`INSERT INTO auth_lockout (kind, subject, locked_until, lockouts, last_locked_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, subject) DO UPDATE SET locked_until = excluded.locked_until,
			lockouts = excluded.lockouts, last_locked_at = excluded.last_locked_at`),
		kind, subject, until.Unix(), lockouts+1, now.Unix()); err != nil {
		return err
	}
	// The lock-out consumed these failures; counting starts again after it.
	_, err = tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_login_failure WHERE kind = ? AND subject = ?"), kind, subject)
	return err
}

// lockDuration is the length of the n-th consecutive lock-out (n >= 1).
func lockDuration(limit Limit, n int64) time.Duration {
	if n < 1 {
		return 0
	}
	d := limit.FirstLock
	for i := int64(1); i < n && d < limit.MaxLock; i++ {
		d *= 2
	}
	return min(d, limit.MaxLock)
}

// RecordStart counts a sign-in started from address without a login, or
// returns a *LockedError (and counts nothing) while the address has started too
// many. It is separate from failures: passkey users behind one address do not
// lock each other out of typing passwords, nor the other way round.
func (t *Throttle) RecordStart(ctx context.Context, address string) error {
	addrKey, _, err := Subjects(address, "")
	if err != nil {
		return err
	}
	now := t.cfg.Now()
	err = t.db.InTx(ctx, func(tx *sql.Tx) error {
		var until int64
		err := tx.QueryRowContext(ctx, t.db.Rebind("SELECT locked_until FROM auth_lockout WHERE kind = ? AND subject = ? AND locked_until > ?"),
			KindStart, addrKey, now.Unix()).Scan(&until)
		if err == nil {
			return &LockedError{Kind: KindStart, Until: time.Unix(until, 0)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return t.fail(ctx, tx, KindStart, addrKey, t.cfg.Start, now)
	})
	var locked *LockedError
	if errors.As(err, &locked) {
		return locked
	}
	if err != nil {
		return fmt.Errorf("record sign-in start: %w", err)
	}
	return nil
}

// RecordSuccess resets the account's failure count and lock-out history. The
// address counter is left alone: one valid account must not let an address that is
// guessing other accounts' passwords start over.
func (t *Throttle) RecordSuccess(ctx context.Context, login string) error {
	_, accountKey, err := Subjects("0.0.0.0", login)
	if err != nil {
		return err
	}
	err = t.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_login_failure WHERE kind = ? AND subject = ?"), KindAccount, accountKey); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_lockout WHERE kind = ? AND subject = ?"), KindAccount, accountKey)
		return err
	})
	if err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}

// Ban is an active lock-out as the tenant admin sees it.
type Ban struct {
	Kind        Kind
	Subject     string
	LockedUntil time.Time
	Lockouts    int64
}

// Bans lists the lock-outs in force, longest first.
func (t *Throttle) Bans(ctx context.Context) ([]Ban, error) {
	rows, err := t.db.Read.QueryContext(ctx, t.db.Rebind(`SELECT kind, subject, locked_until, lockouts FROM auth_lockout
		WHERE locked_until > ? ORDER BY locked_until DESC, kind, subject`), t.cfg.Now().Unix())
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	defer rows.Close()
	var out []Ban
	for rows.Next() {
		var (
			b     Ban
			kind  string
			until int64
		)
		if err := rows.Scan(&kind, &b.Subject, &until, &b.Lockouts); err != nil {
			return nil, fmt.Errorf("list bans: %w", err)
		}
		b.Kind, b.LockedUntil = Kind(kind), time.Unix(until, 0)
		out = append(out, b)
	}
	return out, rows.Err()
}

// Lift ends a lock-out and forgets the subject's failures and history. It reports
// whether there was anything to lift.
func (t *Throttle) Lift(ctx context.Context, kind Kind, subject string) (bool, error) {
	if kind != KindAddress && kind != KindAccount && kind != KindStart {
		return false, fmt.Errorf("lift ban: unknown kind %q", kind)
	}
	var lifted bool
	err := t.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_lockout WHERE kind = ? AND subject = ? AND locked_until > ?"),
			kind, subject, t.cfg.Now().Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		lifted = n > 0
		if _, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_lockout WHERE kind = ? AND subject = ?"), kind, subject); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_login_failure WHERE kind = ? AND subject = ?"), kind, subject)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lift %s ban: %w", kind, err)
	}
	return lifted, nil
}

// Prune deletes failures older than any window and lock-out records whose history no
// longer matters. A periodic job calls it.
func (t *Throttle) Prune(ctx context.Context) (int64, error) {
	now := t.cfg.Now()
	oldest := now.Add(-max(t.cfg.Address.Window, t.cfg.Account.Window, t.cfg.Start.Window)).Unix()
	forget := now.Add(-max(t.cfg.Address.MaxLock, t.cfg.Account.MaxLock, t.cfg.Start.MaxLock)).Unix()
	var total int64
	err := t.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_login_failure WHERE at <= ?"), oldest)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += n
		res, err = tx.ExecContext(ctx, t.db.Rebind("DELETE FROM auth_lockout WHERE locked_until <= ?"), forget)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		total += n
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune login throttle: %w", err)
	}
	return total, nil
}
