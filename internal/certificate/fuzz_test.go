package certificate

import (
	"strings"
	"testing"
)

// FuzzParsePEM feeds arbitrary file contents to the certificate and key
// parsers used on files found on disk: no panic, and a success is always a
// usable value.
func FuzzParsePEM(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"))
	f.Add([]byte("garbage"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if cert, err := parseCertificatePEM(data); err == nil && (cert == nil || len(cert.Raw) == 0) {
			t.Fatal("certificate parsed without content")
		}
		if key, err := parsePrivateKeyPEM(data); err == nil && (key == nil || key.Public() == nil) {
			t.Fatal("key parsed without a public half")
		}
	})
}

// FuzzDevelopmentNames checks that any accepted domain yields only names a
// certificate may carry: lower-case labels, at most one leading wildcard.
func FuzzDevelopmentNames(f *testing.F) {
	for _, seed := range []string{"erp.test", "localhost", "Example.COM.", "127.0.0.1", "::1", "*.x", "a..b", "-a.b", "xn--bcher-kva.example", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		names, err := developmentNames(domain)
		if err != nil {
			return
		}
		if len(names.dnsNames) < 2 || len(names.ips) < 2 {
			t.Fatalf("%q: loopback names missing: %+v", domain, names)
		}
		for _, name := range names.dnsNames {
			if err := validateDNSName(strings.TrimPrefix(name, "*.")); err != nil {
				t.Fatalf("%q produced invalid name %q: %v", domain, name, err)
			}
		}
	})
}
