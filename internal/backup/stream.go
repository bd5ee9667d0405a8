package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/instant-erp/instanterp/internal/backup/archive"
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
	pw   *io.PipeWriter
	// want receives the catalogued SHA-256 before the pipe is closed
	// normally; a failed backup closes it empty.
	want chan string
	err  error // the copy's outcome, set before done is closed
	done chan struct{}
}

func (s *Service) startSiteStream(ctx context.Context, spec site.Spec, key string) *siteStream {
	pr, pw := io.Pipe()
	ss := &siteStream{spec: spec, pw: pw, want: make(chan string, 1), done: make(chan struct{})}
	go func() {
		defer close(ss.done)
		ss.err = s.putStreamed(ctx, spec, key, pr, ss.want)
		// A site that failed must never block the writer: what is left of
		// the object is read and dropped until the writer ends the pipe.
		io.Copy(io.Discard, pr)
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
	obj, err := st.Put(ctx, key, r)
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
	if obj.SHA256 != sum {
		st.Delete(context.WithoutCancel(ctx), key)
		return fmt.Errorf("copy of %s sent to %s has sha256 %s, the catalogue says %s: %w", key, spec.Name, obj.SHA256, sum, site.ErrMismatch)
	}
	return site.Verify(ctx, st, key, sum)
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
// is written: it hashes, decrypts and checks every member and restores the
// database into a scratch location, then checks its integrity and row
// counts. Its hash is compared with the object's once both are known, so
// the restored bytes are exactly the catalogued ones.
type verifyStream struct {
	pw   *io.PipeWriter
	sum  string
	err  error
	done chan struct{}
}

func (s *Service) startVerifyStream(ctx context.Context) *verifyStream {
	pr, pw := io.Pipe()
	vs := &verifyStream{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(vs.done)
		vs.sum, vs.err = s.testRestoreStream(ctx, pr)
		io.Copy(io.Discard, pr)
	}()
	return vs
}

// testRestoreStream is testRestore on an object whose hash is not known yet:
// it returns the hash of everything read from r.
func (s *Service) testRestoreStream(ctx context.Context, r io.Reader) (string, error) {
	work, err := s.newWorkDir("scratch")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "x")
	hr := newHashedReader(ctxReader{ctx: ctx, r: r})
	m, err := archive.ExtractWith(ctx, hr, s.identities(), dir, archive.ExtractOptions{Allowed: databaseOnly, Sync: syncNothing})
	sum, rerr := hr.finish()
	if err != nil {
		return sum, err
	}
	if rerr != nil {
		return "", fmt.Errorf("read object: %w", rerr)
	}
	return sum, s.checkRestored(ctx, m, dir)
}

// result waits for the test restore of the object catalogued with wantSHA.
func (vs *verifyStream) result(wantSHA string) error {
	<-vs.done
	mismatch := fmt.Errorf("%w: the test restore read %s, the catalogue says %s", ErrHashMismatch, vs.sum, wantSHA)
	switch {
	case vs.sum != "" && vs.sum != wantSHA:
		return mismatch // a different object fails for that reason first
	case vs.err != nil:
		return vs.err
	case vs.sum != wantSHA:
		return mismatch
	}
	return nil
}
