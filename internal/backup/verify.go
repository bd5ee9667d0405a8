package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

// ErrHashMismatch means a stored object is not the one the catalogue recorded.
var ErrHashMismatch = errors.New("backup object does not match the catalogue's SHA-256")

// Verify fetches backup id (from siteName, or the outbox or the first
// verified site when empty), checks its hash, and test-restores it into a
// scratch location. The outcome is recorded in the catalogue; a failure is
// also logged as an alert.
func (s *Service) Verify(ctx context.Context, id, siteName string) (Record, error) {
	rec, err := s.cat.get(ctx, id)
	if err != nil {
		return Record{}, err
	}
	work, err := s.newWorkDir("verify-" + rec.ID)
	if err != nil {
		return Record{}, err
	}
	defer os.RemoveAll(work)
	path, err := s.fetchObject(ctx, rec, siteName, work)
	if err == nil {
		err = s.testRestoreFile(ctx, path, rec.SHA256, rec.Engine)
	}
	if errors.Is(err, context.Canceled) {
		return rec, err
	}
	if rerr := s.cat.setVerification(context.WithoutCancel(ctx), rec.ID, s.now(), err); rerr != nil {
		return rec, errors.Join(err, rerr)
	}
	if err != nil {
		s.cfg.Log.Error("backup failed verification", "tenant", rec.Tenant, "backup", rec.ID, "err", err)
		return rec, fmt.Errorf("verify backup %s: %w", rec.ID, err)
	}
	return s.cat.get(ctx, rec.ID)
}

// fetchObject copies the object of rec into dir, from siteName or (when
// empty) the outbox or any verified site, and checks its SHA-256 against the
// catalogue before anyone decrypts it.
func (s *Service) fetchObject(ctx context.Context, rec Record, siteName string, dir string) (string, error) {
	var src io.ReadCloser
	if siteName != "" {
		spec, err := s.siteSpec(siteName)
		if err != nil {
			return "", err
		}
		st, err := s.cfg.OpenSite(ctx, spec)
		if err != nil {
			return "", err
		}
		rc, err := st.Open(ctx, rec.ObjectKey)
		if err != nil {
			st.Close()
			return "", err
		}
		src = &siteReader{ReadCloser: rc, site: st}
	} else {
		var err error
		if src, err = s.openSource(ctx, rec, ""); err != nil {
			return "", err
		}
	}
	defer src.Close()
	path := filepath.Join(dir, "object.age")
	sum, err := copyHashed(ctx, path, src)
	if err != nil {
		return "", err
	}
	if sum != rec.SHA256 {
		return "", fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, sum, rec.SHA256)
	}
	return path, nil
}

// copyHashed writes r to a new file at path and returns its SHA-256; on error
// the file is removed.
func copyHashed(ctx context.Context, path string, r io.Reader) (string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create local copy: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("download object: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// testRestoreFile checks the object at path: its hash (when wantSHA is set),
// its decryption and every member, then restores the database into a scratch
// location and checks its integrity and row counts against the manifest.
func (s *Service) testRestoreFile(ctx context.Context, path, wantSHA, engine string) error {
	if wantSHA != "" {
		sum, err := fileSHA256(path)
		if err != nil {
			return fmt.Errorf("hash object: %w", err)
		}
		if sum != wantSHA {
			return fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, sum, wantSHA)
		}
	}
	work, err := s.newWorkDir("scratch")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	_, err = s.extractChecked(ctx, path, s.identities(), filepath.Join(work, "x"), databaseOnly)
	return err
}

func databaseOnly(name string) bool { return strings.HasPrefix(name, "database/") }

// extractChecked extracts the members allowed accepts from the object at
// path into dir (which must not exist), then checks the database there.
func (s *Service) extractChecked(ctx context.Context, path string, ids []age.Identity, dir string, allowed func(string) bool) (archive.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return archive.Manifest{}, fmt.Errorf("open object: %w", err)
	}
	defer f.Close()
	m, err := archive.Extract(ctx, f, ids, dir, allowed)
	if err != nil {
		return archive.Manifest{}, err
	}
	if err := s.checkRestored(ctx, m, dir); err != nil {
		return m, err
	}
	return m, nil
}

// checkRestored checks the database extracted into dir against manifest m.
func (s *Service) checkRestored(ctx context.Context, m archive.Manifest, dir string) error {
	switch store.Engine(m.Engine) {
	case store.SQLite:
		c, err := checkSQLiteFile(ctx, filepath.Join(dir, filepath.FromSlash(memberSQLite)))
		if err != nil {
			return fmt.Errorf("test restore: %w", err)
		}
		return compareCounts(m.RowCounts, c.rowCounts)
	case store.Postgres:
		return s.withScratchPostgres(ctx, func(db *store.DB, conn scratchConn) error {
			if err := s.pgRestoreInto(ctx, conn, filepath.Join(dir, filepath.FromSlash(memberPGDump))); err != nil {
				return fmt.Errorf("test restore: %w", err)
			}
			counts, err := countPostgresRows(ctx, db.Read)
			if err != nil {
				return fmt.Errorf("test restore: %w", err)
			}
			return compareCounts(m.RowCounts, counts)
		})
	}
	return fmt.Errorf("backup of unknown engine %q", printable(m.Engine))
}

func compareCounts(want, got map[string]int64) error {
	var diffs []string
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[table]; !ok {
			diffs = append(diffs, table+" missing")
		} else if g != want[table] {
			diffs = append(diffs, fmt.Sprintf("%s has %d rows, the manifest says %d", table, g, want[table]))
		}
	}
	for _, table := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[table]; !ok {
			diffs = append(diffs, table+" not in the manifest")
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("test restore: row counts differ: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// scratchConn reaches a scratch PostgreSQL database.
type scratchConn struct {
	url, password string
}

// withScratchPostgres runs fn against a new, empty database on the admin
// server and drops it afterwards whatever happens.
func (s *Service) withScratchPostgres(ctx context.Context, fn func(db *store.DB, conn scratchConn) error) error {
	if s.cfg.AdminURL == "" {
		return errors.New("a PostgreSQL backup needs a PostgreSQL server to be restored into: give --database-url")
	}
	admin, err := store.OpenPostgres(ctx, s.cfg.AdminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return fmt.Errorf("scratch database: %w", err)
	}
	defer admin.Close()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := "instanterp_scratch_" + hex.EncodeToString(b[:])
	if _, err := admin.Write.ExecContext(ctx, "CREATE DATABASE "+store.QuoteIdent(name)+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return fmt.Errorf("create scratch database: %w", err)
	}
	defer admin.Write.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+store.QuoteIdent(name)+" WITH (FORCE)")
	u, err := url.Parse(s.cfg.AdminURL)
	if err != nil {
		return errors.New("malformed database URL")
	}
	u.Path = "/" + name
	db, err := store.OpenPostgres(ctx, u.String(), store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return fmt.Errorf("open scratch database: %w", err)
	}
	defer db.Close()
	plain, password, err := splitPassword(u.String())
	if err != nil {
		return err
	}
	return fn(db, scratchConn{url: plain, password: password})
}

// pgRestoreInto restores a custom-format dump into an empty scratch database
// without owners or grants (the scratch database belongs to the admin).
func (s *Service) pgRestoreInto(ctx context.Context, conn scratchConn, dump string) error {
	admin, err := store.OpenPostgres(ctx, s.cfg.AdminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return err
	}
	tool, err := s.checkedPGTool(ctx, "pg_restore", admin)
	admin.Close()
	if err != nil {
		return err
	}
	return runPG(ctx, tool, conn.password, nil, nil, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+conn.url, dump)
}
