package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
)

// OIDCCallbackPath is where providers send the browser back (the redirect URI to
// register with the provider is the tenant's origin followed by this path). The
// query holds state and code.
const OIDCCallbackPath = "/web/auth/oidc/callback"

// oidcWait bounds how long a user may spend at the provider.
const oidcWait = 10 * time.Minute

// StartOIDC begins a sign-in with the named provider and returns the URL to send
// the browser to. browser binds the attempt to the browser that starts it (the UI
// passes its per-browser anti-forgery value); the same value must come back with
// the callback.
func (s *Service) StartOIDC(ctx context.Context, providerName, browser string) (string, error) {
	p, sealed, err := s.provider(ctx, "name = ? AND kind = 'oidc'", providerName)
	if err != nil {
		return "", err
	}
	client, err := s.oidcClient(ctx, p, sealed)
	if err != nil {
		return "", err
	}
	pending, err := oidc.NewPending()
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(pending)
	if err != nil {
		return "", err
	}
	state, err := s.ceremonies.Begin(ctx, ceremony.Ceremony{Kind: ceremony.OIDCLogin, ProviderID: p.ID, Data: data}, browser, oidcWait)
	if err != nil {
		return "", err
	}
	return client.AuthCodeURL(state, pending), nil
}

// FinishOIDC completes a sign-in from the provider's callback: the state must be
// one this service issued, unused, unexpired and bound to this browser; the code is
// exchanged with the PKCE verifier; the ID token must verify (signature, issuer,
// audience, expiry) and carry the nonce. It returns the signed-in user, for the UI
// to continue as after a password (second factor, then session). Every refusal
// is ErrExternalRefused or wraps oidc.ErrRefused / ceremony.ErrNotFound.
func (s *Service) FinishOIDC(ctx context.Context, state, code, browser string, from Origin) (User, error) {
	c, err := s.ceremonies.Take(ctx, ceremony.OIDCLogin, state, browser)
	if err != nil {
		return User{}, err
	}
	var pending oidc.Pending
	if err := json.Unmarshal(c.Data, &pending); err != nil {
		return User{}, fmt.Errorf("oidc ceremony: %w", err)
	}
	p, sealed, err := s.provider(ctx, "id = ? AND kind = 'oidc'", c.ProviderID)
	if err != nil {
		return User{}, err
	}
	client, err := s.oidcClient(ctx, p, sealed)
	if err != nil {
		return User{}, err
	}
	claims, err := client.Exchange(ctx, code, pending)
	if err != nil {
		s.cfg.Logger.InfoContext(ctx, "OpenID sign-in refused", "provider", p.Name, "reason", err)
		return User{}, err
	}
	email := strings.TrimSpace(claims.Email)
	ext := externalIdentity{Subject: claims.Subject, Email: email, Name: claims.Name}
	// Only an address the provider verified may name (or match) a login.
	if claims.EmailVerified && email != "" {
		ext.Login, ext.MatchByLogin = email, true
	}
	u, err := s.signInExternal(ctx, p, ext, from)
	if errors.Is(err, ErrExternalRefused) {
		s.cfg.Logger.InfoContext(ctx, "OpenID sign-in refused: no user", "provider", p.Name)
	}
	return u, err
}

func (s *Service) oidcClient(ctx context.Context, p Provider, sealed []byte) (*oidc.Client, error) {
	secret, err := s.unsealSecret(p, sealed)
	if err != nil {
		return nil, err
	}
	redirect := *s.base
	redirect.Path = OIDCCallbackPath
	return oidc.NewClient(ctx, *p.OIDC, secret, redirect.String(), s.cfg.HTTPClient)
}
