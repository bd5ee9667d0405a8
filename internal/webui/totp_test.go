package webui_test

import (
	"context"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/instant-erp/instanterp/internal/auth/totp"
)

// enableTOTP turns the second factor on for a role and returns a code valid for the
// next sign-in (the next time step: the current one was used to enable it).
func (f *fixture) enableTOTP(t testing.TB, role string) string {
	t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	m, err := totp.New(lease.DB, totp.Config{Tenant: "acme", Key: f.platform.Key})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := m.NewEnrollment(role)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, _ := pqtotp.GenerateCode(enr.Secret, now)
	if _, err := m.Enable(ctx, f.uid[role], enr.Secret, code); err != nil {
		t.Fatal(err)
	}
	next, _ := pqtotp.GenerateCode(enr.Secret, now.Add(totp.Period))
	return next
}
