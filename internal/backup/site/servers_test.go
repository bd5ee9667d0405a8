package site

// Real servers for the tests come from package sitetest: OpenSSH's sshd for
// SFTP sites and versitygw for S3 sites. These adapters turn its URLs into
// specs.

import (
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/site/sitetest"
)

func startSSHD(t *testing.T) *sitetest.SSHD { return sitetest.StartSSHD(t) }

func startVersityGW(t *testing.T) *sitetest.S3 { return sitetest.StartS3(t) }

// sftpSpec returns a spec for an SFTP site in a fresh directory on server.
func sftpSpec(t *testing.T, server *sitetest.SSHD, name, knownHostsFile string) Spec {
	t.Helper()
	spec, err := ParseSpec(name+"@dc-sftp="+server.URL(server.SiteDir(name), knownHostsFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func serverEnv(server *sitetest.S3) func(string) string {
	return func(name string) string {
		switch name {
		case EnvS3AccessKey:
			return server.AccessKey()
		case EnvS3SecretKey:
			return server.SecretKey()
		}
		return ""
	}
}

// s3BucketSpec creates a bucket and returns the spec of a site in it.
func s3BucketSpec(t *testing.T, server *sitetest.S3, name, prefix string) Spec {
	t.Helper()
	spec, err := ParseSpec(name+"@dc-s3="+server.URL(server.CreateBucket(name), prefix), serverEnv(server))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// s3UncreatedBucketSpec returns the spec of a site in a bucket that is
// never created, for tests where the server is down anyway.
func s3UncreatedBucketSpec(t *testing.T, server *sitetest.S3, name string) Spec {
	t.Helper()
	raw := fmt.Sprintf("%s@dc-s3=s3://bk-%s?endpoint=http://%s&path_style=true", name, name, server.Address())
	spec, err := ParseSpec(raw, serverEnv(server))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
