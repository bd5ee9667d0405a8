package tenancy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/instant-erp/instanterp/internal/store"
)

// Template makes tenant creation a copy: the first creation by a program
// version builds a template database holding the tenant schema and the
// tenant-independent seed data, and every new tenant starts as a copy of it,
// followed by the steps that make it its own (identity, administrator). The
// template holds nothing of any tenant: it is built before any tenant is
// reserved, from Build alone.
type Template struct {
	// Version names the program's schema and seed level. A template built by
	// another version is never copied; the first creation by this version
	// builds a new one and removes the others.
	Version func() (string, error)
	// Build installs the application into the template, after the tenant
	// schema's migrations. It must not write anything tenant-specific.
	Build func(ctx context.Context, db *store.DB) error
	// Personalize runs on each copy once its identity (database.uuid,
	// database.secret, creation date) is its own: the tenant-specific steps
	// such as the administrator's login.
	Personalize func(ctx context.Context, db *store.DB, t Tenant) error
}

// templateKey turns a program version into the short, name-safe part of a
// template's file or database name.
func templateKey(version string) string {
	sum := sha256.Sum256([]byte(version))
	return hex.EncodeToString(sum[:8])
}

// template returns where the current version's template is (a file path on
// SQLite, a database name on PostgreSQL), building it first if need be.
// Builds are serialised in this process; on PostgreSQL an advisory lock
// serialises them across nodes too. A template becomes visible under its
// name only once complete, so a concurrent creation never copies a
// half-built one.
func (p *Provisioner) template(ctx context.Context) (string, error) {
	tpl := p.cfg.Template
	version, err := tpl.Version()
	if err != nil {
		return "", fmt.Errorf("tenant template: program version: %w", err)
	}
	key := templateKey(version)
	if from := p.cfg.TemplatesFrom; from != nil {
		return p.sharedTemplate(ctx, from, key)
	}
	p.templateMu.Lock()
	defer p.templateMu.Unlock()
	switch p.cfg.Engine {
	case store.SQLite:
		return p.sqliteTemplate(ctx, key)
	case store.Postgres:
		return p.postgresTemplate(ctx, key)
	}
	return "", fmt.Errorf("tenant template: unknown engine %q", p.cfg.Engine)
}

// sharedTemplate returns the template of the installation whose templates p
// copies, built by it if need be. Its program version must be p's own: a
// template of another build is never copied.
func (p *Provisioner) sharedTemplate(ctx context.Context, from *Provisioner, key string) (string, error) {
	version, err := from.cfg.Template.Version()
	if err != nil {
		return "", fmt.Errorf("tenant template: program version of the installation it comes from: %w", err)
	}
	if templateKey(version) != key {
		return "", errors.New("tenant template: the installation it comes from runs another program version")
	}
	return from.template(ctx)
}

// sharesTemplates checks that an installation configured with cfg can copy
// the templates of the one configured with from: tenants of the same engine,
// and on PostgreSQL the same server, as a database is copied only within its
// server. from must build its own templates, so that sharing never loops.
func sharesTemplates(cfg, from ProvisionerConfig) error {
	switch {
	case cfg.Template == nil:
		return errors.New("no template to personalise the copies with")
	case from.Template == nil:
		return errors.New("it builds no template")
	case from.TemplatesFrom != nil:
		return errors.New("it copies the templates of a third installation")
	case from.Engine != cfg.Engine:
		return fmt.Errorf("its tenants are on %s, these on %s", from.Engine, cfg.Engine)
	case cfg.Engine != store.Postgres:
		return nil
	}
	here, err := url.Parse(cfg.AdminURL)
	if err != nil {
		return fmt.Errorf("parse admin url: %w", err)
	}
	there, err := url.Parse(from.AdminURL)
	if err != nil {
		return fmt.Errorf("parse its admin url: %w", err)
	}
	if here.Host != there.Host {
		return fmt.Errorf("its PostgreSQL server %q is not this one's %q", there.Host, here.Host)
	}
	return nil
}

