package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"filippo.io/age"
)

// Extract decrypts r, validates it, and writes into destDir the members that
// the manifest lists and allowed accepts (a nil allowed accepts all). Every
// member is still read and checked, so Extract succeeds only for an intact,
// consistent object.
//
// destDir is created if missing (its parent must exist). Existing files are
// never overwritten. All writes go through an os.Root on destDir, so nothing
// can land outside it. On any error, everything Extract created is removed.
// Every file written is synced to stable storage.
func Extract(ctx context.Context, r io.Reader, identities []age.Identity, destDir string, allowed func(name string) bool) (Manifest, error) {
	return ExtractWith(ctx, r, identities, destDir, ExtractOptions{Allowed: allowed})
}

// ExtractOptions choose what ExtractWith writes and syncs.
type ExtractOptions struct {
	// Allowed selects the members written (nil: all). Every member is read
	// and checked either way.
	Allowed func(name string) bool
	// Sync selects the written members that are synced to stable storage
	// before ExtractWith returns (nil: all). A scratch copy that is checked
	// and thrown away needs none: syncing it would only write it to disk.
	Sync func(name string) bool
	// Stream, when set, is offered every allowed member before it is
	// written: a member it takes (taken true) is its own to consume, from
	// the body as it is decrypted, and is not written. Like Read's sink it
	// may leave part of the body unread, and what it did with a member of
	// an object that turns out damaged is for the caller to undo.
	Stream func(mi MemberInfo, body io.Reader) (taken bool, err error)
}

// ExtractWith is Extract with options.
func ExtractWith(ctx context.Context, r io.Reader, identities []age.Identity, destDir string, opts ExtractOptions) (Manifest, error) {
	x, err := newExtraction(destDir)
	if err != nil {
		return Manifest{}, fmt.Errorf("extract backup: %w", err)
	}
	x.buf = make([]byte, copyBufferSize)
	sink := func(mi MemberInfo, body io.Reader) error {
		if opts.Allowed != nil && !opts.Allowed(mi.Name) {
			return nil
		}
		if opts.Stream != nil {
			if taken, err := opts.Stream(mi, body); taken || err != nil {
				return err
			}
		}
		return x.write(mi, body, opts.Sync == nil || opts.Sync(mi.Name))
	}
	m, err := readObject(ctx, r, identities, sink)
	if err != nil {
		if rbErr := x.rollback(); rbErr != nil {
			return Manifest{}, fmt.Errorf("extract backup: %w (and cleaning up failed: %v)", err, rbErr)
		}
		return Manifest{}, fmt.Errorf("extract backup: %w", err)
	}
	if err := x.root.Close(); err != nil {
		return Manifest{}, fmt.Errorf("extract backup: %w", err)
	}
	return m, nil
}

// extraction writes members under one root and remembers what it created so
// that a failed extraction leaves destDir as it found it.
type extraction struct {
	destDir     string
	root        *os.Root
	createdDest bool
	created     []string // in creation order
	buf         []byte
}

func newExtraction(destDir string) (*extraction, error) {
	x := &extraction{destDir: destDir}
	info, err := os.Lstat(destDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(destDir, 0o750); err != nil {
			return nil, fmt.Errorf("create destination: %w", err)
		}
		x.createdDest = true
	case err != nil:
		return nil, fmt.Errorf("destination: %w", err)
	case !info.IsDir():
		return nil, fmt.Errorf("destination %s is not a directory", destDir)
	}
	x.root, err = os.OpenRoot(destDir)
	if err != nil {
		if x.createdDest {
			os.Remove(destDir)
		}
		return nil, fmt.Errorf("open destination: %w", err)
	}
	return x, nil
}

func (x *extraction) write(mi MemberInfo, body io.Reader, sync bool) error {
	segments := strings.Split(mi.Name, "/")
	for i := 1; i < len(segments); i++ {
		if err := x.mkdir(strings.Join(segments[:i], "/")); err != nil {
			return err
		}
	}
	// Never executable, never setuid; the owner can always read and write.
	perm := mi.Mode&0o644 | 0o600
	f, err := x.root.OpenFile(mi.Name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	x.created = append(x.created, mi.Name)
	// Through our 1 MiB buffer: os.File.ReadFrom would fall back to 32 KiB.
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, body, x.buf); err != nil {
		f.Close()
		return fmt.Errorf("write: %w", err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("sync: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

func (x *extraction) mkdir(dir string) error {
	err := x.root.Mkdir(dir, 0o750)
	if err == nil {
		x.created = append(x.created, dir)
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create directory %q: %w", dir, err)
	}
	info, err := x.root.Lstat(dir)
	if err != nil {
		return fmt.Errorf("create directory %q: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("create directory %q: it exists and is not a directory", dir)
	}
	return nil
}

func (x *extraction) rollback() error {
	var errs []error
	for i := len(x.created) - 1; i >= 0; i-- {
		if err := x.root.Remove(x.created[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := x.root.Close(); err != nil {
		errs = append(errs, err)
	}
	if x.createdDest {
		if err := os.Remove(x.destDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
