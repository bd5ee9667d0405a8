package report_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The company's logo is printed at the top of its documents when the
// environment reaches the filestore; without it the document prints without.
func TestOrderPDFLogo(t *testing.T) {
	e := storetest.Engines()[0]
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
	render := func(logo []byte, withStore bool) []byte {
		t.Helper()
		var pdf []byte
		ctx := context.Background()
		err := tn.DB.InTx(ctx, func(tx *sql.Tx) error {
			var opts []orm.EnvOption
			if withStore {
				opts = append(opts, orm.WithFilestore(fs))
			}
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
			env, err := base.NewEnv(ctx, tx, tn.DB.Engine, tn.Reg, tn.Admin, opts...)
			if err != nil {
				return err
			}
			pdf, err = report.Order(ctx, env, order)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return pdf
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
	webp := []byte{'R', 'I', 'F', 'F', 26, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 14, 0, 0, 0,
		0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00}
	image := []byte("/Subtype /Image")
	for _, c := range []struct {
		name      string
		logo      []byte
		withStore bool
		want      bool
	}{
		{"PNG", pngLogo.Bytes(), true, true},
		{"JPEG", jpegLogo.Bytes(), true, true},
		{"WebP", webp, true, false},
		{"none", nil, true, false},
		{"PNG without the filestore", pngLogo.Bytes(), false, false},
	} {
		pdf := render(c.logo, c.withStore)
		if got := bytes.Contains(pdf, image); got != c.want {
			t.Errorf("%s: image in the PDF %v, want %v", c.name, got, c.want)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("%s: not a PDF", c.name)
		}
	}
}
