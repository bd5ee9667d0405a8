package site

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/instant-erp/instanterp/internal/backup/site/sitetest"
)

func TestS3Unavailable(t *testing.T) {
	server := startVersityGW(t)
	s, err := Open(context.Background(), s3BucketSpec(t, server, "s3eu", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Put(ctx, "before.age", strings.NewReader("up")); err != nil {
		t.Fatal(err)
	}

	server.Stop()
	// A generous guard only so that a regression hangs no CI run; the
	// bounded retries make Put return long before it.
	guard, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err = s.Put(guard, "during.age", strings.NewReader("down"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put with the server stopped = %v, want ErrUnavailable", err)
	}
	t.Logf("Put failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if _, err := s.Stat(guard, "before.age"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Stat with the server stopped = %v, want ErrUnavailable", err)
	}
	if _, err := Open(guard, s3UncreatedBucketSpec(t, server, "s3eu")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open with the server stopped = %v, want ErrUnavailable", err)
	}

	server.Start()
	if _, err := s.Put(ctx, "after.age", strings.NewReader("up again")); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	if got := listKeys(t, s, ""); strings.Join(got, ",") != "after.age,before.age" {
		t.Fatalf("List after restart = %v", got)
	}
}

func TestSFTPUnavailableThenReconnects(t *testing.T) {
	server := startSSHD(t)
	spec := sftpSpec(t, server, "offsite", server.KnownHosts())
	s, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Put(ctx, "before.age", strings.NewReader("up")); err != nil {
		t.Fatal(err)
	}

	server.Stop() // also ends the session serving our connection
	if _, err := s.Put(ctx, "during.age", strings.NewReader("down")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put with the server stopped = %v, want ErrUnavailable", err)
	}
	if _, err := s.Stat(ctx, "before.age"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Stat with the server stopped = %v, want ErrUnavailable", err)
	}
	if _, err := Open(ctx, spec); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open with the server stopped = %v, want ErrUnavailable", err)
	}

	server.Start()
	if _, err := s.Put(ctx, "after.age", strings.NewReader("up again")); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	if got := listKeys(t, s, ""); strings.Join(got, ",") != "after.age,before.age" {
		t.Fatalf("List after restart = %v", got)
	}
	if n := countTempFiles(t, spec.SFTP.Dir); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

func TestSFTPRefusesWrongHostKey(t *testing.T) {
	server := startSSHD(t)
	impostor := sitetest.WriteSSHKey(t, filepath.Join(t.TempDir(), "other_host_key"))
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	server.WriteKnownHosts(wrong, impostor)
	_, err := Open(context.Background(), sftpSpec(t, server, "offsite", wrong))
	if !errors.Is(err, ErrHostKey) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open with a wrong known_hosts entry = %v, want ErrHostKey and not ErrUnavailable", err)
	}
	t.Logf("refused: %v", err)
	if !strings.Contains(err.Error(), "key mismatch") {
		t.Fatalf("error does not say the key mismatched: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(server.Dir(), "sites")); len(entries) != 0 {
		t.Fatalf("the impostor check came after writing: %v", entries)
	}
}

func TestSFTPRefusesUnknownHost(t *testing.T) {
	server := startSSHD(t)
	other := filepath.Join(t.TempDir(), "known_hosts")
	line := "[127.0.0.1]:1 " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(server.HostKey()))) + "\n"
	if err := os.WriteFile(other, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), sftpSpec(t, server, "offsite", other))
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "no key for") {
		t.Fatalf("Open with the host missing from known_hosts = %v, want ErrHostKey", err)
	}
}

func TestSFTPRefusesUnauthorizedKey(t *testing.T) {
	server := startSSHD(t)
	spec := sftpSpec(t, server, "offsite", server.KnownHosts())
	spec.SFTP.KeyFile = filepath.Join(t.TempDir(), "stranger")
	sitetest.WriteSSHKey(t, spec.SFTP.KeyFile)
	_, err := Open(context.Background(), spec)
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Open with an unauthorized key = %v, want a login refusal that is not ErrUnavailable", err)
	}
}

func TestSFTPRefusesReadableKeyFile(t *testing.T) {
	server := startSSHD(t)
	spec := sftpSpec(t, server, "offsite", server.KnownHosts())
	if err := os.Chmod(spec.SFTP.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Open with a world-readable key = %v, want a refusal", err)
	}
}

func TestSFTPNoServerIsUnavailable(t *testing.T) {
	server := startSSHD(t)
	spec := sftpSpec(t, server, "offsite", server.KnownHosts())
	server.Stop()
	if _, err := Open(context.Background(), spec); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open without a server = %v, want ErrUnavailable", err)
	}
}
