package base

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Bounds of an uploaded image (the company logo).
const (
	// MaxImageBytes is the largest image accepted.
	MaxImageBytes = 1 << 20
	// maxImageSide and maxImagePixels bound the decoded size, so a small file
	// cannot decompress into gigabytes.
	maxImageSide   = 4096
	maxImagePixels = 16 << 20
)

// Content types of the accepted images.
const (
	ImagePNG  = "image/png"
	ImageJPEG = "image/jpeg"
	ImageWebP = "image/webp"
)

// ErrImage is wrapped by every refusal of CheckImage.
var ErrImage = errors.New("not an accepted image")

// markup is text that has no business in a logo and makes a file that is also a
// page or a script (a polyglot) when some client sniffs it.
var markup = [][]byte{[]byte("<script"), []byte("<html"), []byte("<svg"), []byte("<?xml"), []byte("<!doctype"),
	[]byte("<body"), []byte("<iframe"), []byte("<object"), []byte("<embed"), []byte("<?php"), []byte("javascript:")}

// CheckImage accepts a PNG, JPEG or WebP image and returns its content type. The
// type is sniffed from the content (never taken from a name or a header), the
// header is decoded and its dimensions bounded, PNG and JPEG are decoded in
// full (a truncated image is refused), nothing may follow the image's end, and
// a file carrying markup is refused. SVG is never accepted: it is a document.
func CheckImage(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("%w: the file is empty", ErrImage)
	case len(data) > MaxImageBytes:
		return "", fmt.Errorf("%w: the file is larger than %d KiB", ErrImage, MaxImageBytes>>10)
	}
	lower := bytes.ToLower(data)
	for _, m := range markup {
		if bytes.Contains(lower, m) {
			return "", fmt.Errorf("%w: the file holds markup (%s)", ErrImage, m)
		}
	}
	ct := http.DetectContentType(data)
	var err error
	switch ct {
	case ImagePNG:
		err = checkDecoded(data, png.DecodeConfig, png.Decode)
		if err == nil && !bytes.HasSuffix(data, pngEnd) {
			err = errors.New("data follows the end of the image")
		}
	case ImageJPEG:
		err = checkDecoded(data, jpeg.DecodeConfig, jpeg.Decode)
		if err == nil && !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
			err = errors.New("data follows the end of the image")
		}
	case ImageWebP:
		err = checkWebP(data)
	default:
		return "", fmt.Errorf("%w: only PNG, JPEG and WebP images are accepted (this looks like %s)", ErrImage, ct)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrImage, err)
	}
	return ct, nil
}

// pngEnd is the IEND chunk that closes every PNG file.
var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}

func checkDecoded(data []byte, config func(r io.Reader) (image.Config, error), decode func(r io.Reader) (image.Image, error)) error {
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("unreadable header: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return err
	}
	if _, err := decode(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("damaged or truncated image: %v", err)
	}
	return nil
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > maxImageSide || h > maxImageSide || w*h > maxImagePixels {
		return fmt.Errorf("%d×%d pixels: at most %d on a side", w, h, maxImageSide)
	}
	return nil
}

// checkWebP reads a WebP file's RIFF container and the header of its first
// chunk (lossy VP8, lossless VP8L or extended VP8X) for the dimensions; the
// container's length must be the file's. The pixels are not decoded: the
// standard library has no WebP decoder, and the file is only ever served as an
// image, whose decoding is the browser's.
func checkWebP(data []byte) error {
	if len(data) < 30 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return errors.New("not a RIFF WebP file")
	}
	if size := binary.LittleEndian.Uint32(data[4:8]); uint64(size)+8 != uint64(len(data)) {
		return errors.New("the file's length does not match its header (truncated or followed by data)")
	}
	chunk, size := string(data[12:16]), uint64(binary.LittleEndian.Uint32(data[16:20]))
	body := data[20:]
	if size > uint64(len(body)) {
		return errors.New("truncated image chunk")
	}
	body = body[:size]
	var w, h int
	switch chunk {
	case "VP8 ":
		if len(body) < 10 || body[3] != 0x9d || body[4] != 0x01 || body[5] != 0x2a {
			return errors.New("bad VP8 header")
		}
		w = int(binary.LittleEndian.Uint16(body[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(body[8:10]) & 0x3fff)
	case "VP8L":
		if len(body) < 5 || body[0] != 0x2f {
			return errors.New("bad VP8L header")
		}
		bits := binary.LittleEndian.Uint32(body[1:5])
		w, h = int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1
	case "VP8X":
		if len(body) < 10 {
			return errors.New("bad VP8X header")
		}
		w = int(uint32(body[4])|uint32(body[5])<<8|uint32(body[6])<<16) + 1
		h = int(uint32(body[7])|uint32(body[8])<<8|uint32(body[9])<<16) + 1
	default:
		return fmt.Errorf("unknown WebP chunk %q", chunk)
	}
	return checkSize(w, h)
}

// checkCompanyLogo refuses a company logo that CheckImage refuses, however it
// was written (the web form, or base64 through the external API).
func checkCompanyLogo(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.Read(ctx, "res.company", ids, []string{"logo"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		s, ok := r["logo"].(string)
		if !ok || s == "" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return &orm.ValidationError{Model: "res.company", Field: "logo", Message: "the logo is not valid base64"}
		}
		if _, err := CheckImage(data); err != nil {
			return &orm.ValidationError{Model: "res.company", Field: "logo", Message: err.Error()}
		}
	}
	return nil
}
