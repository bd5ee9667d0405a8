package webui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/web"
)

const (
	maxLoginField    = 256
	maxPasswordField = 4096
	// scopeSecondFactor signs the short-lived proof that the password step passed.
	scopeSecondFactor token.Scope = "login-second-factor"
	secondFactorTime              = 5 * time.Minute
	defaultLanding                = "/odoo"
)

type loginForm struct {
	Login    string
	Redirect string
	Pending  string // second-factor step: the signed proof of the password step
	Passkey  bool   // second-factor step: the user has a passkey to offer
	// Providers are the OpenID sign-in buttons (login_external.go).
	Providers []externalButton
}

// login shows the sign-in form (GET) and checks a login and password (POST).
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p := &page{Title: "Sign in", CSRF: browserToken(w, r), Flash: takeFlashAnonymous(w, r),
			Content: loginForm{Redirect: safeRedirect(r.URL.Query().Get("redirect"), ""), Providers: u.loginButtons(r)}}
		u.render(w, r, http.StatusOK, "login", p)
	case http.MethodPost:
		u.loginPost(w, r)
	default:
		u.errorPage(w, r, http.StatusMethodNotAllowed)
	}
}

func (u *UI) loginPost(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.anonymousPost(w, r)
	if !ok {
		return
	}
	form := loginForm{Login: strings.TrimSpace(r.PostFormValue("login")), Redirect: safeRedirect(r.PostFormValue("redirect"), "")}
	pw := r.PostFormValue("password")
	again := func(msg string) {
		form.Providers = u.oidcButtons(r, svc)
		p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: msg, Content: form}
		u.render(w, r, http.StatusOK, "login", p)
	}
	if form.Login == "" || pw == "" || len(form.Login) > maxLoginField || len(pw) > maxPasswordField {
		again("Enter your login and password.")
		return
	}
	acct, err := u.checkPassword(r.Context(), svc, auth.Attempt{
		Login: form.Login, Password: pw, Address: web.ClientIP(r.Context()).String(), UserAgent: r.UserAgent(),
	})
	var locked *throttle.LockedError
	switch {
	case errors.As(err, &locked):
		again(locked.Error())
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		again("Wrong login or password.")
		return
	case errors.Is(err, errDirectoryDown):
		again(externalUnavailable)
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	on, err := svc.totp.Enabled(r.Context(), acct.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if on {
		trusted, err := u.isTrustedDevice(r, svc, acct.ID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if !trusted {
			u.askSecondFactor(w, r, svc, acct.ID, form, "")
			return
		}
		u.recordEvent(r.Context(), svc, r, securitylog.TrustedDeviceUsed, acct.ID, 0, "")
	}
	u.startSession(w, r, svc, acct.ID, form.Redirect)
}

// askSecondFactor shows the code form, carrying a signed proof of the password step
// bound to this browser's anti-forgery cookie, so it cannot be used elsewhere.
func (u *UI) askSecondFactor(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64, form loginForm, msg string) {
	sg, err := u.signer(r.Context(), svc)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	csrf := browserToken(w, r)
	form.Pending, err = sg.Sign(scopeSecondFactor, []byte(strconv.FormatInt(userID, 10)), token.Bind("browser", csrf), u.now().Add(secondFactorTime))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if form.Passkey, err = u.hasPasskey(r.Context(), svc, userID); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "login_totp", &page{Title: "Two-factor authentication", CSRF: csrf, Error: msg, Content: form})
}

// loginSecondFactor checks the code (or a recovery code) of the second step.
func (u *UI) loginSecondFactor(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.anonymousPost(w, r)
	if !ok {
		return
	}
	sg, err := u.signer(r.Context(), svc)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	payload, err := sg.Verify(scopeSecondFactor, r.PostFormValue("pending"), token.Bind("browser", r.PostFormValue(csrfField)))
	if err != nil {
		p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: "The sign-in took too long. Please start again.", Content: loginForm{}}
		u.render(w, r, http.StatusOK, "login", p)
		return
	}
	userID, err := strconv.ParseInt(string(payload), 10, 64)
	if err != nil {
		u.errorPage(w, r, http.StatusBadRequest)
		return
	}
	form := loginForm{Redirect: safeRedirect(r.PostFormValue("redirect"), "")}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" || len(code) > 64 {
		u.askSecondFactor(w, r, svc, userID, form, "Enter the code from your authenticator app.")
		return
	}
	ctx := r.Context()
	kind := securitylog.TwoFactorFailure
	if len(code) <= 8 {
		err = svc.totp.Verify(ctx, userID, code)
	} else {
		err = svc.totp.UseRecoveryCode(ctx, userID, code)
		if err == nil {
			kind = securitylog.RecoveryCodeUsed
		}
	}
	switch {
	case errors.Is(err, totp.ErrRateLimited):
		u.recordEvent(ctx, svc, r, securitylog.TwoFactorFailure, userID, 0, "")
		u.askSecondFactor(w, r, svc, userID, form, "Too many wrong codes. Try again later.")
		return
	case errors.Is(err, totp.ErrInvalidCode):
		u.recordEvent(ctx, svc, r, securitylog.TwoFactorFailure, userID, 0, "")
		u.askSecondFactor(w, r, svc, userID, form, "That code is not valid.")
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	if kind == securitylog.RecoveryCodeUsed {
		u.recordEvent(ctx, svc, r, kind, userID, 0, "")
	}
	if r.PostFormValue("trust") == "1" {
		if err := u.trustDevice(w, r, svc, userID); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	u.startSession(w, r, svc, userID, form.Redirect)
}

// startSession issues a new session (never reusing a token presented before) and
// sends the user on: portal users to their documents, others to the application.
// Every sign-in path ends here, after its factors have been checked.
func (u *UI) startSession(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64, redirect string) {
	if next, ok := u.openSession(w, r, svc, userID, redirect); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// openSession is startSession without the redirect: it returns where the user goes
// next, or false when it has answered itself (an error, or the tenant requires 2FA
// and the user must enrol first: then no session is made at all).
func (u *UI) openSession(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64, redirect string) (string, bool) {
	ctx := r.Context()
	if enrol, err := u.mustEnrol(ctx, svc, userID); err != nil {
		u.fail(w, r, err)
		return "", false
	} else if enrol {
		u.recordEvent(ctx, svc, r, securitylog.TwoFactorEnrolRequired, userID, 0, "")
		u.askEnrolment(w, r, svc, userID, redirect, "", "")
		return "", false
	}
	if c, err := r.Cookie(session.CookieName); err == nil {
		svc.sessions.Delete(ctx, c.Value)
	}
	sess, tok, err := svc.sessions.Create(ctx, userID, web.ClientIP(ctx).String(), r.UserAgent())
	if err != nil {
		u.fail(w, r, err)
		return "", false
	}
	http.SetCookie(w, session.Cookie(tok, sess.ExpiresAt))
	landing := defaultLanding
	if internal, err := u.isInternal(ctx, svc, userID); err != nil {
		u.fail(w, r, err)
		return "", false
	} else if !internal {
		landing = "/my"
	}
	if redirect == "" {
		redirect = landing
	}
	return redirect, true
}

func (u *UI) recordEvent(ctx context.Context, svc *tenantServices, r *http.Request, kind securitylog.Kind, userID, actorID int64, ref string) {
	err := svc.seclog.Append(ctx, securitylog.Event{Kind: kind, UserID: userID, ActorID: actorID,
		Address: web.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Reference: ref})
	if err != nil {
		u.log.ErrorContext(ctx, "security log append failed", "kind", kind, "error", err)
	}
}
