package archive

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Source is one member to be written: its name in the archive, the exact
// number of bytes Open will yield (or SizeUnknown), its permission bits,
// and how to open it.
//
// SHA256, when set, is the lowercase hex SHA-256 of the content, known by
// whoever produced it (a snapshot hashed while it was written). Write then
// reads the source once and fails if the content does not hash to it; when
// empty, Write opens the source twice (see the package documentation), so
// Open must return the same content each time.
type Source struct {
	Name   string
	Size   int64
	Mode   fs.FileMode
	SHA256 string
	Open   func() (io.ReadCloser, error)
}

// SizeUnknown is the Size of a Source whose length is known only once it has
// been read, such as a dump piped from pg_dump: Write stores it in pieces
// and records its size in checksums.json (format version 3), so that it
// never has to be written to a scratch file first.
const SizeUnknown = -1

// FileSource returns a Source for the regular file at path, stored as name.
func FileSource(name, path string) (Source, error) {
	if err := ValidateMemberName(name); err != nil {
		return Source{}, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return Source{}, fmt.Errorf("stat member %q: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return Source{}, fmt.Errorf("member %q: %s is not a regular file", name, path)
	}
	return Source{
		Name: name,
		Size: info.Size(),
		Mode: info.Mode().Perm(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// DirSources walks dir and returns one Source per regular file, named
// prefix + "/" + its slash-separated path relative to dir, in lexical order.
// Symbolic links, devices and other special files are refused: a filestore
// holds only regular files, and following a link could back up data outside
// the tenant. Files are opened through an os.Root on dir for the same reason.
func DirSources(prefix, dir string) ([]Source, error) {
	if err := ValidateMemberName(prefix); err != nil {
		return nil, fmt.Errorf("directory prefix: %w", err)
	}
	var sources []Source
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := prefix + "/" + rel
		if err := ValidateMemberName(name); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%v)", path, d.Type())
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if len(sources) >= MaxMembers {
			return fmt.Errorf("more than %d files", MaxMembers)
		}
		sources = append(sources, Source{
			Name: name,
			Size: info.Size(),
			Mode: info.Mode().Perm(),
			Open: func() (io.ReadCloser, error) { return os.OpenInRoot(dir, rel) },
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", dir, err)
	}
	return sources, nil
}
