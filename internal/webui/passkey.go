package webui

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/auth/passkey"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/web"
)

// Passkeys in the web UI. Each ceremony has two requests: the script asks for
// options (a JSON answer holding the challenge and a ceremony handle), the browser's
// authenticator answers, and the script puts that answer in an ordinary form which
// it submits, so the result is an ordinary page or redirect. The ceremony is bound
// to the browser (its anti-forgery token) and single use (internal/auth/ceremony).
// Without scripts the buttons stay hidden and passwords and codes work as before.

// maxPasskeyName is the passkey package's limit on names, checked here to answer
// with a field error.
const maxPasskeyName = 64

type passkeyRow struct {
	ID       int64
	Name     string
	Created  string
	LastUsed string
}

func passkeyRows(list []passkey.Passkey) []passkeyRow {
	rows := make([]passkeyRow, 0, len(list))
	for _, p := range list {
		row := passkeyRow{ID: p.ID, Name: p.Name, Created: p.CreatedAt.UTC().Format(time.DateTime)}
		if !p.LastUsedAt.IsZero() {
			row.LastUsed = p.LastUsedAt.UTC().Format(time.DateTime)
		}
		rows = append(rows, row)
	}
	return rows
}

// passkeyOptions is the JSON the script receives: the options for
// navigator.credentials and the handle to bring back with the answer.
type passkeyOptions struct {
	Options json.RawMessage `json:"options"`
	Handle  string          `json:"handle"`
}

type passkeyProblem struct {
	Error string `json:"error"`
}

func writeJSONAnswer(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// passkeyRegisterOptions begins adding a passkey for the signed-in user.
func (u *UI) passkeyRegisterOptions(rq *request) error {
	m, pu, err := u.passkeysOf(rq)
	if err != nil {
		return err
	}
	opts, handle, err := m.BeginRegistration(rq.ctx, pu, rq.sess.CSRFToken())
	if errors.Is(err, passkey.ErrTooMany) {
		body, _ := json.Marshal(passkeyProblem{Error: err.Error()})
		rq.send("application/json", body)
		rq.status = http.StatusUnprocessableEntity
		return nil
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(passkeyOptions{Options: opts, Handle: handle})
	if err != nil {
		return err
	}
	rq.send("application/json", body)
	return nil
}

// passkeyRegister stores the new passkey once the current password is confirmed:
// a passkey signs in without the password, so adding one is as sensitive as
// setting it, and a borrowed session alone must not be enough.
func (u *UI) passkeyRegister(rq *request) error {
	f := rq.r.PostForm
	switch lockout, ok, err := u.confirmPassword(rq, f.Get("current")); {
	case err != nil:
		return err
	case lockout != "":
		return u.securityPage(rq, lockout, nil)
	case !ok:
		return u.securityPage(rq, "", map[string]string{"passkey_current": wrongCurrentPassword})
	}
	name := strings.Join(strings.Fields(f.Get("name")), " ")
	if len(name) > maxPasskeyName || !utf8.ValidString(name) {
		return u.securityPage(rq, "", map[string]string{"passkey": "The name is too long (at most 64 bytes)."})
	}
	response := f.Get("response")
	if response == "" || len(response) > passkey.MaxResponse {
		return u.securityPage(rq, "", map[string]string{"passkey": "Your browser did not create a passkey. Try again."})
	}
	m, pu, err := u.passkeysOf(rq)
	if err != nil {
		return err
	}
	p, err := m.FinishRegistration(rq.ctx, pu, f.Get("handle"), rq.sess.CSRFToken(), []byte(response), name)
	switch {
	case errors.Is(err, passkey.ErrRefused):
		u.log.InfoContext(rq.ctx, "passkey registration refused", "user_id", rq.user.ID, "reason", err)
		return u.securityPage(rq, "", map[string]string{"passkey": "The passkey was not accepted. Try again."})
	case err != nil:
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.PasskeyAdded, rq.user.ID, 0, strconv.FormatInt(p.ID, 10))
	rq.setFlash("passkey-added")
	rq.redirect("/odoo/account/security")
	return nil
}

// removePasskey deletes one of the user's passkeys; another user's id is not found.
func (u *UI) removePasskey(rq *request) error {
	id, err := strconv.ParseInt(rq.r.PostFormValue("passkey"), 10, 64)
	if err != nil || id <= 0 {
		return errBadRequest
	}
	m, _, err := u.passkeysOf(rq)
	if err != nil {
		return err
	}
	if err := m.Delete(rq.ctx, rq.user.ID, id); errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	} else if err != nil {
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.PasskeyRemoved, rq.user.ID, 0, strconv.FormatInt(id, 10))
	rq.setFlash("passkey-removed")
	rq.redirect("/odoo/account/security")
	return nil
}

// hasPasskey reports whether userID has a passkey to offer as the second factor.
func (u *UI) hasPasskey(ctx context.Context, svc *tenantServices, userID int64) (bool, error) {
	m, err := svc.identity.Passkeys()
	if err != nil {
		return false, err
	}
	keys, err := m.List(ctx, userID)
	return len(keys) > 0, err
}

func (u *UI) passkeysOf(rq *request) (*passkey.Manager, passkey.User, error) {
	m, err := rq.svc.identity.Passkeys()
	if err != nil {
		return nil, passkey.User{}, err
	}
	return m, passkey.User{ID: rq.user.ID, Login: rq.user.Login, Name: rq.user.Name}, nil
}

// loginPasskeyOptions begins a passkey check before sign-in: with a "pending" proof
// of the password step, the second factor of that user (only their passkeys);
// without, a passwordless sign-in where the passkey names the user.
func (u *UI) loginPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSONAnswer(w, badRequestStatus(err), passkeyProblem{Error: "The request could not be understood."})
		return
	}
	if !checkBrowserToken(r) {
		writeJSONAnswer(w, http.StatusForbidden, passkeyProblem{Error: "Reload the page and try again."})
		return
	}
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ctx, browser := r.Context(), r.PostFormValue(csrfField)
	m, err := svc.identity.Passkeys()
	if err != nil {
		u.fail(w, r, err)
		return
	}
	var (
		opts   []byte
		handle string
	)
	if pending := r.PostFormValue("pending"); pending != "" {
		userID, ok := u.pendingUser(r, svc, pending)
		if !ok {
			writeJSONAnswer(w, http.StatusForbidden, passkeyProblem{Error: "The sign-in took too long. Please start again."})
			return
		}
		pu, perr := svc.identity.PasskeyUser(ctx, userID)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		opts, handle, err = m.BeginLogin(ctx, pu, browser)
	} else {
		retry, ok, lerr := u.countPasswordlessStart(ctx, svc)
		if lerr != nil {
			u.fail(w, r, lerr)
			return
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeJSONAnswer(w, http.StatusTooManyRequests, passkeyProblem{Error: tooManyPasskeyStarts})
			return
		}
		opts, handle, err = m.BeginPasswordless(ctx, browser)
	}
	if errors.Is(err, passkey.ErrRefused) {
		writeJSONAnswer(w, http.StatusUnprocessableEntity, passkeyProblem{Error: "You have no passkey here."})
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	writeJSONAnswer(w, http.StatusOK, passkeyOptions{Options: opts, Handle: handle})
}

