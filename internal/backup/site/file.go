package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// fileSite keeps objects in a local directory, reached only through an
// os.Root so that no key can lead outside it.
type fileSite struct {
	spec Spec
	root *os.Root
	// wrapWriter, when set by a test, wraps the temporary file's writer to
	// inject failures such as a full disk.
	wrapWriter func(io.Writer) io.Writer
}

func openFileSite(spec Spec) (*fileSite, error) {
	if err := os.MkdirAll(spec.File.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	root, err := os.OpenRoot(spec.File.Dir)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	return &fileSite{spec: spec, root: root}, nil
}

func (s *fileSite) Name() string       { return s.spec.Name }
func (s *fileSite) DataCentre() string { return s.spec.DataCentre }
func (s *fileSite) Close() error       { return s.root.Close() }

func (s *fileSite) Put(ctx context.Context, key string, r io.Reader) (Object, error) {
	return s.putHashed(ctx, key, r, true)
}

// PutUnhashed is Put without the SHA-256 (Object.SHA256 is empty), for a
// caller that reads the object back with Verify before it counts: the
// read-back proves what is stored, and hashing on the way in as well would
// cost a second pass over every byte.
func (s *fileSite) PutUnhashed(ctx context.Context, key string, r io.Reader) (Object, error) {
	return s.putHashed(ctx, key, r, false)
}

func (s *fileSite) putHashed(ctx context.Context, key string, r io.Reader, hashed bool) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	obj, err := s.put(ctx, key, r, hashed)
	if err != nil {
		return Object{}, fmt.Errorf("put %s on site %s: %w", key, s.spec.Name, err)
	}
	return obj, nil
}

// tempPath creates the directory of key and returns it with a fresh
// temporary name in it, where a new object is written before it is renamed
// into place.
func (s *fileSite) tempPath(key string) (dir, name string, err error) {
	dir, base := path.Split(key)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if err := s.root.MkdirAll(dir, 0o750); err != nil {
		return "", "", fmt.Errorf("create directory: %w", err)
	}
	name, err = tempName(base)
	if err != nil {
		return "", "", err
	}
	return dir, name, nil
}

