package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// Accounts is res.users as sign-in sees it. The password hash is a secret field the
// ORM never returns, so these few queries read res_users directly, with every value
// bound; writes go through the ORM as the system.
type Accounts struct {
	db  *store.DB
	reg *orm.Registry
}

var _ auth.Accounts = (*Accounts)(nil)

// NewAccounts returns the accounts of one tenant database.
func NewAccounts(db *store.DB, reg *orm.Registry) *Accounts {
	return &Accounts{db: db, reg: reg}
}

// User is what the identity procedures need to know about a user. It never holds
// the password hash.
type User struct {
	ID          int64
	Login       string
	Name        string
	Email       string
	Active      bool
	HasPassword bool
	// TwoFactor: the user has a TOTP second factor, so a password alone never
	// signs them in (the external API then takes API keys only).
	TwoFactor bool
}

// userRow is a user with the hash, for this package only.
type userRow struct {
	User
	hash string
}

const userColumns = `SELECT id, login, name, email, password, active,
	EXISTS (SELECT 1 FROM auth_totp t WHERE t.user_id = res_users.id) FROM res_users WHERE `

func scanUser(row interface{ Scan(...any) error }) (userRow, error) {
	var (
		u           userRow
		name, email sql.NullString
		hash        sql.NullString
		active      sql.NullBool
		twoFactor   any
	)
	if err := row.Scan(&u.ID, &u.Login, &name, &email, &hash, &active, &twoFactor); err != nil {
		return userRow{}, err
	}
	u.Name, u.Email, u.hash, u.Active = name.String, email.String, hash.String, active.Bool
	// EXISTS is a boolean on PostgreSQL and an integer on SQLite.
	switch v := twoFactor.(type) {
	case bool:
		u.TwoFactor = v
	case int64:
		u.TwoFactor = v != 0
	}
	u.HasPassword = u.hash != ""
	return u, nil
}

func (a *Accounts) one(ctx context.Context, q querier, where string, arg any) (userRow, error) {
	u, err := scanUser(q.QueryRowContext(ctx, a.db.Rebind(userColumns+where), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, auth.ErrNoAccount
	}
	if err != nil {
		return userRow{}, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// AccountByLogin finds a user by login, ignoring letter case as the unique index does.
func (a *Accounts) AccountByLogin(ctx context.Context, login string) (auth.Account, error) {
	u, err := a.one(ctx, a.db.Read, "lower(login) = lower(?)", login)
	if err != nil {
		return auth.Account{}, err
	}
	return auth.Account{ID: u.ID, Login: u.Login, PasswordHash: u.hash, Active: u.Active}, nil
}

// AccountByID is AccountByLogin for user id, for the screens that confirm the
// signed-in user's current password and the bindings made from the hash.
func (a *Accounts) AccountByID(ctx context.Context, id int64) (auth.Account, error) {
	u, err := a.one(ctx, a.db.Read, "id = ?", id)
	if err != nil {
		return auth.Account{}, err
	}
	return auth.Account{ID: u.ID, Login: u.Login, PasswordHash: u.hash, Active: u.Active}, nil
}

// User returns user id, or auth.ErrNoAccount.
func (a *Accounts) User(ctx context.Context, id int64) (User, error) {
	u, err := a.one(ctx, a.db.Read, "id = ?", id)
	return u.User, err
}

// UserByLogin returns the user with that login (any letter case), or auth.ErrNoAccount.
func (a *Accounts) UserByLogin(ctx context.Context, login string) (User, error) {
	u, err := a.one(ctx, a.db.Read, "lower(login) = lower(?)", login)
	return u.User, err
}

// maxUsersPerEmail bounds how many accounts one reset request can reach.
const maxUsersPerEmail = 5

// activeUsersByEmail returns up to maxUsersPerEmail active users whose email is addr
// (any letter case).
func (a *Accounts) activeUsersByEmail(ctx context.Context, addr string) ([]User, error) {
	rows, err := a.db.Read.QueryContext(ctx, a.db.Rebind(userColumns+"lower(email) = lower(?) AND active = ? ORDER BY id LIMIT ?"),
		addr, true, maxUsersPerEmail)
	if err != nil {
		return nil, fmt.Errorf("look up users by email: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("look up users by email: %w", err)
		}
		out = append(out, u.User)
	}
	return out, rows.Err()
}

// SetPasswordHash stores a new hash through the ORM as the system: only Sudo may
// write the secret field, and this is the password procedure.
func (a *Accounts) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return a.db.InTx(ctx, func(tx *sql.Tx) error { return a.writeHash(ctx, tx, id, hash) })
}

func (a *Accounts) writeHash(ctx context.Context, tx *sql.Tx, id int64, hash string) error {
	env, err := a.reg.NewEnv(tx, a.db.Engine, orm.Identity{})
	if err != nil {
		return err
	}
	if err := env.Sudo().Write(ctx, "res.users", []int64{id}, map[string]any{"password": hash}); err != nil {
		return fmt.Errorf("store password of user %d: %w", id, err)
	}
	return nil
}

// LastLogin is the time of user id's latest successful sign-in: the newest
// login.success event of the security log, which every sign-in must write (see
// auth.Authenticator). Zero when they never signed in.
func LastLogin(ctx context.Context, log *securitylog.Log, id int64) (time.Time, error) {
	events, err := log.List(ctx, securitylog.Filter{UserID: id, Kind: securitylog.LoginSuccess, Limit: 1})
	if err != nil {
		return time.Time{}, fmt.Errorf("last login of user %d: %w", id, err)
	}
	if len(events) == 0 {
		return time.Time{}, nil
	}
	return events[0].At, nil
}

// normalizeLogin trims what a person may have typed around a login or address.
func normalizeLogin(s string) string { return strings.TrimSpace(s) }
