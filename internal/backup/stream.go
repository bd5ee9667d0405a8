package backup

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/instant-erp/instanterp/internal/backup/site"
)

// errBackupAbandoned ends the streams of a backup that failed or was
// cancelled before its object was complete and catalogued.
var errBackupAbandoned = errors.New("the backup was abandoned before its object was complete")

// streamsSite reports whether a new backup is written to spec's site while
// it is made, rather than copied there from the outbox afterwards. Only file
// sites are: they keep up with the archive. A remote site is fed from the
// outbox once the object is complete, so that a slow link never holds the
// tenant's snapshot transaction open for the length of an upload.
func streamsSite(spec site.Spec) bool { return spec.Kind == site.KindFile }

// siteStream puts a new object on one site while the object is written.
//
// The object becomes visible on the site only when its reader reaches the
// end, and the writer closes the pipe normally only after the backup is
// complete and catalogued; a failed backup closes it with an error, which
// aborts the Put and leaves nothing on the site.
type siteStream struct {
	spec site.Spec
	pw   *chunkPipe
	// want receives the catalogued SHA-256 before the pipe is closed
	// normally; a failed backup closes it empty.
	want chan string
	err  error // the copy's outcome, set before done is closed
	done chan struct{}
}

func (s *Service) startSiteStream(ctx context.Context, spec site.Spec, key string) *siteStream {
	pipe := newChunkPipe(chunkPipeDepth)
	ss := &siteStream{spec: spec, pw: pipe, want: make(chan string, 1), done: make(chan struct{})}
	go func() {
		defer close(ss.done)
		ss.err = s.putStreamed(ctx, spec, key, pipe, ss.want)
		// A site that failed must never block the writer: what is left of
		// the object is read and dropped until the writer ends the pipe.
		io.Copy(io.Discard, pipe)
	}()
	return ss
}

// putStreamed puts the object read from r on the site of spec, then reads
// it back and checks it against the catalogued SHA-256, like copyTo.
func (s *Service) putStreamed(ctx context.Context, spec site.Spec, key string, r io.Reader, want <-chan string) error {
	st, err := s.cfg.OpenSite(ctx, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	// The object's SHA-256 is computed once, as it is written; a site
	// that can store it without hashing it again does so, since the
	// read-back below proves what it holds.
	var obj site.Object
	if u, ok := st.(unhashedPutter); ok {
		obj, err = u.PutUnhashed(ctx, key, r)
	} else {
		obj, err = st.Put(ctx, key, r)
	}
	if err != nil {
		return err
	}
	sum, ok := <-want
	if !ok {
		// Unreachable while the writer sends before it closes the pipe;
		// an object nobody catalogued must not stay on the site.
		st.Delete(context.WithoutCancel(ctx), key)
		return errBackupAbandoned
	}
	if obj.SHA256 != "" && obj.SHA256 != sum {
		st.Delete(context.WithoutCancel(ctx), key)
		return fmt.Errorf("copy of %s sent to %s has sha256 %s, the catalogue says %s: %w", key, spec.Name, obj.SHA256, sum, site.ErrMismatch)
	}
	return site.Verify(ctx, st, key, sum)
}

// unhashedPutter is a site that can store an object without hashing it
// (a file site), for a caller that reads it back before it counts.
type unhashedPutter interface {
	PutUnhashed(ctx context.Context, key string, r io.Reader) (site.Object, error)
}

// finish ends the stream of a catalogued object and waits for the copy.
func (ss *siteStream) finish(sum string) error {
	ss.want <- sum
	ss.pw.Close()
	<-ss.done
	return ss.err
}

// abandon ends the stream of a failed backup and waits until the site has
// dropped what it received.
func (ss *siteStream) abandon(err error) {
	close(ss.want)
	ss.pw.CloseWithError(err)
	<-ss.done
}

// verifyStream is the test restore of a new object, fed while the object
// is written: it decrypts and checks every member and restores the database
// into a scratch location, then checks its integrity and row counts.
//
// It is fed the very writes the object's SHA-256 was computed over, in
// order, by the same process, so hashing them again would prove nothing:
// it counts them instead, and the count must be the object's size, so the
// restored bytes are exactly the catalogued ones.
type verifyStream struct {
	pw   *chunkPipe
	n    int64 // bytes of the object read
	err  error
	done chan struct{}
}

func (s *Service) startVerifyStream(ctx context.Context) *verifyStream {
	pipe := newChunkPipe(chunkPipeDepth)
	vs := &verifyStream{pw: pipe, done: make(chan struct{})}
	go func() {
		defer close(vs.done)
		vs.n, vs.err = s.testRestore(ctx, pipe, "")
		io.Copy(io.Discard, pipe)
	}()
	return vs
}

// result waits for the test restore of the object catalogued with size bytes.
func (vs *verifyStream) result(size int64) error {
	<-vs.done
	if vs.n != size {
		// A different object fails for that reason first.
		return fmt.Errorf("%w: the test restore read %d bytes, the object has %d", ErrHashMismatch, vs.n, size)
	}
	return vs.err
}
