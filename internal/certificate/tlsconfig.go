// Package certificate provides the HTTPS server's TLS policy and its
// certificates: operator-supplied key pairs, a self-signed development CA,
// and ACME (Let's Encrypt) in production.
package certificate

import (
	"crypto/tls"

	"golang.org/x/crypto/acme"
)

// tls12CipherSuites are the only suites offered to TLS 1.2 clients: forward
// secret (ECDHE) key exchange with AEAD encryption. TLS 1.3 suites are not
// configurable in Go and are all AEAD.
func tls12CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// ServerTLSConfig returns the TLS policy of the HTTPS server: TLS 1.2 at
// least (1.3 is negotiated whenever the client supports it), ECDHE with
// AES-GCM or ChaCha20-Poly1305 only for TLS 1.2, and key exchange over the
// hybrid post-quantum X25519MLKEM768, X25519 or P-256.
//
// getCertificate picks the certificate per handshake: SelfSigned.GetCertificate,
// an autocert.Manager's GetCertificate, or one returning a loaded key pair.
// The result is a new value the caller may adjust.
func ServerTLSConfig(getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		GetCertificate: getCertificate,
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tls12CipherSuites(),
		// Go ignores the order and applies its own preference; X25519MLKEM768
		// is in Go's default set (since 1.24) and is kept here so clients
		// that offer it get post-quantum protection.
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256},
		// acme-tls/1 lets an ACME CA validate the domain over this listener
		// (tls-alpn-01); autocert answers those handshakes itself.
		NextProtos: []string{"h2", "http/1.1", acme.ALPNProto},
	}
}
