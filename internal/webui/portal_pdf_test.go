package webui_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pdfImage is the size of an image object in a PDF of the PDF library (whose
// object dictionaries are not compressed).
var pdfImage = regexp.MustCompile(`/Subtype /Image\n/Width (\d+)\n/Height (\d+)\n`)

// firstImageSize is the size of the PDF's first image, "" when it has none.
func firstImageSize(pdf []byte) string {
	m := pdfImage.FindSubmatch(pdf)
	if m == nil {
		return ""
	}
	return string(m[1]) + "×" + string(m[2])
}

// TestPortalPDFLogo: the PDF opened by a document link prints the logo of the
// document's company, read from the filestore of the link's tenant. A WebP
// logo is printed; another tenant's logo never is; a stored logo that cannot
// be printed leaves the PDF whole, without a logo, and is logged.
func TestPortalPDFLogo(t *testing.T) {
	eachEngine(t, testPortalPDFLogo, "acme", "globex")
}

func testPortalPDFLogo(t *testing.T, f *fixture) {
	withFilestore(t, f)
	_, link := f.sentQuotation(t, f.signIn("user"), "Gemini Furniture")
	target := link.Path + "/pdf?access_token=" + url.QueryEscape(link.Query().Get("access_token"))
	customer := f.client()
	printed := func(stage string) string {
		t.Helper()
		w := customer.get(target)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF-") {
			t.Fatalf("%s: the link's PDF: %d %s", stage, w.Code, w.Header().Get("Content-Type"))
		}
		return firstImageSize(w.Body.Bytes())
	}
	upload := func(c *client, tenant string, logo []byte, filename, declared string) {
		t.Helper()
		form := fmt.Sprintf("/odoo/companies/%d", f.mainCompany(tenant))
		c.get(form)
		if w := c.upload(form+"/logo", "logo", filename, declared, logo); w.Code != http.StatusSeeOther {
			t.Fatalf("upload %s's logo: %d %s", tenant, w.Code, regexpAlerts(w.Body.String()))
		}
	}
	if got := printed("no logo"); got != "" {
		t.Fatalf("an image (%s) in the PDF of a company without a logo", got)
	}
	// Another tenant's logo (40×20) is not acme's.
	upload(f.signInAt("globex.localhost", "admin"), "globex", logoPNG(t), "logo.png", "image/png")
	if got := printed("globex's logo"); got != "" {
		t.Fatalf("acme's PDF prints an image (%s) once globex has a logo", got)
	}
	webp, err := os.ReadFile(filepath.Join("testdata", "logo-lossy-alpha.webp"))
	if err != nil {
		t.Fatal(err)
	}
	upload(f.signIn("admin"), "acme", webp, "logo.webp", "image/webp")
	if got := printed("acme's WebP logo"); got != "24×12" {
		t.Fatalf("the PDF prints image %q, want acme's 24×12 WebP logo", got)
	}
	if strings.Contains(f.logs.String(), "printed without its company's logo") {
		t.Fatalf("a printable logo was logged as left out:\n%s", f.logs)
	}

	// The stored files of acme's filestore go bad behind the application's back.
	lease, err := f.router.Acquire(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	dir := f.platform.Storage.FilestoreDir(lease.Tenant)
	lease.Release()
	damaged := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		damaged++
		return os.WriteFile(path, []byte("these bytes are no image of any kind"), 0o600)
	})
	if err != nil || damaged == 0 {
		t.Fatalf("damage %s: %d files, %v", dir, damaged, err)
	}
	if got := printed("a damaged logo"); got != "" {
		t.Fatalf("an image (%s) printed from a damaged logo", got)
	}
	if !strings.Contains(f.logs.String(), "printed without its company's logo") {
		t.Errorf("the damaged logo is not logged:\n%s", f.logs)
	}
}
