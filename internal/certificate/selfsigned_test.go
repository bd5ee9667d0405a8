package certificate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustEnsure(t *testing.T, dir, domain string, now time.Time) *SelfSigned {
	t.Helper()
	s, err := EnsureSelfSigned(dir, domain, now)
	if err != nil {
		t.Fatalf("EnsureSelfSigned(%q): %v", domain, err)
	}
	return s
}

func caPool(t *testing.T, s *SelfSigned) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(mustReadFile(t, s.CAPath)) {
		t.Fatalf("%s holds no certificate", s.CAPath)
	}
	return pool
}

func TestEnsureSelfSignedCreatesCAAndLeaf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	s := mustEnsure(t, dir, "erp.test", now)

	if !s.CACreated || !s.LeafIssued {
		t.Errorf("CACreated = %v, LeafIssued = %v; want both true on first call", s.CACreated, s.LeafIssued)
	}
	if s.CAPath != filepath.Join(dir, "ca.pem") {
		t.Errorf("CAPath = %s", s.CAPath)
	}
	modes := map[string]os.FileMode{"ca.pem": 0o644, "ca.key": 0o600, "server.pem": 0o644, "server.key": 0o600}
	for name, want := range modes {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %04o, want %04o", name, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(modes) {
		t.Errorf("directory holds %d entries, want %d (temporary files left behind?)", len(entries), len(modes))
	}

	chain := s.Certificate.Certificate
	if len(chain) != 2 {
		t.Fatalf("chain has %d certificates, want leaf + CA", len(chain))
	}
	ca, err := x509.ParseCertificate(chain[1])
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || !ca.MaxPathLenZero || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate constraints: IsCA=%v MaxPathLenZero=%v KeyUsage=%v", ca.IsCA, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if pub, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", ca.PublicKey)
	}
	if !bytes.Equal(ca.Raw, mustDecodePEM(t, mustReadFile(t, s.CAPath))) {
		t.Error("chain CA differs from ca.pem")
	}

	leaf := s.Certificate.Leaf
	if leaf == nil || !bytes.Equal(leaf.Raw, chain[0]) {
		t.Fatal("Leaf is not the first certificate of the chain")
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("leaf not signed by the CA: %v", err)
	}
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("leaf key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if lifetime := leaf.NotAfter.Sub(leaf.NotBefore); lifetime > 398*24*time.Hour {
		t.Errorf("leaf lifetime %v exceeds 398 days", lifetime)
	}
	if leaf.IsCA || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf IsCA=%v ExtKeyUsage=%v, want a serverAuth end entity", leaf.IsCA, leaf.ExtKeyUsage)
	}
	wantNames := []string{"erp.test", "*.erp.test", "localhost", "*.localhost"}
	if strings.Join(leaf.DNSNames, ",") != strings.Join(wantNames, ",") {
		t.Errorf("leaf DNS names = %v, want %v", leaf.DNSNames, wantNames)
	}
	if len(leaf.IPAddresses) != 2 || leaf.IPAddresses[0].String() != "127.0.0.1" || leaf.IPAddresses[1].String() != "::1" {
		t.Errorf("leaf IP addresses = %v", leaf.IPAddresses)
	}
	if got, _ := s.GetCertificate(nil); got != s.Certificate {
		t.Error("GetCertificate does not return the certificate")
	}
}

func mustDecodePEM(t *testing.T, data []byte) []byte {
	t.Helper()
	cert, err := parseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return cert.Raw
}

func TestEnsureSelfSignedFingerprint(t *testing.T) {
	s := mustEnsure(t, t.TempDir(), "erp.test", time.Now())
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(s.CAFingerprint) {
		t.Fatalf("fingerprint %q is not in AB:CD:… form", s.CAFingerprint)
	}
	sum := sha256.Sum256(mustDecodePEM(t, mustReadFile(t, s.CAPath)))
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	if got := strings.ReplaceAll(s.CAFingerprint, ":", ""); got != want {
		t.Fatalf("fingerprint %s is not the SHA-256 of ca.pem (%s)", got, want)
	}
}