// buildTemplate fills an empty template database.
func (p *Provisioner) buildTemplate(ctx context.Context, db *store.DB) error {
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		return err
	}
	if err := p.cfg.Template.Build(ctx, db); err != nil {
		return fmt.Errorf("install application: %w", err)
	}
	return nil
}

// templatesDir holds SQLite templates, beside (never under) tenants/: no
// tenant name leads there.
func (p *Provisioner) templatesDir() string {
	return filepath.Join(p.cfg.DataDir, "templates")
}

func (p *Provisioner) sqliteTemplate(ctx context.Context, key string) (string, error) {
	dir := p.templatesDir()
	path := filepath.Join(dir, "tenant-"+key+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	// Built under a name of its own, then renamed into place: another
	// process sees either no template or a complete one.
	f, err := os.CreateTemp(dir, "build-*.db")
	if err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	build := f.Name()
	f.Close()
	done := false
	defer func() {
		if !done {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(build + suffix)
			}
		}
	}()
	db, err := store.OpenSQLite(build, store.SQLiteOptions{})
	if err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	if err := p.buildTemplate(ctx, db); err != nil {
		db.Close()
		return "", fmt.Errorf("tenant template: %w", err)
	}
	if _, err := db.Write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		db.Close()
		return "", fmt.Errorf("tenant template: checkpoint: %w", err)
	}
	if err := db.Close(); err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	// Closing the last connection checkpoints and removes the log; a copy of
	// the main file alone is then the whole database.
	if fi, err := os.Stat(build + "-wal"); err == nil && fi.Size() > 0 {
		return "", errors.New("tenant template: its write-ahead log was not checkpointed")
	}
	if err := syncFile(build); err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	if err := os.Rename(build, path); err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	done = true
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(build + suffix)
	}
	// Templates of other versions are never copied again.
	old, _ := filepath.Glob(filepath.Join(dir, "tenant-*.db"))
	for _, o := range old {
		if o != path {
			os.Remove(o)
		}
	}
	return path, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// copyTemplate copies the template file to dst, which must not exist.
func copyTemplate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open tenant template: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy tenant template: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// postgresTemplateName is the template database of a version, and the name
// of the login-less role that owns the objects inside it.
func postgresTemplateName(inst Instance, key string) string {
	return inst.ID + "_tpl_" + key
}

func (p *Provisioner) postgresTemplate(ctx context.Context, key string) (string, error) {
	name := postgresTemplateName(p.cfg.Instance, key)
	admin := p.cfg.Admin.Write
	exists := func() (bool, error) {
		var n int
		err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
		return n > 0, err
	}
	if ok, err := exists(); err != nil || ok {
		return name, err
	}
	// Other nodes build under the same lock; the loser finds the template made.
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	defer conn.Close()
	lock := "instanterp tenant template " + p.cfg.Instance.ID
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext($1))", lock); err != nil {
		return "", fmt.Errorf("tenant template: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", lock)
	if ok, err := exists(); err != nil || ok {
		return name, err
	}
	if err := p.buildPostgresTemplate(ctx, name); err != nil {
		return "", fmt.Errorf("tenant template: %w", err)
	}
	p.dropOldPostgresTemplates(ctx, name)
	return name, nil
}

