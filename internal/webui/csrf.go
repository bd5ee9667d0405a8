package webui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// Before sign-in there is no session to hold an anti-forgery token, so the sign-in,
// reset, invitation and portal forms use a per-browser token: a random value in a
// __Host- cookie (which no other origin, sibling tenants included, can set or read)
// that the form must repeat. Cross-origin posts are refused earlier by
// http.CrossOriginProtection; this is the second lock.
const browserCSRFCookie = "__Host-csrf"

const csrfField = "csrf_token"

// browserToken returns the browser's anti-forgery token, setting the cookie when the
// browser has none yet.
func browserToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(browserCSRFCookie); err == nil && validBrowserToken(c.Value) {
		return c.Value
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	v := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{Name: browserCSRFCookie, Value: v, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return v
}

func validBrowserToken(v string) bool {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(v)
	return err == nil && len(raw) == 32
}

// checkBrowserToken compares the form's token with the cookie in constant time.
func checkBrowserToken(r *http.Request) bool {
	c, err := r.Cookie(browserCSRFCookie)
	if err != nil || !validBrowserToken(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(c.Value)) == 1
}

// anonymousPost opens a form posted before sign-in: parsed, its anti-forgery
// token checked against the browser cookie, and the tenant's services. On false
// the error page has been written.
func (u *UI) anonymousPost(w http.ResponseWriter, r *http.Request) (*tenantServices, bool) {
	if err := r.ParseForm(); err != nil {
		u.errorPage(w, r, badRequestStatus(err))
		return nil, false
	}
	if !checkBrowserToken(r) {
		u.errorPage(w, r, http.StatusForbidden)
		return nil, false
	}
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return nil, false
	}
	return svc, true
}

func (u *UI) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	u.log.InfoContext(r.Context(), "cross-origin request refused", "method", r.Method, "path", r.URL.Path)
	u.errorPage(w, r, http.StatusForbidden)
}
