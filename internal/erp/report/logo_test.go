package report_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// pdfImage is the size of an image object of a PDF written by the PDF library
// (its object dictionaries are not compressed).
var pdfImage = regexp.MustCompile(`/Subtype /Image\n/Width (\d+)\n/Height (\d+)\n`)

// firstImage is the size of the PDF's first image, "" when it has none.
func firstImage(pdf []byte) string {
	m := pdfImage.FindSubmatch(pdf)
	if m == nil {
		return ""
	}
	return string(m[1]) + "×" + string(m[2])
}

// readTestdata reads a file of testdata: WebP logos made by cwebp from a 24×12
// PNG with a half-transparent right half, lossless and lossy with alpha
// (extended VP8X).
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// logoDamage changes a company's stored logo behind the model's back, as a disk
// fault or a hand-edited database would.
type logoDamage int

const (
	intact       logoDamage = iota
	notAnImage              // the logo's attachment points at a stored file that is no image
	damagedFile             // the stored file no longer matches its checksum
	missingFile             // the stored file is gone
	withoutStore            // the document is printed without the filestore
)

const noLogoMessage = "document printed without its company's logo"

// The company's logo is printed at the top of its documents whatever its
// accepted format (WebP re-encoded as PNG, transparency kept); a stored logo
// that cannot be printed never stops the document: it prints without the logo,
// and the reason is logged.
func TestOrderPDFLogo(t *testing.T) {
	storetest.Each(t, testOrderPDFLogo)
}

