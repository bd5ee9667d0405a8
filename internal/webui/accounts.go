package webui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// accounts is res.users as sign-in sees it. Reading the password hash is the one
// thing the ORM refuses to do (the field is secret), so these few queries read
// res_users directly, with values bound, never spliced.
type accounts struct {
	db  *store.DB
	reg *orm.Registry
}

var _ auth.Accounts = (*accounts)(nil)

// account is a user with what the identity screens need.
type account struct {
	auth.Account
	Email string
	Name  string
}

func (a *accounts) query(ctx context.Context, where string, arg any) (account, error) {
	var (
		acct        account
		hash, email sql.NullString
		active      any
	)
	err := a.db.Read.QueryRowContext(ctx, a.db.Rebind(`SELECT id, login, name, email, password, active FROM res_users WHERE `+where), arg).
		Scan(&acct.ID, &acct.Login, &acct.Name, &email, &hash, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return account{}, auth.ErrNoAccount
	}
	if err != nil {
		return account{}, fmt.Errorf("look up account: %w", err)
	}
	acct.PasswordHash, acct.Email = hash.String, email.String
	switch v := active.(type) {
	case bool:
		acct.Active = v
	case int64:
		acct.Active = v != 0
	}
	return acct, nil
}

// AccountByLogin finds a user by login, ignoring letter case as the unique index does.
func (a *accounts) AccountByLogin(ctx context.Context, login string) (auth.Account, error) {
	acct, err := a.query(ctx, "lower(login) = lower(?)", login)
	return acct.Account, err
}

func (a *accounts) byLogin(ctx context.Context, login string) (account, error) {
	return a.query(ctx, "lower(login) = lower(?)", login)
}

func (a *accounts) byID(ctx context.Context, id int64) (account, error) {
	return a.query(ctx, "id = ?", id)
}

// SetPasswordHash stores a new hash through the ORM as the system: only Sudo may
// write the secret field, and this is the password procedure.
func (a *accounts) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return a.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := a.reg.NewEnv(tx, a.db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return env.Sudo().Write(ctx, "res.users", []int64{id}, map[string]any{"password": hash})
	})
}
