// Package store opens the two SQL engines the platform supports (embedded SQLite and
// PostgreSQL) with the settings each needs, and runs the embedded schema migrations.
//
// Both engines are reached through database/sql so that everything above this package
// (catalogue, ORM, backups) is written once. SQLite gets one writer connection and a
// small pool of read-only connections, because SQLite allows a single writer at a time
// and queueing writers in-process is cheaper than letting them collide on the file lock.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Engine names a storage engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open database on either engine.
type DB struct {
	Engine Engine
	// Write serves transactions that may write. On SQLite it holds one connection.
	Write *sql.DB
	// Read serves read-only queries. On PostgreSQL it is the same pool as Write.
	Read *sql.DB
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.Write.Close()
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Ping checks that the database answers. It uses the write pool, whose connection is
// always open on SQLite, so that a health check does not open a reader of its own.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.Write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", db.Engine, err)
	}
	return nil
}

// Rebind turns a query written with '?' placeholders into the engine's syntax
// ($1, $2, … on PostgreSQL). Question marks inside quoted literals are left alone,
// although queries in this project carry no literals: values are always bound.
func (db *DB) Rebind(query string) string {
	if db.Engine != Postgres {
		return query
	}
	return rebindDollar(query)
}

func rebindDollar(query string) string {
	out := make([]byte, 0, len(query)+8)
	n := 0
	inQuote := byte(0)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '\'' || c == '"':
			inQuote = c
		case c == '?':
			n++
			out = append(out, '$')
			out = fmt.Appendf(out, "%d", n)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// InTx runs fn in a write transaction, committing when fn returns nil and rolling back
// otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
