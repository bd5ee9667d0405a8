package sitetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const sshdPath = "/usr/sbin/sshd"

// SSHD is a running OpenSSH server that accepts one test key, and nothing
// else, for the current user.
type SSHD struct {
	t          testing.TB
	port       int
	user       string
	dir        string
	configPath string
	hostKey    ssh.PublicKey
	clientKey  string
	knownHosts string
	daemon     *daemon
}

// StartSSHD starts sshd on a free loopback port with key-only login; it
// stops with the test.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		t.Skipf("SKIPPING: OpenSSH sshd not found at %s; install it with: apt-get install -y openssh-server", sshdPath)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Skipf("SKIPPING: cannot create sshd's privilege separation directory /run/sshd: %v", err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &SSHD{t: t, port: FreePort(t), user: me.Username, dir: dir}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	s.hostKey = WriteSSHKey(t, hostKeyFile)
	s.clientKey = filepath.Join(dir, "id_ed25519")
	clientPub := WriteSSHKey(t, s.clientKey)
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	s.knownHosts = filepath.Join(dir, "known_hosts")
	s.WriteKnownHosts(s.knownHosts, s.hostKey)

	rootLogin := "no"
	if me.Uid == "0" {
		rootLogin = "prohibit-password"
	}
	config := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin %s
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
`, s.port, hostKeyFile, filepath.Join(dir, "sshd.pid"), authorized, rootLogin)
	s.configPath = filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(s.configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server.
func (s *SSHD) Start() {
	s.t.Helper()
	if s.daemon != nil && s.daemon.cmd != nil {
		return
	}
	s.daemon = startDaemon(s.t, s.Address(), sshdPath, "-D", "-e", "-f", s.configPath)
}

// Stop stops the server and the sessions it serves.
func (s *SSHD) Stop() { s.daemon.stop() }

// Address is host:port of the server.
func (s *SSHD) Address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Dir is the server's temporary directory; SiteDir paths lie below it.
func (s *SSHD) Dir() string { return s.dir }

// HostKey is the server's real host key.
func (s *SSHD) HostKey() ssh.PublicKey { return s.hostKey }

// ClientKey is the private key file the server accepts.
func (s *SSHD) ClientKey() string { return s.clientKey }

// KnownHosts is a known_hosts file pinning the server's real host key.
func (s *SSHD) KnownHosts() string { return s.knownHosts }

// WriteKnownHosts writes a known_hosts file that pins key for this server.
func (s *SSHD) WriteKnownHosts(path string, key ssh.PublicKey) {
	s.t.Helper()
	line := knownhosts.Line([]string{s.Address()}, key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// SiteDir is a fresh directory for a site called name on the server (the
// server is local, so the test can inspect it).
func (s *SSHD) SiteDir(name string) string { return filepath.Join(s.dir, "sites", name) }

// URL is the sftp:// URL of a site in remoteDir, logging in with the
// accepted key and checking the host key against knownHostsFile.
func (s *SSHD) URL(remoteDir, knownHostsFile string) string {
	return fmt.Sprintf("sftp://%s@%s%s?key=%s&known_hosts=%s", s.user, s.Address(), remoteDir, s.clientKey, knownHostsFile)
}

// WriteSSHKey writes a new unencrypted ed25519 private key in OpenSSH format
// and returns its public key.
func WriteSSHKey(t testing.TB, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub
}
