package webui

import (
	"net/http"

	"github.com/instant-erp/instanterp/internal/auth/session"
)

// logout ends the session on the server and in the browser. It is a POST with the
// session's anti-forgery token, so no other site can sign a user out.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	c, err := r.Cookie(session.CookieName)
	if err != nil {
		http.Redirect(w, r, "/web/login", http.StatusSeeOther)
		return
	}
	sess, err := svc.sessions.Lookup(r.Context(), c.Value)
	if err != nil {
		http.SetCookie(w, session.ClearCookie())
		http.Redirect(w, r, "/web/login", http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil {
		u.errorPage(w, r, badRequestStatus(err))
		return
	}
	if !sess.CheckCSRF(r.PostFormValue(csrfField)) {
		u.errorPage(w, r, http.StatusForbidden)
		return
	}
	if err := svc.sessions.Delete(r.Context(), c.Value); err != nil {
		u.fail(w, r, err)
		return
	}
	http.SetCookie(w, session.ClearCookie())
	http.SetCookie(w, flashCookieFor("signed-out"))
	http.Redirect(w, r, "/web/login", http.StatusSeeOther)
}
