package webui

import "net/http"

// Flash messages travel in a short-lived cookie as a code from a fixed catalogue, so
// nothing a visitor controls is ever shown as a message.
const flashCookie = "__Host-flash"

var flashMessages = map[string]string{
	"saved":            "Saved.",
	"created":          "Created.",
	"deleted":          "Deleted.",
	"archived":         "Archived.",
	"unarchived":       "Restored from the archive.",
	"done":             "Done.",
	"password-changed": "Your password has been changed. Your other sessions have been signed out.",
	"password-set":     "Your password has been set. You can sign in now.",
	"signed-out":       "You have signed out.",
	"session-revoked":  "The session has been signed out.",
	"invited":          "The invitation has been sent.",
	"reset-sent":       "A password reset link has been sent to the user.",
	"deactivated":      "The user has been deactivated and signed out everywhere.",
	"activated":        "The user has been reactivated.",
	"groups-saved":     "The user's groups have been saved.",
	"ban-lifted":       "The lock-out has been lifted.",
	"2fa-enabled":      "Two-factor authentication is on. Keep your recovery codes somewhere safe.",
	"2fa-disabled":     "Two-factor authentication is off.",
	"devices-revoked":  "Every trusted device, this one included, will be asked for a code at the next sign-in.",
	"passkey-added":    "The passkey has been added.",
	"passkey-removed":  "The passkey has been removed.",
	"2fa-policy-saved": "The two-factor policy has been saved.",
	"apikey-revoked":   "The API key has been revoked; it no longer works.",
	"apikey-limit":     "The longest validity of new API keys has been saved.",
}

func flashCookieFor(code string) *http.Cookie {
	return &http.Cookie{Name: flashCookie, Value: code, Path: "/", MaxAge: 60, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// setFlash shows a message on the next page.
func (rq *request) setFlash(code string) {
	rq.cookies = append(rq.cookies, flashCookieFor(code))
}

// takeFlash reads and clears the pending message.
func takeFlash(rq *request) string {
	c, err := rq.r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	rq.cookies = append(rq.cookies, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return flashMessages[c.Value]
}

// takeFlashAnonymous is takeFlash for pages without a session (sign-in).
func takeFlashAnonymous(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return flashMessages[c.Value]
}
