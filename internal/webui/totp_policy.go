package webui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/orm"
)

// The tenant's administrators may require two-factor authentication of every
// internal user. The policy is the ir.config_parameter twoFactorRequiredParam
// ("True" when required). It is enforced where sessions are made: an internal user
// without 2FA who passes the first factor gets no session, only an enrolment screen
// carrying a signed proof of that step; the session starts once a code proves the
// enrolment. With no session there is no page under /odoo to reach around it.
// Portal users are exempt.
const (
	twoFactorRequiredParam = "auth.totp.required"
	// scopeEnrolment signs the proof that the first factor passed, for the
	// enrolment step; its payload also carries the secret being enrolled.
	scopeEnrolment token.Scope = "login-enrolment"
	// enrolmentTime leaves room to install an authenticator app.
	enrolmentTime = 15 * time.Minute
)

// twoFactorRequired reads the policy. It is read before anyone is signed in, so
// directly (the key is fixed, the value bound).
func twoFactorRequired(ctx context.Context, svc *tenantServices) (bool, error) {
	var value string
	err := svc.db.Read.QueryRowContext(ctx, svc.db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), twoFactorRequiredParam).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", twoFactorRequiredParam, err)
	}
	return policyValue(value), nil
}

// policyValue accepts the spellings Odoo's settings write for a boolean.
func policyValue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		return true
	}
	return false
}

// mustEnrol reports whether userID must enrol a second factor before any session:
// the policy is on, the user is internal and has no TOTP.
func (u *UI) mustEnrol(ctx context.Context, svc *tenantServices, userID int64) (bool, error) {
	required, err := twoFactorRequired(ctx, svc)
	if err != nil || !required {
		return false, err
	}
	on, err := svc.totp.Enabled(ctx, userID)
	if err != nil || on {
		return false, err
	}
	return u.isInternal(ctx, svc, userID)
}

type enrolData struct {
	Pending  string
	Redirect string
	Secret   string
	QR       template.URL
	Codes    []string // after enrolment: the recovery codes, shown once
	Next     string   // after enrolment: where to continue
}

// askEnrolment shows the forced enrolment screen: a secret to scan (a new one, or
// the one being enrolled when a code was wrong) and a signed proof of the first
// factor, bound to this browser and carrying the secret, so the form can change
// neither the user nor the secret.
func (u *UI) askEnrolment(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64, redirect, secret, msg string) {
	ctx := r.Context()
	acct, err := svc.accounts.User(ctx, userID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	enr := totp.Enrollment{Secret: secret}
	if secret == "" {
		if enr, err = svc.totp.NewEnrollment(acct.Login); err != nil {
			u.fail(w, r, err)
			return
		}
	} else {
		enr.URL = (&otpURL{issuer: "Instant-ERP", account: acct.Login, secret: secret}).String()
	}
	sg, err := u.signer(ctx, svc)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	csrf := browserToken(w, r)
	pending, err := sg.Sign(scopeEnrolment, []byte(strconv.FormatInt(userID, 10)+":"+enr.Secret), token.Bind("browser", csrf), u.now().Add(enrolmentTime))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	u.render(w, r, status, "login_enrol", &page{Title: "Set up two-factor authentication", CSRF: csrf, Error: msg,
		Content: enrolData{Pending: pending, Redirect: redirect, Secret: enr.Secret, QR: qrDataURL(enr.URL)}})
}

// loginEnrol checks the code of the forced enrolment, turns TOTP on, starts the
// session and shows the recovery codes once.
func (u *UI) loginEnrol(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.anonymousPost(w, r)
	if !ok {
		return
	}
	sg, err := u.signer(r.Context(), svc)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	payload, err := sg.Verify(scopeEnrolment, r.PostFormValue("pending"), token.Bind("browser", r.PostFormValue(csrfField)))
	uidText, secret, ok := strings.Cut(string(payload), ":")
	userID, perr := strconv.ParseInt(uidText, 10, 64)
	if err != nil || !ok || perr != nil || userID <= 0 {
		p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: "The sign-in took too long. Please start again.", Content: loginForm{}}
		u.render(w, r, http.StatusOK, "login", p)
		return
	}
	ctx := r.Context()
	redirect := safeRedirect(r.PostFormValue("redirect"), "")
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" || len(code) > 16 {
		u.askEnrolment(w, r, svc, userID, redirect, secret, "Enter the code your authenticator app shows.")
		return
	}
	codes, err := svc.totp.Enable(ctx, userID, secret, code)
	switch {
	case errors.Is(err, totp.ErrInvalidCode), errors.Is(err, totp.ErrRateLimited):
		u.recordEvent(ctx, svc, r, securitylog.TwoFactorFailure, userID, 0, "enrolment")
		u.askEnrolment(w, r, svc, userID, redirect, secret, "That code is not valid.")
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	u.recordEvent(ctx, svc, r, securitylog.TwoFactorEnabled, userID, 0, "enrolment")
	next, ok := u.openSession(w, r, svc, userID, redirect)
	if !ok {
		return
	}
	u.render(w, r, http.StatusOK, "login_enrol", &page{Title: "Two-factor authentication is on",
		Content: enrolData{Codes: codes, Next: next}})
}

