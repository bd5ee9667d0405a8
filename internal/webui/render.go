package webui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages holds one template set per page: the layout, the shared partials and the page.
type pages map[string]*template.Template

const (
	layoutFile   = "templates/layout.html"
	partialsFile = "templates/partials.html"
)

func parsePages() (pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"richText": richText}
	p := pages{}
	for _, name := range names {
		if name == layoutFile || name == partialsFile {
			continue
		}
		t, err := template.New("").Funcs(funcs).ParseFS(templateFiles, layoutFile, partialsFile, name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p[strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")] = t
	}
	return p, nil
}

// page is what every template receives: the shell and the page's own content.
type page struct {
	Title   string
	Tenant  string
	User    *userInfo
	Apps    []appLink
	Active  string // slug of the app being shown
	Crumbs  []crumb
	Flash   string
	Error   string
	CSRF    string
	Content any
}

type crumb struct {
	Label, URL string
}

// renderTo executes a page into a buffer, so a template error becomes a clean 500
// instead of half a page.
func (u *UI) renderTo(name string, p *page) ([]byte, error) {
	t, ok := u.pages[name]
	if !ok {
		return nil, fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	body, err := u.renderTo(name, p)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	writeHTML(w, status, body)
}

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages carry personal data and anti-forgery tokens: never cache them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// errorPage answers with the one page of a status. A record that does not exist and
// a record the user may not see get the same 404, so ids reveal nothing.
func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, status int) {
	p, status := errorText(status)
	u.render(w, r, status, "error", p)
}

// errorText is the page, and the status, of an error status: one the pages
// know, or 500.
func errorText(status int) (*page, int) {
	p := &page{}
	switch status {
	case http.StatusNotFound:
		p.Title, p.Error = "Not found", "This page does not exist, or you have no access to it."
	case http.StatusForbidden:
		p.Title, p.Error = "Request refused", "The request could not be verified. Reload the page and try again."
	case http.StatusBadRequest:
		p.Title, p.Error = "Bad request", "The request could not be understood."
	case http.StatusMethodNotAllowed:
		p.Title, p.Error = "Not allowed", "This address does not accept that kind of request."
	default:
		status = http.StatusInternalServerError
		p.Title, p.Error = "Something went wrong", "The error has been logged. Please try again."
	}
	return p, status
}

// shellErrorPage is errorPage with the signed-in user's top bar (the
// applications they may open, their menu), so that a stale link leaves them
// one click from where they were going. It reads the user's rights in the
// request's transaction, before it is rolled back.
func (u *UI) shellErrorPage(rq *request, status int) {
	p, status := errorText(status)
	p.User, p.Tenant, p.CSRF = &rq.user, rq.svc.name, rq.sess.CSRFToken()
	p.Apps = u.apps(rq)
	u.render(rq.w, rq.r, status, "error", p)
}

// fail logs an internal error with its details and shows the user only that it happened.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	u.log.ErrorContext(r.Context(), "web application error", "path", r.URL.Path, "error", err)
	body, rerr := u.renderTo("error", &page{Title: "Something went wrong", Error: "The error has been logged. Please try again."})
	if rerr != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, http.StatusInternalServerError, body)
}
