package site

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// TestFilePutUnhashed: a file site stores an object without hashing it,
// reports its size and no SHA-256, and the read-back is what proves it; a
// source that breaks leaves nothing, and a corrupted write is caught by the
// read-back.
func TestFilePutUnhashed(t *testing.T) {
	ctx := context.Background()
	s := openTestFileSite(t)
	fs := s.Site.(*fileSite)
	data := randomBytes(t, 3<<20+17)

	obj, err := fs.PutUnhashed(ctx, "acme/a.age", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(data)) || obj.SHA256 != "" {
		t.Fatalf("PutUnhashed returned %+v, want size %d and no hash", obj, len(data))
	}
	if err := Verify(ctx, fs, "acme/a.age", sha256Hex(data)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, fs, "acme/a.age"), data) {
		t.Fatal("stored bytes differ")
	}

	if _, err := fs.PutUnhashed(ctx, "acme/broken.age", &failingReader{left: 2 << 20}); !errors.Is(err, errSourceBroke) {
		t.Fatalf("PutUnhashed = %v, want the source's error", err)
	}
	if _, err := fs.Stat(ctx, "acme/broken.age"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after a failed PutUnhashed = %v, want ErrNotFound", err)
	}
	if n := s.leftovers(t); n != 0 {
		t.Fatalf("%d temporary leftovers after a failed PutUnhashed", n)
	}

	// A write that changes one byte on its way to the disk.
	fs.wrapWriter = func(w io.Writer) io.Writer { return &flippingWriter{w: w, at: 1 << 20} }
	if _, err := fs.PutUnhashed(ctx, "acme/flipped.age", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, fs, "acme/flipped.age", sha256Hex(data)); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify of a corrupted copy = %v, want ErrMismatch", err)
	}
}

// flippingWriter inverts the byte at offset at of what passes through it.
type flippingWriter struct {
	w    io.Writer
	at   int64
	seen int64
}

func (f *flippingWriter) Write(p []byte) (int, error) {
	if i := f.at - f.seen; i >= 0 && i < int64(len(p)) {
		q := bytes.Clone(p)
		q[i] ^= 0xff
		p = q
	}
	f.seen += int64(len(p))
	return f.w.Write(p)
}
