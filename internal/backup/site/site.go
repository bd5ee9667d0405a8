package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"time"
)

// Site is a place where backup objects live.
//
// Keys follow ValidateKey. Put replaces an existing object atomically; a
// reader that fails midway leaves no visible object. Delete of a missing key
// succeeds, so retried deletions are harmless. Errors wrap ErrNotFound for a
// missing object and ErrUnavailable when the site cannot be reached.
type Site interface {
	Name() string
	DataCentre() string
	Put(ctx context.Context, key string, r io.Reader) (Object, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (Object, error)
	// List returns the complete objects whose keys start with prefix,
	// sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	Delete(ctx context.Context, key string) error
	// RemoveIncomplete deletes the leftovers of writes started before
	// olderThan that never completed, and returns how many it removed.
	RemoveIncomplete(ctx context.Context, olderThan time.Time) (int, error)
	Close() error
}

// Object describes a stored object.
type Object struct {
	Key      string
	Size     int64
	SHA256   string // lowercase hex; set by Put only, as computed while streaming
	Modified time.Time
}

// Open connects to the site that spec describes. An SFTP site dials at
// once, an S3 site checks that its bucket exists, a file site creates its
// directory if needed.
func Open(ctx context.Context, spec Spec) (Site, error) {
	var (
		s   Site
		err error
	)
	switch spec.Kind {
	case KindFile:
		s, err = openFileSite(spec)
	case KindSFTP:
		s, err = openSFTPSite(ctx, spec)
	case KindS3:
		s, err = openS3Site(ctx, spec, nil)
	default:
		err = fmt.Errorf("unknown kind %q", spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("open site %s: %w", spec.Name, err)
	}
	return s, nil
}

// Verify reads the object back from the site and checks its SHA-256. The
// replication job marks a site as holding an object only after this passes.
func Verify(ctx context.Context, s Site, key, wantSHA256 string) error {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("verify %s on site %s: %w", key, s.Name(), err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, contextReader{ctx: ctx, r: rc}, make([]byte, copyBufferSize)); err != nil {
		return fmt.Errorf("verify %s on site %s: read: %w", key, s.Name(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA256 {
		return fmt.Errorf("verify %s on site %s: %w: sha256 is %s, want %s", key, s.Name(), ErrMismatch, got, wantSHA256)
	}
	return nil
}

// copyBufferSize is the buffer objects are written and read back through.
const copyBufferSize = 1 << 20

// contextReader stops a long copy as soon as its context is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashingReader counts and hashes what is read through it, so Put can
// report what it stored without a second read. With a nil hash it only
// counts.
type hashingReader struct {
	r    io.Reader
	hash hash.Hash
	n    int64
	err  error // last non-EOF error of r, to tell a failing source from a failing site
}

func newHashingReader(ctx context.Context, r io.Reader) *hashingReader {
	return &hashingReader{r: contextReader{ctx: ctx, r: r}, hash: sha256.New()}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if h.hash != nil {
		h.hash.Write(p[:n])
	}
	h.n += int64(n)
	if err != nil && err != io.EOF {
		h.err = err
	}
	return n, err
}

// sum is the hash of what was read; empty when the reader does not hash.
func (h *hashingReader) sum() string {
	if h.hash == nil {
		return ""
	}
	return hex.EncodeToString(h.hash.Sum(nil))
}