// The leaf must verify, over a real handshake, for the names a developer
// uses and for nothing else.
func TestSelfSignedLeafVerifiesAgainstCA(t *testing.T) {
	s := mustEnsure(t, t.TempDir(), "erp.test", time.Now())
	addr := serveTLS(t, ServerTLSConfig(s.GetCertificate))
	roots := caPool(t, s)

	tests := []struct {
		serverName string
		ok         bool
	}{
		{"acme.localhost", true},
		{"localhost", true},
		{"127.0.0.1", true},
		{"::1", true},
		{"erp.test", true},
		{"acme.erp.test", true},
		{"evil.test", false},
		{"a.b.erp.test", false},
		{"erp.test.evil", false},
		{"10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.serverName, func(t *testing.T) {
			_, err := dialTLS(addr, &tls.Config{RootCAs: roots, ServerName: tt.serverName})
			if tt.ok && err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("handshake succeeded for a name the certificate must not cover")
			}
		})
	}

	// Without the development CA in the pool, nothing verifies.
	if _, err := dialTLS(addr, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "localhost"}); err == nil {
		t.Fatal("leaf verified without its CA")
	}
}

func TestEnsureSelfSignedReusesCAAndLeaf(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first := mustEnsure(t, dir, "erp.test", now)
	second := mustEnsure(t, dir, "ERP.test.", now.Add(24*time.Hour))

	if second.CACreated || second.LeafIssued {
		t.Errorf("second call: CACreated = %v, LeafIssued = %v; want reuse", second.CACreated, second.LeafIssued)
	}
	if first.CAFingerprint != second.CAFingerprint {
		t.Error("CA changed between calls")
	}
	if !bytes.Equal(first.Certificate.Leaf.Raw, second.Certificate.Leaf.Raw) {
		t.Error("leaf changed although it still fits")
	}
}

