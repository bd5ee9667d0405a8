package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// SQLiteOptions tune an embedded database.
type SQLiteOptions struct {
	// Readers is the size of the read-only pool (default 4).
	Readers int
	// Synchronous is SQLite's synchronous pragma: "FULL" (default: every commit
	// reaches the disk before it returns) or "NORMAL" (WAL checkpoints only).
	Synchronous string
}

// OpenSQLite opens (creating if needed) the SQLite file at path. A new file is created
// with mode 0600 so that no other local account can read tenant data.
func OpenSQLite(path string, opts SQLiteOptions) (*DB, error) {
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	switch opts.Synchronous {
	case "":
		opts.Synchronous = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("sqlite synchronous mode %q: want FULL or NORMAL", opts.Synchronous)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()

	pragmas := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"foreign_keys(1)",
		"synchronous(" + opts.Synchronous + ")",
	} {
		pragmas.Add("_pragma", p)
	}
	// Immediate transactions take the write lock at BEGIN, so a transaction never
	// fails half-way when it upgrades from reading to writing.
	writerDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	readerPragmas := url.Values{}
	for k, v := range pragmas {
		readerPragmas[k] = v
	}
	readerPragmas.Add("_pragma", "query_only(1)")
	readerDSN := "file:" + path + "?" + readerPragmas.Encode()

	write, err := openSQLitePool(writerDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	// Each SQLite connection holds about 170 KiB of C memory. A server keeps hundreds of
	// tenants open, most of them idle: their connections are closed after a while and
	// reopened (about a millisecond) on the next request.
	write.SetConnMaxIdleTime(2 * time.Minute)
	// The first connection switches the file to WAL; do it before readers appear.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read, err := openSQLitePool(readerDSN)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read.SetMaxOpenConns(opts.Readers)
	read.SetMaxIdleConns(opts.Readers)
	read.SetConnMaxIdleTime(time.Minute)
	return &DB{Engine: SQLite, Write: write, Read: read}, nil
}

// openSQLitePool opens a pool whose connections keep their prepared statements (see
// cachingConn).
func openSQLitePool(dsn string) (*sql.DB, error) {
	c, err := newSQLiteConnector(dsn, stmtCacheSize, stmtCacheBytes)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}
