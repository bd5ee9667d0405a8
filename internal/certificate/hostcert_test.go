package certificate

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestPerHostCertificates(t *testing.T) {
	s, err := EnsureSelfSigned(t.TempDir(), "erp.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.AllowHost = func(host string) bool { return host != "blocked.localhost" }
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.cert)

	cases := []struct {
		sni       string
		ownLeaf   bool // a leaf naming exactly the host
		verifyFor string
	}{
		{"acme.localhost", true, "acme.localhost"},
		{"ACME.erp.test", true, "acme.erp.test"},
		{"blocked.localhost", false, ""},
		{"a.b.localhost", false, ""},
		{"localhost", false, "localhost"},
		{"", false, "localhost"},
		{"evil.test", false, ""},
	}
	for _, c := range cases {
		cert, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: c.sni})
		if err != nil {
			t.Fatalf("%q: %v", c.sni, err)
		}
		if own := cert != s.Certificate; own != c.ownLeaf {
			t.Errorf("%q: own leaf %v, want %v", c.sni, own, c.ownLeaf)
		}
		if c.ownLeaf && (len(cert.Leaf.DNSNames) != 1 || cert.Leaf.DNSNames[0] != c.verifyFor) {
			t.Errorf("%q: leaf names %v", c.sni, cert.Leaf.DNSNames)
		}
		if c.verifyFor != "" {
			if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: c.verifyFor, Roots: pool}); err != nil {
				t.Errorf("%q: leaf does not verify for %s: %v", c.sni, c.verifyFor, err)
			}
		}
	}
	// Issued once, then served from memory.
	a, _ := s.GetCertificate(&tls.ClientHelloInfo{ServerName: "acme.localhost"})
	b, _ := s.GetCertificate(&tls.ClientHelloInfo{ServerName: "acme.localhost"})
	if a != b {
		t.Error("per-host certificate issued twice")
	}
}