// twoFactorSettings shows and sets the tenant's policy (administrators only).
func (u *UI) twoFactorSettings(rq *request) error {
	return u.twoFactorSettingsPage(rq, "")
}

type twoFactorPolicyData struct {
	Required bool
	// Missing are the active internal users without 2FA, who will have to enrol.
	Missing []userRow
}

func (u *UI) twoFactorSettingsPage(rq *request, msg string) error {
	var d twoFactorPolicyData
	var err error
	if d.Required, err = twoFactorRequired(rq.ctx, rq.svc); err != nil {
		return err
	}
	recs, err := rq.env.SearchRead(rq.ctx, "res.users", leaf("share", "=", false), []string{"name", "login"}, orm.SearchOptions{Limit: 500})
	if err != nil {
		return err
	}
	for _, r := range recs {
		id := r["id"].(int64)
		on, err := rq.svc.totp.Enabled(rq.ctx, id)
		if err != nil {
			return err
		}
		if !on {
			row := userRow{ID: id, Active: true}
			row.Name, _ = r["name"].(string)
			row.Login, _ = r["login"].(string)
			d.Missing = append(d.Missing, row)
		}
	}
	status := 200
	if msg != "" {
		status = 422
	}
	return rq.page(u, status, "settings_two_factor", &page{Title: "Two-factor policy", Active: "settings", Error: msg,
		Crumbs: settingsCrumbs("Two-factor policy"), Content: d})
}

// setTwoFactorPolicy turns the requirement on or off. Turning it on needs the
// administrator's own 2FA (so the one who sets it is not the first it stops) and
// signs out the internal users without 2FA, who enrol at their next sign-in.
func (u *UI) setTwoFactorPolicy(rq *request) error {
	required := rq.r.PostFormValue("required") == "1"
	if required {
		on, err := rq.svc.totp.Enabled(rq.ctx, rq.user.ID)
		if err != nil {
			return err
		}
		if !on {
			return u.twoFactorSettingsPage(rq, "Turn on two-factor authentication for your own account first.")
		}
	}
	value := "False"
	if required {
		value = "True"
	}
	var internal []int64
	err := u.inTx(rq.ctx, rq.svc, rq.user.ID, func(env *orm.Env) error {
		ids, err := env.Search(rq.ctx, "ir.config_parameter", leaf("key", "=", twoFactorRequiredParam), orm.SearchOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			_, err = env.Create(rq.ctx, "ir.config_parameter", []map[string]any{{"key": twoFactorRequiredParam, "value": value}})
		} else {
			err = env.Write(rq.ctx, "ir.config_parameter", ids, map[string]any{"value": value})
		}
		if err != nil || !required {
			return err
		}
		internal, err = env.Search(rq.ctx, "res.users", leaf("share", "=", false), orm.SearchOptions{})
		return err
	})
	if err != nil {
		return err
	}
	ref := "optional"
	if required {
		ref = "required"
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.TwoFactorPolicy, 0, rq.user.ID, ref)
	for _, id := range internal {
		on, err := rq.svc.totp.Enabled(rq.ctx, id)
		if err != nil {
			return err
		}
		if !on {
			if _, err := rq.svc.sessions.DeleteOthers(rq.ctx, id, 0); err != nil {
				return err
			}
		}
	}
	rq.setFlash("2fa-policy-saved")
	rq.redirect("/odoo/settings/two-factor")
	return nil
}
