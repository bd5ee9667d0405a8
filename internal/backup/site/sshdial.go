package site

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const (
	sshDialTimeout      = 10 * time.Second
	sshHandshakeTimeout = 15 * time.Second
	maxKeyFileSize      = 64 << 10
)

// sshClientConfig builds a key-only client configuration whose host key
// check is the known_hosts file, restricted to the key types it lists for
// this host so that a server offering another type is not mistaken for an
// impostor.
func sshClientConfig(c SFTPConfig) (*ssh.ClientConfig, error) {
	signer, err := loadPrivateKey(c.KeyFile)
	if err != nil {
		return nil, err
	}
	check, err := knownhosts.New(c.KnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", c.KnownHostsFile, err)
	}
	algorithms, err := knownHostKeyAlgorithms(check, c.Address())
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", c.KnownHostsFile, err)
	}
	return &ssh.ClientConfig{
		User: c.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			if err := check(hostname, remote, key); err != nil {
				return fmt.Errorf("%w: %v", ErrHostKey, err)
			}
			return nil
		},
		HostKeyAlgorithms: algorithms,
	}, nil
}

func loadPrivateKey(path string) (ssh.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	// Like OpenSSH, refuse a key that others can read.
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("private key %s is accessible by group or others (mode %v); chmod 600 it", path, info.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize))
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("private key %s is protected by a passphrase; the service needs an unencrypted key readable only by it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	return signer, nil
}

// knownHostKeyAlgorithms asks the known_hosts callback about a throwaway key:
// the resulting KeyError lists the keys known for the address.
func knownHostKeyAlgorithms(check ssh.HostKeyCallback, address string) ([]string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	fakeAddr := &net.TCPAddr{IP: net.IPv4zero}
	var keyErr *knownhosts.KeyError
	if err := check(address, fakeAddr, probe); !errors.As(err, &keyErr) {
		return nil, fmt.Errorf("cannot read the keys known for %s: %v", address, err)
	}
	if len(keyErr.Want) == 0 {
		return nil, fmt.Errorf("%w: no key for %s (add it with ssh-keyscan after checking its fingerprint)", ErrHostKey, knownhosts.Normalize(address))
	}
	var algorithms []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		for _, a := range algorithmsForKeyType(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algorithms = append(algorithms, a)
			}
		}
	}
	return algorithms, nil
}

func algorithmsForKeyType(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{t}
}

// dialSSH connects and authenticates within bounded time. Failures to reach
// the server wrap ErrUnavailable; a refused host key wraps ErrHostKey.
func dialSSH(ctx context.Context, c SFTPConfig, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	dialer := net.Dialer{Timeout: sshDialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", c.Address())
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %w", ErrUnavailable, c.Address(), err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(time.Now().Add(sshHandshakeTimeout)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, c.Address(), cfg)
	if err != nil {
		conn.Close()
		switch {
		case errors.Is(err, ErrHostKey):
			return nil, fmt.Errorf("ssh handshake with %s: %w", c.Address(), err)
		case isAuthFailure(err):
			return nil, fmt.Errorf("ssh login as %s at %s refused: check that the public key is authorized: %w", c.User, c.Address(), err)
		default:
			return nil, fmt.Errorf("%w: ssh handshake with %s: %w", ErrUnavailable, c.Address(), err)
		}
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		sshConn.Close()
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ssh.NewClient(sshConn, chans, reqs), nil
}

func isAuthFailure(err error) bool {
	var sErr *ssh.ServerAuthError
	return errors.As(err, &sErr) || strings.Contains(err.Error(), "unable to authenticate")
}
