package webui

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/orm"
)

func (u *UI) accountRoute(get, post bool, seg []string) handlerFunc {
	if len(seg) != 1 {
		return nil
	}
	switch {
	case seg[0] == "password" && get:
		return func(rq *request) error { return u.passwordPage(rq, "", nil) }
	case seg[0] == "password" && post:
		return u.changePassword
	case seg[0] == "sessions" && get:
		return u.sessionsPage
	case seg[0] == "sessions" && post:
		return u.revokeSession
	case seg[0] == "security" && get:
		return func(rq *request) error { return u.securityPage(rq, "", nil) }
	case seg[0] == "security" && post:
		return u.changeSecondFactor
	case seg[0] == "passkey-options" && post:
		return u.passkeyRegisterOptions
	case seg[0] == "passkey" && post:
		return u.passkeyRegister
	case seg[0] == "preferences" && get:
		return func(rq *request) error { return u.preferencesPage(rq, "", "") }
	case seg[0] == "preferences" && post:
		return u.savePreferences
	case seg[0] == "api-keys" && get:
		return func(rq *request) error { return u.apiKeysPage(rq, apiKeyForm{}, "", nil) }
	case seg[0] == "api-keys" && post:
		return u.apiKeysPost
	}
	return nil
}

type passwordData struct {
	TwoFactor bool
	MinLength int
	Errors    map[string]string
}

func (u *UI) passwordPage(rq *request, general string, errs map[string]string) error {
	on, err := rq.svc.totp.Enabled(rq.ctx, rq.user.ID)
	if err != nil {
		return err
	}
	status := 200
	if general != "" || len(errs) > 0 {
		status = 422
	}
	return rq.page(u, status, "password", &page{Title: "Change password", Error: general,
		Crumbs:  []crumb{{Label: "My account"}, {Label: "Change password"}},
		Content: passwordData{TwoFactor: on, MinLength: u.policy.MinLength(), Errors: errs}})
}

// changePassword needs the current password (and a fresh code with two-factor on);
// it ends the user's other sessions and gives this one a new token.
func (u *UI) changePassword(rq *request) error {
	f := rq.r.PostForm
	current, next, confirm := f.Get("current"), f.Get("new"), f.Get("confirm")
	switch lockout, ok, err := u.confirmPassword(rq, current); {
	case err != nil:
		return err
	case lockout != "":
		return u.passwordPage(rq, lockout, nil)
	case !ok:
		return u.passwordPage(rq, "", map[string]string{"current": wrongCurrentPassword})
	}
	if ok, err := u.confirmCode(rq, f.Get("code")); err != nil {
		return err
	} else if !ok {
		return u.passwordPage(rq, "", map[string]string{"code": wrongCode})
	}
	if next != confirm {
		return u.passwordPage(rq, "", map[string]string{"confirm": "The two new passwords differ."})
	}
	if err := u.setPassword(rq.ctx, rq.svc, rq.user.ID, next); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return u.passwordPage(rq, "", map[string]string{"new": pe.Reason})
		}
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.PasswordChanged, rq.user.ID, 0, "")
	if _, err := rq.svc.sessions.DeleteOthers(rq.ctx, rq.user.ID, rq.sess.ID); err != nil {
		return err
	}
	sess, tok, err := rq.svc.sessions.Rotate(rq.ctx, rq.token)
	if err != nil {
		return err
	}
	rq.cookies = append(rq.cookies, session.Cookie(tok, sess.ExpiresAt))
	rq.setFlash("password-changed")
	rq.redirect("/odoo/account/password")
	return nil
}

type sessionRow struct {
	ID                int64
	Address, Device   string
	Created, LastSeen string
	Current           bool
}

// sessionsPage lists the user's active sessions, each with a sign-out button.
func (u *UI) sessionsPage(rq *request) error {
	list, err := rq.svc.sessions.List(rq.ctx, rq.user.ID)
	if err != nil {
		return err
	}
	return rq.page(u, 200, "sessions", &page{Title: "Active sessions", Crumbs: []crumb{{Label: "My account"}, {Label: "Active sessions"}},
		Content: sessionRows(list, rq.sess.ID)})
}

func sessionRows(list []session.Session, current int64) []sessionRow {
	rows := make([]sessionRow, 0, len(list))
	for _, s := range list {
		rows = append(rows, sessionRow{ID: s.ID, Address: s.ClientAddress, Device: s.UserAgent,
			Created: s.CreatedAt.UTC().Format(time.DateTime), LastSeen: s.LastSeenAt.UTC().Format(time.DateTime), Current: s.ID == current})
	}
	return rows
}

func (u *UI) revokeSession(rq *request) error {
	id, err := strconv.ParseInt(rq.r.PostFormValue("session"), 10, 64)
	if err != nil || id <= 0 {
		return errBadRequest
	}
	if err := rq.svc.sessions.Revoke(rq.ctx, rq.user.ID, id); errors.Is(err, session.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.SessionRevoked, rq.user.ID, 0, strconv.FormatInt(id, 10))
	rq.setFlash("session-revoked")
	if id == rq.sess.ID {
		rq.cookies = append(rq.cookies, session.ClearCookie())
		rq.redirect("/web/login")
		return nil
	}
	rq.redirect("/odoo/account/sessions")
	return nil
}

// setPassword checks the policy, hashes and stores a new password as the system
// (the password field is writable only so), outside the request's transaction.
func (u *UI) setPassword(ctx context.Context, svc *tenantServices, userID int64, plain string) error {
	if err := u.policy.Check(plain); err != nil {
		return err
	}
	hash, err := u.hasher.Hash(plain)
	if err != nil {
		return err
	}
	return u.inTx(ctx, svc, 0, func(env *orm.Env) error {
		return env.Sudo().Write(ctx, "res.users", []int64{userID}, map[string]any{"password": hash})
	})
}
