package certificate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// servingCertificates gives a test server both an ECDSA and an RSA
// certificate, so a refused handshake is due to the policy under test and
// not to a missing certificate type.
type servingCertificates struct {
	ecdsa, rsa *tls.Certificate
	roots      *x509.CertPool
}

func newServingCertificates(t *testing.T) servingCertificates {
	t.Helper()
	dev, err := EnsureSelfSigned(t.TempDir(), "erp.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rsaPair := writeTestPair(t, rsaKey(t, 2048), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	roots := x509.NewCertPool()
	roots.AddCert(rsaPair.cert)
	if !roots.AppendCertsFromPEM(mustReadFile(t, dev.CAPath)) {
		t.Fatal("CA file has no certificate")
	}
	return servingCertificates{ecdsa: dev.Certificate, rsa: rsaPair.tlsCertificate(t), roots: roots}
}

func (s servingCertificates) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.SupportsCertificate(s.ecdsa) == nil {
		return s.ecdsa, nil
	}
	return s.rsa, nil
}

// serveTLS accepts TLS connections on a loopback port until the test ends,
// completing each handshake, and returns the address.
func serveTLS(t *testing.T, config *tls.Config) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listener := tls.NewListener(inner, config)
	t.Cleanup(func() { listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				if conn.(*tls.Conn).Handshake() == nil {
					conn.Write([]byte("ok"))
				}
			}()
		}
	}()
	return inner.Addr().String()
}

func dialTLS(addr string, config *tls.Config) (tls.ConnectionState, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, config)
	if err != nil {
		return tls.ConnectionState{}, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	buf := make([]byte, 2)
	// ReadFull: a TLS read may return data together with io.EOF (close_notify
	// right behind it), and TLS 1.0 splits records 1/n-1.
	if _, err := io.ReadFull(conn, buf); err != nil {
		return tls.ConnectionState{}, err
	}
	if string(buf) != "ok" {
		return tls.ConnectionState{}, errors.New("unexpected server reply")
	}
	return conn.ConnectionState(), nil
}

// permissiveConfig accepts everything Go can still speak. Each refused
// client below must succeed against it, proving the refusal comes from
// ServerTLSConfig and not from the client or the certificates.
func permissiveConfig(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	var all []uint16
	for _, suite := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		all = append(all, suite.ID)
	}
	return &tls.Config{GetCertificate: get, MinVersion: tls.VersionTLS10, CipherSuites: all}
}

func TestServerTLSConfigRefusesWeakClients(t *testing.T) {
	certs := newServingCertificates(t)
	strict := serveTLS(t, ServerTLSConfig(certs.get))
	permissive := serveTLS(t, permissiveConfig(certs.get))

	tests := []struct {
		name       string
		minVersion uint16
		maxVersion uint16
		suites     []uint16
	}{
		{"TLS 1.1", tls.VersionTLS10, tls.VersionTLS11, nil},
		{"TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, nil},
		{"TLS 1.2 CBC only", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
			tls.TLS_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_RSA_WITH_AES_256_CBC_SHA,
			tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
		}},
		{"TLS 1.2 RSA key exchange only", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		}},
		{"TLS 1.2 3DES only", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
			tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		}},
		{"TLS 1.2 RC4 only", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
			tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
			tls.TLS_RSA_WITH_RC4_128_SHA,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &tls.Config{
				RootCAs:      certs.roots,
				ServerName:   "localhost",
				MinVersion:   tt.minVersion,
				MaxVersion:   tt.maxVersion,
				CipherSuites: tt.suites,
			}
			if _, err := dialTLS(permissive, client.Clone()); err != nil {
				t.Fatalf("control: permissive server refused this client too: %v", err)
			}
			if state, err := dialTLS(strict, client.Clone()); err == nil {
				t.Fatalf("handshake succeeded with %s / %s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite))
			}
		})
	}
}

