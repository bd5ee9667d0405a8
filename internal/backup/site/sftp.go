package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// sftpSite keeps objects under a directory of an SFTP server. It holds one
// connection and dials again after the connection is lost.
type sftpSite struct {
	spec Spec
	cfg  *ssh.ClientConfig

	mu     sync.Mutex
	ssh    *ssh.Client
	client *sftp.Client

	// wrapWriter, when set by a test, wraps the remote file's writer to
	// inject failures such as a full disk.
	wrapWriter func(io.Writer) io.Writer
}

func openSFTPSite(ctx context.Context, spec Spec) (*sftpSite, error) {
	cfg, err := sshClientConfig(spec.SFTP)
	if err != nil {
		return nil, err
	}
	s := &sftpSite{spec: spec, cfg: cfg}
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.MkdirAll(spec.SFTP.Dir); err != nil {
		s.Close()
		return nil, fmt.Errorf("create remote directory %s: %w", spec.SFTP.Dir, s.classify(c, err))
	}
	return s, nil
}

func (s *sftpSite) Name() string       { return s.spec.Name }
func (s *sftpSite) DataCentre() string { return s.spec.DataCentre }

func (s *sftpSite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	s.client.Close()
	err := s.ssh.Close()
	s.client, s.ssh = nil, nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// conn returns the current client, dialing if there is none.
func (s *sftpSite) conn(ctx context.Context) (*sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	sshClient, err := dialSSH(ctx, s.spec.SFTP, s.cfg)
	if err != nil {
		return nil, err
	}
	client, err := sftp.NewClient(sshClient)
	if err != nil {
		sshClient.Close()
		return nil, fmt.Errorf("%w: start sftp subsystem: %w", ErrUnavailable, err)
	}
	s.ssh, s.client = sshClient, client
	return client, nil
}

// drop forgets c if it is still the current client, so the next call dials.
func (s *sftpSite) drop(c *sftp.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == c && c != nil {
		s.client.Close()
		s.ssh.Close()
		s.client, s.ssh = nil, nil
	}
}

// use runs op with a client; a context cancelled meanwhile closes the
// connection, since the sftp calls themselves cannot be interrupted.
func (s *sftpSite) use(ctx context.Context, op func(c *sftp.Client) error) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { s.drop(c) })
	defer stop()
	if err := op(c); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.classify(c, err)
	}
	return nil
}

// classify maps sftp errors: a lost connection wraps ErrUnavailable (and
// drops the client), a missing file is ErrNotFound.
func (s *sftpSite) classify(c *sftp.Client, err error) error {
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable), errors.Is(err, ErrInvalidKey):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, sftp.ErrSSHFxConnectionLost), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.As(err, &opErr):
		s.drop(c)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (s *sftpSite) remote(key string) string { return s.spec.SFTP.Dir + "/" + key }

func (s *sftpSite) Put(ctx context.Context, key string, r io.Reader) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	var obj Object
	err := s.use(ctx, func(c *sftp.Client) error {
		var err error
		obj, err = s.put(ctx, c, key, r)
		return err
	})
	if err != nil {
		return Object{}, fmt.Errorf("put %s on site %s: %w", key, s.spec.Name, err)
	}
	return obj, nil
}

func (s *sftpSite) put(ctx context.Context, c *sftp.Client, key string, r io.Reader) (obj Object, err error) {
	full := s.remote(key)
	dir, base := path.Split(full)
	if err := c.MkdirAll(dir); err != nil {
		return Object{}, fmt.Errorf("create directory: %w", err)
	}
	name, err := tempName(base)
	if err != nil {
		return Object{}, err
	}
	tmp := dir + name
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return Object{}, fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			c.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if s.wrapWriter != nil {
		w = s.wrapWriter(f)
	}
	hr := newHashingReader(ctx, r)
	if _, err := io.Copy(w, hr); err != nil {
		if hr.err != nil {
			return Object{}, fmt.Errorf("read source: %w", hr.err)
		}
		return Object{}, fmt.Errorf("write: %w", err)
	}
	// fsync@openssh.com; a server without it still gets the data on close.
	if err := f.Sync(); err != nil && !errors.Is(err, sftp.ErrSSHFxOpUnsupported) {
		return Object{}, fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return Object{}, fmt.Errorf("close: %w", err)
	}
	if err := c.PosixRename(tmp, full); err != nil {
		return Object{}, fmt.Errorf("rename into place: %w", err)
	}
	return Object{Key: key, Size: hr.n, SHA256: hr.sum(), Modified: time.Now()}, nil
}

