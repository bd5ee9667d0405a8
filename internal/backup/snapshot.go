package backup

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Member names inside a backup object.
const (
	memberSQLite    = "database/tenant.db"
	memberPGDump    = "database/tenant.pgdump"
	filestorePrefix = "filestore"
)

// snapshot is a consistent copy of a tenant, ready to be archived.
type snapshot struct {
	members       []archive.Source
	engine        string
	engineVersion string
	schemaVersion int64
	rowCounts     map[string]int64
	// expected is what progress counts on for members of unknown size.
	expected int64
	// release ends what a streamed snapshot holds open (its read
	// transaction); it must be called once the members have been read.
	release func()
}

// expectedSize is the bytes the members are expected to hold: exact but for
// members of unknown size, counted as expected.
func (snap snapshot) expectedSize() int64 {
	total := snap.expected
	for _, m := range snap.members {
		if m.Size != archive.SizeUnknown {
			total += m.Size
		}
	}
	return total
}

// snapshotMode says where a snapshot's database goes.
type snapshotMode int

const (
	// toFile writes the database into the work directory, for readers that
	// need a file (the customer export's CSV).
	toFile snapshotMode = iota
	// streamed leaves the database member to be read once, straight from a
	// read transaction (SQLite's pages) or from pg_dump into the archive.
	streamed
)

// takeSnapshot copies tenant t into dir without stopping it: the database,
// and for a full backup the filestore. The caller must call release.
func (s *Service) takeSnapshot(ctx context.Context, t tenancy.Tenant, kind, dir string, mode snapshotMode) (snapshot, error) {
	var snap snapshot
	var err error
	switch t.Engine {
	case store.SQLite:
		if mode == streamed {
			snap, err = s.streamSQLite(ctx, t)
		} else {
			snap, err = s.snapshotSQLite(ctx, t, dir)
		}
	case store.Postgres:
		if mode == streamed {
			snap, err = s.streamPostgres(ctx, t)
		} else {
			snap, err = s.snapshotPostgres(ctx, t, dir)
		}
	default:
		err = fmt.Errorf("unknown engine %q", t.Engine)
	}
	if err != nil {
		return snapshot{}, fmt.Errorf("snapshot tenant %q: %w", t.Name, err)
	}
	if snap.release == nil {
		snap.release = func() {}
	}
	if kind == archive.KindFull {
		files, err := linkFilestore(s.cfg.Storage.FilestoreDir(t), filepath.Join(dir, "filestore"))
		if err != nil {
			snap.release()
			return snapshot{}, fmt.Errorf("snapshot filestore of tenant %q: %w", t.Name, err)
		}
		snap.members = append(snap.members, files...)
	}
	return snap, nil
}

func (s *Service) snapshotSQLite(ctx context.Context, t tenancy.Tenant, dir string) (snapshot, error) {
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return snapshot{}, err
	}
	defer db.Close()
	version, err := store.SchemaVersion(ctx, db, store.TenantSchema)
	if err != nil {
		return snapshot{}, fmt.Errorf("read schema version: %w", err)
	}
	// One read transaction sees one consistent state while writers carry
	// on (WAL): the pages, the row counts and the version all come from it.
	tx, err := db.Read.BeginTx(ctx, nil)
	if err != nil {
		return snapshot{}, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback()
	dst := filepath.Join(dir, "tenant.db")
	size, sum, err := copySQLitePages(ctx, tx, dst)
	if err != nil {
		return snapshot{}, err
	}
	engineVersion, counts, err := describeSQLite(ctx, tx)
	if err != nil {
		return snapshot{}, err
	}
	src, err := archive.FileSource(memberSQLite, dst)
	if err != nil {
		return snapshot{}, err
	}
	if src.Size != size {
		return snapshot{}, fmt.Errorf("snapshot is %d bytes, %d were written", src.Size, size)
	}
	src.SHA256 = sum
	return snapshot{members: []archive.Source{src}, engine: string(store.SQLite), engineVersion: engineVersion,
		schemaVersion: version, rowCounts: counts}, nil
}

