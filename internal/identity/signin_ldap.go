package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
)

// LDAPLogin checks a login and password against the named directory, under the
// same throttle as local sign-in (the directory is not asked while locked out), and
// returns the user it maps to. Wrong login, wrong password and a user who may not
// sign in all answer auth.ErrInvalidCredentials; a lock-out is a
// *throttle.LockedError.
func (s *Service) LDAPLogin(ctx context.Context, providerName, login, password string, from Origin) (User, error) {
	p, sealed, err := s.provider(ctx, "name = ? AND kind = 'ldap'", providerName)
	if err != nil {
		return User{}, err
	}
	key := login
	if len(key) > throttle.MaxLoginLength {
		key = ""
	}
	if err := s.throttle.Check(ctx, from.Address, key); err != nil {
		var locked *throttle.LockedError
		if errors.As(err, &locked) {
			s.record(ctx, securitylog.Event{Kind: securitylog.LoginThrottled, Login: login, Address: from.Address, UserAgent: from.UserAgent})
		}
		return User{}, err
	}
	secret, err := s.unsealSecret(p, sealed)
	if err != nil {
		return User{}, err
	}
	dir, err := ldap.New(*p.LDAP, secret, s.cfg.LDAPRoots)
	if err != nil {
		return User{}, fmt.Errorf("provider %s: %w", p.Name, err)
	}
	entry, err := dir.Authenticate(login, password)
	if errors.Is(err, ldap.ErrInvalidCredentials) {
		return User{}, s.ldapFailure(ctx, key, login, from)
	}
	if err != nil {
		return User{}, err
	}
	u, err := s.signInExternal(ctx, p, externalIdentity{Subject: entry.DN, Login: entry.Login, Email: entry.Email,
		Name: entry.Name, MatchByLogin: true}, from)
	if errors.Is(err, ErrExternalRefused) {
		return User{}, s.ldapFailure(ctx, key, login, from)
	}
	if err != nil {
		return User{}, err
	}
	if err := s.throttle.RecordSuccess(ctx, key); err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Service) ldapFailure(ctx context.Context, key, login string, from Origin) error {
	if err := s.throttle.RecordFailure(ctx, from.Address, key); err != nil {
		return err
	}
	s.record(ctx, securitylog.Event{Kind: securitylog.LoginFailure, Login: login, Address: from.Address, UserAgent: from.UserAgent})
	return auth.ErrInvalidCredentials
}
