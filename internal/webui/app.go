package webui

import (
	"net/http"
	"strconv"
	"strings"
)

// appRoot dispatches everything under /odoo. The routes are matched here rather
// than in the server's mux so that view slugs, settings and account pages can share
// one prefix without ambiguous patterns.
func (u *UI) appRoot(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/odoo"), "/")
	var seg []string
	if rest != "" {
		seg = strings.Split(rest, "/")
	}
	if len(seg) > 4 {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	h := u.appRoute(r.Method, seg)
	if h == nil {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	mode := recordTx
	if len(seg) > 0 && (seg[0] == "account" || seg[0] == "settings") {
		mode = identityTx
	}
	u.signedIn(w, r, true, mode, h)
}

func (u *UI) appRoute(method string, seg []string) handlerFunc {
	get, post := method == http.MethodGet || method == http.MethodHead, method == http.MethodPost
	if len(seg) == 0 {
		if get {
			return u.home
		}
		return nil
	}
	switch seg[0] {
	case "account":
		return u.accountRoute(get, post, seg[1:])
	case "settings":
		return u.settingsRoute(get, post, seg[1:])
	case agedSlug:
		if get && len(seg) == 1 {
			return u.agedReceivables
		}
		return nil
	case "logo":
		return u.logoRoute(get, seg[1:])
	case "picker":
		if get && len(seg) == 3 {
			return func(rq *request) error {
				if v, ok := u.views[seg[1]]; ok && v.Admin && !rq.user.Admin {
					return errNotFound
				}
				return u.picker(rq, seg[1], seg[2])
			}
		}
		return nil
	}
	v, ok := u.views[seg[0]]
	if !ok {
		return nil
	}
	h := viewRoute(u, v, get, post, seg)
	if h == nil || !v.Admin {
		return h
	}
	return func(rq *request) error {
		if !rq.user.Admin {
			return errNotFound
		}
		return h(rq)
	}
}

// viewRoute dispatches the list, form and actions of one view.
func viewRoute(u *UI, v *View, get, post bool, seg []string) handlerFunc {
	switch len(seg) {
	case 1:
		if get {
			return func(rq *request) error { return u.list(rq, v) }
		}
	case 2:
		if seg[1] == "selection" {
			if post {
				return func(rq *request) error { return u.selection(rq, v) }
			}
			return nil
		}
		id, ok := recordID(seg[1])
		if !ok {
			return nil
		}
		switch {
		case get:
			return func(rq *request) error { return u.form(rq, v, id) }
		case post:
			return func(rq *request) error { return u.save(rq, v, id) }
		}
	case 3:
		id, ok := recordID(seg[1])
		if !ok {
			return nil
		}
		switch {
		case post && seg[2] == "logo":
			return func(rq *request) error { return u.uploadLogo(rq, v, id) }
		case post && seg[2] == "totals":
			return func(rq *request) error { return u.totals(rq, v, id) }
		case id == 0:
			return nil
		case post && seg[2] == "action":
			return func(rq *request) error { return u.action(rq, v, id) }
		case get && seg[2] == "action":
			return func(rq *request) error { return u.actionParams(rq, v, id) }
		case post && seg[2] == "note":
			return func(rq *request) error { return u.postNote(rq, v, id) }
		case post && seg[2] == "share":
			return func(rq *request) error { return u.share(rq, v, id) }
		case get && seg[2] == "pdf":
			return func(rq *request) error { return u.pdf(rq, v, id) }
		}
	}
	return nil
}

// recordID parses a record id in a URL; "new" is 0.
func recordID(s string) (int64, bool) {
	if s == "new" {
		return 0, true
	}
	if s == "" || s[0] == '0' || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}
