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
		_, err = s.testRestore(ctx, src, rec.SHA256)
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
// location as it is read, then checks the database's integrity and row
// counts against the manifest. Nothing of the scratch copy is synced: it is
// thrown away. It returns the number of bytes read from r, all of it.
func (s *Service) testRestore(ctx context.Context, r io.Reader, wantSHA string) (int64, error) {
	work, err := s.newWorkDir("scratch")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "x")
	stream, check := s.scratchCheck(ctx)
	m, n, err := extractVerified(ctx, r, wantSHA, s.identities(), dir, archive.ExtractOptions{Allowed: databaseOnly, Sync: syncNothing, Stream: stream})
	if err != nil {
		return n, err
	}
	return n, check(m, dir)
}

func databaseOnly(name string) bool { return strings.HasPrefix(name, "database/") }

func syncNothing(string) bool { return false }

// extractVerified streams the object from r into dir (which must not
// exist): it decrypts it and checks every member against the manifest and,
// in the same pass, the object's SHA-256 against wantSHA when set. dir is
// only ever a work area, so the content may land there before the hash is
// known: on a mismatch it is removed and ErrHashMismatch returned, which
// also takes precedence over a decryption error (a different object fails
// to decrypt for that reason). It returns the manifest and the number of
// bytes read from r, which is all of it unless reading failed.
func extractVerified(ctx context.Context, r io.Reader, wantSHA string, ids []age.Identity, dir string, opts archive.ExtractOptions) (archive.Manifest, int64, error) {
	hr := newCountingReader(ctxReader{ctx: ctx, r: r})
	if wantSHA != "" {
		hr = newHashedReader(hr.r)
	}
	m, err := archive.ExtractWith(ctx, hr, ids, dir, opts)
	if ctx.Err() != nil {
		os.RemoveAll(dir)
		return archive.Manifest{}, hr.n, ctx.Err()
	}
	sum, rerr := hr.finish()
	switch {
	case rerr != nil && err != nil:
		return archive.Manifest{}, hr.n, err
	case rerr != nil:
		os.RemoveAll(dir)
		return archive.Manifest{}, hr.n, rerr
	case wantSHA != "" && sum != wantSHA:
		os.RemoveAll(dir)
		return archive.Manifest{}, hr.n, fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, sum, wantSHA)
	}
	return m, hr.n, err
}

// scratchCheck returns the two halves of a test restore's database check:
// stream, for the extraction, feeds a PostgreSQL dump to pg_restore in a
// scratch database as it is decrypted (it never reaches the disk) and
// counts the rows before the database is dropped; check, once the whole
// object was read, compares those counts with its manifest, or checks the
// extracted SQLite database.
func (s *Service) scratchCheck(ctx context.Context) (stream func(archive.MemberInfo, io.Reader) (bool, error), check func(m archive.Manifest, dir string) error) {
	var pgCounts map[string]int64 // nil until a dump was restored
	stream = func(mi archive.MemberInfo, body io.Reader) (bool, error) {
		if mi.Name != memberPGDump {
			return false, nil
		}
		counts, err := s.scratchPostgresCounts(ctx, "", body)
		pgCounts = counts
		return true, err
	}
	check = func(m archive.Manifest, dir string) error {
		if store.Engine(m.Engine) != store.Postgres {
			return s.checkRestored(ctx, m, dir)
		}
		if pgCounts == nil {
			return fmt.Errorf("test restore: the object holds no %s", memberPGDump)
		}
		return compareCounts(m.RowCounts, pgCounts)
	}
	return stream, check
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
		counts, err := s.scratchPostgresCounts(ctx, filepath.Join(dir, filepath.FromSlash(memberPGDump)), nil)
		if err != nil {
			return err
		}
		return compareCounts(m.RowCounts, counts)
	}
	return fmt.Errorf("backup of unknown engine %q", printable(m.Engine))
}

// scratchPostgresCounts restores a custom-format dump, the file at path or
// read from stdin when path is empty, into a scratch database, and returns
// the rows of its every table, counted before the database is dropped.
func (s *Service) scratchPostgresCounts(ctx context.Context, path string, stdin io.Reader) (counts map[string]int64, err error) {
	err = s.withScratchPostgres(ctx, func(db *store.DB, conn scratchConn) error {
		if err := s.pgRestoreInto(ctx, conn, path, stdin); err != nil {
			return err
		}
		counts, err = countPostgresRows(ctx, db.Read)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("test restore: %w", err)
	}
	return counts, nil
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
