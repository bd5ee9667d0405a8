package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrationFiles embed.FS

// Schema names one of the embedded migration sets.
type Schema string

const (
	// ControlSchema is the platform's own database: tenants, staff, catalogue, jobs.
	ControlSchema Schema = "control"
	// TenantSchema is the fixed part of every tenant database; the ORM adds the
	// tables of the installed models on top.
	TenantSchema Schema = "tenant"
)

// Migrate applies every pending migration of schema to db and returns the resulting
// schema version.
func Migrate(ctx context.Context, db *DB, schema Schema) (int64, error) {
	provider, err := newProvider(db, schema)
	if err != nil {
		return 0, err
	}
	if _, err := provider.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate %s schema: %w", schema, err)
	}
	v, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read %s schema version: %w", schema, err)
	}
	return v, nil
}

// SchemaVersion returns the version db is at, without migrating.
func SchemaVersion(ctx context.Context, db *DB, schema Schema) (int64, error) {
	provider, err := newProvider(db, schema)
	if err != nil {
		return 0, err
	}
	return provider.GetDBVersion(ctx)
}

func newProvider(db *DB, schema Schema) (*goose.Provider, error) {
	dir := "migrations/" + string(schema) + "/" + string(db.Engine)
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	dialect := goose.DialectSQLite3
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
	}
	provider, err := goose.NewProvider(dialect, db.Write, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load %s migrations: %w", schema, err)
	}
	return provider, nil
}
