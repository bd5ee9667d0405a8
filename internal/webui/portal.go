package webui

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/web"
)

// portalRoot serves the customer portal: /my lists a signed-in portal user's
// documents; /my/<kind>/<id>?access_token=… opens one document by its link.
func (u *UI) portalRoot(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/my"), "/")
	if rest == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			u.errorPage(w, r, http.StatusMethodNotAllowed)
			return
		}
		u.signedIn(w, r, false, recordTx, u.myDocuments)
		return
	}
	seg := strings.Split(rest, "/")
	if len(seg) < 2 || len(seg) > 3 {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	v := u.portalView(seg[0])
	id, ok := recordID(seg[1])
	if v == nil || !ok || id == 0 {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	op := ""
	if len(seg) == 3 {
		op = seg[2]
	}
	u.portalDocument(w, r, v, id, op)
}

func (u *UI) portalView(kind string) *View {
	for _, v := range u.order {
		if v.Portal == kind && kind != "" {
			return v
		}
	}
	return nil
}

// portalRequest is an anonymous request carrying a document link.
type portalRequest struct {
	w   http.ResponseWriter
	r   *http.Request
	svc *tenantServices
	v   *View
	id  int64
	tok string
}

// portalDocument checks the link, then shows the document read-only, its PDF, or
// records the customer's answer. The document is read as the system — the link is
// the customer's authority — and every use is written to the tenant's audit log
// before anything is shown. Any refusal (unknown, expired, revoked, another
// document's token) gives the same page.
func (u *UI) portalDocument(w http.ResponseWriter, r *http.Request, v *View, id int64, op string) {
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
	pr := &portalRequest{w: w, r: r, svc: svc, v: v, id: id, tok: r.FormValue("access_token")}
	if _, ok := u.cfg.Registry.Model(portal.Model); !ok {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	pool := svc.db.Read
	if r.Method == http.MethodPost {
		pool = svc.db.Write
	}
	tx, sys, err := u.portalTx(ctx, svc, pool)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	verr := portal.Verify(ctx, sys, v.Model, id, pr.tok, u.now())
	u.log.InfoContext(ctx, "portal link used", "model", v.Model, "id", id, "op", op, "method", r.Method,
		"client", web.ClientIP(ctx).String(), "accepted", verr == nil)
	if errors.Is(verr, portal.ErrInvalidToken) {
		u.render(w, r, http.StatusNotFound, "link_invalid", &page{Title: "Link invalid or expired"})
		return
	}
	if verr != nil {
		u.fail(w, r, verr)
		return
	}
	var action string
	switch {
	case op == "" && r.Method != http.MethodPost:
		action = audit.PortalView
	case op == "pdf" && r.Method != http.MethodPost && v.Report != nil:
		action = audit.PortalPDF
	case (op == "accept" || op == "decline") && r.Method == http.MethodPost && v.PortalAnswer != nil:
		// Recorded in the transaction that consumes the answer.
		u.portalAnswer(pr, tx, sys.Sudo(), op == "accept")
		return
	default:
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	// A view or a PDF is recorded before anything is shown, outside the read
	// transaction: the request never holds two connections of the tenant's pool.
	// A fresh transaction then checks the link again and reads the document.
	tx.Rollback()
	if err := audit.New(svc.db, u.now).Append(ctx, portalEntry(ctx, v, id, action, pr.tok, nil)); err != nil {
		u.fail(w, r, err)
		return
	}
	// The PDF prints the logo of the document's company, which is kept in the
	// filestore of the tenant the request resolved to; the page needs none.
	var opts []orm.EnvOption
	if action == audit.PortalPDF {
		opts = svc.envOptions
	}
	if tx, sys, err = u.portalTx(ctx, svc, pool, opts...); err != nil {
		u.fail(w, r, err)
		return
	}
	if err := portal.Verify(ctx, sys, v.Model, id, pr.tok, u.now()); err != nil {
		u.render(w, r, http.StatusNotFound, "link_invalid", &page{Title: "Link invalid or expired"})
		return
	}
	// The link opens this one document: from here on the system reads it.
	su := sys.Sudo()
	switch action {
	case audit.PortalView:
		u.portalShow(pr, su, "")
	case audit.PortalPDF:
		name, body, err := v.Report(ctx, su, id, u.log)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", contentDisposition(name))
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	}
}

// portalTx begins the transaction of a portal request and the system's Env in it.
func (u *UI) portalTx(ctx context.Context, svc *tenantServices, pool *sql.DB, opts ...orm.EnvOption) (*sql.Tx, *orm.Env, error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	sys, err := u.cfg.Registry.NewEnv(tx, svc.db.Engine, orm.Identity{}, opts...)
	if err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return tx, sys, nil
}

// portalEntry is the audit entry of one use of a document link. The link itself
// is never recorded, only the start of its SHA-256, which is how portal.token
// stores it, so an administrator can tell which link was used.
func portalEntry(ctx context.Context, v *View, id int64, action, tok string, detail map[string]string) audit.Entry {
	sum := sha256.Sum256([]byte(tok))
	d := map[string]string{"link": hex.EncodeToString(sum[:6])}
	for k, val := range detail {
		d[k] = val
	}
	return audit.Entry{ActorKind: audit.ActorPortal, ActorLabel: "document link", Action: action,
		Model: v.Model, RecordID: id, Address: web.ClientIP(ctx).String(), Detail: d}
}

type portalData struct {
	View      *View
	Name      string
	Sections  []sectionView
	Lines     *linesView
	Status    string
	CanAnswer bool
	Token     string
	URL       string
	PDFURL    string
	Signed    string
	Error     string
}

func (u *UI) portalShow(pr *portalRequest, su *orm.Env, msg string) {
	ctx := pr.r.Context()
	v := pr.v
	m := v.model(u.cfg.Registry)
	recs, err := su.Read(ctx, v.Model, []int64{pr.id}, formFields(v, m))
	if err != nil {
		u.fail(pr.w, pr.r, err)
		return
	}
	rec := record(recs[0])
	d := portalData{View: v, Token: pr.tok, URL: fmt.Sprintf("/my/%s/%d", v.Portal, pr.id), Error: msg}
	d.Name, _ = rec["display_name"].(string)
	for _, s := range v.Sections {
		sv := sectionView{Title: s.Title}
		filled := false
		for _, name := range s.Fields {
			if contains(v.PortalHidden, name) {
				continue
			}
			f, _ := m.Field(name)
			fv := u.fieldFor(v, f, rec[name], true, time.UTC) // a customer has no time zone of ours
			// Links to other records lead nowhere for a customer: names only.
			fv.RefURL = ""
			filled = filled || fv.Value != ""
			sv.Fields = append(sv.Fields, fv)
		}
		// A section with nothing in it (no signature yet) is left out.
		if filled {
			d.Sections = append(d.Sections, sv)
		}
	}
	if v.Lines != nil {
		rq := &request{ctx: ctx, env: su}
		lv, err := u.buildLines(rq, v, m, rec, nil, false)
		if err != nil {
			u.fail(pr.w, pr.r, err)
			return
		}
		d.Lines = lv
	}
	if v.Status != "" {
		f, _ := m.Field(v.Status)
		d.Status = formatValue(f, rec[v.Status])
		if pa := v.PortalAnswer; pa != nil {
			state, _ := rec[v.Status].(string)
			d.CanAnswer = state == pa.From
		}
	}
	if v.Report != nil {
		d.PDFURL = d.URL + "/pdf"
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	u.render(pr.w, pr.r, status, "portal_doc", &page{Title: d.Name, CSRF: browserToken(pr.w, pr.r), Content: d})
}
