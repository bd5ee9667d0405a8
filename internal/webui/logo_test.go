package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

// withFilestore serves f's application with the tenants' filestores, where
// binary fields (the logo) are kept.
func withFilestore(t *testing.T, f *fixture) {
	t.Helper()
	p := f.platform
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: p.Config.MaxBodyBytes}, f.router, log)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sharedHasher(t)
	ui, err := webui.New(webui.Config{Registry: p.Registry, Key: p.Key, Hasher: h, Log: log, Mail: f.outbox, FilestoreDir: p.Storage.FilestoreDir})
	if err != nil {
		t.Fatal(err)
	}
	ui.Mount(s)
	f.server, f.ui = s, ui
}

// upload posts a multipart form with one file, as a browser does.
func (c *client) upload(target, field, filename, declared string, data []byte, extra ...string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", c.csrf)
	for i := 0; i+1 < len(extra); i += 2 {
		mw.WriteField(extra[i], extra[i+1])
	}
	if filename != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
		h.Set("Content-Type", declared)
		part, err := mw.CreatePart(h)
		if err != nil {
			c.f.t.Fatal(err)
		}
		part.Write(data)
	}
	mw.Close()
	r := httptest.NewRequest("POST", target, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return c.send(r)
}

func logoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		img.Set(x, x/2, color.NRGBA{R: 200, G: uint8(x * 5), B: 30, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (f *fixture) mainCompany(tenant string) int64 {
	var id int64
	f.sudo(tenant, func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.company", seed.Leaf("name", "=", "My Company"), orm.SearchOptions{})
		id = ids[0]
		return err
	})
	return id
}

// The company logo: uploaded by an administrator on the company's form, checked
// as an image, served to the company's users as an image only.
func TestCompanyLogo(t *testing.T) {
	f := newFixture(t, "acme", "globex")
	withFilestore(t, f)
	company := f.mainCompany("acme")
	form := fmt.Sprintf("/odoo/companies/%d", company)
	admin := f.signIn("admin")
	if w := admin.get("/odoo/logo"); w.Code != http.StatusNotFound {
		t.Fatalf("logo before any upload: %d", w.Code)
	}
	// Without a logo the top bar asks for none (a request and a "not found"
	// on every page otherwise).
	if home := admin.get("/odoo"); strings.Contains(home.Body.String(), `class="company-logo"`) {
		t.Fatalf("top bar asks for a logo the company does not have: %s", home.Body)
	}
	page := admin.get(form)
	if !strings.Contains(page.Body.String(), `enctype="multipart/form-data"`) || !strings.Contains(page.Body.String(), "No logo yet.") {
		t.Fatalf("company form without the logo upload: %s", page.Body)
	}
	good := logoPNG(t)
	w := admin.upload(form+"/logo", "logo", "logo.png", "image/png", good)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != form {
		t.Fatalf("upload a PNG: %d %s\n%s", w.Code, regexpAlerts(w.Body.String()), f.logs)
	}
	img := admin.get("/odoo/logo")
	h := img.Header()
	if img.Code != 200 || !bytes.Equal(img.Body.Bytes(), good) || h.Get("Content-Type") != "image/png" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") ||
		h.Get("Cache-Control") != "private, no-cache" || h.Get("ETag") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("served logo: %d %v", img.Code, h)
	}
	if byID := admin.get(fmt.Sprintf("/odoo/logo/%d", company)); byID.Code != 200 || !bytes.Equal(byID.Body.Bytes(), good) {
		t.Errorf("logo by company id: %d", byID.Code)
	}
	if w := admin.do("GET", "/odoo/logo", nil, "If-None-Match", h.Get("ETag")); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes", w.Code, w.Body.Len())
	}
	// Every internal user sees it in the top bar.
	user := f.signIn("user")
	if home := user.get("/odoo"); !strings.Contains(home.Body.String(), `<img class="company-logo" src="/odoo/logo"`) {
		t.Errorf("top bar without the logo: %s", home.Body)
	}
	if w := user.get("/odoo/logo"); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), good) {
		t.Errorf("the user's logo: %d", w.Code)
	}

	polyglot := append(append([]byte(nil), good...), []byte("<html><script>alert(document.cookie)</script></html>")...)
	for _, r := range []struct {
		name, filename, declared string
		data                     []byte
	}{
		{"SVG", "logo.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"HTML named .png", "logo.png", "image/png", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")},
		{"PNG and HTML polyglot", "logo.png", "image/png", polyglot},
		{"truncated PNG", "logo.png", "image/png", good[:len(good)/2]},
		{"no file", "", "", nil},
	} {
		w := admin.upload(form+"/logo", "logo", r.filename, r.declared, r.data)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="e-logo" role="alert"`) {
			t.Errorf("%s: %d %s", r.name, w.Code, regexpAlerts(w.Body.String()))
		}
		checkNoInjectedMarkup(t, "refused logo "+r.name, w.Body.Bytes())
	}
	// 2 MiB is over the request limit: refused before the handler reads it.
	if w := admin.upload(form+"/logo", "logo", "big.png", "image/png", append(append([]byte(nil), good...), make([]byte, 2<<20)...)); w.Code == http.StatusSeeOther || w.Code == 200 {
		t.Errorf("2 MiB upload: %d", w.Code)
	}
	// A user who is not an administrator, and a portal user, cannot change it.
	admin.get(form)
	if w := user.upload(form+"/logo", "logo", "logo.png", "image/png", logoPNG(t)[:60]); w.Code != http.StatusNotFound {
		t.Errorf("internal user uploads: %d", w.Code)
	}
	portal := f.signIn("portal")
	if w := portal.upload(form+"/logo", "logo", "logo.png", "image/png", polyglot); w.Code == 200 || w.Header().Get("Location") == form {
		t.Errorf("portal user uploads: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := admin.get("/odoo/logo"); !bytes.Equal(w.Body.Bytes(), good) {
		t.Fatalf("the logo changed after refusals")
	}
	// Another tenant's session does not reach it, nor does its own logo route.
	other := f.client()
	other.host = "globex.localhost"
	other.cookies = admin.cookies
	if w := other.get("/odoo/logo"); w.Code == 200 || bytes.Contains(w.Body.Bytes(), good[:16]) {
		t.Errorf("another tenant's host with acme's session: %d", w.Code)
	}
	if w := f.client().get("/odoo/logo"); w.Code == 200 {
		t.Errorf("anonymous: %d", w.Code)
	}
	// Removing it.
	admin.get(form)
	if w := admin.upload(form+"/logo", "logo", "", "", nil, "remove", "1"); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	if w := admin.get("/odoo/logo"); w.Code != http.StatusNotFound {
		t.Errorf("logo after removal: %d", w.Code)
	}
}
