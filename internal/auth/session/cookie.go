package session

import (
	"net/http"
	"time"
)

// CookieName carries the __Host- prefix: browsers accept it only with Secure, Path=/
// and no Domain, so no sibling subdomain (another tenant) can set or read it.
const CookieName = "__Host-session"

// Cookie returns the session cookie for token, expiring with the session.
func Cookie(token string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		Expires:  expires.UTC(),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// ClearCookie returns a cookie that makes the browser drop the session cookie (logout).
func ClearCookie() *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
