package orm

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Filestore keeps the content of a tenant's attachments as files named by the
// SHA-256 of their content, fanned out like Odoo's filestore: ab/ab12…. A file
// is never modified once written, so identical content is stored once and a
// backup may hard-link the files while the tenant keeps working. Deleting an
// attachment leaves its file behind; removing files no attachment refers to any
// more is the job of a periodic garbage collection, not of a transaction that
// may still roll back.
type Filestore struct {
	dir string
}

// StoredFile is where content was stored and how to check it.
type StoredFile struct {
	Name     string // store_fname: "ab/ab12…" relative to the filestore
	Checksum string // hexadecimal SHA-256 of the content
	Size     int64
}

// NewFilestore returns the filestore rooted at dir, an absolute path that the
// caller derives from the tenant catalogue. The directory is created on the
// first write.
func NewFilestore(dir string) (*Filestore, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("filestore directory %q must be an absolute path", dir)
	}
	return &Filestore{dir: filepath.Clean(dir)}, nil
}

// Dir returns the filestore's directory.
func (s *Filestore) Dir() string { return s.dir }

const checksumLen = sha256.Size * 2

// validStoreName reports whether name has the shape Put gives names, so that a
// value read from the database can never point elsewhere.
func validStoreName(name string) bool {
	if len(name) != 3+checksumLen || name[2] != '/' || name[:2] != name[3:5] {
		return false
	}
	for i := 3; i < len(name); i++ {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Filestore) openRoot() (*os.Root, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create filestore: %w", err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("open filestore: %w", err)
	}
	return root, nil
}

// Put stores data and returns its name. The file is written under a temporary
// name, synced, then renamed into place, so a reader never sees part of it.
// Content already present is not written again.
func (s *Filestore) Put(data []byte) (StoredFile, error) {
	sum := sha256.Sum256(data)
	checksum := hex.EncodeToString(sum[:])
	out := StoredFile{Name: checksum[:2] + "/" + checksum, Checksum: checksum, Size: int64(len(data))}
	root, err := s.openRoot()
	if err != nil {
		return StoredFile{}, err
	}
	defer root.Close()
	if err := root.Mkdir(checksum[:2], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return StoredFile{}, fmt.Errorf("create filestore directory: %w", err)
	}
	if st, err := root.Lstat(out.Name); err == nil && st.Mode().IsRegular() && st.Size() == out.Size {
		return out, nil
	}
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return StoredFile{}, fmt.Errorf("name temporary file: %w", err)
	}
	tmp := checksum[:2] + "/.tmp-" + hex.EncodeToString(suffix[:])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return StoredFile{}, fmt.Errorf("write attachment: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		// Rename replaces a file of the wrong size left by a damaged disk; a
		// concurrent writer of the same content renames identical bytes.
		werr = root.Rename(tmp, out.Name)
	}
	if werr != nil {
		_ = root.Remove(tmp)
		return StoredFile{}, fmt.Errorf("write attachment: %w", werr)
	}
	if d, err := root.Open(checksum[:2]); err == nil {
		// Make the rename itself durable before the transaction commits.
		_ = d.Sync()
		d.Close()
	}
	return out, nil
}

// ErrDamagedFile reports stored content that no longer matches its checksum.
var ErrDamagedFile = errors.New("the stored file is missing or damaged")

// Read returns the content stored under name, checking that it still has the
// checksum recorded with it and is at most maxBytes long.
func (s *Filestore) Read(name, checksum string, maxBytes int64) ([]byte, error) {
	if !validStoreName(name) || name[3:] != checksum {
		return nil, fmt.Errorf("read attachment %q: %w", clip(name), ErrDamagedFile)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read attachment %s: %w", name, ErrDamagedFile)
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read attachment %s: %w (%v)", name, ErrDamagedFile, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read attachment %s: %w", name, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("read attachment %s: larger than the limit of %d bytes", name, maxBytes)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != checksum {
		return nil, fmt.Errorf("read attachment %s: %w", name, ErrDamagedFile)
	}
	return data, nil
}
