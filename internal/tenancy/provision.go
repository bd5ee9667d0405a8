package tenancy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/instant-erp/instanterp/internal/store"
)

// Provisioning steps, in order; tests inject failures at each.
const (
	StepStorage    = "storage"
	StepMigrate    = "migrate"
	StepSeed       = "seed"
	StepInitialize = "initialize"
	StepActivate   = "activate"
)

// ProvisionerConfig is what a Provisioner needs.
type ProvisionerConfig struct {
	Catalogue *Catalogue
	Engine    store.Engine
	// DataDir holds SQLite tenants under DataDir/tenants/<name>/.
	DataDir string
	// Admin is a PostgreSQL connection allowed to create roles and databases (the
	// control database's), and AdminURL the URL it was opened with. PostgreSQL only.
	Admin    *store.DB
	AdminURL string
	Instance Instance
	Sealer   Sealer
	// Initialize installs the application into a new tenant database (the ORM's
	// tables and seed data). Optional.
	Initialize func(ctx context.Context, db *store.DB, t Tenant) error
	// Template, when set, replaces Initialize: new tenants are copies of a
	// template built once per program version. Optional.
	Template *Template
	// TemplatesFrom, when set with Template, is the provisioner of another
	// installation on the same engine (and PostgreSQL server) whose template
	// new tenants copy instead of one of this installation's own: for test
	// runs, whose many short-lived installations of one program would each
	// install the application once. That installation builds, versions and
	// removes the template; this one only copies it, so on PostgreSQL its
	// platform role must be allowed to (a superuser). Optional.
	TemplatesFrom *Provisioner
	// FailAt injects a failure at a step, for tests. Optional.
	FailAt func(step string) error
}

// Provisioner creates, suspends, resumes and deletes tenants.
type Provisioner struct {
	cfg ProvisionerConfig
	// templateMu serialises template builds in this process.
	templateMu sync.Mutex
}

// NewProvisioner checks cfg and returns a provisioner.
func NewProvisioner(cfg ProvisionerConfig) (*Provisioner, error) {
	switch cfg.Engine {
	case store.SQLite:
		if cfg.DataDir == "" {
			return nil, errors.New("provisioner: data directory required for SQLite tenants")
		}
	case store.Postgres:
		if cfg.Admin == nil || cfg.AdminURL == "" || cfg.Sealer == nil || cfg.Instance.ID == "" {
			return nil, errors.New("provisioner: PostgreSQL tenants need an admin connection, its URL, a sealer and the instance")
		}
	default:
		return nil, fmt.Errorf("provisioner: unknown engine %q", cfg.Engine)
	}
	if cfg.Catalogue == nil {
		return nil, errors.New("provisioner: catalogue required")
	}
	if t := cfg.Template; t != nil && (t.Version == nil || t.Build == nil || t.Personalize == nil) {
		return nil, errors.New("provisioner: a template needs a version, a build and a personalisation")
	}
	if from := cfg.TemplatesFrom; from != nil {
		if err := sharesTemplates(cfg, from.cfg); err != nil {
			return nil, fmt.Errorf("provisioner: copying the templates of another installation: %w", err)
		}
	}
	return &Provisioner{cfg: cfg}, nil
}

func (p *Provisioner) fail(step string) error {
	if p.cfg.FailAt == nil {
		return nil
	}
	if err := p.cfg.FailAt(step); err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	return nil
}

// Create provisions a fresh tenant: all or nothing. On any failure whatever was made is
// removed and the name is free again.
func (p *Provisioner) Create(ctx context.Context, name, adminEmail string) (Tenant, error) {
	if p.cfg.Template != nil {
		return p.createFromTemplate(ctx, name, adminEmail)
	}
	return p.provision(ctx, name, adminEmail, "", func(ctx context.Context, t Tenant, db *store.DB) error {
		if err := p.fail(StepMigrate); err != nil {
			return err
		}
		if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
			return err
		}
		if err := p.fail(StepSeed); err != nil {
			return err
		}
		if err := resetIdentity(ctx, db, true); err != nil {
			return err
		}
		if err := p.fail(StepInitialize); err != nil {
			return err
		}
		if p.cfg.Initialize != nil {
			if err := p.cfg.Initialize(ctx, db, t); err != nil {
				return fmt.Errorf("install application: %w", err)
			}
		}
		return nil
	})
}

