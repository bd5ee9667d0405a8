package backup

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
)

// The read-back beside the writer hashes exactly what was written, however
// the writes fall, and a different size or hash is a mismatch.
func TestReadBehind(t *testing.T) {
	data := make([]byte, 3*ioBufferSize+123)
	rand.Read(data)
	sum := sha256.Sum256(data)
	want := Record{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	for _, tc := range []struct {
		name  string
		write int // bytes per write
		rec   Record
		err   error
	}{
		{"small writes", 4096 + 7, want, nil},
		{"large writes", 2*ioBufferSize + 1, want, nil},
		{"another hash", ioBufferSize, Record{Size: want.Size, SHA256: hex.EncodeToString(make([]byte, 32))}, site.ErrMismatch},
		{"another size", ioBufferSize, Record{Size: want.Size + 1, SHA256: want.SHA256}, site.ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "object.partial")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rb, err := startReadBehind(path)
			if err != nil {
				t.Fatal(err)
			}
			w := &writebackWriter{f: f, rb: rb}
			for off := 0; off < len(data); off += tc.write {
				if _, err := w.Write(data[off:min(off+tc.write, len(data))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := rb.check(tc.rec); !errors.Is(err, tc.err) {
				t.Fatalf("check = %v, want %v", err, tc.err)
			}
			rb.end() // again, as the backup's deferred end does
		})
	}
}

// flipOnDisk changes one byte of what passes through it to the disk, after
// the object's hash was computed: a write the disk does not keep.
type flipOnDisk struct {
	w    io.Writer
	at   int64
	seen int64
}

func (f *flipOnDisk) Write(p []byte) (int, error) {
	if f.seen <= f.at && f.at < f.seen+int64(len(p)) {
		q := append([]byte(nil), p...)
		q[f.at-f.seen] ^= 0xff
		p = q
	}
	f.seen += int64(len(p))
	return f.w.Write(p)
}

// An object the outbox's disk got wrong is never counted on the site that
// took it as a link: the read-back beside the writer catches it, and the
// other site, which got its own copy, holds the object verified.
func TestLinkedObjectWrittenWrongIsNotVerified(t *testing.T) {
	ctx := t.Context()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 200)
	e.svc.wrapOutbox = func(w io.Writer) io.Writer { return &flipOnDisk{w: w, at: 5000} }
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	var re *ReplicationError
	if !errors.As(err, &re) || !errors.Is(re.Sites["local"], site.ErrMismatch) || re.Sites["offsite"] != nil {
		t.Fatalf("run with the outbox's disk flipping a byte: %v", err)
	}
	if rec.VerifiedOn("local") || !rec.VerifiedOn("offsite") {
		t.Fatalf("after the run: %+v", rec)
	}
}
