package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/mail/mailtest"
)

// testCertificate writes a self-signed certificate for ips and returns the files
// and a pool trusting it.
func testCertificate(t *testing.T, ips ...net.IP) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailpit test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: ips, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// externalIPv4 is an address of this machine outside the loopback network, where a
// server is not "local" for the TLS rule.
func externalIPv4(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.To4()
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine: the TLS-required case cannot be exercised")
	return nil
}

func sendThrough(t *testing.T, rawURL, password string, roots *x509.CertPool, msg Message) error {
	t.Helper()
	var tlsConfig *tls.Config
	if roots != nil {
		tlsConfig = &tls.Config{RootCAs: roots}
	}
	s, err := New(Settings{SMTPURL: rawURL, SMTPPassword: password, From: "Instant-ERP <noreply@example.com>", TLS: tlsConfig})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Send(ctx, msg)
}

func TestSMTPDeliversToRealServer(t *testing.T) {
	mp := mailtest.Start(t, mailtest.Options{})
	msg := Message{To: []string{"Ada Lovelace <ada@example.com>"}, Subject: "Réinitialisation du mot de passe",
		Text: "Open https://acme.example.com/web/reset_password?token=abc", HTML: "<p>Open the link</p>"}
	if err := sendThrough(t, mp.URL(""), "", nil, msg); err != nil {
		t.Fatal(err)
	}
	got := mp.Messages(t)
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	m := got[0]
	if m.Subject != msg.Subject || len(m.To) != 1 || m.To[0].Address != "ada@example.com" || m.From.Address != "noreply@example.com" {
		t.Errorf("received %+v", m)
	}
	if m.Text != msg.Text+"\r\n" && m.Text != msg.Text && m.Text != msg.Text+"\n" {
		t.Errorf("text = %q", m.Text)
	}
	if m.HTML == "" {
		t.Error("HTML alternative lost")
	}
}

func TestSMTPHeaderInjectionNeverReachesServer(t *testing.T) {
	mp := mailtest.Start(t, mailtest.Options{})
	for _, msg := range []Message{
		{To: []string{"a@example.com"}, Subject: "hi\r\nBcc: victim@example.com", Text: "x"},
		{To: []string{"a@example.com\r\nBcc: victim@example.com"}, Subject: "hi", Text: "x"},
		{From: "x@example.com\nBcc: victim@example.com", To: []string{"a@example.com"}, Subject: "hi", Text: "x"},
	} {
		if err := sendThrough(t, mp.URL(""), "", nil, msg); err == nil {
			t.Errorf("sent %+v", msg)
		}
	}
	if got := mp.Messages(t); len(got) != 0 {
		t.Fatalf("server received %d messages", len(got))
	}
}

func TestSMTPStartTLSWithAuthentication(t *testing.T) {
	ip := externalIPv4(t)
	cert, key, roots := testCertificate(t, ip, net.IPv4(127, 0, 0, 1))
	auth := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(auth, []byte("mailer:Tr0ub4dor-and-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := mailtest.Start(t, mailtest.Options{Host: ip.String(), CertFile: cert, KeyFile: key, AuthFile: auth})
	msg := Message{To: []string{"bob@example.com"}, Subject: "Invitation", Text: "Welcome"}

	if err := sendThrough(t, mp.URL("mailer"), "Tr0ub4dor-and-3", roots, msg); err != nil {
		t.Fatalf("send over STARTTLS: %v", err)
	}
	err := sendThrough(t, mp.URL("mailer"), "wrong", roots, msg)
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "Tr0ub4dor") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error discloses the password: %v", err)
	}
	// An untrusted certificate is refused, not skipped.
	if err := sendThrough(t, mp.URL("mailer"), "Tr0ub4dor-and-3", nil, msg); err == nil {
		t.Fatal("sent to a server whose certificate is not trusted")
	}
	if got := mp.Messages(t); len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
}

func TestSMTPRequiresTLSOffLoopback(t *testing.T) {
	ip := externalIPv4(t)
	mp := mailtest.Start(t, mailtest.Options{Host: ip.String()}) // no STARTTLS offered
	err := sendThrough(t, mp.URL(""), "", nil, Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("sent in clear text to a server off the loopback interface")
	}
	if got := mp.Messages(t); len(got) != 0 {
		t.Fatalf("server received %d messages", len(got))
	}
}
