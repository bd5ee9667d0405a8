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

	"golang.org/x/sys/unix"

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

// pgCommand prepares a PostgreSQL tool with the password in its
// environment, never on its command line, and its first 4 KiB of error
// output kept for pgError.
func pgCommand(ctx context.Context, path, password string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=15")
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, left: 4096}
	return cmd, &stderr
}

// pgError is the error of a tool that failed: what it printed, on one line.
func pgError(ctx context.Context, path string, stderr *bytes.Buffer, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := strings.TrimSpace(stderr.String())
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("%s: %s", filepath.Base(path), oneLine(msg))
}

// runPG runs a PostgreSQL tool to its end. stdin and stdout may be nil.
func runPG(ctx context.Context, path, password string, stdin io.Reader, stdout io.Writer, args ...string) error {
	cmd, stderr := pgCommand(ctx, path, password, args...)
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	if err := cmd.Run(); err != nil {
		return pgError(ctx, path, stderr, err)
	}
	return nil
}

// startPG starts a PostgreSQL tool and returns its output as it runs.
func startPG(ctx context.Context, path, password string, args ...string) (*pgOutput, error) {
	cmd, stderr := pgCommand(ctx, path, password, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(path), err)
	}
	// A pipe of 1 MiB instead of 64 KiB: the tool and the archive each run
	// on for a while when the other pauses, instead of in step.
	if f, ok := out.(*os.File); ok {
		unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, pgPipeSize)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(path), err)
	}
	return &pgOutput{ctx: ctx, path: path, cmd: cmd, out: out, stderr: stderr}, nil
}

// pgPipeSize is the size asked of the pipe a tool writes its output to
// (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by default).
const pgPipeSize = 1 << 20

// pgOutput is the output of a running tool. Its end reads as io.EOF only
// if the tool succeeded; otherwise as the tool's error, so that the output
// of a failed dump is never taken for a whole one.
type pgOutput struct {
	ctx    context.Context
	path   string
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr *bytes.Buffer
	end    error // io.EOF or the tool's error, once the output ended
}

func (p *pgOutput) Read(b []byte) (int, error) {
	if p.end != nil {
		return 0, p.end
	}
	n, err := p.out.Read(b)
	if err == io.EOF {
		p.end = io.EOF
		if werr := p.cmd.Wait(); werr != nil {
			p.end = pgError(p.ctx, p.path, p.stderr, werr)
		}
		if n > 0 {
			return n, nil
		}
		return 0, p.end
	}
	return n, err
}

// Close stops a tool whose output was not read to its end.
func (p *pgOutput) Close() error {
	if p.end == nil {
		p.cmd.Process.Kill()
		p.end = errors.New("closed")
		p.cmd.Wait()
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
