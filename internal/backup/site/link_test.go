package site

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilePutLink: a file site takes a complete local file as an object
// without copying it; the object outlives the source's name, has the mode
// of any other object, and a link that cannot be made leaves nothing.
func TestFilePutLink(t *testing.T) {
	ctx := context.Background()
	s := openTestFileSite(t)
	fs := s.Site.(*fileSite)
	data := randomBytes(t, 1<<20+3)
	src := filepath.Join(fs.spec.File.Dir, "..", "outbox-object")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}

	obj, err := fs.PutLink(ctx, "acme/linked.age", src)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(data)) || obj.SHA256 != "" {
		t.Fatalf("PutLink returned %+v, want size %d and no hash", obj, len(data))
	}
	stored := filepath.Join(fs.spec.File.Dir, "acme", "linked.age")
	srcInfo, _ := os.Stat(src)
	storedInfo, err := os.Stat(stored)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(srcInfo, storedInfo) {
		t.Fatal("the object is a copy, not a link to the source")
	}
	if storedInfo.Mode().Perm() != 0o640 {
		t.Fatalf("object mode %v, want 0640 like Put's", storedInfo.Mode().Perm())
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, fs, "acme/linked.age", sha256Hex(data)); err != nil {
		t.Fatalf("the object after its source was removed: %v", err)
	}
	if !bytes.Equal(readAll(t, fs, "acme/linked.age"), data) {
		t.Fatal("stored bytes differ")
	}

	for _, tc := range []struct {
		name, key, src string
		want           error // wrapped by the error PutLink returns
	}{
		{"missing source", "acme/missing.age", src, syscall.ENOENT},
		{"directory as source", "acme/dir.age", t.TempDir(), syscall.EPERM},
		{"key out of the site", "../escape.age", src, ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fs.PutLink(ctx, tc.key, tc.src)
			if !errors.Is(err, tc.want) {
				t.Fatalf("PutLink = %v, want %v", err, tc.want)
			}
			if n := s.leftovers(t); n != 0 {
				t.Fatalf("%d temporary leftovers after a failed PutLink", n)
			}
			if _, err := fs.Stat(ctx, tc.key); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Stat after a failed PutLink = %v, want no object", err)
			}
		})
	}

	// Across file systems the link fails with nothing left, and the caller
	// copies instead (tmpfs at /dev/shm where the machine has one).
	if shm, err := os.MkdirTemp("/dev/shm", "putlink-"); err == nil {
		defer os.RemoveAll(shm)
		other := filepath.Join(shm, "object")
		if err := os.WriteFile(other, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.PutLink(ctx, "acme/elsewhere.age", other); !errors.Is(err, syscall.EXDEV) {
			t.Fatalf("PutLink across file systems = %v, want EXDEV", err)
		}
		if n := s.leftovers(t); n != 0 {
			t.Fatalf("%d temporary leftovers after a link across file systems", n)
		}
	}
}