func (s *sftpSite) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	var rc io.ReadCloser
	err := s.use(ctx, func(c *sftp.Client) error {
		f, err := c.Open(s.remote(key))
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		if !info.Mode().IsRegular() {
			f.Close()
			return ErrNotFound
		}
		rc = &sftpReader{site: s, client: c, file: f}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open %s on site %s: %w", key, s.spec.Name, err)
	}
	return rc, nil
}

// sftpReader classifies errors that happen while the object is read.
type sftpReader struct {
	site   *sftpSite
	client *sftp.Client
	file   *sftp.File
}

func (r *sftpReader) Read(p []byte) (int, error) {
	n, err := r.file.Read(p)
	if err != nil && err != io.EOF {
		err = r.site.classify(r.client, err)
	}
	return n, err
}

func (r *sftpReader) Close() error { return r.file.Close() }

func (s *sftpSite) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	var obj Object
	err := s.use(ctx, func(c *sftp.Client) error {
		info, err := c.Lstat(s.remote(key))
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return ErrNotFound
		}
		obj = Object{Key: key, Size: info.Size(), Modified: info.ModTime()}
		return nil
	})
	if err != nil {
		return Object{}, fmt.Errorf("stat %s on site %s: %w", key, s.spec.Name, err)
	}
	return obj, nil
}

func (s *sftpSite) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	var objects []Object
	err := s.use(ctx, func(c *sftp.Client) error {
		return s.walk(ctx, c, listStart(prefix), func(key string, info fs.FileInfo) error {
			if !isTempName(info.Name()) && info.Mode().IsRegular() && strings.HasPrefix(key, prefix) && ValidateKey(key) == nil {
				objects = append(objects, Object{Key: key, Size: info.Size(), Modified: info.ModTime()})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list %q on site %s: %w", prefix, s.spec.Name, err)
	}
	slices.SortFunc(objects, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// walk visits the non-directory entries under start (relative to the site
// directory), skipping hidden directories; a missing start is an empty walk.
func (s *sftpSite) walk(ctx context.Context, c *sftp.Client, start string, visit func(key string, info fs.FileInfo) error) error {
	top := s.spec.SFTP.Dir
	if start != "." {
		top = s.remote(start)
	}
	w := c.Walk(top)
	for w.Step() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Err(); err != nil {
			if errors.Is(err, fs.ErrNotExist) && w.Path() == top {
				return nil
			}
			return err
		}
		info := w.Stat()
		if info.IsDir() {
			if w.Path() != top && strings.HasPrefix(info.Name(), ".") {
				w.SkipDir()
			}
			continue
		}
		key := strings.TrimPrefix(w.Path(), s.spec.SFTP.Dir+"/")
		if err := visit(key, info); err != nil {
			return err
		}
	}
	return nil
}

func (s *sftpSite) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.use(ctx, func(c *sftp.Client) error {
		info, err := c.Lstat(s.remote(key))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not an object", key)
		}
		if err := c.Remove(s.remote(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %s on site %s: %w", key, s.spec.Name, err)
	}
	return nil
}

func (s *sftpSite) RemoveIncomplete(ctx context.Context, olderThan time.Time) (int, error) {
	removed := 0
	err := s.use(ctx, func(c *sftp.Client) error {
		return s.walk(ctx, c, ".", func(key string, info fs.FileInfo) error {
			if !isTempName(info.Name()) || !info.Mode().IsRegular() || !info.ModTime().Before(olderThan) {
				return nil
			}
			if err := c.Remove(s.remote(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed++
			return nil
		})
	})
	if err != nil {
		return removed, fmt.Errorf("remove incomplete objects on site %s: %w", s.spec.Name, err)
	}
	return removed, nil
}
