package site

// Real servers for the tests: OpenSSH's sshd for SFTP sites and versitygw
// for S3 sites, each started on a free loopback port in a temporary
// directory and stopped in t.Cleanup. A missing binary skips the test with
// the command that installs it:
//
//	apt-get install -y openssh-server
//	go install github.com/versity/versitygw/cmd/versitygw@latest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const sshdPath = "/usr/sbin/sshd"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitForPort(t *testing.T, addr string, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not listen on %s in time; its output:\n%s", addr, logs)
}

// syncBuffer collects a daemon's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// daemon is a server process the test started and must stop.
type daemon struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startDaemon(t *testing.T, addr string, name string, args ...string) *daemon {
	t.Helper()
	logs := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	d := &daemon{cmd: cmd, logs: logs}
	waitForPort(t, addr, logs)
	return d
}

// stop ends the daemon and, for sshd, the per-connection processes it
// forked (they run in their own sessions), found by parent pid.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	for _, child := range childPIDs(d.cmd.Process.Pid) {
		syscall.Kill(child, syscall.SIGKILL)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

func childPIDs(parent int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(status)) {
			if ppid, ok := strings.CutPrefix(line, "PPid:"); ok && strings.TrimSpace(ppid) == strconv.Itoa(parent) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// sshServer is a running sshd that accepts one test key for the current user.
type sshServer struct {
	t          *testing.T
	port       int
	user       string
	dir        string // temporary directory of the server
	configPath string
	hostKey    ssh.PublicKey
	clientKey  string // private key file
	knownHosts string // known_hosts holding the server's real key
	daemon     *daemon
}

func startSSHD(t *testing.T) *sshServer {
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
	s := &sshServer{t: t, port: freePort(t), user: me.Username, dir: dir}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	s.hostKey = writeSSHKey(t, hostKeyFile)
	s.clientKey = filepath.Join(dir, "id_ed25519")
	clientPub := writeSSHKey(t, s.clientKey)
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	s.knownHosts = filepath.Join(dir, "known_hosts")
	s.writeKnownHosts(s.knownHosts, s.hostKey)

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
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *sshServer) start() {
	s.t.Helper()
	s.daemon = startDaemon(s.t, s.address(), sshdPath, "-D", "-e", "-f", s.configPath)
}

func (s *sshServer) stop() { s.daemon.stop() }

func (s *sshServer) address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *sshServer) writeKnownHosts(path string, key ssh.PublicKey) {
	s.t.Helper()
	line := knownhosts.Line([]string{s.address()}, key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// spec returns a spec for an SFTP site in a fresh directory on the server.
func (s *sshServer) spec(name, knownHostsFile string) Spec {
	s.t.Helper()
	remote := filepath.Join(s.dir, "sites", name)
	raw := fmt.Sprintf("%s@dc-sftp=sftp://%s@%s%s?key=%s&known_hosts=%s", name, s.user, s.address(), remote, s.clientKey, knownHostsFile)
	spec, err := ParseSpec(raw, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return spec
}

// writeSSHKey writes a new unencrypted ed25519 private key in OpenSSH format
// and returns its public key.
func writeSSHKey(t *testing.T, path string) ssh.PublicKey {
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

// s3Server is a running versitygw with a posix backend.
type s3Server struct {
	t      *testing.T
	binary string
	port   int
	dir    string
	access string
	secret string
	daemon *daemon
}

func versitygwBinary() (string, bool) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, true
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p, true
	}
	return "", false
}

func startVersityGW(t *testing.T) *s3Server {
	t.Helper()
	binary, ok := versitygwBinary()
	if !ok {
		t.Skip("SKIPPING: versitygw not found in PATH or $GOPATH/bin; install it with: go install github.com/versity/versitygw/cmd/versitygw@latest")
	}
	s := &s3Server{t: t, binary: binary, port: freePort(t), dir: t.TempDir(), access: "testaccess", secret: "testsecret-" + strconv.Itoa(os.Getpid())}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *s3Server) start() {
	s.t.Helper()
	s.daemon = startDaemon(s.t, s.address(), s.binary, "--port", s.address(), "--access", s.access, "--secret", s.secret, "--quiet", "posix", s.dir)
}

func (s *s3Server) stop() { s.daemon.stop() }

func (s *s3Server) address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *s3Server) env(name string) string {
	switch name {
	case EnvS3AccessKey:
		return s.access
	case EnvS3SecretKey:
		return s.secret
	}
	return ""
}

func (s *s3Server) client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(s.address(), &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// bucketSpec creates a bucket and returns the spec of a site in it.
func (s *s3Server) bucketSpec(name, prefix string) Spec {
	s.t.Helper()
	bucket := "bk-" + name
	if err := s.client().MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		s.t.Fatalf("create bucket %s: %v", bucket, err)
	}
	raw := fmt.Sprintf("%s@dc-s3=s3://%s/%s?endpoint=http://%s&path_style=true&region=us-east-1", name, bucket, prefix, s.address())
	spec, err := ParseSpec(raw, s.env)
	if err != nil {
		s.t.Fatal(err)
	}
	return spec
}

// uncreatedBucketSpec returns the spec of a site in a bucket that is never
// created, for tests where the server is down anyway.
func (s *s3Server) uncreatedBucketSpec(name string) Spec {
	s.t.Helper()
	raw := fmt.Sprintf("%s@dc-s3=s3://bk-%s?endpoint=http://%s&path_style=true", name, name, s.address())
	spec, err := ParseSpec(raw, s.env)
	if err != nil {
		s.t.Fatal(err)
	}
	return spec
}
