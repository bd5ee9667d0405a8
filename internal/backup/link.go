package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/instant-erp/instanterp/internal/backup/site"
)

// linker is a site that can take a complete local file as an object
// without copying it: a file site on the outbox's file system.
type linker interface {
	PutLink(ctx context.Context, key, src string) (site.Object, error)
}

// linksSite reports whether a new backup reaches the site of spec as a hard
// link to its outbox object, once that is complete, rather than as a second
// copy streamed beside it: writing every byte twice to the same disk costs
// as much CPU as compressing them (BenchmarkThroughput, "backup"). Only a
// file site whose directory is on the outbox's file system can.
func (s *Service) linksSite(spec site.Spec) bool {
	if spec.Kind != site.KindFile {
		return false
	}
	if s.sameFileSystem != nil {
		return s.sameFileSystem(s.workRoot(), spec.File.Dir)
	}
	return sameFileSystem(s.workRoot(), spec.File.Dir)
}

// sameFileSystem reports whether paths a and b, or the nearest directories
// above them that exist (a site creates its directory on first use), are on
// one file system, so that a file can be linked from one to the other.
func sameFileSystem(a, b string) bool {
	da, okA := device(a)
	db, okB := device(b)
	return okA && okB && da == db
}

func device(path string) (uint64, bool) {
	for {
		info, err := os.Stat(path)
		if err == nil {
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok {
				return 0, false
			}
			return uint64(st.Dev), true
		}
		parent := filepath.Dir(path)
		if !errors.Is(err, fs.ErrNotExist) || parent == path {
			return 0, false
		}
		path = parent
	}
}

// linkTo puts the outbox object of rec on the site of spec as a link, and
// checks what the read-back rb read of it against the catalogued size and
// SHA-256, like copyTo's read-back; without rb, the object is read back
// from the site. A site that cannot take the link gets a copy instead.
func (s *Service) linkTo(ctx context.Context, rec Record, spec site.Spec, rb *readBehind) error {
	st, err := s.cfg.OpenSite(ctx, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	l, ok := st.(linker)
	if !ok {
		return s.copyTo(ctx, rec, spec)
	}
	if _, err := l.PutLink(ctx, rec.ObjectKey, s.outboxPath(rec.ID)); err != nil {
		s.cfg.Log.Info("backup copied to a site that could not take a link", "backup", rec.ID, "site", spec.Name, "err", err)
		return s.copyTo(ctx, rec, spec)
	}
	if rb == nil {
		return site.Verify(ctx, st, rec.ObjectKey, rec.SHA256)
	}
	if err := rb.check(rec); err != nil {
		return fmt.Errorf("verify %s on site %s: %w", rec.ObjectKey, spec.Name, err)
	}
	return nil
}

// writebackWriter writes to f and asks the kernel to start writing each
// further writebackStep bytes to disk without waiting for them, so that a
// later sync of f has little left to do. Failures to start are ignored: the
// sync that follows is what makes the file durable. It tells rb what has
// been written.
type writebackWriter struct {
	f       *os.File
	rb      *readBehind
	written int64
	started int64
}

const writebackStep = 8 << 20

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.rb != nil {
		w.rb.advance(w.written)
	}
	if w.written-w.started >= writebackStep {
		unix.SyncFileRange(int(w.f.Fd()), w.started, w.written-w.started, unix.SYNC_FILE_RANGE_WRITE)
		w.started = w.written
	}
	return n, err
}

// readBehind is the read-back of an object a site takes as a link: it
// hashes the outbox file through a descriptor of its own while the object
// is written, reading only what has been written, so that the read-back
// overlaps the writing instead of following it. The site's object is that
// very file (PutLink checks it), so these are the bytes the site holds.
type readBehind struct {
	mu      sync.Mutex
	more    *sync.Cond
	written int64
	ended   bool // the writer has finished, or given up
	done    chan struct{}
	sum     string
	n       int64
	err     error
}

// startReadBehind starts reading the file at path, which the writer has
// created and writes through advance.
func startReadBehind(path string) (*readBehind, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	rb := &readBehind{done: make(chan struct{})}
	rb.more = sync.NewCond(&rb.mu)
	go func() {
		defer close(rb.done)
		defer f.Close()
		rb.sum, rb.n, rb.err = rb.hash(f)
	}()
	return rb, nil
}

func (rb *readBehind) hash(f *os.File) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, ioBufferSize)
	var read int64
	for {
		rb.mu.Lock()
		for rb.written == read && !rb.ended {
			rb.more.Wait()
		}
		written, ended := rb.written, rb.ended
		rb.mu.Unlock()
		if written == read && ended {
			return hex.EncodeToString(h.Sum(nil)), read, nil
		}
		n, err := f.ReadAt(buf[:min(int64(len(buf)), written-read)], read)
		h.Write(buf[:n])
		read += int64(n)
		if err != nil && !(err == io.EOF && n > 0) {
			return "", read, fmt.Errorf("read back at %d of %d bytes: %w", read, written, err)
		}
	}
}

// advance tells the reader that the file now holds n bytes.
func (rb *readBehind) advance(n int64) {
	rb.mu.Lock()
	rb.written = n
	rb.mu.Unlock()
	rb.more.Signal()
}

// end tells the reader that nothing more will be written, and waits for it;
// it may be called again.
func (rb *readBehind) end() {
	rb.mu.Lock()
	rb.ended = true
	rb.mu.Unlock()
	rb.more.Signal()
	<-rb.done
}

// check reports whether what the reader read is the catalogued object.
func (rb *readBehind) check(rec Record) error {
	rb.end()
	switch {
	case rb.err != nil:
		return rb.err
	case rb.n != rec.Size || rb.sum != rec.SHA256:
		return fmt.Errorf("read back %d bytes with sha256 %s, the catalogue says %d bytes with %s: %w", rb.n, rb.sum, rec.Size, rec.SHA256, site.ErrMismatch)
	}
	return nil
}
