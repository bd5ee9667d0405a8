package token_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func setSecret(t *testing.T, db *store.DB, value string) {
	t.Helper()
	ctx := context.Background()
	_, err := db.Write.ExecContext(ctx, db.Rebind("DELETE FROM ir_config_parameter WHERE key = ?"), token.SecretParameter)
	if err == nil {
		_, err = db.Write.ExecContext(ctx, db.Rebind("INSERT INTO ir_config_parameter (key, value) VALUES (?, ?)"), token.SecretParameter, value)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadSignerAndRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
			t.Fatal(err)
		}
		if _, err := token.LoadSigner(ctx, db, nil); err == nil {
			t.Fatal("LoadSigner without a secret succeeded")
		}
		setSecret(t, db, "not hex, and secret")
		_, err := token.LoadSigner(ctx, db, nil)
		if err == nil || strings.Contains(err.Error(), "not hex, and secret") {
			t.Fatalf("LoadSigner of a non-hex secret: %v", err)
		}
		setSecret(t, db, strings.Repeat("ab", 32))
		s, err := token.LoadSigner(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.Sign(token.ScopeResetPassword, []byte("uid=1"), nil, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(token.ScopeResetPassword, tok, nil); err != nil {
			t.Fatal(err)
		}

		// Rotating database.secret (as restoring a copy does) kills every token.
		setSecret(t, db, strings.Repeat("cd", 32))
		rotated, err := token.LoadSigner(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rotated.Verify(token.ScopeResetPassword, tok, nil); !errors.Is(err, token.ErrInvalid) {
			t.Fatalf("after rotation: %v, want ErrInvalid", err)
		}
	})
}
