package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/store"
)

// pgTool locates pg_dump, pg_restore or psql.
func (s *Service) pgTool(name string) (string, error) {
	if s.cfg.PGBinDir != "" {
		p := filepath.Join(s.cfg.PGBinDir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s not found in %s: install the PostgreSQL client tools matching the server", name, s.cfg.PGBinDir)
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found in PATH: install the PostgreSQL client tools matching the server (Debian: postgresql-client-NN), or set --pg-bin-dir", name)
	}
	return p, nil
}

var toolVersionPattern = regexp.MustCompile(`\(PostgreSQL\) ([0-9]+)`)

// toolMajor returns the major version a PostgreSQL client tool reports.
func toolMajor(ctx context.Context, path string) (int, error) {
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("run %s --version: %w", path, err)
	}
	m := toolVersionPattern.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version printed %q, not a PostgreSQL version", path, printable(strings.TrimSpace(string(out))))
	}
	return strconv.Atoi(string(m[1]))
}

// serverMajor returns the major version of the server db is connected to.
func serverMajor(ctx context.Context, db *store.DB) (int, string, error) {
	var num, version string
	if err := db.Read.QueryRowContext(ctx, "SELECT current_setting('server_version_num'), current_setting('server_version')").Scan(&num, &version); err != nil {
		return 0, "", fmt.Errorf("read server version: %w", err)
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, "", fmt.Errorf("server version %q: %w", num, err)
	}
	return n / 10000, strings.Fields(version)[0], nil
}

// checkedPGTool finds a tool and refuses it unless its major version is the
// server's: an older pg_dump cannot read a newer server, and a newer one
// writes dumps an older pg_restore cannot read.
func (s *Service) checkedPGTool(ctx context.Context, name string, db *store.DB) (string, error) {
	path, err := s.pgTool(name)
	if err != nil {
		return "", err
	}
	tool, err := toolMajor(ctx, path)
	if err != nil {
		return "", err
	}
	server, _, err := serverMajor(ctx, db)
	if err != nil {
		return "", err
	}
	if tool != server {
		return "", fmt.Errorf("%s is version %d but the server is PostgreSQL %d: install the client tools of version %d (or set --pg-bin-dir)", path, tool, server, server)
	}
	return path, nil
}

// runPG runs a PostgreSQL tool with the password in its environment, never
// on its command line. stdin and stdout may be nil.
func runPG(ctx context.Context, path, password string, stdin io.Reader, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=15")
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, left: 4096}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s: %s", filepath.Base(path), oneLine(msg))
	}
	return nil
}

type limitedBuffer struct {
	buf  *bytes.Buffer
	left int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.left > 0 {
		n := min(len(p), l.left)
		l.buf.Write(p[:n])
		l.left -= n
	}
	return len(p), nil
}

// splitPassword returns a connection URL without its password, and the
// password, so tools get it through PGPASSWORD.
func splitPassword(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", errors.New("malformed database URL")
	}
	password, _ := u.User.Password()
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if p := q.Get("password"); p != "" {
		password = p
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String(), password, nil
}
