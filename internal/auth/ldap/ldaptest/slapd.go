// Package ldaptest runs a real OpenLDAP slapd for tests: its own configuration,
// database and TLS certificate in a temporary directory, LDAPS and LDAP (with
// StartTLS) on free loopback ports. Tests skip loudly when slapd is not installed
// (.ci/services.sh installs Debian's slapd and ldap-utils).
package ldaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

const (
	// BaseDN holds the people; Suffix is the database's root.
	Suffix = "dc=example,dc=com"
	BaseDN = "ou=people," + Suffix
	// ReaderDN is a search account with ReaderPassword.
	ReaderDN       = "cn=reader," + Suffix
	ReaderPassword = "reader-secret"
	rootDN         = "cn=admin," + Suffix
	rootPassword   = "admin-secret"
)

// Server is a running slapd.
type Server struct {
	LDAPS string // ldaps://127.0.0.1:port
	LDAP  string // ldap://127.0.0.1:port (StartTLS offered)
	Roots *x509.CertPool
	// CAPEM is the certificate slapd presents, for settings that add a CA.
	CAPEM string
	t     testing.TB
}

var slapdPaths = []string{"/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/local/libexec/slapd"}

// Start runs slapd until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := ""
	for _, p := range slapdPaths {
		if _, err := os.Stat(p); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if p, err := exec.LookPath("slapd"); err == nil {
			bin = p
		}
	}
	if bin == "" {
		t.Skip("SLAPD NOT INSTALLED: LDAP tests skipped (apt-get install slapd ldap-utils)")
	}
	dir := t.TempDir()
	certPEM, keyPEM, roots := certificate(t)
	write(t, filepath.Join(dir, "cert.pem"), certPEM)
	write(t, filepath.Join(dir, "key.pem"), keyPEM)
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile %[1]s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile %[1]s/cert.pem
TLSCertificateKeyFile %[1]s/key.pem
database mdb
maxsize 16777216
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
access to attrs=userPassword by anonymous auth by self write by * none
access to * by * read
`, dir, Suffix, rootDN, rootPassword)
	write(t, filepath.Join(dir, "slapd.conf"), []byte(conf))
	ldapsPort, ldapPort := freePort(t), freePort(t)
	s := &Server{
		LDAPS: "ldaps://127.0.0.1:" + strconv.Itoa(ldapsPort), LDAP: "ldap://127.0.0.1:" + strconv.Itoa(ldapPort),
		Roots: roots, CAPEM: string(certPEM), t: t,
	}
	cmd := exec.Command(bin, "-d", "0", "-f", filepath.Join(dir, "slapd.conf"), "-h", s.LDAPS+"/ "+s.LDAP+"/")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(ldapsPort), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not start: %v", err)
		}
		select {
		case err := <-exited:
			t.Fatalf("slapd exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.populate()
	return s
}

func (s *Server) admin() *goldap.Conn {
	s.t.Helper()
	conn, err := goldap.DialURL(s.LDAPS, goldap.DialWithTLSConfig(&tls.Config{RootCAs: s.Roots, ServerName: "127.0.0.1"}))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := conn.Bind(rootDN, rootPassword); err != nil {
		conn.Close()
		s.t.Fatal(err)
	}
	return conn
}

func (s *Server) populate() {
	conn := s.admin()
	defer conn.Close()
	add := func(dn string, attrs map[string][]string) {
		req := goldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			req.Attribute(k, v)
		}
		if err := conn.Add(req); err != nil {
			s.t.Fatalf("add %s: %v", dn, err)
		}
	}
	add(Suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	add(BaseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add(ReaderDN, map[string][]string{"objectClass": {"person"}, "cn": {"reader"}, "sn": {"reader"}, "userPassword": {ReaderPassword}})
}

// AddUser adds a person under BaseDN.
func (s *Server) AddUser(uid, password, mail, name string) string {
	s.t.Helper()
	conn := s.admin()
	defer conn.Close()
	dn := "uid=" + goldap.EscapeDN(uid) + "," + BaseDN
	req := goldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"inetOrgPerson"})
	req.Attribute("uid", []string{uid})
	req.Attribute("cn", []string{name})
	req.Attribute("sn", []string{name})
	if mail != "" {
		req.Attribute("mail", []string{mail})
	}
	req.Attribute("userPassword", []string{password})
	if err := conn.Add(req); err != nil {
		s.t.Fatalf("add %s: %v", dn, err)
	}
	return dn
}

func certificate(t testing.TB) (certPEM, keyPEM []byte, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), roots
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