func (s *fileSite) put(ctx context.Context, key string, r io.Reader, hashed bool) (obj Object, err error) {
	dir, name, err := s.tempPath(key)
	if err != nil {
		return Object{}, err
	}
	tmp := path.Join(dir, name)
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return Object{}, fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			s.root.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if s.wrapWriter != nil {
		w = s.wrapWriter(f)
	}
	hr := newHashingReader(ctx, r)
	if !hashed {
		hr.hash = nil
	}
	// Large writes: os.File.ReadFrom would fall back to 32 KiB pieces.
	if _, err := io.CopyBuffer(struct{ io.Writer }{w}, hr, make([]byte, copyBufferSize)); err != nil {
		if hr.err != nil {
			return Object{}, fmt.Errorf("read source: %w", hr.err)
		}
		return Object{}, fmt.Errorf("write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Object{}, fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return Object{}, fmt.Errorf("close: %w", err)
	}
	if err := s.complete(dir, tmp, key); err != nil {
		return Object{}, err
	}
	return Object{Key: key, Size: hr.n, SHA256: hr.sum(), Modified: time.Now()}, nil
}

// complete renames the synced temporary file tmp into place as key.
func (s *fileSite) complete(dir, tmp, key string) error {
	if err := s.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	// The rename is durable only once the directory itself is synced.
	return s.syncDir(dir)
}

// PutLink stores the complete local file at src as key without copying a
// byte: the object becomes a second name of the same file (a hard link),
// synced and renamed into place like Put's, and it stays whole when src is
// removed. src must not change afterwards. It fails, leaving nothing, when
// src is on another file system; the caller then copies with Put. Like
// PutUnhashed, the object counts only once it has been read back: with
// Verify, or by reading src, which PutLink checks the object is.
func (s *fileSite) PutLink(ctx context.Context, key, src string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	obj, err := s.link(key, src)
	if err != nil {
		return Object{}, fmt.Errorf("link %s on site %s: %w", key, s.spec.Name, err)
	}
	return obj, nil
}

func (s *fileSite) link(key, src string) (obj Object, err error) {
	dir, name, err := s.tempPath(key)
	if err != nil {
		return Object{}, err
	}
	d, err := s.root.Open(dir)
	if err != nil {
		return Object{}, fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	// The new name is made relative to the directory opened through the
	// root, so the link cannot land outside the site whatever its path.
	if err := unix.Linkat(unix.AT_FDCWD, src, int(d.Fd()), name, 0); err != nil {
		return Object{}, &os.LinkError{Op: "link", Old: src, New: name, Err: err}
	}
	tmp := path.Join(dir, name)
	defer func() {
		if err != nil {
			s.root.Remove(tmp)
		}
	}()
	if err := s.root.Chmod(tmp, 0o640); err != nil {
		return Object{}, fmt.Errorf("set mode: %w", err)
	}
	f, err := s.root.Open(tmp)
	if err != nil {
		return Object{}, fmt.Errorf("open link: %w", err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", src)
	}
	if err == nil {
		// The caller may count on the object being src itself (it reads
		// src back instead of the object); a src replaced meanwhile is not.
		var srcInfo os.FileInfo
		if srcInfo, err = os.Stat(src); err == nil && !os.SameFile(info, srcInfo) {
			err = fmt.Errorf("%s was replaced while it was linked", src)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Object{}, fmt.Errorf("sync: %w", err)
	}
	if err := s.complete(dir, tmp, key); err != nil {
		return Object{}, err
	}
	return Object{Key: key, Size: info.Size(), Modified: time.Now()}, nil
}

func (s *fileSite) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

func (s *fileSite) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	f, err := s.root.Open(key)
	if err != nil {
		return nil, fmt.Errorf("open %s on site %s: %w", key, s.spec.Name, fileError(err))
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s on site %s: %w", key, s.spec.Name, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s on site %s: %w", key, s.spec.Name, ErrNotFound)
	}
	return f, nil
}

func (s *fileSite) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.root.Lstat(key)
	if err == nil && !info.Mode().IsRegular() {
		err = ErrNotFound
	}
	if err != nil {
		return Object{}, fmt.Errorf("stat %s on site %s: %w", key, s.spec.Name, fileError(err))
	}
	return Object{Key: key, Size: info.Size(), Modified: info.ModTime()}, nil
}

func (s *fileSite) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	var objects []Object
	err := s.walk(ctx, listStart(prefix), func(p string, d fs.DirEntry) error {
		if isTempName(d.Name()) || !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) || ValidateKey(p) != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		objects = append(objects, Object{Key: p, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q on site %s: %w", prefix, s.spec.Name, err)
	}
	slices.SortFunc(objects, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// listStart is the deepest directory that holds every key with prefix.
func listStart(prefix string) string {
	i := strings.LastIndex(prefix, "/")
	if i < 0 {
		return "."
	}
	return prefix[:i]
}

// walk visits the non-directory entries under start, skipping hidden
// directories; a missing start is an empty walk.
func (s *fileSite) walk(ctx context.Context, start string, visit func(p string, d fs.DirEntry) error) error {
	err := fs.WalkDir(s.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == start {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != start && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		return visit(p, d)
	})
	return err
}

func (s *fileSite) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	info, err := s.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not an object", key)
	}
	if err == nil {
		err = s.root.Remove(key)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s on site %s: %w", key, s.spec.Name, err)
	}
	return nil
}

func (s *fileSite) RemoveIncomplete(ctx context.Context, olderThan time.Time) (int, error) {
	removed := 0
	err := s.walk(ctx, ".", func(p string, d fs.DirEntry) error {
		if !isTempName(d.Name()) || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // completed or cleaned meanwhile
		}
		if err != nil {
			return err
		}
		if !info.ModTime().Before(olderThan) {
			return nil
		}
		if err := s.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("remove incomplete objects on site %s: %w", s.spec.Name, err)
	}
	return removed, nil
}

func fileError(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	return err
}
