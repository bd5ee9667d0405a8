package webui

import (
	"errors"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/web"
)

// User-facing refusals of a confirmation, shown next to the field.
const (
	wrongCurrentPassword = "This is not your current password."
	wrongCode            = "That code is not valid."
)

// confirmPassword checks the signed-in user's current password before a sensitive
// change (password, API key, passkey, second factor). Wrong answers count against
// the sign-in throttle, so a borrowed session cannot be used to guess the
// password; while locked out the password is not checked at all. lockout is the
// throttle's message when locked out; ok reports a right password.
func (u *UI) confirmPassword(rq *request, current string) (lockout string, ok bool, err error) {
	addr := web.ClientIP(rq.ctx).String()
	if err := rq.svc.throttle.Check(rq.ctx, addr, rq.user.Login); errors.Is(err, throttle.ErrLocked) {
		return err.Error(), false, nil
	} else if err != nil {
		return "", false, err
	}
	acct, err := rq.svc.accounts.AccountByID(rq.ctx, rq.user.ID)
	if err != nil {
		return "", false, err
	}
	if ok, _, _ := u.hasher.Verify(current, acct.PasswordHash); ok && len(current) <= password.MaxLength {
		return "", true, nil
	}
	return "", false, rq.svc.throttle.RecordFailure(rq.ctx, addr, rq.user.Login)
}

// confirmCode asks a user with the second factor on for a fresh code; users
// without it pass. A wrong code goes to the security log. Checking uses the code
// up, so callers check it after everything else in the form.
func (u *UI) confirmCode(rq *request, code string) (bool, error) {
	on, err := rq.svc.totp.Enabled(rq.ctx, rq.user.ID)
	if err != nil || !on {
		return err == nil, err
	}
	err = rq.svc.totp.Verify(rq.ctx, rq.user.ID, code)
	if errors.Is(err, totp.ErrInvalidCode) || errors.Is(err, totp.ErrRateLimited) {
		u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.TwoFactorFailure, rq.user.ID, 0, "")
		return false, nil
	}
	return err == nil, err
}
