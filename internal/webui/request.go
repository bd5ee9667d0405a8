package webui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/web"
)

// userInfo is the signed-in user as the shell shows them.
type userInfo struct {
	ID       int64
	Name     string
	Login    string
	Internal bool // member of Internal User
	Admin    bool // member of Settings
	// CompanyLogo: the user's current company has a logo for the top bar
	// (looked up for internal users only: the portal shows none).
	CompanyLogo bool
}

// request is one signed-in request: the session, the user's Env inside one
// transaction, and the answer, which is written only after the transaction's fate
// is known (a commit that fails never follows a page that said "saved").
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	svc   *tenantServices
	sess  session.Session
	token string
	user  userInfo
	env   *orm.Env
	tx    *sql.Tx
	// rollback is set by a handler that refused the input: nothing it did is kept.
	rollback bool

	status   int
	body     []byte
	header   http.Header
	location string
	cookies  []*http.Cookie
}

// errNotFound is the handlers' way to say "not found or not yours"; both give the
// same page.
var errNotFound = errors.New("not found")

type handlerFunc func(rq *request) error

// txMode says how a signed-in handler reaches the database.
type txMode int

const (
	// recordTx: the handler works through rq.env only; a POST runs in one write
	// transaction, committed when the handler succeeds.
	recordTx txMode = iota
	// identityTx: the handler also uses the identity services (sessions, security
	// log, second factor), which write on their own; rq.env is then read-only and
	// record writes go through u.inTx. On SQLite the single writer connection could
	// otherwise be held by the request while those services wait for it.
	identityTx
)

// signedIn wraps a handler that needs a signed-in user: it finds the session,
// checks the anti-forgery token of a POST, opens the transaction with the user's
// Env, runs the handler, commits or rolls back, then answers.
func (u *UI) signedIn(w http.ResponseWriter, r *http.Request, internalOnly bool, mode txMode, h handlerFunc) {
	svc, err := u.services(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rq := &request{w: w, r: r, ctx: r.Context(), svc: svc, header: http.Header{}}
	c, err := r.Cookie(session.CookieName)
	if err == nil {
		rq.token = c.Value
		rq.sess, err = svc.sessions.Lookup(rq.ctx, c.Value)
	}
	if err != nil {
		if !errors.Is(err, http.ErrNoCookie) && !errors.Is(err, session.ErrNotFound) {
			u.fail(w, r, err)
			return
		}
		u.toLogin(w, r)
		return
	}
	// A change of privileges this request makes ends the users' other
	// sessions, not this one (session.EndOfUsers).
	rq.ctx = session.WithActing(rq.ctx, rq.sess.ID)
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			u.errorPage(w, r, badRequestStatus(err))
			return
		}
		// An upload (the company logo): the body is already capped by the server.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			if err := r.ParseMultipartForm(2 << 20); err != nil {
				u.errorPage(w, r, badRequestStatus(err))
				return
			}
		}
		if !rq.sess.CheckCSRF(r.PostFormValue(csrfField)) {
			u.log.InfoContext(rq.ctx, "post refused: anti-forgery token missing or wrong", "path", r.URL.Path, "user_id", rq.sess.UserID)
			u.errorPage(w, r, http.StatusForbidden)
			return
		}
	}
	readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead || mode == identityTx
	pool := svc.db.Write
	if readOnly {
		pool = svc.db.Read
	}
	tx, err := pool.BeginTx(rq.ctx, nil)
	if err != nil {
		u.fail(w, r, fmt.Errorf("begin: %w", err))
		return
	}
	rq.tx = tx
	defer tx.Rollback()
	rq.env, err = base.NewEnv(rq.ctx, tx, svc.db.Engine, u.cfg.Registry, rq.sess.UserID, svc.envOptions...)
	if errors.Is(err, base.ErrInactiveUser) {
		tx.Rollback()
		svc.sessions.Delete(rq.ctx, rq.token)
		http.SetCookie(w, session.ClearCookie())
		u.toLogin(w, r)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if rq.user, err = u.loadUser(rq.ctx, rq.env); err != nil {
		u.fail(w, r, err)
		return
	}
	if internalOnly && !rq.user.Internal {
		// Portal users have their own pages.
		http.Redirect(w, r, "/my", http.StatusSeeOther)
		return
	}
	if err := h(rq); err != nil {
		u.handlerError(rq, err)
		tx.Rollback()
		return
	}
	if rq.rollback || readOnly {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		u.fail(w, r, fmt.Errorf("commit: %w", err))
		return
	}
	rq.flush()
}

