package webui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"

	"github.com/pquerna/otp"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/totp"
)

type securityData struct {
	Enabled       bool
	Secret        string
	QR            template.URL // data: URL of the PNG, built here from our own encoder
	RecoveryCodes []string
	Remaining     int
	Errors        map[string]string
	// Required: the tenant requires 2FA of internal users (it cannot be turned off).
	Required bool
	// Trusted: this browser skips the code at sign-in (a trusted device).
	Trusted  bool
	Passkeys []passkeyRow
}

// securityPage shows the second-factor state; when off, a new secret to scan.
func (u *UI) securityPage(rq *request, general string, errs map[string]string) error {
	data := securityData{Errors: errs}
	var err error
	if data.Enabled, err = rq.svc.totp.Enabled(rq.ctx, rq.user.ID); err != nil {
		return err
	}
	if data.Required, err = twoFactorRequired(rq.ctx, rq.svc); err != nil {
		return err
	}
	if data.Trusted, err = u.isTrustedDevice(rq.r, rq.svc, rq.user.ID); err != nil {
		return err
	}
	m, _, err := u.passkeysOf(rq)
	if err != nil {
		return err
	}
	keys, err := m.List(rq.ctx, rq.user.ID)
	if err != nil {
		return err
	}
	data.Passkeys = passkeyRows(keys)
	if data.Enabled {
		if data.Remaining, err = rq.svc.totp.RemainingRecoveryCodes(rq.ctx, rq.user.ID); err != nil {
			return err
		}
	} else {
		secret := rq.r.PostFormValue("secret")
		enr := totp.Enrollment{Secret: secret}
		if secret == "" || len(secret) > 64 {
			if enr, err = rq.svc.totp.NewEnrollment(rq.user.Login); err != nil {
				return err
			}
		} else {
			enr.URL = (&otpURL{issuer: "Instant-ERP", account: rq.user.Login, secret: secret}).String()
		}
		data.Secret = enr.Secret
		data.QR = qrDataURL(enr.URL)
	}
	status := 200
	if general != "" || len(errs) > 0 {
		status = 422
	}
	return rq.page(u, status, "security", &page{Title: "Two-factor authentication", Error: general,
		Crumbs: []crumb{{Label: "My account"}, {Label: "Two-factor authentication"}}, Content: data})
}

// changeSecondFactor turns TOTP on (password, the scanned secret and a code) or off
// (password and a code). Either way the user's other sessions end.
func (u *UI) changeSecondFactor(rq *request) error {
	f := rq.r.PostForm
	switch f.Get("op") {
	case "revoke-devices":
		return u.revokeTrustedDevices(rq)
	case "passkey-remove":
		return u.removePasskey(rq)
	case "disable":
		// Under the tenant's policy an internal user keeps 2FA (the security page
		// is for internal users only).
		if required, err := twoFactorRequired(rq.ctx, rq.svc); err != nil {
			return err
		} else if required {
			return u.securityPage(rq, "Your organisation requires two-factor authentication: it cannot be turned off.", nil)
		}
	}
	switch lockout, ok, err := u.confirmPassword(rq, f.Get("current")); {
	case err != nil:
		return err
	case lockout != "":
		return u.securityPage(rq, lockout, nil)
	case !ok:
		return u.securityPage(rq, "", map[string]string{"current": wrongCurrentPassword})
	}
	var (
		err   error
		codes []string
		kind  securitylog.Kind
		flash string
	)
	switch f.Get("op") {
	case "enable":
		codes, err = rq.svc.totp.Enable(rq.ctx, rq.user.ID, f.Get("secret"), f.Get("code"))
		kind, flash = securitylog.TwoFactorEnabled, "2fa-enabled"
	case "disable":
		if err = rq.svc.totp.Verify(rq.ctx, rq.user.ID, f.Get("code")); err == nil {
			err = rq.svc.totp.Disable(rq.ctx, rq.user.ID)
		}
		kind, flash = securitylog.TwoFactorDisabled, "2fa-disabled"
	default:
		return errBadRequest
	}
	switch {
	case errors.Is(err, totp.ErrInvalidCode), errors.Is(err, totp.ErrRateLimited):
		u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.TwoFactorFailure, rq.user.ID, 0, "")
		return u.securityPage(rq, "", map[string]string{"code": wrongCode})
	case err != nil:
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, kind, rq.user.ID, 0, "")
	if _, err := rq.svc.sessions.DeleteOthers(rq.ctx, rq.user.ID, rq.sess.ID); err != nil {
		return err
	}
	sess, tok, err := rq.svc.sessions.Rotate(rq.ctx, rq.token)
	if err != nil {
		return err
	}
	rq.cookies = append(rq.cookies, session.Cookie(tok, sess.ExpiresAt))
	if len(codes) > 0 {
		// Shown once, on this answer; never stored in clear.
		rq.sess.ID = sess.ID
		return rq.page(u, 200, "security", &page{Title: "Two-factor authentication", Flash: flashMessages[flash],
			Crumbs:  []crumb{{Label: "My account"}, {Label: "Two-factor authentication"}},
			Content: securityData{Enabled: true, RecoveryCodes: codes, Remaining: len(codes)}})
	}
	rq.setFlash(flash)
	rq.redirect("/odoo/account/security")
	return nil
}

// otpURL rebuilds the otpauth:// URL of a secret being enrolled.
type otpURL struct{ issuer, account, secret string }

func (o *otpURL) String() string {
	return "otpauth://totp/" + pathEscape(o.issuer) + ":" + pathEscape(o.account) +
		"?algorithm=SHA1&digits=6&issuer=" + pathEscape(o.issuer) + "&period=30&secret=" + pathEscape(o.secret)
}

// qrDataURL draws the enrolment URL as a QR code PNG in a data: URL (the CSP allows
// data: images). The URL is ours: template.URL is safe here.
func qrDataURL(raw string) template.URL {
	key, err := otp.NewKeyFromURL(raw)
	if err != nil {
		return ""
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}