func testOrderPDFLogo(t *testing.T, e storetest.Engine) {
	tn := erptest.Install(t, e)
	company := tn.MainCompany()
	fs, err := orm.NewFilestore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var order int64
	if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		partner, err := erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Customer", "company_id": company})
		if err != nil {
			return err
		}
		order, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": partner, "order_line": []any{
			[]any{0, 0, map[string]any{"name": "Desk", "product_uom_qty": 1.0, "price_unit": "10.00"}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	garbage, err := fs.Put([]byte("these bytes are no image of any kind"))
	if err != nil {
		t.Fatal(err)
	}
	render := func(logo []byte, damage logoDamage) (pdf []byte, logs string) {
		t.Helper()
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		ctx := context.Background()
		err := tn.DB.InTx(ctx, func(tx *sql.Tx) error {
			sys, err := tn.Reg.NewEnv(tx, tn.DB.Engine, orm.Identity{}, orm.WithFilestore(fs))
			if err != nil {
				return err
			}
			var value any = false
			if logo != nil {
				value = base64.StdEncoding.EncodeToString(logo)
			}
			if err := sys.Sudo().Write(ctx, "res.company", []int64{company}, map[string]any{"logo": value}); err != nil {
				return err
			}
			stored, err := fs.Put(logo)
			if err != nil {
				return err
			}
			switch damage {
			case notAnImage:
				_, err = tx.ExecContext(ctx, tn.DB.Rebind(`UPDATE "ir_attachment" SET "store_fname" = ?, "checksum" = ?, "file_size" = ?
					WHERE "res_model" = ? AND "res_field" = ? AND "res_id" = ?`),
					garbage.Name, garbage.Checksum, garbage.Size, "res.company", "logo", company)
			case damagedFile:
				err = os.WriteFile(filepath.Join(fs.Dir(), stored.Name), append(logo[:len(logo)-1:len(logo)-1], logo[len(logo)-1]^0xff), 0o600)
			case missingFile:
				err = os.Remove(filepath.Join(fs.Dir(), stored.Name))
			}
			if err != nil {
				return fmt.Errorf("damage the stored logo: %w", err)
			}
			var opts []orm.EnvOption
			if damage != withoutStore {
				opts = append(opts, orm.WithFilestore(fs))
			}
			env, err := base.NewEnv(ctx, tx, tn.DB.Engine, tn.Reg, tn.Admin, opts...)
			if err != nil {
				return err
			}
			pdf, err = report.Order(ctx, env, order, log)
			if err != nil {
				return err
			}
			// Every case writes the logo afresh: the damage goes with the case.
			if damage == damagedFile || damage == missingFile {
				return os.WriteFile(filepath.Join(fs.Dir(), stored.Name), logo, 0o600)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pdf, buf.String()
	}
	img := image.NewNRGBA(image.Rect(0, 0, 60, 30))
	for x := 0; x < 60; x++ {
		img.Set(x, x/2, color.NRGBA{R: 10, G: 120, B: 200, A: 128})
	}
	var pngLogo, jpegLogo bytes.Buffer
	if err := png.Encode(&pngLogo, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpegLogo, img, nil); err != nil {
		t.Fatal(err)
	}
	lossless, lossy := readTestdata(t, "logo-lossless.webp"), readTestdata(t, "logo-lossy-alpha.webp")
	// Wider than the logo's box (472×236 pixels, 40×20 mm at 300 dpi): scaled down.
	var wide bytes.Buffer
	if err := png.Encode(&wide, image.NewNRGBA(image.Rect(0, 0, 1000, 100))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		logo   []byte
		damage logoDamage
		image  string // the printed image's size, "" for none
		alpha  bool   // printed with its transparency (a soft mask)
		logged bool
	}{
		{"PNG", pngLogo.Bytes(), intact, "60×30", true, false},
		{"JPEG", jpegLogo.Bytes(), intact, "60×30", false, false},
		{"PNG wider than the box", wide.Bytes(), intact, "472×47", true, false},
		{"lossless WebP", lossless, intact, "24×12", true, false},
		{"lossy WebP with alpha", lossy, intact, "24×12", true, false},
		{"none", nil, intact, "", false, false},
		{"PNG without the filestore", pngLogo.Bytes(), withoutStore, "", false, false},
		{"stored bytes that are no image", pngLogo.Bytes(), notAnImage, "", false, true},
		{"damaged stored WebP", lossy, damagedFile, "", false, true},
		{"missing stored PNG", pngLogo.Bytes(), missingFile, "", false, true},
	} {
		pdf, logs := render(c.logo, c.damage)
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
			t.Errorf("%s: not a whole PDF", c.name)
			continue
		}
		if got := firstImage(pdf); got != c.image {
			t.Errorf("%s: image %q in the PDF, want %q", c.name, got, c.image)
		}
		if got := bytes.Contains(pdf, []byte("/SMask ")); got != c.alpha {
			t.Errorf("%s: transparency %v, want %v", c.name, got, c.alpha)
		}
		if got := strings.Contains(logs, noLogoMessage); got != c.logged {
			t.Errorf("%s: logged %v, want %v: %s", c.name, got, c.logged, logs)
		}
	}
	// A document prints the logo of its own company, not the main company's.
	if _, logs := render(pngLogo.Bytes(), intact); logs != "" {
		t.Fatalf("main company's logo: %s", logs)
	}
	var branchPDF []byte
	ctx := context.Background()
	if err := tn.DB.InTx(ctx, func(tx *sql.Tx) error {
		sys, err := tn.Reg.NewEnv(tx, tn.DB.Engine, orm.Identity{}, orm.WithFilestore(fs))
		if err != nil {
			return err
		}
		su := sys.Sudo()
		main, err := su.Read(ctx, "res.company", []int64{company}, []string{"currency_id"})
		if err != nil {
			return err
		}
		currency := account.M2O(main[0]["currency_id"])
		branch, err := erptest.Create(ctx, su, "res.company", map[string]any{"name": "Branch", "currency_id": currency,
			"logo": base64.StdEncoding.EncodeToString(lossless)})
		if err != nil {
			return err
		}
		partner, err := erptest.Create(ctx, su, "res.partner", map[string]any{"name": "Branch Customer"})
		if err != nil {
			return err
		}
		order, err := erptest.Create(ctx, su, sale.Order, map[string]any{"partner_id": partner, "company_id": branch, "currency_id": currency, "order_line": []any{
			[]any{0, 0, map[string]any{"name": "Chair", "product_uom_qty": 1.0, "price_unit": "5.00"}}}})
		if err != nil {
			return err
		}
		branchPDF, err = report.Order(ctx, su, order, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := firstImage(branchPDF); got != "24×12" {
		t.Errorf("the branch's order prints image %q, want the branch's 24×12 logo", got)
	}

	// Poppler reads the image of a WebP logo back at its size.
	bin, err := exec.LookPath("pdfimages")
	if err != nil {
		t.Log("PDFIMAGES CHECK SKIPPED: pdfimages is not installed (apt-get install poppler-utils)")
		return
	}
	pdf, _ := render(lossy, intact)
	path := filepath.Join(t.TempDir(), "webp-logo.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-list", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfimages: %v\n%s", err, out)
	}
	// page num type width height color comp bpc …: the image and its soft mask.
	var rows []string
	for _, l := range strings.Split(string(out), "\n")[2:] {
		if f := strings.Fields(l); len(f) > 6 {
			rows = append(rows, strings.Join(f[2:8], " "))
		}
	}
	if want := []string{"image 24 12 rgb 3 8", "smask 24 12 gray 1 8"}; strings.Join(rows, "; ") != strings.Join(want, "; ") {
		t.Errorf("pdfimages lists %q, want %q\n%s", rows, want, out)
	}
}
