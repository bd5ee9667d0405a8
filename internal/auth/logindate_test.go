package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The success event is the login date reset links are bound to: a login whose
// success cannot be recorded must fail rather than leave those links alive.
func TestLoginFailsWhenItsSuccessCannotBeRecorded(t *testing.T) {
	hasher := sharedHasher(t)
	hash, err := hasher.Hash("carol's long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	accounts := &memoryAccounts{byLogin: map[string]auth.Account{"carol": {ID: 7, Login: "carol", PasswordHash: hash, Active: true}}}
	f := newFixture(t, storetest.Engines()[0].Open(t), hasher, accounts)
	attempt := auth.Attempt{Login: "carol", Password: "carol's long passphrase", Address: "192.0.2.3"}
	if _, err := f.auth.Authenticate(ctx, attempt); err != nil {
		t.Fatal(err)
	}
	events, err := f.log.List(ctx, securitylog.Filter{UserID: 7, Kind: securitylog.LoginSuccess})
	if err != nil || len(events) != 1 {
		t.Fatalf("success events = %v, %v", events, err)
	}

	if _, err := f.db.Write.ExecContext(ctx, "DROP TABLE auth_security_log"); err != nil {
		t.Fatal(err)
	}
	_, err = f.auth.Authenticate(ctx, attempt)
	if err == nil || errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("login with an unwritable security log: %v, want an internal error", err)
	}
}