// handlerError maps a handler's error to a page: records that are missing or out of
// the user's reach give the not-found page; anything else is logged as a failure.
func (u *UI) handlerError(rq *request, err error) {
	var (
		access  *orm.AccessError
		missing *orm.MissingError
	)
	switch {
	case errors.Is(err, errNotFound), errors.As(err, &access), errors.As(err, &missing):
		u.log.InfoContext(rq.ctx, "not found or no access", "path", rq.r.URL.Path, "reason", err)
		u.shellErrorPage(rq, http.StatusNotFound)
	case errors.Is(err, errBadRequest):
		u.shellErrorPage(rq, http.StatusBadRequest)
	case errors.Is(err, errMethod):
		u.shellErrorPage(rq, http.StatusMethodNotAllowed)
	default:
		u.fail(rq.w, rq.r, err)
	}
}

var (
	errBadRequest = errors.New("bad request")
	errMethod     = errors.New("method not allowed")
)

func badRequestStatus(err error) int {
	if web.IsBodyTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func (u *UI) loadUser(ctx context.Context, env *orm.Env) (userInfo, error) {
	recs, err := env.Read(ctx, "res.users", []int64{env.UID()}, []string{"name", "login"})
	if err != nil {
		return userInfo{}, fmt.Errorf("load signed-in user: %w", err)
	}
	info := userInfo{ID: env.UID()}
	info.Name, _ = recs[0]["name"].(string)
	info.Login, _ = recs[0]["login"].(string)
	if info.Internal, err = env.HasGroup(ctx, base.GroupUser); err != nil {
		return userInfo{}, err
	}
	if info.Admin, err = env.HasGroup(ctx, base.GroupSystem); err != nil {
		return userInfo{}, err
	}
	if info.Internal && env.Filestore() != nil {
		if info.CompanyLogo, err = hasCompanyLogo(ctx, env); err != nil {
			return userInfo{}, err
		}
	}
	return info, nil
}

// hasCompanyLogo tells, from the attachment that holds it and without reading
// the image, whether the user's company has a logo: a top bar that asked for
// a missing one would cost a request and a "not found" on every page.
func hasCompanyLogo(ctx context.Context, env *orm.Env) (bool, error) {
	dom := domain.AndAll(leaf("res_model", "=", "res.company"), leaf("res_field", "=", "logo"), leaf("res_id", "=", env.Identity().CompanyID))
	n, err := env.Sudo().SearchCount(ctx, "ir.attachment", dom, orm.SearchOptions{})
	if err != nil {
		return false, fmt.Errorf("look up the company logo: %w", err)
	}
	return n > 0, nil
}

// toLogin sends an anonymous visitor to the sign-in page, coming back afterwards.
func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/web/login"
	if r.Method == http.MethodGet {
		target += "?redirect=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// page renders a page of the application with the shell filled in.
func (rq *request) page(u *UI, status int, name string, p *page) error {
	p.User = &rq.user
	p.Tenant = rq.svc.name
	p.CSRF = rq.sess.CSRFToken()
	p.Apps = u.apps(rq)
	if p.Flash == "" {
		p.Flash = takeFlash(rq)
	}
	body, err := u.renderTo(name, p)
	if err != nil {
		return err
	}
	rq.status, rq.body = status, body
	return nil
}

// redirect answers 303 See Other once the transaction is committed.
func (rq *request) redirect(target string) {
	rq.location = target
}

// send answers with raw bytes (CSV, PDF, JSON).
func (rq *request) send(contentType string, body []byte, header ...string) {
	rq.header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		rq.header.Set(header[i], header[i+1])
	}
	rq.status, rq.body = http.StatusOK, body
}

func (rq *request) flush() {
	for k, v := range rq.header {
		rq.w.Header()[k] = v
	}
	for _, c := range rq.cookies {
		http.SetCookie(rq.w, c)
	}
	if rq.location != "" {
		http.Redirect(rq.w, rq.r, rq.location, http.StatusSeeOther)
		return
	}
	if rq.header.Get("Content-Type") == "" {
		writeHTML(rq.w, rq.status, rq.body)
		return
	}
	if rq.header.Get("Cache-Control") == "" {
		rq.w.Header().Set("Cache-Control", "no-store")
	}
	rq.w.WriteHeader(rq.status)
	rq.w.Write(rq.body)
}
