package secrets

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "data", DefaultKeyFileName)
	created, err := Create(path)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	if info.Size() != KeySize {
		t.Errorf("key file size = %d, want %d", info.Size(), KeySize)
	}
	dirInfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dirInfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("created parent mode = %04o, want 0700", perm)
	}

	loaded, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if loaded.KeyID() != created.KeyID() {
		t.Fatalf("loaded key id %s, created %s", loaded.KeyID(), created.KeyID())
	}
	sealed, err := created.Seal([]byte("pw"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.Open(sealed, []byte("ad")); err != nil || string(got) != "pw" {
		t.Fatalf("loaded key cannot open what the created key sealed: %q, %v", got, err)
	}
}

func TestCreateMakesDistinctKeys(t *testing.T) {
	dir := t.TempDir()
	a, err := Create(filepath.Join(dir, "a.key"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(filepath.Join(dir, "b.key"))
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID() == b.KeyID() {
		t.Fatal("two created keys have the same id")
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultKeyFileName)
	original := bytes.Repeat([]byte{7}, KeySize)
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(path)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over existing file: err = %v, want fs.ErrExist", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, original) {
		t.Fatal("Create changed an existing key file")
	}
}

func TestLoadAcceptedForms(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, KeySize)
	rawWithNewline := bytes.Clone(key)
	rawWithNewline[KeySize-1] = '\n' // raw keys may contain any byte, a trailing newline too
	hexKey := hex.EncodeToString(key)

	tests := []struct {
		name    string
		content []byte
		want    []byte
	}{
		{"raw bytes", key, key},
		{"raw bytes ending in a newline byte", rawWithNewline, rawWithNewline},
		{"hex", []byte(hexKey), key},
		{"hex with newline", []byte(hexKey + "\n"), key},
		{"hex with CRLF", []byte(hexKey + "\r\n"), key},
		{"upper-case hex", []byte(strings.ToUpper(hexKey) + "\n"), key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), DefaultKeyFileName)
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want, err := NewMasterKey(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyID() != want.KeyID() {
				t.Fatalf("KeyID = %s, want %s", got.KeyID(), want.KeyID())
			}
		})
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	hexKey := hex.EncodeToString(bytes.Repeat([]byte{0xab}, KeySize))
	tests := []struct {
		name    string
		content []byte
		mode    os.FileMode
		wantErr string
	}{
		{"empty", nil, 0o600, "0 bytes"},
		{"too short", make([]byte, KeySize-1), 0o600, "31 bytes"},
		{"raw plus newline", append(make([]byte, KeySize), '\n'), 0o600, "33 bytes"},
		{"too long", make([]byte, 4096), 0o600, "larger than"},
		{"short hex", []byte(hexKey[:62] + "\n"), 0o600, "63 bytes"},
		{"hex with two newlines", []byte(hexKey + "\n\n"), 0o600, "66 bytes"},
		{"hex with spaces", []byte(" " + hexKey[1:]), 0o600, "not hexadecimal"},
		{"not hex", []byte(strings.Repeat("zz", KeySize)), 0o600, "not hexadecimal"},
		{"group readable", []byte(hexKey), 0o640, "permissions 0640"},
		{"world readable", []byte(hexKey), 0o604, "permissions 0604"},
		{"group writable", []byte(hexKey), 0o620, "permissions 0620"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), DefaultKeyFileName)
			if err := os.WriteFile(path, tt.content, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // umask may have masked bits
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load accepted a bad key file")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q should name the path and contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.key")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q should name the path", err)
	}
}

func TestLoadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want a not-a-regular-file error", err)
	}
}

func TestNewMasterKeyRefusesWrongSize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewMasterKey(make([]byte, n)); err == nil {
			t.Errorf("NewMasterKey accepted %d bytes", n)
		}
	}
}