// copySQLitePages writes every page of the database, as the read
// transaction q sees it, to a new file at dst, and returns its size and
// SHA-256.
//
// Pages are read through SQLite's sqlite_dbpage table: a page copy costs a
// fraction of VACUUM INTO, which rebuilds every table and index. The file
// is not synced: it is scratch, read once by the archive and removed. Its
// header is marked as a rollback-journal database, as VACUUM INTO's output
// is, so it opens read-only without -wal and -shm files; restoring it into
// a WAL database sets the mark back (SQLite's backup API does).
func copySQLitePages(ctx context.Context, q queryer, dst string) (int64, string, error) {
	var pageSize, pageCount int64
	if err := q.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pageCount); err != nil {
		return 0, "", fmt.Errorf("read page count: %w", err)
	}
	if err := q.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return 0, "", fmt.Errorf("read page size: %w", err)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, "", fmt.Errorf("create snapshot: %w", err)
	}
	defer f.Close()
	out := newHashedWriter(f)
	rows, err := q.QueryContext(ctx, "SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno")
	if err != nil {
		return 0, "", fmt.Errorf("read pages: %w", err)
	}
	defer rows.Close()
	var (
		pgno int64
		page sql.RawBytes
		want int64 = 1
	)
	for rows.Next() {
		if err := rows.Scan(&pgno, &page); err != nil {
			return 0, "", fmt.Errorf("read page %d: %w", want, err)
		}
		if pgno != want || int64(len(page)) != pageSize {
			return 0, "", fmt.Errorf("read page %d: got page %d of %d bytes", want, pgno, len(page))
		}
		if pgno == 1 {
			markRollbackJournal(page)
		}
		if _, err := out.Write(page); err != nil {
			return 0, "", fmt.Errorf("write snapshot: %w", err)
		}
		want++
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("read pages: %w", err)
	}
	if want-1 != pageCount {
		return 0, "", fmt.Errorf("read %d pages, the database has %d", want-1, pageCount)
	}
	if err := out.Flush(); err != nil {
		return 0, "", fmt.Errorf("write snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, "", fmt.Errorf("write snapshot: %w", err)
	}
	return out.n, out.sum(), nil
}

// sqliteVersionBytes is the offset of the file format write and read
// versions in a SQLite header: 1 for rollback journal, 2 for WAL.
const sqliteVersionBytes = 18

// sqliteCheck is what checkSQLiteFile finds in a database file.
type sqliteCheck struct {
	version   string
	rowCounts map[string]int64
}

// tableNamePattern is what a table name must look like to be counted; the
// names come from the database's own schema, never from a request.
var tableNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// checkSQLiteFile runs SQLite's integrity check on a database file that this
// service wrote (a snapshot or a scratch restore) and counts its rows.
func checkSQLiteFile(ctx context.Context, path string) (sqliteCheck, error) {
	// Through a memory map: the integrity check reads every page, and a
	// mapped page costs no read system call (see snapshotMmapSize).
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=ro&_pragma=query_only(1)&_pragma=mmap_size(%d)", path, snapshotMmapSize))
	if err != nil {
		return sqliteCheck{}, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var result string
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return sqliteCheck{}, fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		if err := rows.Scan(&result); err != nil {
			rows.Close()
			return sqliteCheck{}, fmt.Errorf("integrity check: %w", err)
		}
		if result != "ok" {
			problems = append(problems, result)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sqliteCheck{}, fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return sqliteCheck{}, fmt.Errorf("integrity check failed: %s", oneLine(fmt.Sprint(problems)))
	}
	c := sqliteCheck{}
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&c.version); err != nil {
		return sqliteCheck{}, fmt.Errorf("read sqlite version: %w", err)
	}
	if c.rowCounts, err = countSQLiteRows(ctx, db); err != nil {
		return sqliteCheck{}, err
	}
	return c, nil
}

// describeSQLite reads what a manifest says of a SQLite snapshot: the engine's
// version and the rows of every table, in the snapshot's transaction.
func describeSQLite(ctx context.Context, tx *sql.Tx) (string, map[string]int64, error) {
	var version string
	if err := tx.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version); err != nil {
		return "", nil, fmt.Errorf("read sqlite version: %w", err)
	}
	counts, err := countSQLiteRows(ctx, tx)
	return version, counts, err
}

// countSQLiteRows counts the rows of every table of a tenant database.
func countSQLiteRows(ctx context.Context, q queryer) (map[string]int64, error) {
	tables, err := q.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for tables.Next() {
		var name string
		if err := tables.Scan(&name); err != nil {
			tables.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, name)
	}
	tables.Close()
	if err := tables.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	counts := make(map[string]int64, len(names))
	for _, name := range names {
		if !tableNamePattern.MatchString(name) {
			return nil, fmt.Errorf("table name %q is not one this platform creates", printable(name))
		}
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+store.QuoteIdent(name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", name, err)
		}
		counts[name] = n
	}
	return counts, nil
}

// pgExport is what both ways of dumping a PostgreSQL tenant share: the
// checked pg_dump, the tenant's connection, and an exported snapshot whose
// transaction read the row counts, so that the manifest describes exactly
// what the dump holds. close ends the transaction.
type pgExport struct {
	pgDump        string
	conn          tenancy.Connection
	db            *store.DB
	tx            *sql.Tx
	snapshotID    string
	serverVersion string
	schemaVersion int64
	counts        map[string]int64
	size          int64 // pg_database_size, what progress expects of a streamed dump
}

