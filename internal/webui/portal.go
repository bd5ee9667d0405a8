package webui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

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
// the customer's authority — and every use is logged. Any refusal (unknown, expired,
// revoked, another document's token) gives the same page.
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
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer tx.Rollback()
	sys, err := u.cfg.Registry.NewEnv(tx, svc.db.Engine, orm.Identity{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
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
	// The link opens this one document: from here on the system reads it.
	su := sys.Sudo()
	switch {
	case op == "" && r.Method != http.MethodPost:
		u.portalShow(pr, su, "")
	case op == "pdf" && r.Method != http.MethodPost && v.Report != nil:
		name, body, err := v.Report(ctx, su, id)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", contentDisposition(name))
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	case (op == "accept" || op == "decline") && r.Method == http.MethodPost && v.PortalAnswer != nil:
		u.portalAnswer(pr, tx, su, op == "accept")
	default:
		u.errorPage(w, r, http.StatusNotFound)
	}
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
		for _, name := range s.Fields {
			f, _ := m.Field(name)
			if f.Type == orm.Many2one || f.IsX2Many() {
				// Links to other records lead nowhere for a customer: names only.
				fv := u.fieldFor(v, f, rec[name], true)
				fv.RefURL = ""
				sv.Fields = append(sv.Fields, fv)
				continue
			}
			sv.Fields = append(sv.Fields, u.fieldFor(v, f, rec[name], true))
		}
		d.Sections = append(d.Sections, sv)
	}
	if v.Lines != nil {
		ro := *v
		ro.ReadOnly = true
		rq := &request{ctx: ctx, env: su}
		lv, err := u.buildLines(rq, &ro, m, rec, nil)
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
