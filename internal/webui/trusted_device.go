package webui

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/web"
)

// A trusted device is a browser where the user passed the second factor and ticked
// "trust this device": for 30 days its password sign-ins skip the code. The cookie
// holds a stateless token signed with the tenant's database.secret and bound to the
// tenant, the user, their password hash, their second-factor secret and their trust
// generation (see token.TrustedDeviceBinding), so changing the password, turning 2FA
// off and on, or revoking trusted devices ends every one of them with nothing stored
// per device. The cookie is __Host- (this host only), Secure, HttpOnly, SameSite=Lax.
const trustedDeviceCookie = "__Host-trusted-device"

// secondFactorState is a digest of the user's sealed TOTP secret ("" when 2FA is
// off). Sealing draws a fresh nonce, so turning 2FA off and on again changes it even
// for the same secret. The sealed bytes are not secret; the digest keeps them out of
// the token's binding anyway.
func secondFactorState(ctx context.Context, svc *tenantServices, userID int64) (string, error) {
	var sealed []byte
	err := svc.db.Read.QueryRowContext(ctx, svc.db.Rebind("SELECT secret_sealed FROM auth_totp WHERE user_id = ?"), userID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read second-factor state: %w", err)
	}
	sum := sha256.Sum256(sealed)
	return hex.EncodeToString(sum[:]), nil
}

// trustGeneration is the id of the user's latest "trusted devices revoked" event
// (0 if none). The security log is append-only, so the generation only moves forward.
func trustGeneration(ctx context.Context, svc *tenantServices, userID int64) (int64, error) {
	events, err := svc.seclog.List(ctx, securitylog.Filter{UserID: userID, Kind: securitylog.TrustedDevicesRevoked, Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("read trust generation: %w", err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	return events[0].ID, nil
}

func (u *UI) trustBinding(ctx context.Context, svc *tenantServices, userID int64) ([]byte, error) {
	acct, err := svc.accounts.AccountByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	state, err := secondFactorState(ctx, svc, userID)
	if err != nil {
		return nil, err
	}
	gen, err := trustGeneration(ctx, svc, userID)
	if err != nil {
		return nil, err
	}
	return token.TrustedDeviceBinding(svc.name, userID, acct.PasswordHash, state, gen), nil
}

// trustDevice sets the trusted-device cookie for userID, who has just passed the
// second factor in this browser.
func (u *UI) trustDevice(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64) error {
	ctx := r.Context()
	binding, err := u.trustBinding(ctx, svc, userID)
	if err != nil {
		return err
	}
	sg, err := u.signer(ctx, svc)
	if err != nil {
		return err
	}
	expires := u.now().Add(token.TrustedDeviceLifetime)
	tok, err := sg.Sign(token.ScopeTrustedDevice, []byte(strconv.FormatInt(userID, 10)), binding, expires)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: trustedDeviceCookie, Value: tok, Path: "/", Expires: expires,
		MaxAge: int(token.TrustedDeviceLifetime.Seconds()), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	u.recordEvent(ctx, svc, r, securitylog.TrustedDeviceGranted, userID, 0, "")
	return nil
}

// isTrustedDevice reports whether the request carries a valid trusted-device token
// of userID on this tenant. Any other token (forged, expired, revoked, another
// user's or another tenant's) is simply not trusted.
func (u *UI) isTrustedDevice(r *http.Request, svc *tenantServices, userID int64) (bool, error) {
	c, err := r.Cookie(trustedDeviceCookie)
	if err != nil || c.Value == "" {
		return false, nil
	}
	ctx := r.Context()
	binding, err := u.trustBinding(ctx, svc, userID)
	if err != nil {
		return false, err
	}
	sg, err := u.signer(ctx, svc)
	if err != nil {
		return false, err
	}
	payload, err := sg.Verify(token.ScopeTrustedDevice, c.Value, binding)
	if err != nil {
		return false, nil
	}
	return string(payload) == strconv.FormatInt(userID, 10), nil
}

func clearTrustedDeviceCookie() *http.Cookie {
	return &http.Cookie{Name: trustedDeviceCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// revokeTrustedDevices ends every trusted device of the signed-in user by moving
// their trust generation. The event is the revocation: if it cannot be written,
// the request fails rather than claiming devices were revoked.
func (u *UI) revokeTrustedDevices(rq *request) error {
	err := rq.svc.seclog.Append(rq.ctx, securitylog.Event{Kind: securitylog.TrustedDevicesRevoked, UserID: rq.user.ID,
		Login: rq.user.Login, Address: web.ClientIP(rq.ctx).String(), UserAgent: rq.r.UserAgent()})
	if err != nil {
		return err
	}
	rq.cookies = append(rq.cookies, clearTrustedDeviceCookie())
	rq.setFlash("devices-revoked")
	rq.redirect("/odoo/account/security")
	return nil
}
