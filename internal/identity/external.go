package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// ErrExternalRefused is the answer when a provider vouched for someone who may not
// sign in here: no mapped or matching user and no permission to create one, or an
// archived user.
var ErrExternalRefused = errors.New("this account cannot sign in here; ask your administrator")

// externalIdentity is what a provider vouches for.
type externalIdentity struct {
	Subject string // stable identifier at the provider (OIDC sub, LDAP DN)
	Login   string // login to match or create
	Email   string
	Name    string
	// MatchByLogin allows mapping to an existing user whose login is Login: the
	// provider is trusted for it (an LDAP bind, a verified OIDC email).
	MatchByLogin bool
}

// signInExternal maps a vouched-for identity to a user: the user it was mapped to
// before; else an existing user with the same login, when allowed; else a new user
// in the provider's default group, when allowed. Such users may have no local
// password. The sign-in is recorded as the user's login (which kills their reset
// links), like a password sign-in.
func (s *Service) signInExternal(ctx context.Context, p Provider, ext externalIdentity, from Origin) (User, error) {
	if ext.Subject == "" || len(ext.Subject) > 1024 {
		return User{}, ErrExternalRefused
	}
	db, now := s.cfg.DB, s.cfg.Now().Unix()
	var uid int64
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Rebind(`SELECT user_id FROM auth_external_identity WHERE provider_id = ? AND subject = ?`),
			p.ID, ext.Subject).Scan(&uid)
		switch {
		case err == nil:
			_, err = tx.ExecContext(ctx, db.Rebind(`UPDATE auth_external_identity SET last_login_at = ? WHERE provider_id = ? AND subject = ?`),
				now, p.ID, ext.Subject)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find external identity: %w", err)
		}
		if ext.MatchByLogin && ext.Login != "" {
			u, err := s.accounts.one(ctx, tx, "lower(login) = lower(?)", ext.Login)
			if err == nil {
				uid = u.ID
			} else if !errors.Is(err, auth.ErrNoAccount) {
				return err
			}
		}
		if uid == 0 {
			if !p.CreateUsers || ext.Login == "" {
				return ErrExternalRefused
			}
			if uid, err = s.createExternalUser(ctx, tx, p, ext); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO auth_external_identity (provider_id, subject, user_id, created_at, last_login_at)
			VALUES (?, ?, ?, ?, ?)`), p.ID, ext.Subject, uid, now, now)
		if err != nil {
			return fmt.Errorf("map external identity: %w", err)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	u, err := s.accounts.User(ctx, uid)
	if err != nil {
		return User{}, err
	}
	if !u.Active {
		return User{}, ErrExternalRefused
	}
	// Mandatory, as for a password sign-in: it is the login date links are bound to.
	if err := s.log.Append(ctx, securitylog.Event{Kind: securitylog.LoginSuccess, UserID: u.ID, Login: u.Login,
		Address: from.Address, UserAgent: from.UserAgent, Reference: string(p.Kind) + ":" + p.Name}); err != nil {
		return User{}, err
	}
	return u, nil
}

// createExternalUser creates a user without password in the first company, in the
// provider's default group.
func (s *Service) createExternalUser(ctx context.Context, tx *sql.Tx, p Provider, ext externalIdentity) (int64, error) {
	env, err := s.cfg.Registry.NewEnv(tx, s.cfg.DB.Engine, orm.Identity{})
	if err != nil {
		return 0, err
	}
	su := env.Sudo()
	companies, err := su.Search(ctx, "res.company", domain.Domain{}, orm.SearchOptions{Limit: 1, Order: "id"})
	if err != nil || len(companies) == 0 {
		return 0, fmt.Errorf("create user from %s: no company: %v", p.Name, err)
	}
	group, err := seed.GroupID(ctx, su, p.DefaultGroup)
	if err != nil {
		return 0, fmt.Errorf("create user from %s: %w", p.Name, err)
	}
	name := oneLine(ext.Name)
	if name == "" {
		name = ext.Login
	}
	partner, err := su.Create(ctx, "res.partner", []map[string]any{{"name": name, "email": ext.Email, "company_id": companies[0]}})
	if err != nil {
		return 0, fmt.Errorf("create user from %s: %w", p.Name, err)
	}
	ids, err := su.Create(ctx, "res.users", []map[string]any{{
		"name": name, "login": ext.Login, "email": ext.Email, "partner_id": partner[0], "company_id": companies[0],
		"company_ids": []any{[]any{6, 0, []any{companies[0]}}}, "groups_id": []any{[]any{6, 0, []any{group}}},
	}})
	if err != nil {
		return 0, fmt.Errorf("create user from %s: %w", p.Name, err)
	}
	s.cfg.Logger.InfoContext(ctx, "user created from an external identity provider", "provider", p.Name, "user_id", ids[0])
	return ids[0], nil
}
