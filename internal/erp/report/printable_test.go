package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
)

// A logo the PDF writer refuses (here bytes that are no PNG, which
// printableLogo never lets through) is logged and the document laid out
// again without it, whole.
func TestRenderWithoutARefusedLogo(t *testing.T) {
	var logs bytes.Buffer
	d := &document{title: "Quotation S00001", company: []string{"My Company"}, total: "10.00", currency: "EUR",
		logo: []byte("\x89PNG\r\n\x1a\nnot really"), logoType: "PNG"}
	pdf, err := render(d, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Errorf("want a PDF without an image: %q", pdf[:min(len(pdf), 40)])
	}
	if !strings.Contains(logs.String(), "document printed without its company's logo") || !strings.Contains(logs.String(), "S00001") {
		t.Errorf("the refusal is not logged: %q", logs.String())
	}
}

// FuzzPrintableLogo: whatever bytes are stored as a logo, printableLogo either
// refuses them or returns an image the PDF writer embeds.
func FuzzPrintableLogo(f *testing.F) {
	// More seeds, WebP, PNG and JPEG logos, are in testdata/fuzz.
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("RIFF\x04\x00\x00\x00WEBP"))
	f.Fuzz(func(t *testing.T, data []byte) {
		logo, imageType, err := printableLogo(data)
		if err != nil {
			if logo != nil || imageType != "" {
				t.Fatalf("refused (%v) with %d bytes of %q", err, len(logo), imageType)
			}
			return
		}
		if imageType != "PNG" && imageType != "JPG" {
			t.Fatalf("image type %q", imageType)
		}
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.AddPage()
		if err := placeLogo(pdf, logo, imageType); err != nil {
			t.Fatalf("the PDF writer refuses a printable %s logo: %v", imageType, err)
		}
	})
}

// BenchmarkPrintableLogo prepares and places logos of the largest accepted size
// (4096×4096) and of a usual one (400×200), PNG with transparency.
func BenchmarkPrintableLogo(b *testing.B) {
	for _, size := range []image.Point{{400, 200}, {4096, 4096}} {
		img := image.NewNRGBA(image.Rect(0, 0, size.X, size.Y))
		for y := 0; y < size.Y; y++ {
			for x := 0; x < size.X; x++ {
				img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: uint8(x ^ y), A: uint8(128 + x%128)})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			for b.Loop() {
				logo, imageType, err := printableLogo(buf.Bytes())
				if err != nil {
					b.Fatal(err)
				}
				pdf := fpdf.New("P", "mm", "A4", "")
				pdf.AddPage()
				if err := placeLogo(pdf, logo, imageType); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fitLogo keeps a logo that fits the box as it is and scales a larger one down
// to fit, averaging its pixels: a checkerboard of single black and white
// pixels turns grey, not black or white, and a uniform colour stays itself.
func TestFitLogo(t *testing.T) {
	uniform := color.NRGBA{R: 200, G: 100, B: 50, A: 128}
	checker := func(x, y int) color.NRGBA {
		if (x+y)%2 == 0 {
			return color.NRGBA{A: 255}
		}
		return color.NRGBA{R: 255, G: 255, B: 255, A: 255}
	}
	for _, c := range []struct {
		name  string
		w, h  int
		pixel func(x, y int) color.NRGBA
		want  image.Point
		near  color.NRGBA // every pixel within 3 of it, except for a logo kept as it is
	}{
		{"fits", 300, 200, checker, image.Pt(300, 200), color.NRGBA{}},
		{"wide", 1000, 100, func(int, int) color.NRGBA { return uniform }, image.Pt(472, 47), uniform},
		{"one row", 4096, 1, func(int, int) color.NRGBA { return uniform }, image.Pt(472, 1), uniform},
		{"largest checkerboard", 4096, 4096, checker, image.Pt(236, 236), color.NRGBA{R: 128, G: 128, B: 128, A: 255}},
		{"largest uniform", 4096, 4096, func(int, int) color.NRGBA { return uniform }, image.Pt(236, 236), uniform},
	} {
		img := image.NewNRGBA(image.Rect(0, 0, c.w, c.h))
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				img.SetNRGBA(x, y, c.pixel(x, y))
			}
		}
		fit := fitLogo(img)
		if got := fit.Bounds().Size(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		if c.near == (color.NRGBA{}) {
			if !bytes.Equal(fit.Pix, img.Pix) {
				t.Errorf("%s: the pixels changed", c.name)
			}
			continue
		}
		for y := 0; y < c.want.Y; y++ {
			for x := 0; x < c.want.X; x++ {
				if p := fit.NRGBAAt(x, y); !near(p, c.near) {
					t.Fatalf("%s: pixel %d,%d is %v, want about %v", c.name, x, y, p, c.near)
				}
			}
		}
	}
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) bool { return max(x, y)-min(x, y) <= 3 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}
