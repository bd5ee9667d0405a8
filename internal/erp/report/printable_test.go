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
