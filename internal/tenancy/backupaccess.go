package tenancy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/google/uuid"

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
func (p *Provisioner) CreateFrom(ctx context.Context, name, adminEmail string, fill func(ctx context.Context, t Tenant, db *store.DB) error) (t Tenant, err error) {
	if err := ValidateName(name); err != nil {
		return Tenant{}, err
	}
	if err := validateEmail(adminEmail); err != nil {
		return Tenant{}, err
	}
	if fill == nil {
		return Tenant{}, errors.New("create tenant from content: no content given")
	}
	t, err = p.cfg.Catalogue.reserve(ctx, name, p.cfg.Engine, adminEmail)
	if err != nil {
		return Tenant{}, err
	}
	var undo []func() error
	defer func() {
		if err == nil {
			return
		}
		cleanup := context.WithoutCancel(ctx)
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](); uerr != nil {
				err = errors.Join(err, fmt.Errorf("clean up: %w", uerr))
			}
		}
		if ferr := p.cfg.Catalogue.forget(cleanup, t.ID); ferr != nil {
			err = errors.Join(err, fmt.Errorf("release name: %w", ferr))
		}
	}()
	var db *store.DB
	switch p.cfg.Engine {
	case store.SQLite:
		db, undo, err = p.createSQLite(&t, undo)
	case store.Postgres:
		db, undo, err = p.createPostgres(ctx, &t, undo)
	}
	if err != nil {
		return t, fmt.Errorf("create storage for tenant %q: %w", name, err)
	}
	undo = append(undo, db.Close)
	if err := fill(ctx, t, db); err != nil {
		return t, fmt.Errorf("fill tenant %q: %w", name, err)
	}
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		return t, fmt.Errorf("tenant %q: %w", name, err)
	}
	if err := rotateIdentity(ctx, db); err != nil {
		return t, fmt.Errorf("tenant %q: %w", name, err)
	}
	undo = undo[:len(undo)-1]
	if err := db.Close(); err != nil {
		return t, fmt.Errorf("close tenant %q: %w", name, err)
	}
	if err := p.cfg.Catalogue.activate(ctx, &t); err != nil {
		return t, err
	}
	return t, nil
}

// rotateIdentity gives a copied tenant database its own uuid and secret.
// The copy's create_date stays: it describes the data, not the secret. Copied
// sessions are dropped.
func rotateIdentity(ctx context.Context, db *store.DB) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for _, kv := range [][2]string{
			{"database.uuid", uuid.NewString()},
			{"database.secret", hex.EncodeToString(secret)},
		} {
			if _, err := tx.ExecContext(ctx, db.Rebind("DELETE FROM ir_config_parameter WHERE key = ?"), kv[0]); err != nil {
				return fmt.Errorf("rotate %s: %w", kv[0], err)
			}
			if _, err := tx.ExecContext(ctx, db.Rebind(
				"INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES (?, ?, ?, ?)"),
				kv[0], kv[1], now, now); err != nil {
				return fmt.Errorf("rotate %s: %w", kv[0], err)
			}
		}
		// Sessions are stored in the tenant database; a copy must not honour them.
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_session"); err != nil {
			return fmt.Errorf("drop copied sessions: %w", err)
		}
		return nil
	})
}
