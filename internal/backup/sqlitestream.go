package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// snapshotMmapSize is the memory map SQLite uses while a snapshot reads the
// database's pages: a mapped page costs no read system call, which makes the
// page scan about a third cheaper (BenchmarkStages). SQLite maps at most
// the file's size.
const snapshotMmapSize = 1 << 40

// streamSQLite opens a read transaction on tenant t and returns a snapshot
// whose database member reads every page, as that transaction sees it,
// straight into the archive: nothing is written to a scratch file and the
// archive hashes the pages once as they stream (format version 2). The row
// counts, the schema version and the size come from the same transaction,
// so the manifest describes exactly the pages that follow it. release ends
// the transaction.
func (s *Service) streamSQLite(ctx context.Context, t tenancy.Tenant) (_ snapshot, err error) {
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return snapshot{}, err
	}
	// Read just before the transaction, as snapshotSQLite does: goose needs
	// a connection of its own.
	version, err := store.SchemaVersion(ctx, db, store.TenantSchema)
	if err != nil {
		db.Close()
		return snapshot{}, fmt.Errorf("read schema version: %w", err)
	}
	// One connection, held for the whole snapshot, so that the memory map
	// set here is the one the transaction reads through.
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		db.Close()
		return snapshot{}, fmt.Errorf("connect: %w", err)
	}
	var tx *sql.Tx
	release := sync.OnceFunc(func() {
		if tx != nil {
			tx.Rollback()
		}
		conn.Close()
		db.Close()
	})
	defer func() {
		if err != nil {
			release()
		}
	}()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA mmap_size=%d", snapshotMmapSize)); err != nil {
		return snapshot{}, fmt.Errorf("map database: %w", err)
	}
	// One read transaction sees one consistent state while writers carry
	// on (WAL): the pages, the row counts and the version all come from it.
	if tx, err = conn.BeginTx(ctx, nil); err != nil {
		return snapshot{}, fmt.Errorf("begin snapshot: %w", err)
	}
	engineVersion, counts, err := describeSQLite(ctx, tx)
	if err != nil {
		return snapshot{}, err
	}
	var pageSize, pageCount int64
	if err := tx.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pageCount); err != nil {
		return snapshot{}, fmt.Errorf("read page count: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return snapshot{}, fmt.Errorf("read page size: %w", err)
	}
	src := archive.Source{
		Name: memberSQLite,
		Size: pageCount * pageSize,
		Mode: 0o600,
		Open: openOnce(func() (io.ReadCloser, error) {
			return newPageReader(ctx, tx, pageSize, pageCount)
		}),
	}
	return snapshot{members: []archive.Source{src}, engine: string(store.SQLite), engineVersion: engineVersion,
		schemaVersion: version, rowCounts: counts, release: release}, nil
}

// openOnce is the Open of a streamed member: what it reads (a transaction's
// pages, pg_dump's output) can be read only once.
func openOnce(open func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	var once sync.Once
	return func() (io.ReadCloser, error) {
		opened := false
		once.Do(func() { opened = true })
		if !opened {
			return nil, errors.New("a streamed member can be read only once")
		}
		return open()
	}
}

// pageReader yields the pages of a SQLite database in order, read through
// the sqlite_dbpage table of a read transaction, as one file.
type pageReader struct {
	rows      *sql.Rows
	pageSize  int64
	pageCount int64
	next      int64 // number of the next page to read
	page      []byte
	off       int // unread part of page starts here
	err       error
}

func newPageReader(ctx context.Context, q queryer, pageSize, pageCount int64) (*pageReader, error) {
	rows, err := q.QueryContext(ctx, "SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno")
	if err != nil {
		return nil, fmt.Errorf("read pages: %w", err)
	}
	return &pageReader{rows: rows, pageSize: pageSize, pageCount: pageCount, next: 1, page: make([]byte, 0, pageSize)}, nil
}

// Read fills p with as many pages as fit, so that a large buffer costs one
// call per megabyte rather than one per page. Whole pages are copied
// straight into p; only a page that straddles p's end goes through r.page.
func (r *pageReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.off == len(r.page) {
			if r.err == nil {
				if len(p)-n >= int(r.pageSize) {
					r.err = r.load(p[n : n+int(r.pageSize)])
					if r.err == nil {
						n += int(r.pageSize)
						continue
					}
				} else {
					r.page = r.page[:r.pageSize]
					r.off = 0
					if r.err = r.load(r.page); r.err != nil {
						r.page, r.off = r.page[:0], 0
					}
				}
			}
			if r.err != nil {
				if n > 0 {
					return n, nil
				}
				return 0, r.err
			}
		}
		c := copy(p[n:], r.page[r.off:])
		r.off += c
		n += c
	}
	return n, nil
}

// load reads the next page into dst, one page long, checking that pages
// come in order, whole, and exactly as many as the transaction's page count.
func (r *pageReader) load(dst []byte) error {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return fmt.Errorf("read pages: %w", err)
		}
		if r.next-1 != r.pageCount {
			return fmt.Errorf("read %d pages, the database has %d", r.next-1, r.pageCount)
		}
		return io.EOF
	}
	var (
		pgno int64
		data sql.RawBytes
	)
	if err := r.rows.Scan(&pgno, &data); err != nil {
		return fmt.Errorf("read page %d: %w", r.next, err)
	}
	if pgno != r.next || int64(len(data)) != r.pageSize || pgno > r.pageCount {
		return fmt.Errorf("read page %d: got page %d of %d bytes", r.next, pgno, len(data))
	}
	copy(dst, data)
	if pgno == 1 {
		markRollbackJournal(dst)
	}
	r.next++
	return nil
}

func (r *pageReader) Close() error { return r.rows.Close() }

// markRollbackJournal marks a database header as a rollback-journal
// database, as VACUUM INTO's output is, so that the file opens read-only
// without -wal and -shm files; restoring it into a WAL database sets the
// mark back (SQLite's backup API does).
func markRollbackJournal(page []byte) {
	if len(page) > sqliteVersionBytes+1 {
		page[sqliteVersionBytes], page[sqliteVersionBytes+1] = 1, 1
	}
}
