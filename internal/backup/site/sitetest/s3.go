// Package sitetest starts real storage servers for tests of code that uses
// backup sites: versitygw for S3. A missing binary skips the test with the
// command that installs it.
package sitetest

import (
	"bytes"
	"context"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/instant-erp/instanterp/internal/backup/site"
)

// S3 is a running versitygw with a posix backend that can be stopped and
// started again on the same port and directory.
type S3 struct {
	t      testing.TB
	binary string
	port   int
	dir    string
	access string
	secret string
	cmd    *exec.Cmd
	logs   *syncBuffer
}

// StartS3 starts versitygw on a free loopback port; it stops with the test.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	binary, err := exec.LookPath("versitygw")
	if err != nil {
		binary = filepath.Join(build.Default.GOPATH, "bin", "versitygw")
		if _, err := os.Stat(binary); err != nil {
			t.Skip("SKIPPING: versitygw not found in PATH or $GOPATH/bin; install it with: go install github.com/versity/versitygw/cmd/versitygw@latest")
		}
	}
	s := &S3{t: t, binary: binary, port: freePort(t), dir: t.TempDir(), access: "testaccess", secret: "testsecret-" + strconv.Itoa(os.Getpid())}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Address is host:port of the server.
func (s *S3) Address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Env answers the site package's credential variables.
func (s *S3) Env(name string) string {
	switch name {
	case site.EnvS3AccessKey:
		return s.access
	case site.EnvS3SecretKey:
		return s.secret
	}
	return ""
}

// Start (re)starts the server.
func (s *S3) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	s.logs = &syncBuffer{}
	s.cmd = exec.Command(s.binary, "--port", s.Address(), "--access", s.access, "--secret", s.secret, "--quiet", "posix", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start versitygw: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", s.Address(), time.Second); err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("versitygw did not listen on %s:\n%s", s.Address(), s.logs)
}

// Stop stops the server; the data stays for the next Start.
func (s *S3) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Site creates a bucket and returns the spec of a site in it, labelled dc.
func (s *S3) Site(name, dc string) site.Spec {
	s.t.Helper()
	c, err := minio.New(s.Address(), &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.t.Fatal(err)
	}
	bucket := "bk-" + name
	if err := c.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		s.t.Fatalf("create bucket %s: %v", bucket, err)
	}
	raw := fmt.Sprintf("%s@%s=s3://%s/ie?endpoint=http://%s&path_style=true&region=us-east-1", name, dc, bucket, s.Address())
	spec, err := site.ParseSpec(raw, s.Env)
	if err != nil {
		s.t.Fatal(err)
	}
	return spec
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
