package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// RestoreOptions choose where a backup comes from and where it goes.
type RestoreOptions struct {
	// Site to fetch the object from; empty: the outbox or any verified site.
	Site string
	// As restores into a new tenant of that name instead of in place.
	As string
	// AdminEmail of the new tenant; empty: the original's.
	AdminEmail string
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Tenant       string `json:"tenant"`
	BackupID     string `json:"backup_id"`
	SafetyBackup string `json:"safety_backup,omitempty"` // in place only
}

// Restore puts backup id back. Nothing is touched until the object's hash,
// its decryption, every member and a scratch restore of its database have
// been checked. In place, the tenant is suspended, a safety backup is taken,
// the database is replaced atomically (and the filestore, for a full
// backup), and the tenant resumes. As a copy, a new tenant is created with a
// fresh database.uuid and database.secret and no sessions.
func (s *Service) Restore(ctx context.Context, id string, opts RestoreOptions) (RestoreResult, error) {
	if s.cfg.Provisioner == nil {
		return RestoreResult{}, errors.New("restore: no provisioner configured")
	}
	if opts.As != "" {
		if err := tenancy.ValidateName(opts.As); err != nil {
			return RestoreResult{}, err
		}
	}
	rec, err := s.cat.get(ctx, id)
	if err != nil {
		return RestoreResult{}, err
	}
	work, err := s.newWorkDir("restore-" + rec.ID)
	if err != nil {
		return RestoreResult{}, err
	}
	defer os.RemoveAll(work)
	src, err := s.openObject(ctx, rec, opts.Site)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore %s: %w", rec.ID, err)
	}
	// Only the filestore is moved into place as extracted, so only it is
	// synced; the database is copied from the work area into the live one,
	// which is synced there.
	dir := filepath.Join(work, "content")
	m, _, err := extractVerified(ctx, src, rec.SHA256, s.identities(), dir, archive.ExtractOptions{Sync: inFilestore})
	src.Close()
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore %s: %w", rec.ID, err)
	}
	// An object with the catalogued SHA-256 whose test restore passed holds
	// byte for byte the database that was checked then; any other backup is
	// checked now, before anything is touched.
	if !rec.Verified() {
		if err := s.checkRestored(ctx, m, dir); err != nil {
			return RestoreResult{}, fmt.Errorf("restore %s: %w", rec.ID, err)
		}
	}
	if m.ID != rec.ID || m.Tenant != rec.Tenant || m.Engine != rec.Engine {
		return RestoreResult{}, fmt.Errorf("restore %s: the object's manifest (%s of %s) does not match the catalogue", rec.ID, printable(m.ID), printable(m.Tenant))
	}
	if opts.As != "" {
		return s.restoreAsCopy(ctx, rec, m, dir, opts)
	}
	return s.restoreInPlace(ctx, rec, m, dir)
}

