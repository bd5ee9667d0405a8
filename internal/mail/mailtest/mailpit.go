// Package mailtest runs a real SMTP server with an inspection API (mailpit) for
// the tests of every package that sends mail.
package mailtest

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Mailpit is a running mailpit.
type Mailpit struct {
	Host string
	Port int
	api  string
}

// Options configure Start.
type Options struct {
	Host     string // interface to bind; 127.0.0.1 by default
	CertFile string // STARTTLS certificate and key; empty: no TLS
	KeyFile  string
	AuthFile string // "user:password" lines; empty: no authentication
	// AllowedRecipients, a regular expression, makes the server refuse every
	// other recipient with a permanent (5xx) reply.
	AllowedRecipients string
}

// Start runs mailpit on free ports until the test ends, or skips loudly when
// it is not installed (.ci/services.sh installs it).
func Start(t testing.TB, opts Options) *Mailpit {
	t.Helper()
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		t.Skip("MAILPIT NOT INSTALLED: SMTP tests skipped (go install github.com/axllent/mailpit@v1.33.1)")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	smtpPort, apiPort := freePort(t, opts.Host), freePort(t, "127.0.0.1")
	args := []string{
		"--smtp", net.JoinHostPort(opts.Host, strconv.Itoa(smtpPort)),
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort)),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
	}
	if opts.CertFile != "" {
		args = append(args, "--smtp-tls-cert", opts.CertFile, "--smtp-tls-key", opts.KeyFile, "--smtp-require-starttls")
	}
	if opts.AuthFile != "" {
		args = append(args, "--smtp-auth-file", opts.AuthFile)
	}
	if opts.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", opts.AllowedRecipients)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	m := &Mailpit{Host: opts.Host, Port: smtpPort, api: "http://127.0.0.1:" + strconv.Itoa(apiPort)}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(m.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(smtpPort))); err == nil {
					c.Close()
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v", err)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("mailpit exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort(t testing.TB, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the server's --smtp-url, as user when not empty.
func (m *Mailpit) URL(user string) string {
	u := "smtp://"
	if user != "" {
		u += user + "@"
	}
	return u + net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// Address is a sender or recipient as mailpit reports it.
type Address struct{ Name, Address string }

// Message is a received message with its bodies.
type Message struct {
	ID      string
	Subject string
	From    Address
	To      []Address
	ReplyTo []Address
	Text    string
	HTML    string
}

// Messages lists what the server received, newest first.
func (m *Mailpit) Messages(t testing.TB) []Message {
	t.Helper()
	var list struct{ Messages []Message }
	m.getJSON(t, "/api/v1/messages", &list)
	for i, msg := range list.Messages {
		m.getJSON(t, "/api/v1/message/"+msg.ID, &list.Messages[i])
	}
	return list.Messages
}

func (m *Mailpit) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