func TestServerTLSConfigAcceptsModernClients(t *testing.T) {
	certs := newServingCertificates(t)
	addr := serveTLS(t, ServerTLSConfig(certs.get))

	tests := []struct {
		name        string
		maxVersion  uint16
		suites      []uint16
		wantVersion uint16
		wantSuite   uint16
	}{
		{"TLS 1.2 ECDHE-ECDSA-AES128-GCM", tls.VersionTLS12,
			[]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
			tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"TLS 1.2 ECDHE-RSA-AES256-GCM", tls.VersionTLS12,
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
			tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		{"TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305", tls.VersionTLS12,
			[]uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
			tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		{"TLS 1.2 mixed offer picks AEAD", tls.VersionTLS12,
			[]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
			tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"client defaults negotiate TLS 1.3", 0, nil, tls.VersionTLS13, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, err := dialTLS(addr, &tls.Config{
				RootCAs:      certs.roots,
				ServerName:   "localhost",
				MaxVersion:   tt.maxVersion,
				CipherSuites: tt.suites,
			})
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if state.Version != tt.wantVersion {
				t.Errorf("version = %s, want %s", tls.VersionName(state.Version), tls.VersionName(tt.wantVersion))
			}
			if tt.wantSuite != 0 && state.CipherSuite != tt.wantSuite {
				t.Errorf("suite = %s, want %s", tls.CipherSuiteName(state.CipherSuite), tls.CipherSuiteName(tt.wantSuite))
			}
		})
	}
}

func TestServerTLSConfigKeyExchange(t *testing.T) {
	certs := newServingCertificates(t)
	addr := serveTLS(t, ServerTLSConfig(certs.get))

	tests := []struct {
		name   string
		client []tls.CurveID
		want   tls.CurveID
		ok     bool
	}{
		{"default client gets post-quantum hybrid", nil, tls.X25519MLKEM768, true},
		{"X25519", []tls.CurveID{tls.X25519}, tls.X25519, true},
		{"P-256", []tls.CurveID{tls.CurveP256}, tls.CurveP256, true},
		{"P-384 only is refused", []tls.CurveID{tls.CurveP384}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, err := dialTLS(addr, &tls.Config{RootCAs: certs.roots, ServerName: "localhost", CurvePreferences: tt.client})
			if !tt.ok {
				if err == nil {
					t.Fatalf("handshake succeeded with %v", state.CurveID)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if state.CurveID != tt.want {
				t.Errorf("key exchange = %v, want %v", state.CurveID, tt.want)
			}
		})
	}
}

func TestServerTLSConfigShape(t *testing.T) {
	calls := 0
	get := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { calls++; return nil, nil }
	config := ServerTLSConfig(get)
	if config.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %s", tls.VersionName(config.MinVersion))
	}
	if config.MaxVersion != 0 && config.MaxVersion < tls.VersionTLS13 {
		t.Errorf("MaxVersion = %s caps below TLS 1.3", tls.VersionName(config.MaxVersion))
	}
	insecure := map[uint16]bool{}
	for _, suite := range tls.InsecureCipherSuites() {
		insecure[suite.ID] = true
	}
	for _, id := range config.CipherSuites {
		if insecure[id] {
			t.Errorf("insecure suite %s enabled", tls.CipherSuiteName(id))
		}
	}
	if config.GetCertificate(nil); calls != 1 {
		t.Error("GetCertificate is not the caller's function")
	}
	if !slices.Contains(config.NextProtos, "acme-tls/1") || config.NextProtos[0] != "h2" {
		t.Errorf("NextProtos = %v", config.NextProtos)
	}
	// Each call returns its own value, so one server's changes stay local.
	other := ServerTLSConfig(get)
	other.CipherSuites[0] = tls.TLS_RSA_WITH_RC4_128_SHA
	if config.CipherSuites[0] == tls.TLS_RSA_WITH_RC4_128_SHA {
		t.Error("configs share their cipher suite slice")
	}
}
