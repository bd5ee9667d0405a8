package tenancy

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/instant-erp/instanterp/internal/store"
)

// Storage knows where tenants live and how to open their databases: SQLite files under
// the data directory, or PostgreSQL databases reached as each tenant's own role.
type Storage struct {
	DataDir  string
	AdminURL string // PostgreSQL server URL; only its host, port and options are reused
	Sealer   Sealer
	// SQLiteSynchronous is passed to store.SQLiteOptions ("" = FULL).
	SQLiteSynchronous string
}

// Open opens tenant t's database with at most conns PostgreSQL connections.
func (s Storage) Open(ctx context.Context, t Tenant, conns int) (*store.DB, error) {
	switch t.Engine {
	case store.SQLite:
		if s.DataDir == "" {
			return nil, fmt.Errorf("open tenant %q: no data directory configured", t.Name)
		}
		// The location comes from the catalogue and is always tenants/<validated name>;
		// rebuild it rather than trusting a stored path.
		path := SQLitePath(s.DataDir, t.Name)
		if filepath.Join(s.DataDir, t.Location, "tenant.db") != path {
			return nil, fmt.Errorf("open tenant %q: unexpected location %q in catalogue", t.Name, t.Location)
		}
		db, err := store.OpenSQLite(path, store.SQLiteOptions{Synchronous: s.SQLiteSynchronous})
		if err != nil {
			return nil, fmt.Errorf("open tenant %q: %w", t.Name, err)
		}
		return db, nil
	case store.Postgres:
		if s.AdminURL == "" || s.Sealer == nil {
			return nil, fmt.Errorf("open tenant %q: it lives in PostgreSQL but no database URL is configured", t.Name)
		}
		password, err := s.Sealer.Open(t.credentials, credentialsAD(t))
		if err != nil {
			return nil, fmt.Errorf("open tenant %q: unseal role password: %w", t.Name, err)
		}
		u, err := TenantURL(s.AdminURL, t.Location, string(password), t.Location)
		if err != nil {
			return nil, err
		}
		db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: conns})
		if err != nil {
			return nil, fmt.Errorf("open tenant %q: %w", t.Name, err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("open tenant %q: unknown engine %q", t.Name, t.Engine)
}

// credentialsAD binds a sealed role password to its tenant, so a ciphertext copied onto
// another tenant's row does not open.
func credentialsAD(t Tenant) []byte {
	return fmt.Appendf(nil, "tenant:%d:postgres-password", t.ID)
}
