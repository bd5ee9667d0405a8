package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/web"
)

// maxResetMailsPerHour bounds the reset mails one account receives.
const maxResetMailsPerHour = 3

// The two password links, made and checked by the tenant's identity service; the
// web UI serves them and mails them through its outbox.
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

// resetRequest mails a reset link when the login names an active account with an
// address, at most three an hour; the answer is the same whatever happened.
func (u *UI) resetRequest(w http.ResponseWriter, r *http.Request, svc *tenantServices) {
	data := resetData{Path: resetLink.Path(), Title: "Reset your password"}
	if r.Method != http.MethodPost {
		u.render(w, r, http.StatusOK, "reset_request", &page{Title: data.Title, CSRF: browserToken(w, r), Content: data})
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	if login != "" && len(login) <= maxLoginField {
		if err := u.mailResetLink(r.Context(), svc, r, login); err != nil {
			u.log.ErrorContext(r.Context(), "reset link not sent", "error", err)
		}
	}
	data.Sent = true
	u.render(w, r, http.StatusOK, "reset_request", &page{Title: data.Title, CSRF: browserToken(w, r), Content: data})
}

func (u *UI) mailResetLink(ctx context.Context, svc *tenantServices, r *http.Request, login string) error {
	acct, err := svc.accounts.byLogin(ctx, login)
	if errors.Is(err, auth.ErrNoAccount) {
		return nil
	}
	if err != nil {
		return err
	}
	to := acct.Email
	if to == "" && strings.Contains(acct.Login, "@") {
		to = acct.Login
	}
	if !acct.Active || to == "" {
		return nil
	}
	recent, err := svc.seclog.List(ctx, securitylog.Filter{UserID: acct.ID, Kind: securitylog.ResetRequested, Limit: maxResetMailsPerHour})
	if err != nil {
		return err
	}
	n := 0
	for _, e := range recent {
		if u.now().Sub(e.At) < time.Hour {
			n++
		}
	}
	if n >= maxResetMailsPerHour {
		u.log.InfoContext(ctx, "reset mail not sent: hourly limit reached", "user_id", acct.ID)
		return nil
	}
	return u.sendPasswordLink(ctx, svc, r, resetLink, acct, 0)
}

// sendPasswordLink mails a reset or invitation link and records it.
func (u *UI) sendPasswordLink(ctx context.Context, svc *tenantServices, r *http.Request, kind identity.LinkKind, acct account, actorID int64) error {
	to := acct.Email
	if to == "" {
		to = acct.Login
	}
	link, err := svc.identity.Link(ctx, kind, acct.ID)
	if errors.Is(err, identity.ErrInactive) {
		// Its link would not open: say so to the administrator who asked.
		return &orm.UserError{Message: "This user is deactivated: reactivate them before sending a password link."}
	}
	if err != nil {
		return err
	}
	d := linkMailData{Name: acct.Name, URL: safeMailURL(link), Validity: "4 hours",
		Intro: "Someone asked to reset the password of your account.", Action: "Choose a new password"}
	subject := "Reset your password"
	if kind == invitationLink {
		d.Intro, d.Action, d.Validity, subject = "You have been invited to use Instant-ERP.", "Accept the invitation", "6 days", "Your invitation"
	}
	body, err := renderLinkMail(d)
	if err != nil {
		return err
	}
	err = u.inTx(ctx, svc, 0, func(env *orm.Env) error {
		return u.outbox.Send(ctx, env, mail.Message{To: to, Subject: subject, Body: body, Model: "res.users", ResID: acct.ID})
	})
	if err != nil {
		return fmt.Errorf("send %s link: %w", kind, err)
	}
	u.recordEvent(ctx, svc, r, securitylog.ResetRequested, acct.ID, actorID, kind.String())
	return nil
}
