// Package oidc signs users in with an OpenID Connect provider: the authorization
// code flow with PKCE (S256), a state the caller binds to the browser, a nonce
// checked in the ID token, and the ID token verified by go-oidc (signature against
// the provider's published keys, issuer, audience = our client id, expiry).
//
// The package speaks the protocol only; internal/identity keeps provider settings
// (the client secret sealed under the master key), the ceremony state and the
// mapping of provider subjects to users.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Settings describe one provider, as a tenant administrator enters them.
type Settings struct {
	// Issuer is the provider's issuer URL (https), where discovery starts.
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes,omitempty"` // beyond openid, email and profile
}

const (
	maxScopes    = 16
	maxFieldLen  = 512
	maxCodeLen   = 2048
	exchangeTime = 15 * time.Second
)

// Validate checks settings before they are stored.
func (s Settings) Validate() error {
	u, err := url.Parse(s.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(s.Issuer) > maxFieldLen {
		return errors.New("the issuer must be an https:// URL without query")
	}
	if s.ClientID == "" || len(s.ClientID) > maxFieldLen || strings.ContainsFunc(s.ClientID, isControl) {
		return errors.New("a client id is required")
	}
	if len(s.Scopes) > maxScopes {
		return fmt.Errorf("at most %d scopes", maxScopes)
	}
	for _, sc := range s.Scopes {
		if sc == "" || len(sc) > 64 || strings.ContainsFunc(sc, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r > '~' }) {
			return fmt.Errorf("invalid scope %q", sc)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Client is a configured provider, discovered.
type Client struct {
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	http     *http.Client
}

// NewClient discovers the provider (its issuer must match Settings.Issuer exactly)
// and prepares the flow for redirectURL. httpClient is used for every call to the
// provider; nil means a client with a 15 s timeout.
func NewClient(ctx context.Context, s Settings, clientSecret, redirectURL string, httpClient *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: exchangeTime}
	}
	ctx = gooidc.ClientContext(ctx, httpClient)
	provider, err := gooidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: %w", s.Issuer, err)
	}
	scopes := []string{gooidc.ScopeOpenID, "email", "profile"}
	for _, sc := range s.Scopes {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return &Client{
		oauth: oauth2.Config{ClientID: s.ClientID, ClientSecret: clientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: redirectURL, Scopes: scopes},
		verifier: provider.VerifierContext(ctx, &gooidc.Config{ClientID: s.ClientID}),
		http:     httpClient,
	}, nil
}

// Pending is what the first step keeps for the second: the nonce expected in the
// ID token and the PKCE verifier. It is stored server-side, never sent to the
// browser.
type Pending struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// NewPending returns a fresh nonce (256 random bits) and PKCE verifier.
func NewPending() (Pending, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Pending{}, err
	}
	return Pending{Nonce: base64.RawURLEncoding.EncodeToString(b), Verifier: oauth2.GenerateVerifier()}, nil
}

// AuthCodeURL is where to send the browser. state must be unguessable and bound to
// the browser by the caller (internal/auth/ceremony does both).
func (c *Client) AuthCodeURL(state string, p Pending) string {
	return c.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(p.Verifier), gooidc.Nonce(p.Nonce))
}

// Claims are what a verified ID token says about the user.
type Claims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// ErrRefused is the answer to every failed callback: a provider error, a wrong or
// replayed code, an ID token that does not verify, a wrong nonce.
var ErrRefused = errors.New("the identity provider's answer was refused")

// Exchange trades the authorization code for tokens (sending the PKCE verifier),
// verifies the ID token and its nonce, and returns its claims. The returned error
// wraps ErrRefused with the reason, for logs.
func (c *Client) Exchange(ctx context.Context, code string, p Pending) (Claims, error) {
	if code == "" || len(code) > maxCodeLen {
		return Claims{}, fmt.Errorf("%w: missing or over-long code", ErrRefused)
	}
	ctx, cancel := context.WithTimeout(ctx, exchangeTime)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.http)
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return Claims{}, fmt.Errorf("%w: code exchange: %v", ErrRefused, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Claims{}, fmt.Errorf("%w: no ID token in the token response", ErrRefused)
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: ID token: %v", ErrRefused, err)
	}
	if p.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return Claims{}, fmt.Errorf("%w: nonce mismatch", ErrRefused)
	}
	var extra struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&extra); err != nil {
		return Claims{}, fmt.Errorf("%w: ID token claims: %v", ErrRefused, err)
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return Claims{}, fmt.Errorf("%w: missing or over-long subject", ErrRefused)
	}
	return Claims{Issuer: idt.Issuer, Subject: idt.Subject, Email: extra.Email, Name: extra.Name,
		EmailVerified: extra.EmailVerified == true || extra.EmailVerified == "true"}, nil
}
