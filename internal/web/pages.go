package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds one parsed template set per page, each combined with the layout.
type pages map[string]*template.Template

func parsePages() (pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, name := range names {
		if name == "templates/layout.html" {
			continue
		}
		t, err := template.ParseFS(templateFiles, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p[name[len("templates/"):len(name)-len(".html")]] = t
	}
	return p, nil
}

// render writes a page; it renders into a buffer first so that a template error
// becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.fail(w, r, fmt.Errorf("no page %q", page))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorPage struct {
	Tenant, Title, Message, RequestID string
}

// errorPageFor renders the same page for every cause of a status, so that answers
// never tell an unknown tenant from a deleted one.
func (s *Server) errorPageFor(w http.ResponseWriter, r *http.Request, status int, tenant string) {
	p := errorPage{Tenant: tenant, RequestID: requestID(r.Context())}
	switch status {
	case http.StatusNotFound:
		p.Title, p.Message = "Not found", "There is nothing at this address."
	case http.StatusServiceUnavailable:
		p.Title, p.Message = "Database suspended", "This database is suspended. Its administrator can contact support to resume it."
	case http.StatusTooManyRequests:
		p.Title, p.Message = "Busy", "The service is busy. Please try again in a few seconds."
	case http.StatusBadRequest:
		p.Title, p.Message = "Bad request", "The request could not be understood."
	case http.StatusRequestEntityTooLarge:
		p.Title, p.Message = "Too large", "The request body is larger than allowed."
	default:
		p.Title, p.Message = "Something went wrong", "The error has been logged. Please try again."
	}
	s.render(w, r, status, "error", p)
}

// fail logs an internal error with the request's context and answers 500 without details.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	logger(r.Context(), s.log).Error("request failed", "error", err)
	if t, ok := s.pages["error"]; ok {
		var buf bytes.Buffer
		if t.ExecuteTemplate(&buf, "layout", errorPage{Title: "Something went wrong", Message: "The error has been logged. Please try again.", RequestID: requestID(r.Context())}) == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(buf.Bytes())
			return
		}
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
