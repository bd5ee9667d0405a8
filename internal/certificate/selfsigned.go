package certificate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	leafCertFileName = "server.pem"
	leafKeyFileName  = "server.key"

	// leafValidity stays under the 398 days browsers accept for a leaf.
	leafValidity = 397 * 24 * time.Hour
	// leafRenewBefore reissues a leaf this long before it expires.
	leafRenewBefore = 30 * 24 * time.Hour
)

// SelfSigned is the development TLS setup: a local CA that users trust once
// and a leaf certificate it signed for the server's names.
type SelfSigned struct {
	// Certificate holds the leaf and the CA certificate, with the leaf's key.
	Certificate *tls.Certificate
	// CAPath is the CA certificate file users import into their trust store.
	CAPath string
	// CAFingerprint is the SHA-256 of the CA certificate as "AB:CD:…", for
	// users to compare with what their browser shows.
	CAFingerprint string
	// CACreated reports that this call created a new CA.
	CACreated bool
	// LeafIssued reports that this call issued a new leaf certificate.
	LeafIssued bool
	// AllowHost, when set, limits the per-host certificates GetCertificate issues to
	// hosts it accepts (the server passes "is a live tenant").
	AllowHost func(host string) bool

	ca     *devCA
	domain string
	now    func() time.Time
	mu     sync.Mutex
	hosts  map[string]*tls.Certificate
}

// maxHostCertificates bounds the per-host cache; past it the cache starts over.
const maxHostCertificates = 4096

// GetCertificate fits ServerTLSConfig. Browsers and OpenSSL do not accept a wildcard
// directly under a single-label name such as *.localhost, so for <tenant>.<domain> and
// <tenant>.localhost it issues (once, in memory) a leaf naming exactly that host.
// Every other handshake gets the stored leaf.
func (s *SelfSigned) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello == nil {
		return s.Certificate, nil
	}
	host := strings.TrimSuffix(strings.ToLower(hello.ServerName), ".")
	if s.ca == nil || !s.isTenantHost(host) || (s.AllowHost != nil && !s.AllowHost(host)) {
		return s.Certificate, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.hosts[host]; ok && s.now().Before(c.Leaf.NotAfter.Add(-leafRenewBefore)) {
		return c, nil
	}
	leaf, key, _, err := signLeaf(s.ca, subjectNames{dnsNames: []string{host}}, s.now())
	if err != nil {
		return nil, err
	}
	if s.hosts == nil || len(s.hosts) >= maxHostCertificates {
		s.hosts = map[string]*tls.Certificate{}
	}
	c := &tls.Certificate{Certificate: [][]byte{leaf.Raw, s.ca.cert.Raw}, PrivateKey: key, Leaf: leaf}
	s.hosts[host] = c
	return c, nil
}

// isTenantHost reports whether host is one DNS label in front of the domain or of
// localhost.
func (s *SelfSigned) isTenantHost(host string) bool {
	for _, parent := range []string{s.domain, "localhost"} {
		if label, ok := strings.CutSuffix(host, "."+parent); ok && label != "" && !strings.Contains(label, ".") &&
			validateDNSName(label) == nil {
			return true
		}
	}
	return false
}

// EnsureSelfSigned returns the development TLS setup stored in dir, creating
// what is missing. The CA (ECDSA P-256, ca.pem readable by all, ca.key 0600)
// is made once and then reused. The leaf (ECDSA P-256, serverAuth) covers
// domain, *.domain, localhost, *.localhost, 127.0.0.1 and ::1; it is
// reissued by the same CA when missing, within 30 days of expiry, no longer
// signed by the CA, or not covering those names. Files that exist but cannot
// be read or parsed are reported, never overwritten.
func EnsureSelfSigned(dir, domain string, now time.Time) (*SelfSigned, error) {
	if dir == "" {
		return nil, errors.New("self-signed certificate: no directory given")
	}
	names, err := developmentNames(domain)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("self-signed certificate: create %s: %w", dir, err)
	}

	ca, caCreated, err := loadOrCreateCA(dir, now)
	if err != nil {
		return nil, err
	}
	leaf, leafKey, err := loadLeaf(dir)
	if err != nil {
		return nil, err
	}
	leafIssued := false
	if leaf == nil || !leafUsable(leaf, leafKey, ca, names, now) {
		leaf, leafKey, err = issueLeaf(dir, ca, names, now)
		if err != nil {
			return nil, err
		}
		leafIssued = true
	}

	return &SelfSigned{
		Certificate: &tls.Certificate{
			Certificate: [][]byte{leaf.Raw, ca.cert.Raw},
			PrivateKey:  leafKey,
			Leaf:        leaf,
		},
		CAPath:        filepath.Join(dir, caCertFileName),
		CAFingerprint: fingerprint(ca.cert),
		CACreated:     caCreated,
		LeafIssued:    leafIssued,
		ca:            ca,
		domain:        strings.TrimSuffix(strings.ToLower(domain), "."),
		now:           time.Now,
	}, nil
}

// loadLeaf returns the stored leaf, or nil when either file is missing.
func loadLeaf(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath := filepath.Join(dir, leafCertFileName)
	keyPath := filepath.Join(dir, leafKeyFileName)

	certPEM, _, err := readPEMFile(certPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read development certificate: %w", err)
	}
	keyPEM, keyMode, err := readPEMFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read development certificate key: %w", err)
	}
	if err := checkPrivateKeyMode(keyPath, keyMode); err != nil {
		return nil, nil, fmt.Errorf("development certificate: %w", err)
	}

	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("development certificate %s is corrupt (remove it to issue a new one): %w", certPath, err)
	}
	signer, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("development certificate key %s is corrupt (remove it to issue a new one): %w", keyPath, err)
	}
	key, ok := signer.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("development certificate key %s is a %T, want ECDSA", keyPath, signer)
	}
	return cert, key, nil
}

// leafUsable reports whether a stored leaf can keep serving; if not, a new
// one is issued. A half-finished earlier write shows up here as a key that
// does not match its certificate.
func leafUsable(leaf *x509.Certificate, key *ecdsa.PrivateKey, ca *devCA, names subjectNames, now time.Time) bool {
	if !publicKeysEqual(leaf, key) {
		return false
	}
	if now.Add(leafRenewBefore).After(leaf.NotAfter) {
		return false
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return false
	}
	return names.coveredBy(leaf.DNSNames, leaf.IPAddresses)
}

func issueLeaf(dir string, ca *devCA, names subjectNames, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, key, der, err := signLeaf(ca, names, now)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodePrivateKeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, leafKeyFileName), keyPEM, 0o600); err != nil {
		return nil, nil, fmt.Errorf("store development certificate key: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, leafCertFileName), encodeCertificatePEM(der), 0o644); err != nil {
		return nil, nil, fmt.Errorf("store development certificate: %w", err)
	}
	return cert, key, nil
}

// signLeaf makes a serverAuth leaf for names, signed by ca.
func signLeaf(ca *devCA, names subjectNames, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generate development certificate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, nil, err
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	commonName := "localhost"
	if len(names.dnsNames) > 0 {
		commonName = names.dnsNames[0]
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"Instant-ERP development"},
			CommonName:   commonName,
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names.dnsNames,
		IPAddresses:           names.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sign development certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse new development certificate: %w", err)
	}
	return cert, key, der, nil
}
