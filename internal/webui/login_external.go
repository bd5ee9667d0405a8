package webui

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/web"
)

// OpenID Connect sign-in: the sign-in page shows one button per enabled provider; the
// button posts (with the anti-forgery token) to /web/login/oidc/<name>, which starts
// the code flow with PKCE, bound to this browser's anti-forgery cookie, and sends the
// browser to the provider. The provider sends it back to identity.OIDCCallbackPath,
// where the state, code, ID token and nonce are checked by identity.FinishOIDC.
// After that the sign-in continues exactly as after a correct password: the second
// factor when the user has one (a provider is not trusted to have checked one), then
// a new session.

// loginNextCookie carries the page to land on across the trip to the provider. It
// is checked again by safeRedirect when it comes back.
const loginNextCookie = "__Host-login-next"

const (
	externalFailed      = "The sign-in through your organisation's account did not succeed. Please try again, or ask your administrator."
	externalUnavailable = "The sign-in service could not be reached. Please try again later, or sign in with your password."
)

// externalButton is a provider on the sign-in page.
type externalButton struct {
	Name string
	Path string // the start URL, with the name escaped
}

// oidcButtons lists the tenant's enabled OpenID providers for the sign-in page. A
// failure to read them is logged and shows no button: the password form still works.
func (u *UI) oidcButtons(r *http.Request, svc *tenantServices) []externalButton {
	ps, err := svc.identity.Providers(r.Context())
	if err != nil {
		u.log.ErrorContext(r.Context(), "sign-in providers not listed", "error", err)
		return nil
	}
	var out []externalButton
	for _, p := range ps {
		if p.Enabled && p.Kind == identity.KindOIDC {
			out = append(out, externalButton{Name: p.Name, Path: providerStartURL(p.Name)})
		}
	}
	return out
}

// loginButtons is oidcButtons for the sign-in handlers, which have not built the
// tenant's services before the form is shown.
func (u *UI) loginButtons(r *http.Request) []externalButton {
	svc, err := u.services(r)
	if err != nil {
		u.log.ErrorContext(r.Context(), "sign-in providers not listed", "error", err)
		return nil
	}
	return u.oidcButtons(r, svc)
}

// externalLoginPage shows the sign-in form again with a message.
func (u *UI) externalLoginPage(w http.ResponseWriter, r *http.Request, svc *tenantServices, status int, msg string) {
	p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: msg, Content: loginForm{Providers: u.oidcButtons(r, svc)}}
	u.render(w, r, status, "login", p)
}