func (s *Service) restoreInPlace(ctx context.Context, rec Record, m archive.Manifest, dir string) (res RestoreResult, err error) {
	t, err := s.cfg.Catalogue.Get(ctx, rec.Tenant)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore %s in place: %w (restore it with --as NEWNAME instead)", rec.ID, err)
	}
	if t.ID != rec.TenantID {
		return RestoreResult{}, fmt.Errorf("restore %s in place: tenant %q was deleted and created again since this backup; restore it with --as NEWNAME", rec.ID, t.Name)
	}
	if string(t.Engine) != m.Engine {
		return RestoreResult{}, fmt.Errorf("restore %s in place: the backup is of a %s database, the tenant lives in %s", rec.ID, m.Engine, t.Engine)
	}
	if t.State == tenancy.Active {
		if _, err := s.cfg.Provisioner.Suspend(ctx, t.Name); err != nil {
			return RestoreResult{}, fmt.Errorf("restore %s: suspend tenant: %w", rec.ID, err)
		}
		defer func() {
			if _, rerr := s.cfg.Provisioner.Resume(context.WithoutCancel(ctx), t.Name); rerr != nil {
				err = errors.Join(err, fmt.Errorf("resume tenant %q: %w", t.Name, rerr))
			}
			s.evict(t.Name)
		}()
	}
	s.evict(t.Name)
	safety, err := s.backup(ctx, t, archive.KindFull, nil)
	if err != nil && !IsReplicationError(err) {
		return RestoreResult{}, fmt.Errorf("restore %s: safety backup failed, nothing was changed: %w", rec.ID, err)
	}
	switch t.Engine {
	case store.SQLite:
		err = s.replaceSQLite(ctx, t, filepath.Join(dir, filepath.FromSlash(memberSQLite)))
	case store.Postgres:
		err = s.replacePostgres(ctx, t, filepath.Join(dir, filepath.FromSlash(memberPGDump)))
	}
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore %s: replace database (safety backup %s holds the state before): %w", rec.ID, safety.ID, err)
	}
	if m.Kind == archive.KindFull {
		if err := swapFilestore(s.cfg.Storage.FilestoreDir(t), filepath.Join(dir, filestorePrefix)); err != nil {
			return RestoreResult{}, fmt.Errorf("restore %s: replace filestore (database already restored; safety backup %s): %w", rec.ID, safety.ID, err)
		}
	}
	s.cfg.Log.Info("backup restored in place", "tenant", t.Name, "backup", rec.ID, "safety_backup", safety.ID)
	return RestoreResult{Tenant: t.Name, BackupID: rec.ID, SafetyBackup: safety.ID}, nil
}

func inFilestore(name string) bool { return strings.HasPrefix(name, filestorePrefix+"/") }

func (s *Service) evict(name string) {
	if s.cfg.Evict != nil {
		s.cfg.Evict(name)
	}
}

// replaceSQLite copies the restored file into the live database with
// SQLite's backup API in a single step: one write transaction that every
// other connection, in this process or another, sees all at once.
func (s *Service) replaceSQLite(ctx context.Context, t tenancy.Tenant, src string) error {
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	return restoreSQLiteInto(ctx, db, src)
}

// sqliteRestorer is the modernc.org/sqlite connection's backup API.
type sqliteRestorer interface {
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

func restoreSQLiteInto(ctx context.Context, db *store.DB, src string) error {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		r, ok := dc.(sqliteRestorer)
		if !ok {
			return errors.New("the SQLite driver offers no backup API")
		}
		// The source is read through a memory map: no read system call
		// per page (see snapshotMmapSize).
		b, err := r.NewRestore(fmt.Sprintf("file:%s?mode=ro&_pragma=mmap_size(%d)", src, snapshotMmapSize))
		if err != nil {
			return fmt.Errorf("start restore: %w", err)
		}
		_, stepErr := b.Step(-1)
		if err := errors.Join(stepErr, b.Finish()); err != nil {
			return fmt.Errorf("copy pages: %w", err)
		}
		return nil
	})
}

// replacePostgres replaces the tenant's objects in one transaction, as the
// tenant's own role: everything it owns is dropped and the dump is replayed,
// so other sessions see either the old state or the restored one. The dump
// is replayed without grants, so the audit log's are taken again after it
// (the tenant is suspended meanwhile).
func (s *Service) replacePostgres(ctx context.Context, t tenancy.Tenant, dump string) error {
	conn, err := s.cfg.Storage.Connection(t)
	if err != nil {
		return err
	}
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	pgRestore, err := s.checkedPGTool(ctx, "pg_restore", db)
	if err != nil {
		return err
	}
	psql, err := s.checkedPGTool(ctx, "psql", db)
	if err != nil {
		return err
	}
	if err := replayDump(ctx, pgRestore, psql, conn, dump, "DROP OWNED BY CURRENT_USER;\n"); err != nil {
		return err
	}
	return audit.ProtectPostgres(ctx, db)
}

