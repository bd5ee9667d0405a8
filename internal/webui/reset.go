package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// maxResetMailsPerHour bounds the reset mails one account receives.
const maxResetMailsPerHour = 3

// linkKind is a password link: a reset or an invitation.
type linkKind struct {
	scope    token.Scope
	lifetime time.Duration
	path     string
}

var (
	resetLink      = linkKind{token.ScopeResetPassword, token.ResetPasswordLifetime, "/web/reset_password"}
	invitationLink = linkKind{token.ScopeInvitation, token.InvitationLifetime, "/web/signup"}
)

// passwordLink signs a link that lets userID set a password once: the token is bound
// to the current hash and last login, so setting a password or signing in kills it.
func (u *UI) passwordLink(ctx context.Context, svc *tenantServices, origin string, kind linkKind, userID int64) (string, error) {
	return signPasswordLink(ctx, svc.db, origin, kind, userID, u.now)
}

// PasswordLink returns a one-time link (valid 4 hours) through which the user sets
// their password on origin (https://<tenant>.<domain>), for the command line: a new
// tenant's administrator, or a reset an operator triggers. With invitation, the link
// is an invitation (valid 6 days). The link is bound to the user's current password
// hash and last sign-in, so it dies once used or after any sign-in.
func PasswordLink(ctx context.Context, db *store.DB, origin string, userID int64, invitation bool, now func() time.Time) (string, error) {
	kind := resetLink
	if invitation {
		kind = invitationLink
	}
	if now == nil {
		now = time.Now
	}
	return signPasswordLink(ctx, db, strings.TrimSuffix(origin, "/"), kind, userID, now)
}

func signPasswordLink(ctx context.Context, db *store.DB, origin string, kind linkKind, userID int64, now func() time.Time) (string, error) {
	acct, err := (&accounts{db: db}).byID(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("password link for user %d: %w", userID, err)
	}
	last, err := lastLogin(ctx, securitylog.New(db, now), userID)
	if err != nil {
		return "", err
	}
	sg, err := token.LoadSigner(ctx, db, now)
	if err != nil {
		return "", err
	}
	id := strconv.FormatInt(userID, 10)
	tok, err := sg.Sign(kind.scope, []byte(id), token.ResetBinding(userID, acct.PasswordHash, last), now().Add(kind.lifetime))
	if err != nil {
		return "", err
	}
	return origin + kind.path + "?" + url.Values{"uid": {id}, "token": {tok}}.Encode(), nil
}

// checkPasswordLink verifies a link and returns its account. Every refusal is the
// same to the visitor.
func (u *UI) checkPasswordLink(ctx context.Context, svc *tenantServices, kind linkKind, uid, tok string) (account, error) {
	id, err := strconv.ParseInt(uid, 10, 64)
	if err != nil || id <= 0 || tok == "" {
		return account{}, token.ErrInvalid
	}
	acct, err := svc.accounts.byID(ctx, id)
	if errors.Is(err, auth.ErrNoAccount) {
		return account{}, token.ErrInvalid
	}
	if err != nil {
		return account{}, err
	}
	last, err := lastLogin(ctx, svc.seclog, id)
	if err != nil {
		return account{}, err
	}
	sg, err := u.signer(ctx, svc)
	if err != nil {
		return account{}, err
	}
	payload, err := sg.Verify(kind.scope, tok, token.ResetBinding(id, acct.PasswordHash, last))
	if err != nil {
		return account{}, token.ErrInvalid
	}
	if string(payload) != uid || !acct.Active {
		return account{}, token.ErrInvalid
	}
	return acct, nil
}

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

func (u *UI) passwordLinkPage(w http.ResponseWriter, r *http.Request, kind linkKind, title string) {
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
	data := resetData{UID: uid, Token: tok, Path: kind.path, Title: title, MinLength: u.policy.MinLength()}
	acct, err := u.checkPasswordLink(r.Context(), svc, kind, uid, tok)
	if errors.Is(err, token.ErrInvalid) {
		u.render(w, r, http.StatusNotFound, "link_invalid", &page{Title: "Link invalid or expired"})
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data.Name = acct.Name
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
	if err := u.setPassword(r.Context(), svc, acct.ID, next); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			data.Errors = map[string]string{"new": pe.Reason}
			u.render(w, r, http.StatusUnprocessableEntity, "reset_form", &page{Title: title, CSRF: browserToken(w, r), Content: data})
			return
		}
		u.fail(w, r, err)
		return
	}
	ref := "reset"
	if kind == invitationLink {
		ref = "invitation"
	}
	u.recordEvent(r.Context(), svc, r, securitylog.ResetUsed, acct.ID, 0, ref)
	// Whoever held a session before the reset is signed out.
	if _, err := svc.sessions.DeleteOthers(r.Context(), acct.ID, 0); err != nil {
		u.fail(w, r, err)
		return
	}
	http.SetCookie(w, flashCookieFor("password-set"))
	http.Redirect(w, r, "/web/login", http.StatusSeeOther)
}

// resetRequest mails a reset link when the login names an active account with an
// address, at most three an hour; the answer is the same whatever happened.
func (u *UI) resetRequest(w http.ResponseWriter, r *http.Request, svc *tenantServices) {
	data := resetData{Path: resetLink.path, Title: "Reset your password"}
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
func (u *UI) sendPasswordLink(ctx context.Context, svc *tenantServices, r *http.Request, kind linkKind, acct account, actorID int64) error {
	to := acct.Email
	if to == "" {
		to = acct.Login
	}
	link, err := u.passwordLink(ctx, svc, absoluteURL(r, ""), kind, acct.ID)
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
		return fmt.Errorf("send %s link: %w", kind.scope, err)
	}
	u.recordEvent(ctx, svc, r, securitylog.ResetRequested, acct.ID, actorID, string(kind.scope))
	return nil
}
