package orm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFilestorePutAndRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "filestore")
	fs, err := NewFilestore(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello attachments")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	stored, err := fs.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Checksum != want || stored.Name != want[:2]+"/"+want || stored.Size != int64(len(data)) {
		t.Fatalf("stored as %+v", stored)
	}
	st, err := os.Stat(filepath.Join(dir, stored.Name))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := fs.Put(append([]byte(nil), data...))
	if err != nil || again != stored {
		t.Fatalf("same content stored as %+v, %v", again, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, want[:2]))
	if len(entries) != 1 {
		t.Errorf("%d files in the fan-out directory, want 1 (no temporary file left)", len(entries))
	}
	got, err := fs.Read(stored.Name, stored.Checksum, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	if _, err := fs.Read(stored.Name, stored.Checksum, 4); err == nil {
		t.Error("a file above the read limit was returned")
	}
	empty, err := fs.Put(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.Read(empty.Name, empty.Checksum, 10); err != nil || len(got) != 0 {
		t.Errorf("empty content: %q, %v", got, err)
	}
}

func TestFilestoreRefusesBadNamesAndDamage(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFilestore(dir)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := fs.Put([]byte("original"))
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretSum := sha256.Sum256([]byte("secret"))
	secret := hex.EncodeToString(secretSum[:])
	if err := os.MkdirAll(filepath.Join(dir, secret[:2]), 0o700); err != nil {
		t.Fatal(err)
	}
	// A link planted in the filestore must not lead out of it.
	if err := os.Symlink(outside, filepath.Join(dir, secret[:2], secret)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, checksum string }{
		{"../../etc/passwd", stored.Checksum},
		{stored.Checksum[:2] + "/../" + stored.Checksum[6:], stored.Checksum},
		{"/" + stored.Name, stored.Checksum},
		{"zz/" + stored.Checksum, stored.Checksum},
		{stored.Name, secret},                      // a name that does not match its checksum
		{stored.Name[:10], stored.Checksum[:7]},    // truncated
		{secret[:2] + "/" + secret, secret},        // symlink out of the store
		{"AB/" + stored.Checksum, stored.Checksum}, // upper case
		{"", ""},
	} {
		if _, err := fs.Read(c.name, c.checksum, 1<<20); !errors.Is(err, ErrDamagedFile) {
			t.Errorf("Read(%q): %v, want ErrDamagedFile", c.name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, stored.Name), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Read(stored.Name, stored.Checksum, 1<<20); !errors.Is(err, ErrDamagedFile) {
		t.Errorf("tampered content: %v, want ErrDamagedFile", err)
	}
	// Storing the content again repairs a file of the wrong size.
	if err := os.WriteFile(filepath.Join(dir, stored.Name), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Put([]byte("original")); err != nil {
		t.Fatal(err)
	}
	if got, err := fs.Read(stored.Name, stored.Checksum, 1<<20); err != nil || string(got) != "original" {
		t.Errorf("after repair: %q, %v", got, err)
	}
	for _, bad := range []string{"", "relative/dir"} {
		if _, err := NewFilestore(bad); err == nil {
			t.Errorf("NewFilestore(%q) accepted", bad)
		}
	}
}

func FuzzValidStoreName(f *testing.F) {
	sum := sha256.Sum256(nil)
	good := hex.EncodeToString(sum[:])
	for _, seed := range []string{good[:2] + "/" + good, "../" + good, good[:2] + "\\" + good, "", "ab/cd"} {
		f.Add(seed)
	}
	dir := f.TempDir()
	fs, err := NewFilestore(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !validStoreName(name) {
			return
		}
		if filepath.Clean(name) != name || filepath.IsAbs(name) || len(name) != 67 {
			t.Fatalf("accepted %q", name)
		}
		// A valid name reads nothing outside the store, and nothing at all here.
		if _, err := fs.Read(name, name[3:], 10); !errors.Is(err, ErrDamagedFile) {
			t.Fatalf("Read(%q): %v", name, err)
		}
	})
}
