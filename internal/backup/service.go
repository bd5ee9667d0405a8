package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Config is what a Service needs. Control, Catalogue, Storage, Identity and
// DataDir are required; the rest have defaults.
type Config struct {
	Control     *store.DB
	Catalogue   *tenancy.Catalogue
	Storage     tenancy.Storage
	Provisioner *tenancy.Provisioner // restore in place and as a copy
	// Identity decrypts the platform's backups; its recipient is always
	// among the recipients of new backups.
	Identity *age.X25519Identity
	// ExtraRecipients also receive every new backup (offline recovery keys).
	ExtraRecipients []age.Recipient
	Sites           []site.Spec
	// DataDir holds the work area (<data>/backup-work) and the outbox of
	// objects not yet on every site.
	DataDir string
	// AdminURL is a PostgreSQL URL allowed to create and drop databases,
	// for scratch restores of PostgreSQL backups.
	AdminURL string
	// PGBinDir, when set, is where pg_dump, pg_restore and psql are taken
	// from (for example /usr/lib/postgresql/16/bin); otherwise from PATH.
	PGBinDir  string
	Retention Retention
	Now       func() time.Time
	Log       *slog.Logger
	// Evict drops an open handle of a tenant's database after a restore
	// (the router's Evict). Optional.
	Evict func(tenant string)
	// Enqueue asks the job queue to retry replicating a backup to a site
	// later. Optional: without it, a failed copy waits for the next
	// catch-up (Service.CatchUp).
	Enqueue func(ctx context.Context, backupID, site string) error
	// OpenSite opens a site; tests replace it to inject failures.
	OpenSite func(ctx context.Context, spec site.Spec) (site.Site, error)
}

// Service runs backups for one installation.
type Service struct {
	cfg Config
	cat catalogue
	// wrapOutbox, set by tests, wraps the writer of a new object in the
	// outbox to simulate a full disk.
	wrapOutbox func(io.Writer) io.Writer
	// sameFileSystem, set by tests, replaces the check that decides
	// whether a file site takes new objects as links (linksSite).
	sameFileSystem func(a, b string) bool
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Control == nil:
		return nil, errors.New("backup service: control database required")
	case cfg.Catalogue == nil:
		return nil, errors.New("backup service: tenant catalogue required")
	case cfg.Identity == nil:
		return nil, errors.New("backup service: platform identity required")
	case cfg.DataDir == "":
		return nil, errors.New("backup service: data directory required")
	}
	seen := map[string]bool{}
	for _, s := range cfg.Sites {
		if seen[s.Name] {
			return nil, fmt.Errorf("backup service: site %q configured twice", s.Name)
		}
		seen[s.Name] = true
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenSite == nil {
		cfg.OpenSite = site.Open
	}
	cfg.Retention = cfg.Retention.withDefaults()
	return &Service{cfg: cfg, cat: catalogue{db: cfg.Control}}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func (s *Service) workRoot() string  { return filepath.Join(s.cfg.DataDir, "backup-work") }
func (s *Service) outboxDir() string { return filepath.Join(s.workRoot(), "outbox") }
func (s *Service) outboxPath(id string) string {
	return filepath.Join(s.outboxDir(), id+".age")
}

// newWorkDir creates a fresh private directory for one operation.
func (s *Service) newWorkDir(purpose string) (string, error) {
	if err := os.MkdirAll(s.workRoot(), 0o700); err != nil {
		return "", fmt.Errorf("create backup work area: %w", err)
	}
	dir, err := os.MkdirTemp(s.workRoot(), purpose+"-")
	if err != nil {
		return "", fmt.Errorf("create backup work area: %w", err)
	}
	return dir, nil
}

// recipients are the platform's and the extra ones.
func (s *Service) recipients() []age.Recipient {
	return append([]age.Recipient{s.cfg.Identity.Recipient()}, s.cfg.ExtraRecipients...)
}

func (s *Service) identities() []age.Identity { return []age.Identity{s.cfg.Identity} }

// Sites returns the configured sites.
func (s *Service) Sites() []site.Spec { return append([]site.Spec(nil), s.cfg.Sites...) }

func (s *Service) siteSpec(name string) (site.Spec, error) {
	for _, sp := range s.cfg.Sites {
		if sp.Name == name {
			return sp, nil
		}
	}
	return site.Spec{}, fmt.Errorf("no backup site called %q is configured", printable(name))
}

// Cleanup removes what a killed process left behind: work directories,
// unfinished outbox files and incomplete objects on reachable sites older
// than olderThan. It is safe to run while other backups are in progress as
// long as olderThan is earlier than their start.
func (s *Service) Cleanup(ctx context.Context, olderThan time.Time) (int, error) {
	removed := 0
	entries, err := os.ReadDir(s.workRoot())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("clean backup work area: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "outbox" {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(olderThan) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.workRoot(), e.Name())); err != nil {
			return removed, fmt.Errorf("clean backup work area: %w", err)
		}
		removed++
	}
	outbox, err := os.ReadDir(s.outboxDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return removed, fmt.Errorf("clean backup outbox: %w", err)
	}
	for _, e := range outbox {
		name := e.Name()
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(olderThan) {
			continue
		}
		id, complete := cutSuffix(name, ".age")
		if complete {
			// A complete object is kept only while the catalogue knows it
			// and some site still lacks it.
			if _, err := s.cat.get(ctx, id); err == nil {
				continue
			}
		}
		if err := os.Remove(filepath.Join(s.outboxDir(), name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("clean backup outbox: %w", err)
		}
		removed++
	}
	var errs []error
	for _, spec := range s.cfg.Sites {
		st, err := s.cfg.OpenSite(ctx, spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, err := st.RemoveIncomplete(ctx, olderThan)
		st.Close()
		removed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