func TestEnsureSelfSignedReissuesLeaf(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		domain  string
		at      time.Time
		reissue bool
	}{
		{"domain changed", nil, "other.test", now, true},
		{"leaf certificate missing", func(t *testing.T, dir string) { remove(t, dir, "server.pem") }, "erp.test", now, true},
		{"leaf key missing", func(t *testing.T, dir string) { remove(t, dir, "server.key") }, "erp.test", now, true},
		{"under 30 days left", nil, "erp.test", now.Add(370 * 24 * time.Hour), true},
		{"over 30 days left", nil, "erp.test", now.Add(360 * 24 * time.Hour), false},
		{"key does not match certificate", func(t *testing.T, dir string) {
			other := mustEnsure(t, t.TempDir(), "erp.test", now)
			keyPEM, err := encodePrivateKeyPEM(other.Certificate.PrivateKey.(*ecdsa.PrivateKey))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, "server.key", keyPEM, 0o600)
		}, "erp.test", now, true},
		{"leaf signed by another CA", func(t *testing.T, dir string) {
			otherDir := t.TempDir()
			mustEnsure(t, otherDir, "erp.test", now)
			for _, name := range []string{"server.pem", "server.key"} {
				writeFile(t, dir, name, mustReadFile(t, filepath.Join(otherDir, name)), 0o600)
			}
		}, "erp.test", now, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := mustEnsure(t, dir, "erp.test", now)
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			second := mustEnsure(t, dir, tt.domain, tt.at)

			if second.LeafIssued != tt.reissue {
				t.Fatalf("LeafIssued = %v, want %v", second.LeafIssued, tt.reissue)
			}
			if second.CACreated || second.CAFingerprint != first.CAFingerprint {
				t.Fatal("the CA was replaced")
			}
			leaf := second.Certificate.Leaf
			if err := leaf.VerifyHostname("tenant." + tt.domain); err != nil {
				t.Errorf("leaf does not cover the requested domain: %v", err)
			}
			if leaf.NotAfter.Sub(tt.at) < leafRenewBefore {
				t.Errorf("leaf served with %v left", leaf.NotAfter.Sub(tt.at))
			}
			// What was served is what is stored, so the next start reuses it.
			third := mustEnsure(t, dir, tt.domain, tt.at)
			if third.LeafIssued || !bytes.Equal(third.Certificate.Leaf.Raw, leaf.Raw) {
				t.Error("the stored leaf is not the one served")
			}
		})
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, dir, name string, data []byte, mode os.FileMode) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// Existing files that cannot be used are reported with the offending path
// and left exactly as they were.
func TestEnsureSelfSignedRefusesDamagedFiles(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr string
	}{
		{"corrupt CA certificate", func(t *testing.T, dir string) {
			writeFile(t, dir, "ca.pem", []byte("not a certificate"), 0o644)
		}, "ca.pem is corrupt"},
		{"CA certificate with garbage DER", func(t *testing.T, dir string) {
			writeFile(t, dir, "ca.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
		}, "ca.pem is corrupt"},
		{"corrupt CA key", func(t *testing.T, dir string) {
			writeFile(t, dir, "ca.key", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
		}, "ca.key is corrupt"},
		{"CA key missing", func(t *testing.T, dir string) { remove(t, dir, "ca.key") }, "ca.key is missing"},
		{"CA certificate missing", func(t *testing.T, dir string) { remove(t, dir, "ca.pem") }, "ca.pem is missing"},
		{"CA certificate unreadable", func(t *testing.T, dir string) {
			remove(t, dir, "ca.pem")
			if err := os.Mkdir(filepath.Join(dir, "ca.pem"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "ca.pem is not a regular file"},
		{"CA key readable by others", func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "ca.key"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "ca.key has permissions 0644"},
		{"CA key from another CA", func(t *testing.T, dir string) {
			otherDir := t.TempDir()
			mustEnsure(t, otherDir, "erp.test", now)
			writeFile(t, dir, "ca.key", mustReadFile(t, filepath.Join(otherDir, "ca.key")), 0o600)
		}, "does not match"},
		{"CA certificate is a leaf", func(t *testing.T, dir string) {
			writeFile(t, dir, "ca.pem", mustReadFile(t, filepath.Join(dir, "server.pem")), 0o644)
			writeFile(t, dir, "ca.key", mustReadFile(t, filepath.Join(dir, "server.key")), 0o600)
		}, "not a CA certificate"},
		{"corrupt leaf certificate", func(t *testing.T, dir string) {
			writeFile(t, dir, "server.pem", []byte("garbage"), 0o644)
		}, "server.pem is corrupt"},
		{"corrupt leaf key", func(t *testing.T, dir string) {
			writeFile(t, dir, "server.key", []byte("garbage"), 0o600)
		}, "server.key is corrupt"},
		{"leaf key readable by others", func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "server.key"), 0o640); err != nil {
				t.Fatal(err)
			}
		}, "server.key has permissions 0640"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustEnsure(t, dir, "erp.test", now)
			tt.damage(t, dir)
			before := snapshotDir(t, dir)

			_, err := EnsureSelfSigned(dir, "erp.test", now)
			if err == nil {
				t.Fatal("EnsureSelfSigned accepted damaged files")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
			if after := snapshotDir(t, dir); after != before {
				t.Fatalf("files changed after a refused call:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshotDir summarises the names, modes and contents of a directory.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, entry := range entries {
		info, err := entry.Info()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(entry.Name() + " " + info.Mode().String())
		if info.Mode().IsRegular() {
			sum := sha256.Sum256(mustReadFile(t, filepath.Join(dir, entry.Name())))
			b.WriteString(" " + hex.EncodeToString(sum[:8]))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func TestEnsureSelfSignedRefusesExpiredCA(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mustEnsure(t, dir, "erp.test", now)
	_, err := EnsureSelfSigned(dir, "erp.test", now.Add(caValidity+time.Hour))
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err = %v, want an expired-CA error", err)
	}
}

func TestEnsureSelfSignedDomains(t *testing.T) {
	tests := []struct {
		domain  string
		ok      bool
		dnsName string // a name the leaf must then cover
	}{
		{"erp.test", true, "acme.erp.test"},
		{"Example.COM", true, "tenant.example.com"},
		{"localhost", true, "acme.localhost"},
		{"xn--bcher-kva.example", true, "t.xn--bcher-kva.example"},
		{"192.168.1.10", true, "192.168.1.10"},
		{"", false, ""},
		{"*.erp.test", false, ""},
		{"erp..test", false, ""},
		{"-erp.test", false, ""},
		{"erp_test.example", false, ""},
		{"bücher.example", false, ""},
		{"erp.test/evil", false, ""},
		{strings.Repeat("a", 64) + ".test", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tls")
			s, err := EnsureSelfSigned(dir, tt.domain, time.Now())
			if !tt.ok {
				if err == nil {
					t.Fatal("invalid domain accepted")
				}
				if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
					t.Error("a refused domain still created the directory")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Certificate.Leaf.VerifyHostname(tt.dnsName); err != nil {
				t.Errorf("leaf does not cover %s: %v", tt.dnsName, err)
			}
		})
	}
}

func TestEnsureSelfSignedNeedsDirectory(t *testing.T) {
	if _, err := EnsureSelfSigned("", "erp.test", time.Now()); err == nil {
		t.Fatal("empty directory accepted")
	}
}