// createFromTemplate provisions a tenant as a copy of the current template
// (built first if need be), then gives the copy its own identity and runs the
// tenant-specific steps.
func (p *Provisioner) createFromTemplate(ctx context.Context, name, adminEmail string) (Tenant, error) {
	// Checked before a template is built for nothing.
	if err := ValidateName(name); err != nil {
		return Tenant{}, err
	}
	if err := validateEmail(adminEmail); err != nil {
		return Tenant{}, err
	}
	from, err := p.template(ctx)
	if err != nil {
		return Tenant{}, err
	}
	return p.provision(ctx, name, adminEmail, from, func(ctx context.Context, t Tenant, db *store.DB) error {
		if err := p.fail(StepSeed); err != nil {
			return err
		}
		if err := resetIdentity(ctx, db, true); err != nil {
			return err
		}
		if err := p.fail(StepInitialize); err != nil {
			return err
		}
		if err := p.cfg.Template.Personalize(ctx, db, t); err != nil {
			return fmt.Errorf("personalise: %w", err)
		}
		return nil
	})
}

// provision reserves the name, creates the tenant's storage (empty, or a copy of the
// template from), lets populate fill the new database, and activates the tenant — or
// removes everything it made.
func (p *Provisioner) provision(ctx context.Context, name, adminEmail, from string, populate func(context.Context, Tenant, *store.DB) error) (t Tenant, err error) {
	if err := ValidateName(name); err != nil {
		return Tenant{}, err
	}
	if err := validateEmail(adminEmail); err != nil {
		return Tenant{}, err
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
		// Clean up even when ctx was cancelled: leftovers would block the name.
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

	if err := p.fail(StepStorage); err != nil {
		return t, err
	}
	var db *store.DB
	switch p.cfg.Engine {
	case store.SQLite:
		db, undo, err = p.createSQLite(&t, undo, from)
	case store.Postgres:
		db, undo, err = p.createPostgres(ctx, &t, undo, from)
	}
	if err != nil {
		return t, fmt.Errorf("create storage for tenant %q: %w", name, err)
	}
	undo = append(undo, db.Close)
	if err := populate(ctx, t, db); err != nil {
		return t, fmt.Errorf("tenant %q: %w", name, err)
	}
	undo = undo[:len(undo)-1]
	if err := db.Close(); err != nil {
		return t, fmt.Errorf("close tenant %q: %w", name, err)
	}
	if err := p.fail(StepActivate); err != nil {
		return t, err
	}
	if err := p.cfg.Catalogue.activate(ctx, &t); err != nil {
		return t, err
	}
	return t, nil
}

func validateEmail(addr string) error {
	at := -1
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' {
			return fmt.Errorf("invalid admin email %q: unexpected character", printable(addr))
		}
		if c == '@' {
			if at >= 0 {
				return fmt.Errorf("invalid admin email %q: more than one @", printable(addr))
			}
			at = i
		}
	}
	if at <= 0 || at == len(addr)-1 || len(addr) > 254 {
		return fmt.Errorf("invalid admin email %q: want name@domain", printable(addr))
	}
	return nil
}

// SQLitePath is where a SQLite tenant's database lives.
func SQLitePath(dataDir, name string) string {
	return filepath.Join(dataDir, "tenants", name, "tenant.db")
}

func (p *Provisioner) createSQLite(t *Tenant, undo []func() error, from string) (*store.DB, []func() error, error) {
	root := filepath.Join(p.cfg.DataDir, "tenants")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, undo, err
	}
	dir := filepath.Join(root, t.Name)
	// Mkdir (not MkdirAll) fails if the directory exists: never adopt leftovers.
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, undo, fmt.Errorf("%s already exists (left by an earlier failure?); remove it first", dir)
		}
		return nil, undo, err
	}
	undo = append(undo, func() error { return os.RemoveAll(dir) })
	if err := os.Mkdir(filepath.Join(dir, "filestore"), 0o700); err != nil {
		return nil, undo, err
	}
	t.Location = filepath.Join("tenants", t.Name)
	if from != "" {
		if err := copyTemplate(from, SQLitePath(p.cfg.DataDir, t.Name)); err != nil {
			return nil, undo, err
		}
	}
	db, err := store.OpenSQLite(SQLitePath(p.cfg.DataDir, t.Name), store.SQLiteOptions{})
	return db, undo, err
}