// replayDump turns a custom-format dump into SQL with pg_restore and runs it,
// after prelude, in a single psql transaction that stops at the first error.
func replayDump(ctx context.Context, pgRestore, psql string, conn tenancy.Connection, dump, prelude string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	produced := make(chan error, 1)
	go func() {
		err := runPG(ctx, pgRestore, "", nil, pw, "--no-owner", "--no-privileges", "--file=-", dump)
		pw.CloseWithError(err)
		produced <- err
	}()
	script := io.MultiReader(strings.NewReader(prelude), pr)
	err := runPG(ctx, psql, conn.Password, script, io.Discard, "--no-psqlrc", "--quiet", "--single-transaction",
		"--set=ON_ERROR_STOP=1", "--file=-", "--dbname="+conn.URL)
	pr.CloseWithError(errors.New("psql ended"))
	cancel()
	if perr := <-produced; perr != nil && err == nil && !errors.Is(perr, context.Canceled) {
		err = perr
	}
	return err
}

// swapFilestore replaces live with fresh by two renames; the old content is
// removed afterwards. A missing fresh directory means an empty filestore.
func swapFilestore(live, fresh string) error {
	if _, err := os.Lstat(fresh); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(fresh, 0o700); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(live), 0o700); err != nil {
		return err
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	old := live + ".old-" + hex.EncodeToString(b[:])
	hadLive := true
	if err := os.Rename(live, old); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("move current filestore aside: %w", err)
		}
		hadLive = false
	}
	if err := os.Rename(fresh, live); err != nil {
		if hadLive {
			os.Rename(old, live)
		}
		return fmt.Errorf("move restored filestore into place: %w", err)
	}
	if hadLive {
		return os.RemoveAll(old)
	}
	return nil
}

func (s *Service) restoreAsCopy(ctx context.Context, rec Record, m archive.Manifest, dir string, opts RestoreOptions) (RestoreResult, error) {
	email := opts.AdminEmail
	if email == "" {
		orig, err := s.cfg.Catalogue.Get(ctx, rec.Tenant)
		if err != nil {
			return RestoreResult{}, fmt.Errorf("restore %s as %s: the original tenant is gone, so give the new tenant's admin email", rec.ID, opts.As)
		}
		email = orig.AdminEmail
	}
	fill := func(ctx context.Context, nt tenancy.Tenant, db *store.DB) error {
		if string(nt.Engine) != m.Engine {
			return fmt.Errorf("the backup is of a %s database, new tenants live in %s", m.Engine, nt.Engine)
		}
		if nt.Engine == store.Postgres {
			if err := s.restorePostgresCopy(ctx, nt, db, filepath.Join(dir, filepath.FromSlash(memberPGDump))); err != nil {
				return err
			}
		}
		if m.Kind == archive.KindFull {
			return swapFilestore(s.cfg.Storage.FilestoreDir(nt), filepath.Join(dir, filestorePrefix))
		}
		return nil
	}
	var nt tenancy.Tenant
	var err error
	if m.Engine == string(store.SQLite) {
		// The checked file becomes the new database by a file copy, not
		// page by page through the new database's log.
		nt, err = s.cfg.Provisioner.CreateFromSQLiteFile(ctx, opts.As, email, filepath.Join(dir, filepath.FromSlash(memberSQLite)), fill)
	} else {
		nt, err = s.cfg.Provisioner.CreateFrom(ctx, opts.As, email, fill)
	}
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore %s as %s: %w", rec.ID, opts.As, err)
	}
	s.cfg.Log.Info("backup restored as a new tenant", "tenant", nt.Name, "from", rec.Tenant, "backup", rec.ID)
	return RestoreResult{Tenant: nt.Name, BackupID: rec.ID}, nil
}

func (s *Service) restorePostgresCopy(ctx context.Context, nt tenancy.Tenant, db *store.DB, dump string) error {
	conn, err := s.cfg.Storage.Connection(nt)
	if err != nil {
		return err
	}
	pgRestore, err := s.checkedPGTool(ctx, "pg_restore", db)
	if err != nil {
		return err
	}
	// Straight into the new database, as its own role, in one transaction:
	// with nothing to drop first, the round trip through SQL text and psql
	// that an in-place restore needs would only cost time.
	if err := runPG(ctx, pgRestore, conn.Password, nil, nil, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+conn.URL, dump); err != nil {
		return err
	}
	// Restored without grants: the audit log's are taken again before the
	// new tenant opens.
	return audit.ProtectPostgres(ctx, db)
}
