package base

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, 0, color.NRGBA{R: uint8(x), G: 40, B: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 16, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testWebP is a RIFF WebP container around a chunk body (padded to even length).
func testWebP(chunk string, body []byte) []byte {
	size := len(body)
	if size%2 == 1 {
		body = append(body, 0)
	}
	out := []byte("RIFF\x00\x00\x00\x00WEBP" + chunk)
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	out = append(out, body...)
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}

// A 1×1 lossless WebP image.
var webpLossless = []byte{0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00}

// testFile reads a file of testdata/images: WebP images made by cwebp from a
// 24×12 PNG, lossy, lossy with an alpha channel (extended VP8X) and lossless.
func testFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCheckImage(t *testing.T) {
	good := testPNG(t, 64, 32)
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	withText := append([]byte(nil), good[:33]...) // signature and IHDR
	text := []byte("tEXtComment\x00<html><body onload=alert(1)>")
	withText = binary.BigEndian.AppendUint32(withText, uint32(len(text)-4))
	withText = append(withText, text...)
	withText = append(withText, 0, 0, 0, 0) // a wrong checksum does not matter: the markup is refused first
	withText = append(withText, good[33:]...)
	// A lossy WebP's header (64×32) without the image data it announces.
	vp8Header := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x00, 0x20, 0x00, 0, 0}
	lossy := testFile(t, "lossy.webp")
	damaged := append([]byte(nil), lossy...)
	for i := 40; i < len(damaged)-4; i++ {
		damaged[i] = 0xff // the partitions, not the headers: the header still reads
	}

	cases := []struct {
		name string
		data []byte
		want string // content type, "" for a refusal
	}{
		{"PNG", good, ImagePNG},
		{"JPEG", testJPEG(t), ImageJPEG},
		{"lossless WebP", testWebP("VP8L", append([]byte(nil), webpLossless...)), ImageWebP},
		{"lossy WebP", lossy, ImageWebP},
		{"lossy WebP with alpha", testFile(t, "lossy-alpha.webp"), ImageWebP},
		{"lossless WebP 24×12", testFile(t, "lossless.webp"), ImageWebP},
		{"WebP header without its image", testWebP("VP8 ", vp8Header), ""},
		{"WebP with damaged image data", damaged, ""},
		{"empty", nil, ""},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`), ""},
		{"SVG with an XML prolog", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"HTML named logo.png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"), ""},
		{"plain text", []byte("just some text, not an image"), ""},
		{"GIF", gifBuf.Bytes(), ""},
		{"PNG followed by a script", append(append([]byte(nil), good...), []byte("<script>alert(1)</script>")...), ""},
		{"PNG followed by other data", append(append([]byte(nil), good...), []byte("GARBAGEGARBAGE")...), ""},
		{"PNG with markup in a text chunk", withText, ""},
		{"PNG with a javascript: link", append(append([]byte(nil), good[:len(good)-12]...), []byte("JavaScript:alert(1)")...), ""},
		{"truncated PNG", good[:len(good)/2], ""},
		{"PNG without its end", good[:len(good)-12], ""},
		{"truncated JPEG", testJPEG(t)[:100], ""},
		{"truncated WebP", testWebP("VP8L", append([]byte(nil), webpLossless...))[:24], ""},
		{"WebP followed by data", append(testWebP("VP8L", append([]byte(nil), webpLossless...)), 1, 2, 3, 4), ""},
		{"WebP with an unknown chunk", testWebP("ABCD", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), ""},
		{"too wide", testPNG(t, maxImageSide+1, 1), ""},
		{"2 MiB", append(append([]byte(nil), good...), make([]byte, 2<<20)...), ""},
	}
	for _, c := range cases {
		ct, err := CheckImage(c.data)
		switch {
		case c.want != "" && (err != nil || ct != c.want):
			t.Errorf("%s: got %q, %v; want %s", c.name, ct, err, c.want)
		case c.want == "" && (err == nil || !errors.Is(err, ErrImage) || ct != ""):
			t.Errorf("%s: accepted as %q (%v)", c.name, ct, err)
		}
	}
}

func FuzzCheckImage(f *testing.F) {
	f.Add(testPNG(f, 4, 4))
	f.Add(testJPEG(f))
	f.Add(testWebP("VP8L", append([]byte(nil), webpLossless...)))
	f.Add(testFile(f, "lossy.webp"))
	f.Add(testFile(f, "lossy-alpha.webp"))
	f.Add(testFile(f, "lossless.webp"))
	f.Add([]byte("<svg/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := CheckImage(data)
		if err != nil {
			if ct != "" || !errors.Is(err, ErrImage) {
				t.Fatalf("refusal with type %q: %v", ct, err)
			}
			return
		}
		if ct != ImagePNG && ct != ImageJPEG && ct != ImageWebP {
			t.Fatalf("accepted as %q", ct)
		}
		if len(data) > MaxImageBytes || bytes.Contains(bytes.ToLower(data), []byte("<svg")) || bytes.Contains(bytes.ToLower(data), []byte("<script")) {
			t.Fatalf("accepted %d bytes with markup or over the limit", len(data))
		}
	})
}

// The model checks the logo however it is written: base64 of an SVG or of a
// truncated PNG through the API is refused, a PNG is kept as sent.
func TestCompanyLogoCheckedOnWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		fs, err := orm.NewFilestore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		good := testPNG(t, 8, 8)
		for _, c := range []struct {
			name string
			logo string
			ok   bool
		}{
			{"PNG", base64.StdEncoding.EncodeToString(good), true},
			{"SVG", base64.StdEncoding.EncodeToString([]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)), false},
			{"truncated PNG", base64.StdEncoding.EncodeToString(good[:40]), false},
		} {
			ctx := context.Background()
			err := tn.db.InTx(ctx, func(tx *sql.Tx) error {
				env, err := tn.reg.NewEnv(tx, tn.db.Engine, orm.Identity{}, orm.WithFilestore(fs))
				if err != nil {
					return err
				}
				su := env.Sudo()
				companies, err := su.Search(ctx, "res.company", domain.Domain{}, orm.SearchOptions{Limit: 1})
				if err != nil {
					return err
				}
				if err := su.Write(ctx, "res.company", companies, map[string]any{"logo": c.logo}); err != nil {
					return err
				}
				recs, err := su.Read(ctx, "res.company", companies, []string{"logo"})
				if err != nil {
					return err
				}
				if recs[0]["logo"] != c.logo {
					t.Errorf("%s: read back differs", c.name)
				}
				return errRollback
			})
			var ve *orm.ValidationError
			switch {
			case c.ok && !errors.Is(err, errRollback):
				t.Errorf("%s: %v", c.name, err)
			case !c.ok && (!errors.As(err, &ve) || ve.Field != "logo"):
				t.Errorf("%s: got %v, want a refusal of the logo", c.name, err)
			}
		}
	})
}
