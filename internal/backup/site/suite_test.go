package site

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// siteUnderTest is one opened site plus the hooks the suite needs to
// simulate failures on it.
type siteUnderTest struct {
	Site
	// leaveIncomplete simulates a process killed while writing key.
	leaveIncomplete func(t *testing.T, key string)
	// leftovers counts temporary files or pending uploads on the backend.
	leftovers func(t *testing.T) int
	// failWrites makes writes to the backend fail like a full disk: with
	// err once n bytes went through (file, sftp), or with the server's
	// storage-full answer to part uploads (s3).
	failWrites func(n int64, err error)
}

type siteFactory struct {
	kind Kind
	open func(t *testing.T) siteUnderTest
}

// siteFactories lists every kind of site; each behavioural test runs
// against all of them, like a persistence suite.
func siteFactories() []siteFactory {
	return []siteFactory{
		{KindFile, openTestFileSite},
		{KindSFTP, openTestSFTPSite},
		{KindS3, openTestS3Site},
	}
}

func forEachSite(t *testing.T, test func(t *testing.T, s siteUnderTest)) {
	for _, f := range siteFactories() {
		t.Run(string(f.kind), func(t *testing.T) {
			s := f.open(t)
			test(t, s)
		})
	}
}

func openTestFileSite(t *testing.T) siteUnderTest {
	dir := filepath.Join(t.TempDir(), "site")
	spec, err := ParseSpec("local@paris-1=file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fileSite := s.(*fileSite)
	return siteUnderTest{
		Site:            s,
		leaveIncomplete: func(t *testing.T, key string) { writeLeftover(t, dir, key) },
		leftovers:       func(t *testing.T) int { return countTempFiles(t, dir) },
		failWrites: func(n int64, err error) {
			fileSite.wrapWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: n, err: err} }
		},
	}
}

func openTestSFTPSite(t *testing.T) siteUnderTest {
	server := startSSHD(t)
	spec := sftpSpec(t, server, "offsite", server.KnownHosts())
	s, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sftpSite := s.(*sftpSite)
	dir := spec.SFTP.Dir // the server is local, so its files are ours to inspect
	return siteUnderTest{
		Site:            s,
		leaveIncomplete: func(t *testing.T, key string) { writeLeftover(t, dir, key) },
		leftovers:       func(t *testing.T) int { return countTempFiles(t, dir) },
		failWrites: func(n int64, err error) {
			sftpSite.wrapWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: n, err: err} }
		},
	}
}

