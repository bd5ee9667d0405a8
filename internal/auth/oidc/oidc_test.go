package oidc_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/auth/oidc/oidctest"
)

const redirect = "https://acme.erp.example.com/web/auth/oidc/callback"

func newClient(t *testing.T, p *oidctest.Provider, secret string) *oidc.Client {
	t.Helper()
	c, err := oidc.NewClient(context.Background(), oidc.Settings{Issuer: p.Issuer(), ClientID: p.ClientID}, secret, redirect, p.Server.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCodeFlowWithPKCEAndNonce(t *testing.T) {
	p := oidctest.Start(t, "erp", "client-secret")
	p.SignIn(oidctest.User{Subject: "u-123", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
	c := newClient(t, p, "client-secret")
	pending, err := oidc.NewPending()
	if err != nil {
		t.Fatal(err)
	}
	authURL := c.AuthCodeURL("state-1", pending)
	u, _ := url.Parse(authURL)
	if q := u.Query(); q.Get("nonce") != pending.Nonce || q.Get("code_challenge_method") != "S256" || q.Get("state") != "state-1" ||
		q.Get("redirect_uri") != redirect || q.Get("code_challenge") == pending.Verifier {
		t.Fatalf("authorization URL %s", authURL)
	}
	code, state := p.Follow(t, authURL)
	if state != "state-1" || !p.SawPKCE {
		t.Fatalf("state %q, PKCE %v", state, p.SawPKCE)
	}
	claims, err := c.Exchange(context.Background(), code, pending)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "u-123" || claims.Email != "ada@example.com" || !claims.EmailVerified || claims.Name != "Ada" || claims.Issuer != p.Issuer() {
		t.Fatalf("claims %+v", claims)
	}
	// A code works once.
	if _, err := c.Exchange(context.Background(), code, pending); !errors.Is(err, oidc.ErrRefused) {
		t.Fatalf("replayed code: %v", err)
	}
}

func TestExchangeRefusals(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(*oidctest.Provider)
		secret  string
		pending func(oidc.Pending) oidc.Pending
	}{
		{name: "wrong nonce in the ID token", setup: func(p *oidctest.Provider) { p.WrongNonce = true }},
		{name: "ID token for another client", setup: func(p *oidctest.Provider) { p.WrongAudience = true }},
		{name: "ID token from another issuer", setup: func(p *oidctest.Provider) { p.WrongIssuer = true }},
		{name: "expired ID token", setup: func(p *oidctest.Provider) { p.Expired = true }},
		{name: "forged signature", setup: func(p *oidctest.Provider) { p.BadSignature = true }},
		{name: "wrong client secret", secret: "guess"},
		{name: "wrong PKCE verifier", pending: func(pd oidc.Pending) oidc.Pending { pd.Verifier = "x" + pd.Verifier[1:]; return pd }},
		{name: "nonce forgotten by the caller", pending: func(pd oidc.Pending) oidc.Pending { pd.Nonce = ""; return pd }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.Start(t, "erp", "client-secret")
			p.SignIn(oidctest.User{Subject: "u-1", Email: "a@example.com", EmailVerified: true})
			if tc.setup != nil {
				tc.setup(p)
			}
			secret := "client-secret"
			if tc.secret != "" {
				secret = tc.secret
			}
			c := newClient(t, p, secret)
			pending, _ := oidc.NewPending()
			code, _ := p.Follow(t, c.AuthCodeURL("s", pending))
			if tc.pending != nil {
				pending = tc.pending(pending)
			}
			if _, err := c.Exchange(context.Background(), code, pending); !errors.Is(err, oidc.ErrRefused) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}

func TestDiscoveryIssuerMustMatch(t *testing.T) {
	p := oidctest.Start(t, "erp", "s")
	// The same server named differently: discovery reports another issuer.
	other := p.Issuer() + "/"
	if _, err := oidc.NewClient(context.Background(), oidc.Settings{Issuer: other, ClientID: "erp"}, "s", redirect, p.Server.Client()); err == nil {
		t.Fatal("accepted a provider whose discovery names another issuer")
	}
	// Without trust in its certificate, nothing is fetched.
	if _, err := oidc.NewClient(context.Background(), oidc.Settings{Issuer: p.Issuer(), ClientID: "erp"}, "s", redirect, nil); err == nil {
		t.Fatal("accepted a provider with an untrusted certificate")
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := []struct {
		s  oidc.Settings
		ok bool
	}{
		{oidc.Settings{Issuer: "https://login.example.com", ClientID: "erp"}, true},
		{oidc.Settings{Issuer: "https://login.example.com/realms/acme", ClientID: "erp", Scopes: []string{"groups"}}, true},
		{oidc.Settings{Issuer: "http://login.example.com", ClientID: "erp"}, false},
		{oidc.Settings{Issuer: "https://login.example.com?x=1", ClientID: "erp"}, false},
		{oidc.Settings{Issuer: "https://u@login.example.com", ClientID: "erp"}, false},
		{oidc.Settings{Issuer: "https://login.example.com", ClientID: ""}, false},
		{oidc.Settings{Issuer: "https://login.example.com", ClientID: "a\nb"}, false},
		{oidc.Settings{Issuer: "https://login.example.com", ClientID: "erp", Scopes: []string{"a b"}}, false},
	}
	for _, c := range cases {
		if err := c.s.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.s, err)
		}
	}
}
