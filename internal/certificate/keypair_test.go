package certificate

import (
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadKeyPair(t *testing.T) {
	now := time.Now()
	valid := func(key crypto.Signer) func(t *testing.T) testPair {
		return func(t *testing.T) testPair {
			return writeTestPair(t, key, now.Add(-time.Hour), now.Add(90*24*time.Hour))
		}
	}
	tests := []struct {
		name    string
		pair    func(t *testing.T) testPair
		wantErr string
	}{
		{"RSA 2048", valid(rsaKey(t, 2048)), ""},
		{"ECDSA P-256", valid(ecdsaKey(t)), ""},
		{"RSA 1024", valid(rsaKey(t, 1024)), "RSA key is 1024 bits; at least 2048 are required"},
		{"RSA 2047", valid(rsaKey(t, 2047)), "RSA key is 2047 bits"},
		{"expired", func(t *testing.T) testPair {
			return writeTestPair(t, ecdsaKey(t), now.Add(-48*time.Hour), now.Add(-time.Hour))
		}, "expired on"},
		{"key of another certificate", func(t *testing.T) testPair {
			p := valid(ecdsaKey(t))(t)
			other := valid(ecdsaKey(t))(t)
			p.keyFile = other.keyFile
			return p
		}, "private key does not match public key"},
		{"certificate file holds a key", func(t *testing.T) testPair {
			p := valid(ecdsaKey(t))(t)
			p.certFile = p.keyFile
			return p
		}, "load key pair"},
		{"missing certificate", func(t *testing.T) testPair {
			p := valid(ecdsaKey(t))(t)
			p.certFile = filepath.Join(t.TempDir(), "absent.pem")
			return p
		}, "absent.pem"},
		{"oversized certificate file", func(t *testing.T) testPair {
			p := valid(ecdsaKey(t))(t)
			p.certFile = filepath.Join(t.TempDir(), "huge.pem")
			if err := os.WriteFile(p.certFile, make([]byte, maxPEMFileSize+1), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pair(t)
			got, err := LoadKeyPair(p.certFile, p.keyFile)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatal("LoadKeyPair accepted it")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadKeyPair: %v", err)
			}
			if got.Leaf == nil || !got.Leaf.Equal(p.cert) {
				t.Fatal("Leaf is not the loaded certificate")
			}
			if !publicKeysEqual(got.Leaf, got.PrivateKey.(crypto.Signer)) {
				t.Fatal("loaded key does not match the certificate")
			}
		})
	}
}

func TestLoadKeyPairMissingFileWrapsNotExist(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadKeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

// A self-signed development pair written by EnsureSelfSigned also loads as
// an operator key pair.
func TestLoadKeyPairReadsDevelopmentFiles(t *testing.T) {
	dir := t.TempDir()
	s := mustEnsure(t, dir, "erp.test", time.Now())
	got, err := LoadKeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Leaf.Equal(s.Certificate.Leaf) {
		t.Fatal("loaded a different leaf")
	}
}