// loginOIDCStart sends the browser to the provider named in the path.
func (u *UI) loginOIDCStart(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.anonymousPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	addr := web.ClientIP(ctx).String()
	// A locked-out address signs in by no means; the provider is not even asked.
	if err := svc.throttle.Check(ctx, addr, ""); err != nil {
		u.externalRefusal(w, r, svc, err)
		return
	}
	name := r.PathValue("provider")
	cookie, _ := r.Cookie(browserCSRFCookie) // present: checkBrowserToken passed
	authURL, err := "", identity.CheckProviderName(name)
	if err == nil {
		authURL, err = svc.identity.StartOIDC(ctx, name, cookie.Value)
	} else {
		err = identity.ErrNoProvider // no provider has such a name
	}
	switch {
	case errors.Is(err, identity.ErrNoProvider):
		u.externalLoginPage(w, r, svc, http.StatusNotFound, "This sign-in method is not available.")
		return
	case err != nil:
		// Discovery failed: the provider is down or misconfigured. The details are
		// for the administrator's logs.
		u.log.WarnContext(ctx, "OpenID sign-in could not start", "provider", name, "error", err)
		u.externalLoginPage(w, r, svc, http.StatusBadGateway, externalUnavailable)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginNextCookie, Value: url.QueryEscape(safeRedirect(r.PostFormValue("redirect"), "")),
		Path: "/", MaxAge: int((10 * time.Minute).Seconds()), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// loginOIDCCallback completes the sign-in when the provider sends the browser back.
// Every refusal (forged, replayed or other-browser state, a provider error, an ID
// token that does not verify, nobody to sign in) gets the same message and counts
// as a failed sign-in from the address.
func (u *UI) loginOIDCCallback(w http.ResponseWriter, r *http.Request) {
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ctx := r.Context()
	from := identity.Origin{Address: web.ClientIP(ctx).String(), UserAgent: r.UserAgent()}
	if err := svc.throttle.Check(ctx, from.Address, ""); err != nil {
		u.externalRefusal(w, r, svc, err)
		return
	}
	q := r.URL.Query()
	state, code, browser := q.Get("state"), q.Get("code"), ""
	if c, err := r.Cookie(browserCSRFCookie); err == nil && validBrowserToken(c.Value) {
		browser = c.Value
	}
	var user identity.User
	switch {
	case browser == "" || state == "" || len(state) > 256:
		err = ceremony.ErrNotFound
	default:
		// A provider's error answer (the user declined) has no code: FinishOIDC
		// still takes the state, so it cannot be used again.
		user, err = svc.identity.FinishOIDC(ctx, state, code, browser, from)
	}
	if err != nil {
		u.externalRefusal(w, r, svc, err)
		return
	}
	next := ""
	if c, err := r.Cookie(loginNextCookie); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			next = safeRedirect(v, "")
		}
		http.SetCookie(w, &http.Cookie{Name: loginNextCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	u.afterExternalSignIn(w, r, svc, user.ID, next)
}

// externalRefusal answers a refused external sign-in. Refusals of the sign-in
// itself count against the address like a wrong password; anything else is an
// internal error.
func (u *UI) externalRefusal(w http.ResponseWriter, r *http.Request, svc *tenantServices, err error) {
	ctx := r.Context()
	var locked *throttle.LockedError
	switch {
	case errors.As(err, &locked):
		u.recordEvent(ctx, svc, r, securitylog.LoginThrottled, 0, 0, "oidc")
		u.externalLoginPage(w, r, svc, http.StatusTooManyRequests, locked.Error())
	case errors.Is(err, ceremony.ErrNotFound), errors.Is(err, oidc.ErrRefused), errors.Is(err, identity.ErrExternalRefused),
		errors.Is(err, identity.ErrNoProvider):
		u.log.InfoContext(ctx, "OpenID sign-in refused", "reason", err)
		if ferr := svc.throttle.RecordFailure(ctx, web.ClientIP(ctx).String(), ""); ferr != nil {
			u.log.ErrorContext(ctx, "sign-in failure not counted", "error", ferr)
		}
		u.recordEvent(ctx, svc, r, securitylog.LoginFailure, 0, 0, "oidc")
		u.externalLoginPage(w, r, svc, http.StatusUnauthorized, externalFailed)
	default:
		u.log.ErrorContext(ctx, "OpenID sign-in failed", "error", err)
		u.externalLoginPage(w, r, svc, http.StatusBadGateway, externalUnavailable)
	}
}

// afterExternalSignIn continues exactly as after a correct password: the second
// factor when the user has one (unless this browser is a device they trusted at a
// second step), then a new session, which the tenant's 2FA policy may hold back for
// enrolment.
func (u *UI) afterExternalSignIn(w http.ResponseWriter, r *http.Request, svc *tenantServices, userID int64, next string) {
	on, err := svc.totp.Enabled(r.Context(), userID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if on {
		trusted, err := u.isTrustedDevice(r, svc, userID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if !trusted {
			u.askSecondFactor(w, r, svc, userID, loginForm{Redirect: next}, "")
			return
		}
		u.recordEvent(r.Context(), svc, r, securitylog.TrustedDeviceUsed, userID, 0, "oidc")
	}
	u.startSession(w, r, svc, userID, next)
}

// oidcCallbackURL is the redirect URI an administrator registers with a provider.
func oidcCallbackURL(r *http.Request) string {
	return absoluteURL(r, identity.OIDCCallbackPath)
}