// buildPostgresTemplate builds the template under a build name, as its own
// role so that every object inside has one owner to hand over to each
// tenant's role, then gives the database to the platform role, takes the
// role's login away and renames the database into place.
func (p *Provisioner) buildPostgresTemplate(ctx context.Context, name string) error {
	admin := p.cfg.Admin.Write
	build, role := p.cfg.Instance.ID+"_tpb_"+strings.TrimPrefix(name, p.cfg.Instance.ID+"_tpl_"), name
	// Leftovers of a build that died half-way.
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + store.QuoteIdent(build) + " WITH (FORCE)",
		"DROP ROLE IF EXISTS " + store.QuoteIdent(role),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("clear an earlier build: %w", err)
		}
	}
	pw := make([]byte, 32)
	rand.Read(pw)
	password := hex.EncodeToString(pw)
	cleanup := context.WithoutCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			admin.ExecContext(cleanup, "DROP DATABASE IF EXISTS "+store.QuoteIdent(build)+" WITH (FORCE)")
			admin.ExecContext(cleanup, "DROP ROLE IF EXISTS "+store.QuoteIdent(role))
		}
	}()
	for _, stmt := range []string{
		"CREATE ROLE " + store.QuoteIdent(role) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 4 PASSWORD " + store.QuoteLiteral(password),
		"CREATE DATABASE " + store.QuoteIdent(build) + " OWNER " + store.QuoteIdent(role) + " TEMPLATE template0 ENCODING 'UTF8'",
		"REVOKE ALL ON DATABASE " + store.QuoteIdent(build) + " FROM PUBLIC",
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create: %w", err)
		}
	}
	u, err := TenantURL(p.cfg.AdminURL, role, password, build)
	if err != nil {
		return err
	}
	db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{MaxConns: 2})
	if err != nil {
		return err
	}
	if err := p.buildTemplate(ctx, db); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	// From here on nobody but the platform role may connect, and only to copy it.
	for _, stmt := range []string{
		"ALTER ROLE " + store.QuoteIdent(role) + " NOLOGIN PASSWORD NULL",
		"ALTER DATABASE " + store.QuoteIdent(build) + " OWNER TO CURRENT_USER",
		"REVOKE ALL ON DATABASE " + store.QuoteIdent(build) + " FROM PUBLIC, " + store.QuoteIdent(role),
		"COMMENT ON DATABASE " + store.QuoteIdent(build) + " IS 'instanterp tenant template'",
		"ALTER DATABASE " + store.QuoteIdent(build) + " RENAME TO " + store.QuoteIdent(name),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("seal: %w", err)
		}
	}
	ok = true
	return nil
}

// dropOldPostgresTemplates removes the templates of other versions and their
// roles. A drop that fails (a node of the old version copying it right now)
// is left for the next build: it is never copied by this version.
func (p *Provisioner) dropOldPostgresTemplates(ctx context.Context, current string) {
	admin := p.cfg.Admin.Write
	rows, err := admin.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
		strings.ReplaceAll(p.cfg.Instance.ID, "_", `\_`)+`\_tpl\_%`, current)
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			old = append(old, n)
		}
	}
	rows.Close()
	for _, n := range old {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+store.QuoteIdent(n)); err == nil {
			admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+store.QuoteIdent(n))
		}
	}
}

// adoptTemplateObjects hands every object of a fresh copy from the template's
// role to the tenant's role, and drops whatever privileges the template's
// role held there: the tenant's role owns exactly what it would own had it
// run the migrations itself. It connects to the copy as the platform role.
func (p *Provisioner) adoptTemplateObjects(ctx context.Context, dbName, templateRole, role string) error {
	u, err := url.Parse(p.cfg.AdminURL)
	if err != nil {
		return fmt.Errorf("parse admin url: %w", err)
	}
	u.Path = "/" + dbName
	q := u.Query()
	q.Del("dbname")
	u.RawQuery = q.Encode()
	db, err := store.OpenPostgres(ctx, u.String(), store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range []string{
		"REASSIGN OWNED BY " + store.QuoteIdent(templateRole) + " TO " + store.QuoteIdent(role),
		"DROP OWNED BY " + store.QuoteIdent(templateRole),
	} {
		if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("hand the template's objects over: %w", err)
		}
	}
	return nil
}

// DropTemplates removes every tenant template of the installation (the next
// creation builds one again): for an operator retiring an installation, and
// for tests, whose installations are short-lived.
func (p *Provisioner) DropTemplates(ctx context.Context) error {
	p.templateMu.Lock()
	defer p.templateMu.Unlock()
	switch p.cfg.Engine {
	case store.SQLite:
		if err := os.RemoveAll(p.templatesDir()); err != nil {
			return fmt.Errorf("drop tenant templates: %w", err)
		}
	case store.Postgres:
		p.dropOldPostgresTemplates(ctx, "")
		var n int
		if err := p.cfg.Admin.Read.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
			strings.ReplaceAll(p.cfg.Instance.ID, "_", `\_`)+`\_tpl\_%`).Scan(&n); err != nil {
			return fmt.Errorf("drop tenant templates: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("drop tenant templates: %d still in use", n)
		}
	}
	return nil
}
