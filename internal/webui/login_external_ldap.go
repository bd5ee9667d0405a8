package webui

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/identity"
)

// errDirectoryDown is the answer when no directory could be asked and none said
// the password was wrong: the user is told the service is unavailable, not that
// their password is wrong.
var errDirectoryDown = errors.New("the sign-in directory could not be reached")

// checkPassword is the password step of the sign-in form. Without an enabled LDAP
// directory it is the local check. With one, the one login and password form serves
// both, and the login decides where the password is checked, each attempt being
// checked (and counted by the throttle) in one place only:
//
//   - a user who signed in through a directory before: that directory;
//   - else a user with a local password: the local password;
//   - else (a login unknown here, or a user without password): the enabled
//     directories by name, the first to recognise the login and password wins. A
//     directory may so map to an existing password-less user of the same login, or
//     create a user when its administrator allowed it.
//
// So a directory never takes over an account that has a local password, and a
// directory user need not choose anything on the form.
func (u *UI) checkPassword(ctx context.Context, svc *tenantServices, at auth.Attempt) (auth.Account, error) {
	if !utf8.ValidString(at.Login) || strings.ContainsRune(at.Login, 0) {
		// No login holds these, and PostgreSQL refuses them as text: a wrong login,
		// counted against the address only.
		if err := svc.throttle.Check(ctx, at.Address, ""); err != nil {
			return auth.Account{}, err
		}
		if err := svc.throttle.RecordFailure(ctx, at.Address, ""); err != nil {
			return auth.Account{}, err
		}
		return auth.Account{}, auth.ErrInvalidCredentials
	}
	dirs, err := u.directories(ctx, svc)
	if err != nil {
		return auth.Account{}, err
	}
	if len(dirs) == 0 {
		return svc.auth.Authenticate(ctx, at)
	}
	acct, err := svc.accounts.AccountByLogin(ctx, at.Login)
	switch {
	case err == nil:
		linked, err := svc.identity.UserProviders(ctx, acct.ID, identity.KindLDAP)
		if err != nil {
			return auth.Account{}, err
		}
		if len(linked) > 0 {
			dirs = linked
		} else if acct.PasswordHash != "" {
			return svc.auth.Authenticate(ctx, at)
		}
	case !errors.Is(err, auth.ErrNoAccount):
		return auth.Account{}, err
	}
	from := identity.Origin{Address: at.Address, UserAgent: at.UserAgent}
	down := false
	for _, d := range dirs {
		user, err := svc.identity.LDAPLogin(ctx, d, at.Login, at.Password, from)
		var locked *throttle.LockedError
		switch {
		case err == nil:
			return auth.Account{ID: user.ID, Login: user.Login, Active: user.Active}, nil
		case errors.As(err, &locked):
			return auth.Account{}, err
		case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, identity.ErrNoProvider):
		default:
			// Unreachable, misconfigured: for the logs; the next directory may answer.
			u.log.WarnContext(ctx, "directory sign-in failed", "provider", d, "error", err)
			down = true
		}
	}
	if down {
		return auth.Account{}, errDirectoryDown
	}
	return auth.Account{}, auth.ErrInvalidCredentials
}

// directories are the names of the tenant's enabled LDAP providers.
func (u *UI) directories(ctx context.Context, svc *tenantServices) ([]string, error) {
	ps, err := svc.identity.Providers(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range ps {
		if p.Enabled && p.Kind == identity.KindLDAP {
			names = append(names, p.Name)
		}
	}
	return names, nil
}
