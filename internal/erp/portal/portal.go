// Package portal issues and checks the access tokens that let a customer open one
// document (a quotation, an invoice) from a link. A token is 256 random bits shown
// once; only its SHA-256 is stored, compared in constant time; it expires and can
// be revoked. Checking a token is for the portal handler, which then reads the one
// document as the system and records that in the audit log.
package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Model holds the issued tokens.
const Model = "portal.token"

// DefaultTTL is how long a link mailed to a customer stays valid.
const DefaultTTL = 30 * 24 * time.Hour

// ErrInvalidToken is returned for a token that is unknown, expired or revoked,
// without saying which.
var ErrInvalidToken = errors.New("the link is invalid or has expired")

// Register declares portal.token.
func Register(reg *orm.Registry) error {
	return reg.Define(&orm.Model{
		Name: Model, Description: "Portal Access Token", Order: "id desc",
		Fields: []*orm.Field{
			{Name: "res_model", Type: orm.Char, Required: true, Index: true, String: "Document Model"},
			{Name: "res_id", Type: orm.Integer, Required: true, Index: true, String: "Document ID"},
			// Only the system reads the hash; administrators see that a link exists.
			{Name: "token_hash", Type: orm.Char, Required: true, Groups: []string{"base.group_no_one"}},
			{Name: "expires_at", Type: orm.Datetime, Required: true},
			{Name: "revoked", Type: orm.Boolean},
		},
	})
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Issue creates a token for one document, valid for ttl, and returns it. The
// caller must have checked that the user may share the document.
func Issue(ctx context.Context, env *orm.Env, model string, id int64, ttl time.Duration, now time.Time) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("issue portal token: non-positive lifetime %s", ttl)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("issue portal token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := env.Sudo().Create(ctx, Model, []map[string]any{{
		"res_model": model, "res_id": id, "token_hash": hash(token),
		"expires_at": now.Add(ttl).UTC().Format(orm.DatetimeLayout),
	}}); err != nil {
		return "", fmt.Errorf("issue portal token: %w", err)
	}
	return token, nil
}

func liveTokens(model string, id int64, now time.Time) domain.Domain {
	return domain.AndAll(seed.Leaf("res_model", "=", model), seed.Leaf("res_id", "=", id),
		seed.Leaf("revoked", "=", false), seed.Leaf("expires_at", ">", now.UTC().Format(orm.DatetimeLayout)))
}

// Verify reports whether token opens the document. Every live token of the
// document is compared in constant time, so timing tells nothing about a guess.
func Verify(ctx context.Context, env *orm.Env, model string, id int64, token string, now time.Time) error {
	if len(token) < 32 || len(token) > 128 {
		return ErrInvalidToken
	}
	su := env.Sudo()
	recs, err := su.SearchRead(ctx, Model, liveTokens(model, id, now), []string{"token_hash"}, orm.SearchOptions{Limit: 100})
	if err != nil {
		return fmt.Errorf("verify portal token: %w", err)
	}
	want := []byte(hash(token))
	ok := 0
	for _, r := range recs {
		h, _ := r["token_hash"].(string)
		ok |= subtle.ConstantTimeCompare([]byte(h), want)
	}
	if ok != 1 {
		return ErrInvalidToken
	}
	return nil
}

// Revoke invalidates every link to the document and returns how many were live.
func Revoke(ctx context.Context, env *orm.Env, model string, id int64, now time.Time) (int, error) {
	su := env.Sudo()
	ids, err := su.Search(ctx, Model, liveTokens(model, id, now), orm.SearchOptions{})
	if err != nil {
		return 0, fmt.Errorf("revoke portal tokens: %w", err)
	}
	if err := su.Write(ctx, Model, ids, map[string]any{"revoked": true}); err != nil {
		return 0, fmt.Errorf("revoke portal tokens: %w", err)
	}
	return len(ids), nil
}