// tooManyPasskeyStarts answers a passwordless start from a locked-out address.
const tooManyPasskeyStarts = "Too many sign-in attempts from your network. Wait a few minutes, then try again."

// countPasswordlessStart limits passwordless starts per source address: anyone
// may start one and each start stores a ceremony. ok is false while the address
// has started too many, retry then being the seconds left.
func (u *UI) countPasswordlessStart(ctx context.Context, svc *tenantServices) (retry int, ok bool, err error) {
	var locked *throttle.LockedError
	switch err := svc.throttle.RecordStart(ctx, web.ClientIP(ctx).String()); {
	case errors.As(err, &locked):
		return max(1, int(locked.Until.Sub(u.now()).Seconds()+0.5)), false, nil
	case err != nil:
		return 0, false, err
	}
	return 0, true, nil
}

// pendingUser verifies the signed proof of the password step for this browser.
func (u *UI) pendingUser(r *http.Request, svc *tenantServices, pending string) (int64, bool) {
	sg, err := u.signer(r.Context(), svc)
	if err != nil {
		u.log.ErrorContext(r.Context(), "token signer", "error", err)
		return 0, false
	}
	payload, err := sg.Verify(scopeSecondFactor, pending, token.Bind("browser", r.PostFormValue(csrfField)))
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(payload), 10, 64)
	return id, err == nil && id > 0
}

// loginPasskey finishes the ceremony begun by loginPasskeyOptions: as the second
// factor after the password, or as a passwordless sign-in (the passkey verified the
// user, so there is no code to ask for).
func (u *UI) loginPasskey(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.anonymousPost(w, r)
	if !ok {
		return
	}
	ctx, browser := r.Context(), r.PostFormValue(csrfField)
	form := loginForm{Redirect: safeRedirect(r.PostFormValue("redirect"), "")}
	handle, response := r.PostFormValue("handle"), []byte(r.PostFormValue("response"))
	if pending := r.PostFormValue("pending"); pending != "" {
		userID, ok := u.pendingUser(r, svc, pending)
		if !ok {
			p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: "The sign-in took too long. Please start again.", Content: loginForm{}}
			u.render(w, r, http.StatusOK, "login", p)
			return
		}
		m, err := svc.identity.Passkeys()
		if err != nil {
			u.fail(w, r, err)
			return
		}
		pu, err := svc.identity.PasskeyUser(ctx, userID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if err := m.FinishLogin(ctx, pu, handle, browser, response); err != nil {
			if !errors.Is(err, passkey.ErrRefused) {
				u.fail(w, r, err)
				return
			}
			u.log.InfoContext(ctx, "passkey second factor refused", "user_id", userID, "reason", err)
			u.recordEvent(ctx, svc, r, securitylog.TwoFactorFailure, userID, 0, "passkey")
			u.askSecondFactor(w, r, svc, userID, form, "The passkey was not accepted.")
			return
		}
		if r.PostFormValue("trust") == "1" {
			if err := u.trustDevice(w, r, svc, userID); err != nil {
				u.fail(w, r, err)
				return
			}
		}
		u.startSession(w, r, svc, userID, form.Redirect)
		return
	}
	user, err := svc.identity.FinishPasskeySignIn(ctx, handle, browser, response,
		identity.Origin{Address: web.ClientIP(ctx).String(), UserAgent: r.UserAgent()})
	if errors.Is(err, passkey.ErrRefused) {
		u.log.InfoContext(ctx, "passkey sign-in refused", "reason", err)
		p := &page{Title: "Sign in", CSRF: browserToken(w, r), Error: "The passkey was not accepted.", Content: form}
		u.render(w, r, http.StatusOK, "login", p)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.startSession(w, r, svc, user.ID, form.Redirect)
}