// postgresNames returns the database and role names of a tenant: derived from the
// installation and the catalogue id, so they are short, unique and never taken from input.
func postgresNames(inst Instance, id int64) (database, role string) {
	n := fmt.Sprintf("%s_t%d", inst.ID, id)
	return n, n
}

func (p *Provisioner) createPostgres(ctx context.Context, t *Tenant, undo []func() error, from string) (*store.DB, []func() error, error) {
	admin := p.cfg.Admin.Write
	dbName, role := postgresNames(p.cfg.Instance, t.ID)
	pw := make([]byte, 32)
	if _, err := rand.Read(pw); err != nil {
		return nil, undo, err
	}
	password := hex.EncodeToString(pw)

	cleanup := context.WithoutCancel(ctx)
	if _, err := admin.ExecContext(ctx, "CREATE ROLE "+store.QuoteIdent(role)+
		" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 64 PASSWORD "+store.QuoteLiteral(password)); err != nil {
		return nil, undo, fmt.Errorf("create role: %w", err)
	}
	undo = append(undo, func() error {
		_, err := admin.ExecContext(cleanup, "DROP ROLE IF EXISTS "+store.QuoteIdent(role))
		return err
	})
	template := "template0"
	if from != "" {
		template = from
	}
	// The role must be a member to hand ownership over to it, unless we are superuser.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+store.QuoteIdent(dbName)+" OWNER "+store.QuoteIdent(role)+
		" TEMPLATE "+store.QuoteIdent(template)+" ENCODING 'UTF8'"); err != nil {
		return nil, undo, fmt.Errorf("create database: %w", err)
	}
	undo = append(undo, func() error {
		_, err := admin.ExecContext(cleanup, "DROP DATABASE IF EXISTS "+store.QuoteIdent(dbName)+" WITH (FORCE)")
		return err
	})
	if from != "" {
		// The template's objects belong to its own role, named like it.
		if err := p.adoptTemplateObjects(ctx, dbName, from, role); err != nil {
			return nil, undo, err
		}
	}
	for _, stmt := range []string{
		"REVOKE ALL ON DATABASE " + store.QuoteIdent(dbName) + " FROM PUBLIC",
		"GRANT CONNECT, TEMPORARY ON DATABASE " + store.QuoteIdent(dbName) + " TO " + store.QuoteIdent(role),
		"COMMENT ON DATABASE " + store.QuoteIdent(dbName) + " IS " + store.QuoteLiteral("instanterp tenant "+t.Name),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return nil, undo, fmt.Errorf("secure database: %w", err)
		}
	}
	sealed, err := p.cfg.Sealer.Seal([]byte(password), credentialsAD(*t))
	if err != nil {
		return nil, undo, fmt.Errorf("seal role password: %w", err)
	}
	t.Location, t.credentials = dbName, sealed
	u, err := TenantURL(p.cfg.AdminURL, role, password, dbName)
	if err != nil {
		return nil, undo, err
	}
	db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: 2})
	return db, undo, err
}

// TenantURL builds the URL a tenant's own role connects with: same server as the
// admin URL, the tenant's role, password and database.
func TenantURL(adminURL, role, password, database string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse admin url: %w", err)
	}
	u.User = url.UserPassword(role, password)
	u.Path = "/" + database
	q := u.Query()
	q.Del("user")
	q.Del("password")
	q.Del("dbname")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// PreparePostgresServer closes the doors every tenant role would otherwise have: by
// default PUBLIC may connect to the maintenance databases and to the control database.
func PreparePostgresServer(ctx context.Context, admin *store.DB) error {
	var control string
	if err := admin.Read.QueryRowContext(ctx, "SELECT current_database()").Scan(&control); err != nil {
		return fmt.Errorf("name the control database: %w", err)
	}
	for _, db := range []string{"postgres", "template1", control} {
		if err := revokePublic(ctx, admin, db); err != nil {
			return fmt.Errorf("revoke PUBLIC connect on %s: %w", db, err)
		}
	}
	return nil
}

