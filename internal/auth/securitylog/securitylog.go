// Package securitylog records security events of a tenant (logins, resets, second
// factor and API key changes, revocations) for its administrators.
//
// An event has no free-text field: it carries a kind, who, from where, and a short
// reference (a key or session id, a ban subject). Nothing in it can hold a password,
// hash, token or key.
package securitylog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/store"
)

// Kind is the type of a security event.
type Kind string

const (
	LoginSuccess      Kind = "login.success"
	LoginFailure      Kind = "login.failure"
	LoginThrottled    Kind = "login.throttled"
	PasswordChanged   Kind = "password.changed"
	ResetRequested    Kind = "reset.requested"
	ResetUsed         Kind = "reset.used"
	TwoFactorEnabled  Kind = "2fa.enabled"
	TwoFactorDisabled Kind = "2fa.disabled"
	TwoFactorFailure  Kind = "2fa.failure"
	RecoveryCodeUsed  Kind = "2fa.recovery_code_used"
	APIKeyCreated     Kind = "apikey.created"
	APIKeyRevoked     Kind = "apikey.revoked"
	SessionRevoked    Kind = "session.revoked"
	BanLifted         Kind = "ban.lifted"
	// ProviderChanged: an administrator saved or deleted an external sign-in
	// provider (reference: "saved:<name>" or "deleted:<name>").
	ProviderChanged Kind = "provider.changed"
	// Trusted devices skip the second factor for 30 days. The id of a user's latest
	// revocation is their trust generation, which every trusted-device token is
	// bound to, so a revocation needs no list of devices.
	TrustedDeviceGranted  Kind = "trusted_device.granted"
	TrustedDeviceUsed     Kind = "trusted_device.used"
	TrustedDevicesRevoked Kind = "trusted_device.revoked"
	// TwoFactorPolicy: an administrator turned "require 2FA" on or off (reference
	// "required" or "optional"); TwoFactorEnrolRequired: a user without 2FA was
	// stopped at sign-in and sent to enrol.
	TwoFactorPolicy        Kind = "2fa.policy_changed"
	TwoFactorEnrolRequired Kind = "2fa.enrolment_required"
	PasskeyAdded           Kind = "passkey.added"
	PasskeyRemoved         Kind = "passkey.removed"
	// BackupDownload: an administrator downloaded an export of the tenant's data
	// by its signed link (reference: the export id).
	BackupDownload Kind = "backup.download"
)

var kinds = map[Kind]bool{
	LoginSuccess: true, LoginFailure: true, LoginThrottled: true, PasswordChanged: true,
	ResetRequested: true, ResetUsed: true, TwoFactorEnabled: true, TwoFactorDisabled: true,
	TwoFactorFailure: true, RecoveryCodeUsed: true, APIKeyCreated: true, APIKeyRevoked: true,
	SessionRevoked: true, BanLifted: true, ProviderChanged: true,
	TrustedDeviceGranted: true, TrustedDeviceUsed: true, TrustedDevicesRevoked: true,
	TwoFactorPolicy: true, TwoFactorEnrolRequired: true, PasskeyAdded: true, PasskeyRemoved: true,
	BackupDownload: true,
}

// Field limits; longer values are cut (at a character boundary), never refused, so an
// attacker's over-long user agent cannot stop a failure from being logged.
const (
	maxLogin     = 256
	maxAddress   = 64
	maxUserAgent = 512
	maxReference = 128
	// MaxList bounds one List call.
	MaxList = 500
)

// Event is one security log entry.
type Event struct {
	ID     int64
	At     time.Time
	Kind   Kind
	UserID int64 // 0: no such user (e.g. a failed login for an unknown name)
	// ActorID is who did it when not the user (an admin lifting a ban or triggering a
	// reset); 0 when the user acted.
	ActorID   int64
	Login     string
	Address   string
	UserAgent string
	// Reference names the object acted on: an API key or session id, a ban subject.
	Reference string
}

// Log appends to and reads the security log of one tenant database.
type Log struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Log on db; now is the clock (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now}
}

// Append records e; its ID and At are set by the log.
func (l *Log) Append(ctx context.Context, e Event) error {
	if !kinds[e.Kind] {
		return fmt.Errorf("security log: unknown event kind %q", e.Kind)
	}
	_, err := l.db.Write.ExecContext(ctx, l.db.Rebind(`INSERT INTO auth_security_log
		(at, kind, user_id, actor_id, login, address, user_agent, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		l.now().Unix(), e.Kind, nullID(e.UserID), nullID(e.ActorID),
		clean(e.Login, maxLogin), clean(e.Address, maxAddress), clean(e.UserAgent, maxUserAgent), clean(e.Reference, maxReference))
	if err != nil {
		return fmt.Errorf("append %s to the security log: %w", e.Kind, err)
	}
	return nil
}

// Filter selects events for List. Zero fields do not filter.
type Filter struct {
	UserID int64
	Kind   Kind
	// BeforeID pages backwards: only events older than this id.
	BeforeID int64
	// Limit caps the result (default and maximum MaxList).
	Limit int
}

// List returns matching events, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Event, error) {
	if f.Kind != "" && !kinds[f.Kind] {
		return nil, fmt.Errorf("security log: unknown event kind %q", f.Kind)
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	var (
		where []string
		args  []any
	)
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	query := "SELECT id, at, kind, user_id, actor_id, login, address, user_agent, reference FROM auth_security_log"
	if len(where) > 0 {
		// Only the fixed fragments above are joined; every value is a bind parameter.
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list security log: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e           Event
			at          int64
			kind        string
			user, actor sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &at, &kind, &user, &actor, &e.Login, &e.Address, &e.UserAgent, &e.Reference); err != nil {
			return nil, fmt.Errorf("list security log: %w", err)
		}
		e.At, e.Kind, e.UserID, e.ActorID = time.Unix(at, 0), Kind(kind), user.Int64, actor.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}

func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// clean makes a field valid UTF-8 without control characters (so a log viewer cannot
// be fooled by forged line breaks) and cuts it to n bytes.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
