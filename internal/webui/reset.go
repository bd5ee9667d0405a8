package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/web"
)

// The two password links, made and checked by the tenant's identity service; the
// web UI serves them, and the service mails them through the tenant's mail sender.
const (
	resetLink      = identity.ResetLink
	invitationLink = identity.InvitationLink
)

type resetData struct {
	Sent      bool
	UID       string
	Token     string
	Name      string
	Path      string
	Title     string
	MinLength int
	Errors    map[string]string
}

// resetPassword: without a token, the request form (POST mails a link); with one,
// the form that sets a new password.
func (u *UI) resetPassword(w http.ResponseWriter, r *http.Request) {
	u.passwordLinkPage(w, r, resetLink, "Reset your password")
}

// signup is the invitation acceptance: the invited user chooses a password.
func (u *UI) signup(w http.ResponseWriter, r *http.Request) {
	u.passwordLinkPage(w, r, invitationLink, "Accept the invitation")
}

func (u *UI) passwordLinkPage(w http.ResponseWriter, r *http.Request, kind identity.LinkKind, title string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		u.errorPage(w, r, http.StatusMethodNotAllowed)
		return
	}
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			u.errorPage(w, r, badRequestStatus(err))
			return
		}
		if !checkBrowserToken(r) {
			u.errorPage(w, r, http.StatusForbidden)
			return
		}
	}
	uid, tok := r.FormValue("uid"), r.FormValue("token")
	if tok == "" && kind == resetLink {
		u.resetRequest(w, r, svc)
		return
	}
	data := resetData{UID: uid, Token: tok, Path: kind.Path(), Title: title, MinLength: u.policy.MinLength()}
	invalid := func() {
		u.render(w, r, http.StatusNotFound, "link_invalid", &page{Title: "Link invalid or expired"})
	}
	user, err := svc.identity.CheckLink(r.Context(), kind, uid, tok)
	if errors.Is(err, identity.ErrInvalidLink) {
		invalid()
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data.Name = user.Name
	if r.Method != http.MethodPost {
		u.render(w, r, http.StatusOK, "reset_form", &page{Title: title, CSRF: browserToken(w, r), Content: data})
		return
	}
	next, confirm := r.PostFormValue("new"), r.PostFormValue("confirm")
	if next != confirm {
		data.Errors = map[string]string{"confirm": "The two passwords differ."}
		u.render(w, r, http.StatusUnprocessableEntity, "reset_form", &page{Title: title, CSRF: browserToken(w, r), Content: data})
		return
	}
	// The identity service checks the link again with the user's row locked, so
	// two uses of one link cannot both succeed; it ends every session of the user
	// and records the reset.
	_, err = svc.identity.SetPasswordWithLink(r.Context(), kind, uid, tok, next,
		identity.Origin{Address: web.ClientIP(r.Context()).String(), UserAgent: r.UserAgent()})
	var pe *password.PolicyError
	switch {
	case errors.As(err, &pe):
		data.Errors = map[string]string{"new": pe.Reason}
		u.render(w, r, http.StatusUnprocessableEntity, "reset_form", &page{Title: title, CSRF: browserToken(w, r), Content: data})
		return
	case errors.Is(err, identity.ErrInvalidLink):
		invalid()
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	http.SetCookie(w, flashCookieFor("password-set"))
	http.Redirect(w, r, "/web/login", http.StatusSeeOther)
}

// resetRequest mails a reset link to the active users the login or address names,
// through the identity service (its hourly limit per user, the tenant's mail
// sender); the answer is the same whatever happened, and the mail leaves after it.
func (u *UI) resetRequest(w http.ResponseWriter, r *http.Request, svc *tenantServices) {
	data := resetData{Path: resetLink.Path(), Title: "Reset your password"}
	if r.Method != http.MethodPost {
		u.render(w, r, http.StatusOK, "reset_request", &page{Title: data.Title, CSRF: browserToken(w, r), Content: data})
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	if login != "" && len(login) <= maxLoginField {
		from := identity.Origin{Address: web.ClientIP(r.Context()).String(), UserAgent: r.UserAgent()}
		if err := svc.identity.RequestReset(r.Context(), login, from); err != nil {
			u.log.InfoContext(r.Context(), "reset request refused", "error", err)
		}
		// The service mails in the background; Wait waits for it.
		u.mails.Add(1)
		go func() {
			defer u.mails.Done()
			svc.identity.Wait()
		}()
	}
	data.Sent = true
	u.render(w, r, http.StatusOK, "reset_request", &page{Title: data.Title, CSRF: browserToken(w, r), Content: data})
}

// Wait blocks until the reset mails accepted so far have been handed to the mail
// sender (for shutdown and tests).
func (u *UI) Wait() { u.mails.Wait() }

// sendPasswordLink mails a reset or invitation link to user id at an
// administrator's request; the identity service records it. The refusals the
// administrator can act on come back as user errors.
func (u *UI) sendPasswordLink(ctx context.Context, r *http.Request, svc *tenantServices, kind identity.LinkKind, id, actorID int64) error {
	err := svc.identity.SendLink(ctx, kind, id,
		identity.Origin{Address: web.ClientIP(ctx).String(), UserAgent: r.UserAgent(), ActorID: actorID})
	switch {
	case errors.Is(err, identity.ErrInactive):
		// Its link would not open: say so to the administrator who asked.
		return &orm.UserError{Message: "This user is deactivated: reactivate them before sending a password link."}
	case errors.Is(err, identity.ErrNoAddress):
		return &orm.UserError{Message: "This user has no email address: add one before sending a password link."}
	case errors.Is(err, identity.ErrTooManyResetMails):
		return &orm.UserError{Message: "This user has already been sent " + strconv.Itoa(identity.MaxResetMailsPerHour) +
			" reset mails within the hour: try again later."}
	case errors.Is(err, identity.ErrNoMail):
		return &orm.UserError{Message: "No mail sender is configured: the link cannot be mailed."}
	case err != nil:
		return fmt.Errorf("send %s link: %w", kind, err)
	}
	return nil
}
