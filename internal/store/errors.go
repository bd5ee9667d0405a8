package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	// modernc.org/sqlite reports SQLITE_CONSTRAINT_UNIQUE (2067) in its message.
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsSerializationFailure reports whether a PostgreSQL transaction should be retried.
func IsSerializationFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// PostgresCode returns the SQLSTATE of a PostgreSQL error, or "".
func PostgresCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// IsConcurrentCatalogUpdate reports whether a PostgreSQL statement that
// changes a system catalog row (GRANT, REVOKE, ALTER) failed because another
// transaction changed the same row at the same time; the statement can be
// run again.
func IsConcurrentCatalogUpdate(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "XX000" && pgErr.Message == "tuple concurrently updated"
}
