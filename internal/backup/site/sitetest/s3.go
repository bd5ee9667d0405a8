package sitetest

import (
	"context"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
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
	daemon *daemon
}

func versitygwBinary() (string, bool) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, true
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p, true
	}
	return "", false
}

// StartS3 starts versitygw on a free loopback port; it stops with the test.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	binary, ok := versitygwBinary()
	if !ok {
		t.Skip("SKIPPING: versitygw not found in PATH or $GOPATH/bin; install it with: go install github.com/versity/versitygw/cmd/versitygw@latest")
	}
	s := &S3{t: t, binary: binary, port: FreePort(t), dir: t.TempDir(), access: "testaccess", secret: "testsecret-" + strconv.Itoa(os.Getpid())}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server; the data of earlier runs is still there.
func (s *S3) Start() {
	s.t.Helper()
	if s.daemon != nil && s.daemon.cmd != nil {
		return
	}
	s.daemon = startDaemon(s.t, s.Address(), s.binary, "--port", s.Address(), "--access", s.access, "--secret", s.secret, "--quiet", "posix", s.dir)
}

// Stop stops the server; the data stays for the next Start.
func (s *S3) Stop() { s.daemon.stop() }

// Address is host:port of the server.
func (s *S3) Address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// AccessKey and SecretKey are the server's credentials.
func (s *S3) AccessKey() string { return s.access }

// SecretKey is the server's secret key.
func (s *S3) SecretKey() string { return s.secret }

// Client is a minio client of the server.
func (s *S3) Client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(s.Address(), &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// CreateBucket creates bucket bk-<name> and returns its name.
func (s *S3) CreateBucket(name string) string {
	s.t.Helper()
	bucket := "bk-" + name
	if err := s.Client().MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		s.t.Fatalf("create bucket %s: %v", bucket, err)
	}
	return bucket
}

// URL is the s3:// URL of a site under prefix in bucket on this server.
func (s *S3) URL(bucket, prefix string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=http://%s&path_style=true&region=us-east-1", bucket, prefix, s.Address())
}
