// Package app is the composition root: it builds the platform's services from the
// configuration, and starts and stops them.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Platform is an opened installation: control database, master key, catalogue and
// provisioner. Commands that only manage tenants use it without serving.
type Platform struct {
	Config      *config.Config
	Log         *slog.Logger
	Control     *store.DB
	Key         *secrets.MasterKey
	Instance    tenancy.Instance
	Catalogue   *tenancy.Catalogue
	Storage     tenancy.Storage
	Provisioner *tenancy.Provisioner
	// Registry holds the models of the installed ERP modules.
	Registry *orm.Registry

	schema string        // fingerprint of the tenant schema this build expects
	seeds  []seed.Module // the modules' seed steps an upgrade runs
}

// NewLogger builds the process logger from the log settings.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Options are what an embedding program chooses beyond the configuration.
type Options struct {
	// TemplatesFrom, when set, is another open installation of this program,
	// with tenants on the same engine (and PostgreSQL server), whose tenant
	// template this one's new tenants copy instead of building one of its
	// own: for test runs, which open many short-lived installations that would
	// each install the ERP once. It builds, versions and removes the template.
	TemplatesFrom *Platform
}

// Open opens (initialising on first use) the installation described by cfg.
//
// On an installation that already holds data, a missing or different master key is an
// error before anything is changed: the key is never silently regenerated.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Platform, error) {
	return OpenWith(ctx, cfg, log, Options{})
}

// OpenWith is Open with opts.
func OpenWith(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (_ *Platform, err error) {
	if !filepath.IsAbs(cfg.DataDir) {
		// config.Load resolves it; a relative one would break the
		// filestores, which refuse relative paths, only later and per request.
		return nil, fmt.Errorf("data directory %q is not an absolute path", cfg.DataDir)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	p := &Platform{Config: cfg, Log: log}
	engine := store.SQLite
	if cfg.DatabaseURL != "" {
		engine = store.Postgres
		p.Control, err = store.OpenPostgres(ctx, cfg.DatabaseURL, store.PostgresOptions{MaxConns: 8})
	} else {
		p.Control, err = store.OpenSQLite(filepath.Join(cfg.DataDir, "control.db"), store.SQLiteOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("open control database: %w", err)
	}
	defer func() {
		if err != nil {
			p.Control.Close()
		}
	}()

	initialized, err := tenancy.Initialized(ctx, p.Control)
	if err != nil {
		return nil, err
	}
	if p.Key, err = loadMasterKey(cfg.MasterKeyFile, initialized); err != nil {
		return nil, err
	}
	if initialized {
		// Prove the key before migrating, so a wrong key changes nothing.
		if _, err := tenancy.OpenInstance(ctx, p.Control, p.Key, time.Now()); err != nil {
			return nil, err
		}
	}
	if _, err := store.Migrate(ctx, p.Control, store.ControlSchema); err != nil {
		return nil, err
	}
	if p.Instance, err = tenancy.OpenInstance(ctx, p.Control, p.Key, time.Now()); err != nil {
		return nil, err
	}
	if engine == store.Postgres && !initialized {
		if err := tenancy.PreparePostgresServer(ctx, p.Control); err != nil {
			return nil, err
		}
	}
	if p.Registry, err = erp.NewRegistry(); err != nil {
		return nil, err
	}
	p.seeds = erp.Modules("")
	if p.schema, err = schemaFingerprint(p.Registry, p.seeds); err != nil {
		return nil, err
	}
	p.Catalogue = tenancy.NewCatalogue(p.Control, nil)
	p.Storage = tenancy.Storage{DataDir: cfg.DataDir, AdminURL: cfg.DatabaseURL, Sealer: p.Key}
	p.Provisioner, err = tenancy.NewProvisioner(tenancy.ProvisionerConfig{
		Catalogue: p.Catalogue, Engine: engine, DataDir: cfg.DataDir,
		Admin: p.Control, AdminURL: cfg.DatabaseURL, Instance: p.Instance, Sealer: p.Key,
		Template: p.tenantTemplate(), TemplatesFrom: opts.templatesFrom(),
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// templatesFrom is the provisioner whose templates new tenants copy, if any.
func (o Options) templatesFrom() *tenancy.Provisioner {
	if o.TemplatesFrom == nil {
		return nil
	}
	return o.TemplatesFrom.Provisioner
}

func loadMasterKey(path string, initialized bool) (*secrets.MasterKey, error) {
	key, err := secrets.Load(path)
	switch {
	case err == nil:
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("master key: %w", err)
	case initialized:
		return nil, fmt.Errorf("master key %s is missing, but this installation already holds data sealed under a master key: "+
			"restore the key file (or point INSTANTERP_MASTER_KEY_FILE at it); a new key would not open that data", path)
	}
	key, err = secrets.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	return key, nil
}

// Close releases the control database.
func (p *Platform) Close() error {
	return p.Control.Close()
}
