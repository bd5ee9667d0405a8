package backup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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

// linkTo puts the outbox object of rec on the site of spec as a link, then
// reads it back and checks it against the catalogued SHA-256, like copyTo.
// A site that cannot take the link gets a copy instead.
func (s *Service) linkTo(ctx context.Context, rec Record, spec site.Spec) error {
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
	return site.Verify(ctx, st, rec.ObjectKey, rec.SHA256)
}

// writebackWriter writes to f and asks the kernel to start writing each
// further writebackStep bytes to disk without waiting for them, so that a
// later sync of f has little left to do. Failures to start are ignored: the
// sync that follows is what makes the file durable.
type writebackWriter struct {
	f       *os.File
	written int64
	started int64
}

const writebackStep = 8 << 20

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.started >= writebackStep {
		unix.SyncFileRange(int(w.f.Fd()), w.started, w.written-w.started, unix.SYNC_FILE_RANGE_WRITE)
		w.started = w.written
	}
	return n, err
}
