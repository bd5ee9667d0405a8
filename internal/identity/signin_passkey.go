package identity

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/auth/passkey"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
)

// Passkeys returns the tenant's passkey ceremonies, with the tenant's origin as
// relying party. Registration and the second-factor check go through it directly;
// passwordless sign-in ends with FinishPasskeySignIn.
func (s *Service) Passkeys() (*passkey.Manager, error) {
	return passkey.New(s.cfg.DB, passkey.Config{Origin: s.base.String(), DisplayName: s.cfg.Tenant, Now: s.cfg.Now})
}

// PasskeyUser is the passkey view of user id.
func (s *Service) PasskeyUser(ctx context.Context, id int64) (passkey.User, error) {
	u, err := s.accounts.User(ctx, id)
	if err != nil {
		return passkey.User{}, err
	}
	return passkey.User{ID: u.ID, Login: u.Login, Name: u.Name}, nil
}

// FinishPasskeySignIn completes a passwordless sign-in begun with
// Passkeys().BeginPasswordless: the passkey must verify and belong to an active
// user. The sign-in is recorded as the user's login, like a password sign-in.
func (s *Service) FinishPasskeySignIn(ctx context.Context, handle, browser string, response []byte, from Origin) (User, error) {
	m, err := s.Passkeys()
	if err != nil {
		return User{}, err
	}
	uid, err := m.FinishPasswordless(ctx, handle, browser, response)
	if err != nil {
		s.record(ctx, securitylog.Event{Kind: securitylog.LoginFailure, Address: from.Address, UserAgent: from.UserAgent, Reference: "passkey"})
		return User{}, err
	}
	u, err := s.accounts.User(ctx, uid)
	if err != nil {
		return User{}, err
	}
	if !u.Active {
		s.record(ctx, securitylog.Event{Kind: securitylog.LoginFailure, UserID: u.ID, Login: u.Login, Address: from.Address, UserAgent: from.UserAgent, Reference: "passkey"})
		return User{}, fmt.Errorf("%w: the account is archived", passkey.ErrRefused)
	}
	if err := s.log.Append(ctx, securitylog.Event{Kind: securitylog.LoginSuccess, UserID: u.ID, Login: u.Login,
		Address: from.Address, UserAgent: from.UserAgent, Reference: "passkey"}); err != nil {
		return User{}, err
	}
	return u, nil
}
