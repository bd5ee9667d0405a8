package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
)

// DrillConfig describes a disaster-recovery drill: restore the newest backup
// of every tenant from one site alone into a scratch area.
type DrillConfig struct {
	Site       site.Site
	Identities []age.Identity
	// Scratch is where restores go; each tenant gets a fresh subdirectory,
	// removed afterwards.
	Scratch string
	// MaxRPO fails a tenant whose newest backup is older (0: no limit).
	MaxRPO time.Duration
	// Expected, when the catalogue is at hand, is each tenant's newest
	// verified backup on this site; the drill then restores exactly those
	// and checks their SHA-256. Without it (a fresh machine), the newest
	// object per tenant on the site is restored.
	Expected map[string]Record
	AdminURL string // PostgreSQL server for restoring PostgreSQL backups
	PGBinDir string
	Now      func() time.Time
}

// DrillTenant is one tenant's drill result.
type DrillTenant struct {
	Tenant      string        `json:"tenant"`
	BackupID    string        `json:"backup_id,omitempty"`
	RPO         time.Duration `json:"rpo_ns"`
	RestoreTime time.Duration `json:"restore_time_ns"`
	Size        int64         `json:"size"`
	OK          bool          `json:"ok"`
	Error       string        `json:"error,omitempty"`
}

// DrillReport is the drill's outcome: per tenant, then the worst RPO and
// the total RTO (the sum of restore times: tenants restored one after
// another from this site).
type DrillReport struct {
	Site     string        `json:"site"`
	Tenants  []DrillTenant `json:"tenants"`
	WorstRPO time.Duration `json:"worst_rpo_ns"`
	TotalRTO time.Duration `json:"total_rto_ns"`
	OK       bool          `json:"ok"`
}

// Drill runs the drill. It fails (OK false) if any tenant fails to restore,
// exceeds MaxRPO, or is expected but missing from the site.
func Drill(ctx context.Context, cfg DrillConfig) (DrillReport, error) {
	if cfg.Site == nil || len(cfg.Identities) == 0 || cfg.Scratch == "" {
		return DrillReport{}, errors.New("drill: a site, an identity and a scratch directory are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Scratch, 0o700); err != nil {
		return DrillReport{}, fmt.Errorf("drill: scratch area: %w", err)
	}
	objects, err := cfg.Site.List(ctx, "tenants/")
	if err != nil {
		return DrillReport{}, fmt.Errorf("drill: %w", err)
	}
	newest := map[string]site.Object{}
	created := map[string]time.Time{}
	for _, o := range objects {
		info, err := ParseObjectKey(o.Key)
		if err != nil {
			continue // not a backup object
		}
		if info.Created.After(created[info.Tenant]) || created[info.Tenant].IsZero() {
			newest[info.Tenant], created[info.Tenant] = o, info.Created
		}
	}
	tenants := map[string]bool{}
	for t := range newest {
		tenants[t] = true
	}
	for t := range cfg.Expected {
		tenants[t] = true
	}
	names := make([]string, 0, len(tenants))
	for t := range tenants {
		names = append(names, t)
	}
	sort.Strings(names)
	// A bare service carries the scratch-restore helpers.
	helper := &Service{cfg: Config{AdminURL: cfg.AdminURL, PGBinDir: cfg.PGBinDir, DataDir: cfg.Scratch}}
	report := DrillReport{Site: cfg.Site.Name(), OK: true, Tenants: []DrillTenant{}}
	for _, tenant := range names {
		res := drillTenant(ctx, cfg, helper, tenant, newest, created)
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
		if res.OK && cfg.MaxRPO > 0 && res.RPO > cfg.MaxRPO {
			res.OK, res.Error = false, fmt.Sprintf("backup is %v old, more than the allowed %v", res.RPO.Round(time.Second), cfg.MaxRPO)
		}
		report.OK = report.OK && res.OK
		report.WorstRPO = max(report.WorstRPO, res.RPO)
		report.TotalRTO += res.RestoreTime
		report.Tenants = append(report.Tenants, res)
	}
	return report, nil
}

func drillTenant(ctx context.Context, cfg DrillConfig, helper *Service, tenant string, newest map[string]site.Object, created map[string]time.Time) DrillTenant {
	res := DrillTenant{Tenant: tenant}
	key, when := newest[tenant].Key, created[tenant]
	wantSHA := ""
	if rec, ok := cfg.Expected[tenant]; ok {
		key, when, wantSHA = rec.ObjectKey, rec.Created, rec.SHA256
	}
	if key == "" {
		res.Error = "no backup of this tenant on the site"
		return res
	}
	info, _ := ParseObjectKey(key)
	res.BackupID, res.RPO = info.ID, cfg.Now().Sub(when)
	start := time.Now()
	err := func() error {
		dir, err := os.MkdirTemp(cfg.Scratch, "drill-"+tenant+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		rc, err := cfg.Site.Open(ctx, key)
		if err != nil {
			return err
		}
		// One pass that hashes, decrypts and extracts into the scratch area
		// (not synced: it is thrown away), a PostgreSQL dump going straight
		// into its scratch database; then the database checks.
		restored := filepath.Join(dir, "restored")
		stream, check := helper.scratchCheck(ctx)
		m, size, err := extractVerified(ctx, rc, wantSHA, cfg.Identities, restored, archive.ExtractOptions{Sync: syncNothing, Stream: stream})
		rc.Close()
		if err != nil {
			return err
		}
		res.Size = size
		if err := check(m, restored); err != nil {
			return err
		}
		if m.Tenant != tenant || m.ID != info.ID {
			return fmt.Errorf("the object holds backup %s of %s, not what its name says", printable(m.ID), printable(m.Tenant))
		}
		return nil
	}()
	res.RestoreTime = time.Since(start)
	if err != nil {
		res.Error = oneLine(err.Error())
		return res
	}
	res.OK = true
	return res
}

// DrillExpectations returns, per live tenant, its newest backup that passed
// its test restore and is verified on siteName: what the drill must find.
func (s *Service) DrillExpectations(ctx context.Context, siteName string) (map[string]Record, error) {
	if _, err := s.siteSpec(siteName); err != nil {
		return nil, err
	}
	tenants, err := s.cfg.Catalogue.List(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.cat.list(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string]Record{}
	for _, t := range tenants {
		out[t.Name] = Record{Tenant: t.Name} // missing until found below
	}
	for _, rec := range all { // newest first
		cur, live := out[rec.Tenant]
		if !live || cur.ID != "" || !rec.Verified() || !rec.VerifiedOn(siteName) {
			continue
		}
		out[rec.Tenant] = rec
	}
	return out, nil
}

// Identities returns the identities that decrypt this platform's backups.
func (s *Service) Identities() []age.Identity { return s.identities() }

// SiteSpec returns the configured site called name.
func (s *Service) SiteSpec(name string) (site.Spec, error) { return s.siteSpec(name) }

// OpenSite opens a configured site.
func (s *Service) OpenSite(ctx context.Context, name string) (site.Site, error) {
	spec, err := s.siteSpec(name)
	if err != nil {
		return nil, err
	}
	return s.cfg.OpenSite(ctx, spec)
}