func (s *Service) exportPostgres(ctx context.Context, t tenancy.Tenant) (_ *pgExport, err error) {
	conn, err := s.cfg.Storage.Connection(t)
	if err != nil {
		return nil, err
	}
	db, err := s.cfg.Storage.Open(ctx, t, 2)
	if err != nil {
		return nil, err
	}
	e := &pgExport{conn: conn, db: db}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.pgDump, err = s.checkedPGTool(ctx, "pg_dump", db); err != nil {
		return nil, err
	}
	if _, e.serverVersion, err = serverMajor(ctx, db); err != nil {
		return nil, err
	}
	if e.schemaVersion, err = store.SchemaVersion(ctx, db, store.TenantSchema); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if e.tx, err = db.Read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}); err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	if err := e.tx.QueryRowContext(ctx, "SELECT pg_export_snapshot(), pg_database_size(current_database())").Scan(&e.snapshotID, &e.size); err != nil {
		return nil, fmt.Errorf("export snapshot: %w", err)
	}
	if e.counts, err = countPostgresRows(ctx, e.tx); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *pgExport) close() {
	if e.tx != nil {
		e.tx.Rollback()
	}
	e.db.Close()
}

// dumpArgs are pg_dump's arguments. No compression: the archive compresses
// with zstd, which is faster and would gain nothing from compressed input.
func (e *pgExport) dumpArgs() []string {
	return []string{"--format=custom", "--compress=0", "--snapshot=" + e.snapshotID, "--dbname=" + e.conn.URL}
}

func (e *pgExport) snapshot(member archive.Source) snapshot {
	return snapshot{members: []archive.Source{member}, engine: string(store.Postgres), engineVersion: e.serverVersion,
		schemaVersion: e.schemaVersion, rowCounts: e.counts}
}

// snapshotPostgres dumps tenant t into dir, for readers that need a file
// (the customer export turns it into plain SQL).
func (s *Service) snapshotPostgres(ctx context.Context, t tenancy.Tenant, dir string) (snapshot, error) {
	e, err := s.exportPostgres(ctx, t)
	if err != nil {
		return snapshot{}, err
	}
	defer e.close()
	dst := filepath.Join(dir, "tenant.pgdump")
	// The dump comes through a pipe in large writes and is not synced: it
	// is scratch, in this operation's own work directory.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return snapshot{}, fmt.Errorf("create dump: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, ioBufferSize)
	out := &countingWriter{w: bw}
	if err := runPG(ctx, e.pgDump, e.conn.Password, nil, out, e.dumpArgs()...); err != nil {
		return snapshot{}, err
	}
	if err := bw.Flush(); err != nil {
		return snapshot{}, fmt.Errorf("write dump: %w", err)
	}
	if err := f.Close(); err != nil {
		return snapshot{}, fmt.Errorf("write dump: %w", err)
	}
	src, err := archive.FileSource(memberPGDump, dst)
	if err != nil {
		return snapshot{}, err
	}
	if src.Size != out.n {
		return snapshot{}, fmt.Errorf("dump is %d bytes, %d were written", src.Size, out.n)
	}
	return e.snapshot(src), nil
}

// streamPostgres returns a snapshot of tenant t whose dump member is
// pg_dump's output, read once straight into the archive as pg_dump writes
// it: nothing goes to a scratch file, and the archive stores the dump in
// pieces since its size is known only at its end (archive.SizeUnknown).
// release ends the exported snapshot's transaction.
func (s *Service) streamPostgres(ctx context.Context, t tenancy.Tenant) (snapshot, error) {
	e, err := s.exportPostgres(ctx, t)
	if err != nil {
		return snapshot{}, err
	}
	src := archive.Source{
		Name: memberPGDump,
		Size: archive.SizeUnknown,
		Mode: 0o600,
		Open: openOnce(func() (io.ReadCloser, error) {
			return startPG(ctx, e.pgDump, e.conn.Password, e.dumpArgs()...)
		}),
	}
	snap := e.snapshot(src)
	snap.release = sync.OnceFunc(e.close)
	snap.expected = e.size
	return snap, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// countPostgresRows counts the rows of every table in the public schema.
func countPostgresRows(ctx context.Context, q queryer) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	counts := map[string]int64{}
	for _, name := range names {
		if !tableNamePattern.MatchString(name) {
			return nil, fmt.Errorf("table name %q is not one this platform creates", printable(name))
		}
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM public."+store.QuoteIdent(name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", name, err)
		}
		counts[name] = n
	}
	return counts, nil
}

// linkFilestore hard-links (or copies, across file systems) every regular
// file of the filestore into dst, so that the archive reads a stable set even
// while the tenant adds or deletes attachments. A missing filestore is empty.
func linkFilestore(src, dst string) ([]archive.Source, error) {
	if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", path)
		}
		if err := os.Link(path, target); err == nil {
			return nil
		}
		return copyFile(path, target)
	})
	if err != nil {
		return nil, err
	}
	return archive.DirSources(filestorePrefix, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