// revokePublic takes CONNECT and TEMPORARY on db from PUBLIC, unless done
// already. Installations sharing a server prepare it at the same time
// (processes starting, tests in parallel), and two REVOKEs on one database
// at once make the second fail with "tuple concurrently updated", before
// the first has committed: such a REVOKE is tried again.
func revokePublic(ctx context.Context, admin *store.DB, db string) error {
	for attempt := 1; ; attempt++ {
		var open bool
		if err := admin.Read.QueryRowContext(ctx,
			"SELECT has_database_privilege('public', $1, 'CONNECT') OR has_database_privilege('public', $1, 'TEMPORARY')", db).Scan(&open); err != nil {
			return err
		}
		if !open {
			return nil
		}
		_, err := admin.Write.ExecContext(ctx, "REVOKE CONNECT, TEMPORARY ON DATABASE "+store.QuoteIdent(db)+" FROM PUBLIC")
		if err == nil || attempt == 5 || !store.IsConcurrentCatalogUpdate(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// resetIdentity gives a tenant database its own uuid and secret (which signs its
// sessions and links) and drops any sessions: on a new database, and on a copy, where
// nothing signed for the original may be honoured. A fresh database also records its
// creation date; a copy keeps the original's, which describes the data.
func resetIdentity(ctx context.Context, db *store.DB, fresh bool) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	now := time.Now().UTC()
	params := [][2]string{{"database.uuid", uuid.NewString()}, {"database.secret", hex.EncodeToString(secret)}}
	if fresh {
		params = append(params, [2]string{"database.create_date", now.Format(time.DateTime)})
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for _, kv := range params {
			if _, err := tx.ExecContext(ctx, db.Rebind("DELETE FROM ir_config_parameter WHERE key = ?"), kv[0]); err != nil {
				return fmt.Errorf("set %s: %w", kv[0], err)
			}
			if _, err := tx.ExecContext(ctx, db.Rebind(
				"INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES (?, ?, ?, ?)"),
				kv[0], kv[1], now, now); err != nil {
				return fmt.Errorf("set %s: %w", kv[0], err)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_session"); err != nil {
			return fmt.Errorf("drop sessions: %w", err)
		}
		return nil
	})
}

// Suspend refuses all further access to a tenant until it is resumed.
func (p *Provisioner) Suspend(ctx context.Context, name string) (Tenant, error) {
	return p.cfg.Catalogue.setState(ctx, name, []State{Active}, Suspended)
}

// Resume lifts a suspension.
func (p *Provisioner) Resume(ctx context.Context, name string) (Tenant, error) {
	return p.cfg.Catalogue.setState(ctx, name, []State{Suspended}, Active)
}

// Delete destroys a tenant's database (or files) and its role, then marks it deleted.
// Storage goes first so that a failure leaves the tenant listed and the delete can be
// repeated.
func (p *Provisioner) Delete(ctx context.Context, name string) error {
	t, err := p.cfg.Catalogue.Get(ctx, name)
	if err != nil {
		return err
	}
	switch t.Engine {
	case store.SQLite:
		if p.cfg.DataDir == "" {
			return fmt.Errorf("delete tenant %q: it lives in SQLite files but no data directory is configured", name)
		}
		if err := os.RemoveAll(filepath.Join(p.cfg.DataDir, "tenants", t.Name)); err != nil {
			return fmt.Errorf("delete tenant %q files: %w", name, err)
		}
	case store.Postgres:
		if p.cfg.Admin == nil {
			return fmt.Errorf("delete tenant %q: it lives in PostgreSQL but no database URL is configured", name)
		}
		dbName, role := postgresNames(p.cfg.Instance, t.ID)
		for _, stmt := range []string{
			"DROP DATABASE IF EXISTS " + store.QuoteIdent(dbName) + " WITH (FORCE)",
			"DROP ROLE IF EXISTS " + store.QuoteIdent(role),
		} {
			if _, err := p.cfg.Admin.Write.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("delete tenant %q: %w", name, err)
			}
		}
	}
	_, err = p.cfg.Catalogue.setState(ctx, name, []State{Active, Suspended}, Deleted)
	return err
}
