package site

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	// s3PartSize bounds the memory one upload holds; with S3's limit of
	// 10,000 parts it allows objects up to 320 GiB.
	s3PartSize = 32 << 20
	// s3MaxRetries keeps an unreachable endpoint from holding a job for long;
	// the replication job retries on its own schedule.
	s3MaxRetries   = 2
	s3CheckTimeout = 15 * time.Second
)

// s3Site keeps objects in a bucket, under an optional prefix. Multipart
// uploads make an object visible only when complete.
type s3Site struct {
	spec   Spec
	client *minio.Client
	core   minio.Core
}

// newS3Transport has bounded dial, TLS and response-header timeouts so an
// unreachable endpoint fails fast instead of hanging a backup job.
func newS3Transport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: 5 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// openS3Site connects to the bucket; transport may be nil for the default.
func openS3Site(ctx context.Context, spec Spec, transport http.RoundTripper) (*s3Site, error) {
	c := spec.S3
	if transport == nil {
		transport = newS3Transport()
	}
	lookup := minio.BucketLookupAuto
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey.Reveal(), c.SecretKey.Reveal(), ""),
		Secure:       c.Secure,
		Region:       c.Region,
		BucketLookup: lookup,
		Transport:    transport,
		MaxRetries:   s3MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	s := &s3Site{spec: spec, client: client, core: minio.Core{Client: client}}
	checkCtx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	exists, err := client.BucketExists(checkCtx, c.Bucket)
	if err != nil {
		if checkCtx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: check bucket %s: no answer within %v", ErrUnavailable, c.Bucket, s3CheckTimeout)
		}
		return nil, fmt.Errorf("check bucket %s: %w", c.Bucket, s3Error(err))
	}
	if !exists {
		return nil, fmt.Errorf("bucket %s does not exist at %s; create it first", c.Bucket, c.Endpoint)
	}
	return s, nil
}

func (s *s3Site) Name() string       { return s.spec.Name }
func (s *s3Site) DataCentre() string { return s.spec.DataCentre }
func (s *s3Site) Close() error       { return nil }

func (s *s3Site) objectName(key string) string { return s.spec.S3.Prefix + key }

func (s *s3Site) Put(ctx context.Context, key string, r io.Reader) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	hr := newHashingReader(ctx, r)
	// Unknown size: always a multipart upload, aborted by minio-go on error,
	// so a failed Put leaves no object behind.
	info, err := s.client.PutObject(ctx, s.spec.S3.Bucket, s.objectName(key), hr, -1, minio.PutObjectOptions{
		PartSize:    s3PartSize,
		ContentType: "application/octet-stream",
	})
	switch {
	case hr.err != nil:
		return Object{}, fmt.Errorf("put %s on site %s: read source: %w", key, s.spec.Name, hr.err)
	case err != nil:
		return Object{}, fmt.Errorf("put %s on site %s: %w", key, s.spec.Name, s3Error(err))
	case info.Size != hr.n:
		return Object{}, fmt.Errorf("put %s on site %s: stored %d bytes, sent %d", key, s.spec.Name, info.Size, hr.n)
	}
	return Object{Key: key, Size: hr.n, SHA256: hr.sum(), Modified: info.LastModified}, nil
}

func (s *s3Site) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.spec.S3.Bucket, s.objectName(key), minio.GetObjectOptions{})
	if err == nil {
		// GetObject is lazy; Stat makes a missing object fail here.
		_, err = obj.Stat()
		if err != nil {
			obj.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s on site %s: %w", key, s.spec.Name, s3Error(err))
	}
	return &s3Reader{obj: obj}, nil
}

// s3Reader classifies errors that happen while the object is read.
type s3Reader struct{ obj *minio.Object }

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = s3Error(err)
	}
	return n, err
}

func (r *s3Reader) Close() error { return r.obj.Close() }

func (s *s3Site) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.client.StatObject(ctx, s.spec.S3.Bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		return Object{}, fmt.Errorf("stat %s on site %s: %w", key, s.spec.Name, s3Error(err))
	}
	return Object{Key: key, Size: info.Size, Modified: info.LastModified}, nil
}

func (s *s3Site) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	var objects []Object
	opts := minio.ListObjectsOptions{Prefix: s.objectName(prefix), Recursive: true}
	for info := range s.client.ListObjects(ctx, s.spec.S3.Bucket, opts) {
		if info.Err != nil {
			return nil, fmt.Errorf("list %q on site %s: %w", prefix, s.spec.Name, s3Error(info.Err))
		}
		key := strings.TrimPrefix(info.Key, s.spec.S3.Prefix)
		if ValidateKey(key) != nil {
			continue // not written by us
		}
		objects = append(objects, Object{Key: key, Size: info.Size, Modified: info.LastModified})
	}
	return objects, nil
}

func (s *s3Site) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.spec.S3.Bucket, s.objectName(key), minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(s3Error(err), ErrNotFound) {
		return fmt.Errorf("delete %s on site %s: %w", key, s.spec.Name, s3Error(err))
	}
	return nil
}

func (s *s3Site) RemoveIncomplete(ctx context.Context, olderThan time.Time) (int, error) {
	removed := 0
	for upload := range s.client.ListIncompleteUploads(ctx, s.spec.S3.Bucket, s.spec.S3.Prefix, true) {
		if upload.Err != nil {
			return removed, fmt.Errorf("remove incomplete uploads on site %s: %w", s.spec.Name, s3Error(upload.Err))
		}
		if !upload.Initiated.Before(olderThan) {
			continue
		}
		err := s.core.AbortMultipartUpload(ctx, s.spec.S3.Bucket, upload.Key, upload.UploadID)
		if err != nil && !errors.Is(s3Error(err), ErrNotFound) {
			return removed, fmt.Errorf("abort upload of %s on site %s: %w", upload.Key, s.spec.Name, s3Error(err))
		}
		removed++
	}
	return removed, nil
}

// s3Error maps S3 and transport errors onto ErrNotFound and ErrUnavailable.
func s3Error(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NoSuchUpload":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed":
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var netErr net.Error
	var urlErr *url.Error
	if errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
