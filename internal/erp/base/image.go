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

	"golang.org/x/image/webp"

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
// header is decoded and its dimensions bounded, the image is decoded in full (a
// truncated image is refused), nothing may follow the image's end, and
// a file carrying markup is refused. SVG is never accepted: it is a document.
func CheckImage(data []byte) (string, error) {
	_, ct, err := DecodeImage(data)
	return ct, err
}

// DecodeImage is CheckImage that also returns the decoded image, for those
// that use its pixels (a PDF's logo) without decoding it twice.
func DecodeImage(data []byte) (image.Image, string, error) {
	switch {
	case len(data) == 0:
		return nil, "", fmt.Errorf("%w: the file is empty", ErrImage)
	case len(data) > MaxImageBytes:
		return nil, "", fmt.Errorf("%w: the file is larger than %d KiB", ErrImage, MaxImageBytes>>10)
	}
	lower := bytes.ToLower(data)
	for _, m := range markup {
		if bytes.Contains(lower, m) {
			return nil, "", fmt.Errorf("%w: the file holds markup (%s)", ErrImage, m)
		}
	}
	ct := http.DetectContentType(data)
	var img image.Image
	var err error
	switch ct {
	case ImagePNG:
		img, err = decodeChecked(data, png.DecodeConfig, png.Decode)
		if err == nil && !bytes.HasSuffix(data, pngEnd) {
			err = errors.New("data follows the end of the image")
		}
	case ImageJPEG:
		img, err = decodeChecked(data, jpeg.DecodeConfig, jpeg.Decode)
		if err == nil && !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
			err = errors.New("data follows the end of the image")
		}
	case ImageWebP:
		img, err = decodeWebP(data)
	default:
		return nil, "", fmt.Errorf("%w: only PNG, JPEG and WebP images are accepted (this looks like %s)", ErrImage, ct)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrImage, err)
	}
	return img, ct, nil
}

// pngEnd is the IEND chunk that closes every PNG file.
var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}

// decodeChecked reads the image's header and bounds its dimensions before it
// decodes the image in full.
func decodeChecked(data []byte, config func(r io.Reader) (image.Config, error), decode func(r io.Reader) (image.Image, error)) (image.Image, error) {
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("unreadable header: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("damaged or truncated image: %v", err)
	}
	return img, nil
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > maxImageSide || h > maxImageSide || w*h > maxImagePixels {
		return fmt.Errorf("%d×%d pixels: at most %d on a side", w, h, maxImageSide)
	}
	return nil
}

// decodeWebP checks a WebP file's RIFF container, whose length must be the
// file's (nothing truncated, nothing appended), then decodes it in full like PNG
// and JPEG: the header's dimensions are bounded before any pixel is decoded.
// Animated WebP is refused (the decoder reads still images only).
func decodeWebP(data []byte) (image.Image, error) {
	if len(data) < 20 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errors.New("not a RIFF WebP file")
	}
	if size := binary.LittleEndian.Uint32(data[4:8]); uint64(size)+8 != uint64(len(data)) {
		return nil, errors.New("the file's length does not match its header (truncated or followed by data)")
	}
	return decodeChecked(data, webp.DecodeConfig, webp.Decode)
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
