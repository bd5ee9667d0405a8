package tenancy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/instant-erp/instanterp/internal/store"
)

// Connection is how an external tool (pg_dump, pg_restore, psql) reaches a
// PostgreSQL tenant as the tenant's own role. The password is kept apart from
// the URL so that it travels in the tool's environment (PGPASSWORD), never on
// a command line that other local users can read.
type Connection struct {
	URL      string // postgres://role@host:port/database?… without a password
	Password string
}

// Connection returns the connection details of PostgreSQL tenant t.
func (s Storage) Connection(t Tenant) (Connection, error) {
	if t.Engine != store.Postgres {
		return Connection{}, fmt.Errorf("tenant %q lives in %s, not PostgreSQL", t.Name, t.Engine)
	}
	if s.AdminURL == "" || s.Sealer == nil {
		return Connection{}, fmt.Errorf("tenant %q lives in PostgreSQL but no database URL is configured", t.Name)
	}
	password, err := s.Sealer.Open(t.credentials, credentialsAD(t))
	if err != nil {
		return Connection{}, fmt.Errorf("tenant %q: unseal role password: %w", t.Name, err)
	}
	raw, err := TenantURL(s.AdminURL, t.Location, "", t.Location)
	if err != nil {
		return Connection{}, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Connection{}, fmt.Errorf("tenant %q: %w", t.Name, err)
	}
	u.User = url.User(t.Location)
	return Connection{URL: u.String(), Password: string(password)}, nil
}

// FilestoreDir is where tenant t keeps its attachments. It is rebuilt from the
// validated name, never read from input.
func (s Storage) FilestoreDir(t Tenant) string {
	return filepath.Join(s.DataDir, "tenants", t.Name, "filestore")
}

// CreateFrom provisions a new tenant called name whose content comes from fill
// instead of a fresh schema: restoring a backup as a copy. It is all or
// nothing like Create. fill receives the new, empty database (and may use
// Storage.Connection on the tenant for PostgreSQL tools); afterwards the
// tenant schema is migrated forward and the tenant's database.uuid and
// database.secret are replaced, so that nothing signed for the original
// (sessions, links) is valid on the copy.
func (p *Provisioner) CreateFrom(ctx context.Context, name, adminEmail string, fill func(ctx context.Context, t Tenant, db *store.DB) error) (Tenant, error) {
	if fill == nil {
		return Tenant{}, errors.New("create tenant from content: no content given")
	}
	return p.provision(ctx, name, adminEmail, "", restored(fill))
}

// CreateFromSQLiteFile is CreateFrom on SQLite for a tenant whose database
// is a copy of the complete database file at path (a restored backup's),
// made by the file system instead of page by page through the new
// database's log; fill, which may be nil, adds the rest (the filestore).
func (p *Provisioner) CreateFromSQLiteFile(ctx context.Context, name, adminEmail, path string, fill func(ctx context.Context, t Tenant, db *store.DB) error) (Tenant, error) {
	if p.cfg.Engine != store.SQLite {
		return Tenant{}, fmt.Errorf("create tenant from a SQLite file: new tenants live in %s", p.cfg.Engine)
	}
	if path == "" {
		return Tenant{}, errors.New("create tenant from a SQLite file: no file given")
	}
	if fill == nil {
		fill = func(context.Context, Tenant, *store.DB) error { return nil }
	}
	return p.provision(ctx, name, adminEmail, path, restored(fill))
}

// restored fills a new tenant with restored content, then migrates its
// schema forward and gives it an identity of its own.
func restored(fill func(ctx context.Context, t Tenant, db *store.DB) error) func(context.Context, Tenant, *store.DB) error {
	return func(ctx context.Context, t Tenant, db *store.DB) error {
		if err := fill(ctx, t, db); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
			return err
		}
		return resetIdentity(ctx, db, false)
	}
}
