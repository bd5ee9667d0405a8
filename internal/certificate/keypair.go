package certificate

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"
)

// minRSABits is the smallest RSA key accepted for serving.
const minRSABits = 2048

// LoadKeyPair loads an operator-supplied certificate chain and private key
// from PEM files. It refuses RSA keys under 2048 bits and a leaf
// certificate that has expired, so a bad deployment fails at start-up rather
// than at every client.
func LoadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	return loadKeyPair(certFile, keyFile, time.Now())
}

func loadKeyPair(certFile, keyFile string, now time.Time) (*tls.Certificate, error) {
	certPEM, _, err := readPEMFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", certFile, err)
	}
	keyPEM, _, err := readPEMFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("load private key %s: %w", keyFile, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load key pair %s and %s: %w", certFile, keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		leaf, err = x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("load certificate %s: %w", certFile, err)
		}
		pair.Leaf = leaf
	}

	if key, ok := pair.PrivateKey.(*rsa.PrivateKey); ok {
		if bits := key.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("load private key %s: RSA key is %d bits; at least %d are required", keyFile, bits, minRSABits)
		}
	}
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("load certificate %s: expired on %s (subject %q)", certFile, leaf.NotAfter.UTC().Format(time.RFC3339), leaf.Subject.CommonName)
	}
	return &pair, nil
}
