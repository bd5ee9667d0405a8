package backup

import (
	"context"
	"crypto/rand"
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

// Verify reads backup id (from siteName, or the outbox or the first
// verified site when empty), checks its hash, and test-restores it into a
// scratch location. The outcome is recorded in the catalogue; a failure is
// also logged as an alert.
func (s *Service) Verify(ctx context.Context, id, siteName string) (Record, error) {
	rec, err := s.cat.get(ctx, id)
	if err != nil {
		return Record{}, err
	}
	src, err := s.openObject(ctx, rec, siteName)
	if err == nil {
		err = s.testRestore(ctx, src, rec.SHA256)
		src.Close()
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

// openObject opens the object of rec on siteName or, when empty, in the
// outbox or on any site holding a verified copy.
func (s *Service) openObject(ctx context.Context, rec Record, siteName string) (io.ReadCloser, error) {
	if siteName == "" {
		return s.openSource(ctx, rec, "")
	}
	spec, err := s.siteSpec(siteName)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.OpenSite(ctx, spec)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, rec.ObjectKey)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &siteReader{ReadCloser: rc, site: st}, nil
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

// testRestore reads the object from r once — its hash (when wantSHA is set),
// its decryption and every member — restoring the database into a scratch
// location, then checks the database's integrity and row counts against
// the manifest. Nothing of the scratch copy is synced: it is thrown away.
func (s *Service) testRestore(ctx context.Context, r io.Reader, wantSHA string) error {
	work, err := s.newWorkDir("scratch")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "x")
	m, _, err := extractVerified(ctx, r, wantSHA, s.identities(), dir, archive.ExtractOptions{Allowed: databaseOnly, Sync: syncNothing})
	if err != nil {
		return err
	}
	return s.checkRestored(ctx, m, dir)
}

func databaseOnly(name string) bool { return strings.HasPrefix(name, "database/") }

func syncNothing(string) bool { return false }

// extractVerified streams the object from r into dir (which must not
// exist): it decrypts it and checks every member against the manifest and,
// in the same pass, the object's SHA-256 against wantSHA when set. dir is
// only ever a work area, so the content may land there before the hash is
// known: on a mismatch it is removed and ErrHashMismatch returned, which
// also takes precedence over a decryption error (a different object fails
// to decrypt for that reason). It returns the manifest and the object size.
func extractVerified(ctx context.Context, r io.Reader, wantSHA string, ids []age.Identity, dir string, opts archive.ExtractOptions) (archive.Manifest, int64, error) {
	hr := newHashedReader(ctxReader{ctx: ctx, r: r})
	m, err := archive.ExtractWith(ctx, hr, ids, dir, opts)
	if ctx.Err() != nil {
		os.RemoveAll(dir)
		return archive.Manifest{}, 0, ctx.Err()
	}
	if wantSHA == "" {
		return m, hr.n, err
	}
	sum, rerr := hr.finish()
	switch {
	case rerr != nil && err != nil:
		return archive.Manifest{}, 0, err
	case rerr != nil:
		os.RemoveAll(dir)
		return archive.Manifest{}, 0, fmt.Errorf("read object: %w", rerr)
	case sum != wantSHA:
		os.RemoveAll(dir)
		return archive.Manifest{}, 0, fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, sum, wantSHA)
	}
	return m, hr.n, err
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
			if err := s.pgRestoreInto(ctx, conn, filepath.Join(dir, filepath.FromSlash(memberPGDump)), nil); err != nil {
				return fmt.Errorf("test restore: %w", err)
			}
			return checkPostgresCounts(ctx, db, m)
		})
	}
	return fmt.Errorf("backup of unknown engine %q", printable(m.Engine))
}

// checkPostgresCounts compares the rows of every table of a restored
// scratch database with the manifest's counts.
func checkPostgresCounts(ctx context.Context, db *store.DB, m archive.Manifest) error {
	counts, err := countPostgresRows(ctx, db.Read)
	if err != nil {
		return fmt.Errorf("test restore: %w", err)
	}
	return compareCounts(m.RowCounts, counts)
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

// pgRestoreInto restores a custom-format dump, the file at path or read from
// stdin when path is empty, into an empty scratch database without owners
// or grants (the scratch database belongs to the admin).
func (s *Service) pgRestoreInto(ctx context.Context, conn scratchConn, path string, stdin io.Reader) error {
	admin, err := store.OpenPostgres(ctx, s.cfg.AdminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return err
	}
	tool, err := s.checkedPGTool(ctx, "pg_restore", admin)
	admin.Close()
	if err != nil {
		return err
	}
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname=" + conn.url}
	if path != "" {
		args = append(args, path)
	}
	return runPG(ctx, tool, conn.password, stdin, nil, args...)
}
