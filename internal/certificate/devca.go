package certificate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	caCertFileName = "ca.pem"
	caKeyFileName  = "ca.key"

	caValidity = 10 * 365 * 24 * time.Hour
	// backdate tolerates clients whose clocks run a little behind.
	backdate = time.Hour
)

// devCA is the local certificate authority that signs development leaves.
type devCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// loadOrCreateCA returns the CA stored in dir, creating it when neither of
// its files exists. Anything else unexpected is an error: users trust this
// CA in their browsers, so it is never replaced behind their back.
func loadOrCreateCA(dir string, now time.Time) (ca *devCA, created bool, err error) {
	certPath := filepath.Join(dir, caCertFileName)
	keyPath := filepath.Join(dir, caKeyFileName)

	certPEM, _, certErr := readPEMFile(certPath)
	keyPEM, keyMode, keyErr := readPEMFile(keyPath)
	certMissing := errors.Is(certErr, fs.ErrNotExist)
	keyMissing := errors.Is(keyErr, fs.ErrNotExist)

	switch {
	case certMissing && keyMissing:
		ca, err := createCA(certPath, keyPath, now)
		return ca, err == nil, err
	case certErr != nil && !certMissing:
		return nil, false, fmt.Errorf("read development CA certificate: %w", certErr)
	case keyErr != nil && !keyMissing:
		return nil, false, fmt.Errorf("read development CA key: %w", keyErr)
	case certMissing:
		return nil, false, fmt.Errorf("development CA key %s exists but its certificate %s is missing; restore it, or remove the key to create a new CA", keyPath, certPath)
	case keyMissing:
		return nil, false, fmt.Errorf("development CA certificate %s exists but its key %s is missing; restore it, or remove the certificate to create a new CA (browsers must then trust the new one)", certPath, keyPath)
	}

	if err := checkPrivateKeyMode(keyPath, keyMode); err != nil {
		return nil, false, fmt.Errorf("development CA: %w", err)
	}
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, false, fmt.Errorf("development CA certificate %s is corrupt: %w", certPath, err)
	}
	signer, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, false, fmt.Errorf("development CA key %s is corrupt: %w", keyPath, err)
	}
	key, ok := signer.(*ecdsa.PrivateKey)
	if !ok {
		return nil, false, fmt.Errorf("development CA key %s is a %T, want ECDSA", keyPath, signer)
	}
	if !publicKeysEqual(cert, key) {
		return nil, false, fmt.Errorf("development CA key %s does not match certificate %s", keyPath, certPath)
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, false, fmt.Errorf("development CA certificate %s is not a CA certificate", certPath)
	}
	if !now.Before(cert.NotAfter) {
		return nil, false, fmt.Errorf("development CA certificate %s expired on %s; remove %s and %s to create a new CA", certPath, cert.NotAfter.Format(time.DateOnly), certPath, keyPath)
	}
	return &devCA{cert: cert, key: key}, false, nil
}

func createCA(certPath, keyPath string, now time.Time) (*devCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate development CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"Instant-ERP development"},
			CommonName:   caCommonName(now),
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		// It signs leaves only, never other CAs.
		MaxPathLen:     0,
		MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("sign development CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new development CA certificate: %w", err)
	}
	keyPEM, err := encodePrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	// Key first: a crash between the two writes leaves a key without a
	// certificate, which is reported rather than silently replaced.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("store development CA key: %w", err)
	}
	if err := writeFileAtomic(certPath, encodeCertificatePEM(der), 0o644); err != nil {
		return nil, fmt.Errorf("store development CA certificate: %w", err)
	}
	return &devCA{cert: cert, key: key}, nil
}

// caCommonName names the CA after the machine and day it was made, so users
// can tell several development CAs apart in their trust stores.
func caCommonName(now time.Time) string {
	name := "Instant-ERP development CA"
	if host, err := os.Hostname(); err == nil && host != "" {
		name += " " + host
	}
	return name + " " + now.UTC().Format(time.DateOnly)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return serial, nil
}

// fingerprint formats the SHA-256 of a certificate as browsers display it.
func fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
