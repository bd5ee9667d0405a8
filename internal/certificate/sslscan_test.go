package certificate

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sslscanReport is what the black-box test reads from sslscan's output.
type sslscanReport struct {
	protocols map[string]string // "TLSv1.0" -> "enabled" | "disabled"
	ciphers   []scannedCipher
}

type scannedCipher struct {
	protocol, name string
}

var (
	sslscanProtocolLine = regexp.MustCompile(`^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)\b`)
	sslscanCipherLine   = regexp.MustCompile(`^(?:Preferred|Accepted)\s+(\S+)\s+\d+ bits\s+(\S+)`)
)

func parseSSLScan(output string) sslscanReport {
	report := sslscanReport{protocols: map[string]string{}}
	scanner := bufio.NewScanner(strings.NewReader(output))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if m := sslscanProtocolLine.FindStringSubmatch(line); m != nil {
			report.protocols[m[1]] = m[2]
		} else if m := sslscanCipherLine.FindStringSubmatch(line); m != nil {
			report.ciphers = append(report.ciphers, scannedCipher{protocol: m[1], name: m[2]})
		}
	}
	return report
}

// forwardSecretAEAD reports whether an OpenSSL-named suite is one the policy
// allows: any TLS 1.3 suite (all are AEAD with ephemeral key exchange), or
// ECDHE with AES-GCM or ChaCha20-Poly1305 on TLS 1.2.
func forwardSecretAEAD(c scannedCipher) bool {
	if c.protocol == "TLSv1.3" {
		return strings.HasPrefix(c.name, "TLS_") && (strings.Contains(c.name, "_GCM_") || strings.Contains(c.name, "CHACHA20_POLY1305"))
	}
	// sslscan prints OpenSSL names, or IANA names for suites OpenSSL lacks.
	openssl := strings.HasPrefix(c.name, "ECDHE-") && (strings.Contains(c.name, "-GCM-") || strings.HasSuffix(c.name, "-CHACHA20-POLY1305"))
	iana := strings.HasPrefix(c.name, "TLS_ECDHE_") && (strings.Contains(c.name, "_GCM_") || strings.Contains(c.name, "_CHACHA20_POLY1305_"))
	return openssl || iana
}

// violations lists what a scan shows that the TLS policy forbids.
func (r sslscanReport) violations() []string {
	var found []string
	for _, protocol := range []string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"} {
		if r.protocols[protocol] == "enabled" {
			found = append(found, protocol+" enabled")
		}
	}
	for _, c := range r.ciphers {
		if !forwardSecretAEAD(c) {
			found = append(found, c.protocol+" "+c.name+" accepted")
		}
	}
	return found
}

func runSSLScan(t *testing.T, addr string) (sslscanReport, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sslscan", "--no-colour", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("sslscan %s: %v\n%s", addr, err, out)
	}
	report := parseSSLScan(string(out))
	// A report missing these means the output format changed, not that the
	// server is fine.
	for _, protocol := range []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"} {
		if report.protocols[protocol] == "" {
			t.Fatalf("sslscan output has no %s line:\n%s", protocol, out)
		}
	}
	if len(report.ciphers) == 0 {
		t.Fatalf("sslscan output lists no accepted cipher:\n%s", out)
	}
	return report, string(out)
}

// TestSSLScan checks the served policy with an independent TLS client
// (Debian's sslscan, built on OpenSSL) rather than with Go's own.
func TestSSLScan(t *testing.T) {
	if _, err := exec.LookPath("sslscan"); err != nil {
		t.Skip("SKIPPING BLACK-BOX TLS SCAN: sslscan not installed: apt-get install sslscan")
	}
	certs := newServingCertificates(t)

	report, out := runSSLScan(t, serveTLS(t, ServerTLSConfig(certs.get)))
	t.Logf("sslscan of ServerTLSConfig:\n%s", out)
	if v := report.violations(); len(v) > 0 {
		t.Errorf("policy violations: %s", strings.Join(v, "; "))
	}
	for _, protocol := range []string{"TLSv1.2", "TLSv1.3"} {
		if report.protocols[protocol] != "enabled" {
			t.Errorf("%s is %s, want enabled", protocol, report.protocols[protocol])
		}
	}

	// Control: the same scan of a permissive server must report violations,
	// or the checks above prove nothing.
	control, _ := runSSLScan(t, serveTLS(t, permissiveConfig(certs.get)))
	if len(control.violations()) == 0 {
		t.Error("control scan of a permissive server found no violations; the parser is blind")
	}
}

func TestParseSSLScan(t *testing.T) {
	output := `
  SSL/TLS Protocols:
SSLv2     disabled
SSLv3     disabled
TLSv1.0   enabled
TLSv1.1   disabled
TLSv1.2   enabled
TLSv1.3   enabled

  Supported Server Cipher(s):
Preferred TLSv1.3  128 bits  TLS_AES_128_GCM_SHA256        Curve 25519 DHE 253
Accepted  TLSv1.3  256 bits  TLS_CHACHA20_POLY1305_SHA256  Curve 25519 DHE 253
Preferred TLSv1.2  128 bits  ECDHE-ECDSA-AES128-GCM-SHA256 Curve 25519 DHE 253
Accepted  TLSv1.2  256 bits  ECDHE-RSA-CHACHA20-POLY1305   Curve 25519 DHE 253
Accepted  TLSv1.2  128 bits  ECDHE-RSA-AES128-SHA          Curve 25519 DHE 253
Accepted  TLSv1.2  128 bits  AES128-GCM-SHA256
Accepted  TLSv1.2  112 bits  DES-CBC3-SHA
Accepted  TLSv1.2  128 bits  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
Accepted  TLSv1.2  112 bits  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
Accepted  TLSv1.0  128 bits  ECDHE-RSA-AES128-SHA          Curve 25519 DHE 253
`
	report := parseSSLScan(output)
	if len(report.protocols) != 6 || report.protocols["TLSv1.0"] != "enabled" || report.protocols["TLSv1.1"] != "disabled" {
		t.Errorf("protocols = %v", report.protocols)
	}
	if len(report.ciphers) != 10 {
		t.Fatalf("parsed %d ciphers, want 10", len(report.ciphers))
	}
	want := []string{
		"TLSv1.0 enabled",
		"TLSv1.2 ECDHE-RSA-AES128-SHA accepted",
		"TLSv1.2 AES128-GCM-SHA256 accepted",
		"TLSv1.2 DES-CBC3-SHA accepted",
		"TLSv1.2 TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA accepted",
		"TLSv1.0 ECDHE-RSA-AES128-SHA accepted",
	}
	if got := report.violations(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("violations =\n%q\nwant\n%q", got, want)
	}
}
