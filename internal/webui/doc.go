// Package webui is the tenant's web application and customer portal: sign-in with a
// second factor, password change, reset and invitation screens, the application
// shell, list and form views declared in Go and driven by the model registry, the
// business screens, settings for administrators, and the portal reached by signed
// links.
//
// Every page is rendered by html/template from embedded templates; scripts are small
// modules served from this package, never inline, so the server's CSP needs no
// unsafe-inline. Every state change is a POST checked by http.CrossOriginProtection
// and a per-session (or, before sign-in, per-browser) anti-forgery token. Every record
// is read and written through orm.Env as the signed-in user; the few places that act
// as the system (sign-in, reset links, portal links) say so where they do it.
package webui