func openTestS3Site(t *testing.T) siteUnderTest {
	server := startVersityGW(t)
	spec := s3BucketSpec(t, server, "s3eu", "instanterp")
	faults := &partFaultTransport{next: newS3Transport()}
	s, err := openS3Site(context.Background(), spec, faults)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	core := minio.Core{Client: server.Client()}
	return siteUnderTest{
		Site: s,
		leaveIncomplete: func(t *testing.T, key string) {
			id, err := core.NewMultipartUpload(context.Background(), spec.S3.Bucket, spec.S3.Prefix+key, minio.PutObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			part := bytes.Repeat([]byte("x"), 1024)
			if _, err := core.PutObjectPart(context.Background(), spec.S3.Bucket, spec.S3.Prefix+key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		leftovers: func(t *testing.T) int {
			n := 0
			for u := range server.Client().ListIncompleteUploads(context.Background(), spec.S3.Bucket, "", true) {
				if u.Err != nil {
					t.Fatal(u.Err)
				}
				n++
			}
			return n
		},
		failWrites: func(_ int64, err error) { faults.fail.Store(true) },
	}
}

// partFaultTransport answers part uploads with the error S3-compatible
// servers send when their disks are full, as long as fail is set.
type partFaultTransport struct {
	next http.RoundTripper
	fail atomic.Bool
}

func (p *partFaultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !p.fail.Load() || req.Method != http.MethodPut || !req.URL.Query().Has("partNumber") {
		return p.next.RoundTrip(req)
	}
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>XMinioStorageFull</Code><Message>Storage backend has reached its minimum free drive threshold.</Message></Error>`
	return &http.Response{
		StatusCode: http.StatusInsufficientStorage,
		Status:     "507 Insufficient Storage",
		Header:     http.Header{"Content-Type": []string{"application/xml"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    req,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// writeLeftover leaves a temporary file where a killed Put would have.
func writeLeftover(t *testing.T, dir, key string) {
	t.Helper()
	name, err := tempName(filepath.Base(key))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.Dir(key), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("half an object"), 0o640); err != nil {
		t.Fatal(err)
	}
}

func countTempFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isTempName(d.Name()) {
			n++
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}

// failingWriter passes left bytes through, then fails like a full disk.
type failingWriter struct {
	w    io.Writer
	left int64
	err  error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, f.err
	}
	f.left -= int64(len(p))
	return f.w.Write(p)
}

// failingReader yields n random bytes, then fails like a dying source.
type failingReader struct {
	left int64
}

var errSourceBroke = errors.New("source broke midway")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errSourceBroke
	}
	n := min(int64(len(p)), f.left)
	rand.Read(p[:n])
	f.left -= n
	return int(n), nil
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func readAll(t *testing.T, s Site, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}

func listKeys(t *testing.T, s Site, prefix string) []string {
	t.Helper()
	objects, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	keys := make([]string, len(objects))
	for i, o := range objects {
		keys[i] = o.Key
	}
	return keys
}

func TestSitePutOpenStatVerify(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		data := randomBytes(t, 3<<20+17)
		key := "acme/2026/01/20260102t030405z-full.age"
		obj, err := s.Put(ctx, key, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if obj.Key != key || obj.Size != int64(len(data)) || obj.SHA256 != sha256Hex(data) {
			t.Fatalf("Put returned %+v, want size %d sha %s", obj, len(data), sha256Hex(data))
		}
		if got := readAll(t, s, key); !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, differing from the %d put", len(got), len(data))
		}
		st, err := s.Stat(ctx, key)
		if err != nil || st.Size != int64(len(data)) || st.Modified.IsZero() {
			t.Fatalf("Stat = %+v, %v", st, err)
		}
		if err := Verify(ctx, s, key, obj.SHA256); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if err := Verify(ctx, s, key, sha256Hex([]byte("other"))); !errors.Is(err, ErrMismatch) {
			t.Fatalf("Verify with a wrong hash = %v, want ErrMismatch", err)
		}
		if s.Name() == "" || s.DataCentre() == "" {
			t.Fatal("site has no name or data centre")
		}
	})
}

func TestSiteEmptyAndOverwrittenObjects(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		obj, err := s.Put(ctx, "empty", bytes.NewReader(nil))
		if err != nil || obj.Size != 0 || obj.SHA256 != sha256Hex(nil) {
			t.Fatalf("Put empty = %+v, %v", obj, err)
		}
		if got := readAll(t, s, "empty"); len(got) != 0 {
			t.Fatalf("empty object reads %d bytes", len(got))
		}
		for _, content := range []string{"first version", "second"} {
			if _, err := s.Put(ctx, "a/b", strings.NewReader(content)); err != nil {
				t.Fatal(err)
			}
		}
		if got := string(readAll(t, s, "a/b")); got != "second" {
			t.Fatalf("after overwrite read %q", got)
		}
	})
}

func TestSiteMissingObjects(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		if _, err := s.Stat(ctx, "nope/missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat missing = %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, "nope/missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open missing = %v, want ErrNotFound", err)
		}
		if err := Verify(ctx, s, "nope/missing", sha256Hex(nil)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Verify missing = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "nope/missing"); err != nil {
			t.Errorf("Delete missing = %v, want nil", err)
		}
		if _, err := s.Put(ctx, "dir/obj", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		// A key naming a directory-like prefix is not an object.
		if _, err := s.Stat(ctx, "dir"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat of a prefix = %v, want ErrNotFound", err)
		}
	})
}

func TestSiteListAndDelete(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		keys := []string{"acme/2026-01-02.age", "acme/2026-01-09.age", "acme-two/x.age", "beta/2026/01/y.age", "top.age"}
		for _, k := range keys {
			if _, err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			prefix string
			want   []string
		}{
			{"", []string{"acme-two/x.age", "acme/2026-01-02.age", "acme/2026-01-09.age", "beta/2026/01/y.age", "top.age"}},
			{"acme/", []string{"acme/2026-01-02.age", "acme/2026-01-09.age"}},
			{"acme", []string{"acme-two/x.age", "acme/2026-01-02.age", "acme/2026-01-09.age"}},
			{"acme/2026-01-0", []string{"acme/2026-01-02.age", "acme/2026-01-09.age"}},
			{"beta/2026/", []string{"beta/2026/01/y.age"}},
			{"nothing/", nil},
		}
		for _, tt := range tests {
			got := listKeys(t, s, tt.prefix)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("List(%q) = %v, want %v", tt.prefix, got, tt.want)
			}
		}
		objects, err := s.List(ctx, "top")
		if err != nil || len(objects) != 1 || objects[0].Size != int64(len("top.age")) {
			t.Fatalf("List sizes = %+v, %v", objects, err)
		}
		if err := s.Delete(ctx, "acme/2026-01-02.age"); err != nil {
			t.Fatal(err)
		}
		if got := listKeys(t, s, "acme/"); fmt.Sprint(got) != "[acme/2026-01-09.age]" {
			t.Fatalf("after Delete List = %v", got)
		}
		if _, err := s.List(ctx, "../"); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("List with a traversal prefix = %v, want ErrInvalidKey", err)
		}
	})
}

func TestSiteFailingReaderLeavesNoObject(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		_, err := s.Put(ctx, "acme/broken.age", &failingReader{left: 5 << 20})
		if !errors.Is(err, errSourceBroke) {
			t.Fatalf("Put = %v, want the source's error", err)
		}
		if _, err := s.Stat(ctx, "acme/broken.age"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat after failed Put = %v, want ErrNotFound", err)
		}
		if keys := listKeys(t, s, ""); len(keys) != 0 {
			t.Fatalf("List after failed Put = %v", keys)
		}
		if n := s.leftovers(t); n != 0 {
			t.Fatalf("%d temporary leftovers after a failed Put", n)
		}
	})
}

func TestSiteRemoveIncomplete(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		if _, err := s.Put(ctx, "acme/done.age", strings.NewReader("complete")); err != nil {
			t.Fatal(err)
		}
		s.leaveIncomplete(t, "acme/killed.age")
		s.leaveIncomplete(t, "other/deep/killed.age")
		if n := s.leftovers(t); n != 2 {
			t.Fatalf("leftovers = %d, want 2", n)
		}
		if keys := listKeys(t, s, ""); fmt.Sprint(keys) != "[acme/done.age]" {
			t.Fatalf("List shows incomplete objects: %v", keys)
		}
		// Leftovers newer than the cutoff may belong to a running backup.
		n, err := s.RemoveIncomplete(ctx, time.Now().Add(-time.Hour))
		if err != nil || n != 0 {
			t.Fatalf("RemoveIncomplete(an hour ago) = %d, %v; want 0", n, err)
		}
		n, err = s.RemoveIncomplete(ctx, time.Now().Add(time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("RemoveIncomplete(now) = %d, %v; want 2", n, err)
		}
		if left := s.leftovers(t); left != 0 {
			t.Fatalf("%d leftovers remain", left)
		}
		if got := string(readAll(t, s, "acme/done.age")); got != "complete" {
			t.Fatalf("complete object damaged: %q", got)
		}
	})
}

func TestSiteWriteFailureRemovesTemporary(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		s.failWrites(1<<20, syscall.ENOSPC)
		_, err := s.Put(context.Background(), "acme/full.age", bytes.NewReader(randomBytes(t, 4<<20)))
		if err == nil {
			t.Fatal("Put succeeded although the backend is full")
		}
		t.Logf("Put refused: %v", err)
		// Local writers report the errno; S3 reports the server's error code.
		if !errors.Is(err, syscall.ENOSPC) && !strings.Contains(err.Error(), "minimum free drive") {
			t.Fatalf("Put = %v, want an error saying the storage is full", err)
		}
		if n := s.leftovers(t); n != 0 {
			t.Fatalf("%d temporary files or uploads left after a write failure", n)
		}
		if _, err := s.Stat(context.Background(), "acme/full.age"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat = %v, want ErrNotFound", err)
		}
	})
}

func TestSiteCancelledPut(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx, cancel := context.WithCancel(context.Background())
		r := io.MultiReader(bytes.NewReader(randomBytes(t, 1<<20)), readerFunc(func(p []byte) (int, error) {
			cancel()
			return 0, nil
		}), bytes.NewReader(randomBytes(t, 1<<20)))
		if _, err := s.Put(ctx, "acme/cancelled.age", r); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put = %v, want context.Canceled", err)
		}
		if _, err := s.Stat(context.Background(), "acme/cancelled.age"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat = %v, want ErrNotFound", err)
		}
	})
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestSiteRefusesInvalidKeys(t *testing.T) {
	forEachSite(t, func(t *testing.T, s siteUnderTest) {
		ctx := context.Background()
		for _, key := range []string{"", "../etc/passwd", "/abs", "a/../../b", "A.age", ".hidden", "a/" + TempPrefix + "x", "a b"} {
			if _, err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Open(ctx, key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
			}
		}
		if keys := listKeys(t, s, ""); len(keys) != 0 {
			t.Fatalf("invalid keys created objects: %v", keys)
		}
	})
}
