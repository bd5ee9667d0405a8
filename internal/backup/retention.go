package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/instant-erp/instanterp/internal/backup/archive"
)

// Retention says how many backups of each kind a site keeps per tenant.
type Retention struct {
	Daily  int // database backups (default 7)
	Weekly int // full backups (default 4)
}

func (r Retention) withDefaults() Retention {
	if r.Daily <= 0 {
		r.Daily = 7
	}
	if r.Weekly <= 0 {
		r.Weekly = 4
	}
	return r
}

// prunable returns the backups of one tenant on one site that retention
// lets go: all but the newest Daily database backups and the newest Weekly
// full backups, and never the tenant's newest verified backup (whatever its
// kind or age), so a tenant is never left without a restorable backup.
// records must all belong to one tenant; newestVerified is that tenant's
// newest verified backup id across every site ("" if none).
func (r Retention) prunable(records []Record, newestVerified string) []Record {
	sorted := append([]Record(nil), records...)
	sort.Slice(sorted, func(i, j int) bool {
		if !sorted[i].Created.Equal(sorted[j].Created) {
			return sorted[i].Created.After(sorted[j].Created)
		}
		return sorted[i].ID > sorted[j].ID
	})
	kept := map[string]int{}
	var out []Record
	for _, rec := range sorted {
		limit := r.Daily
		if rec.Kind == archive.KindFull {
			limit = r.Weekly
		}
		if kept[rec.Kind] < limit {
			kept[rec.Kind]++
			continue
		}
		if rec.ID == newestVerified {
			continue
		}
		out = append(out, rec)
	}
	return out
}

// PruneResult counts what Prune removed.
type PruneResult struct {
	Deleted int `json:"deleted"` // copies deleted from sites
	Kept    int `json:"kept"`
}

// Prune applies retention on every site, per tenant: copies beyond the limits
// are deleted from the site and from the catalogue, and a backup with no copy
// left is forgotten. A site that cannot be reached is skipped and reported.
func (s *Service) Prune(ctx context.Context) (PruneResult, error) {
	all, err := s.cat.list(ctx, "")
	if err != nil {
		return PruneResult{}, err
	}
	newestVerified := map[string]string{}
	for _, rec := range all { // newest first
		if _, ok := newestVerified[rec.Tenant]; !ok && rec.Verified() && len(rec.DataCentres()) > 0 {
			newestVerified[rec.Tenant] = rec.ID
		}
	}
	var res PruneResult
	var errs []error
	for _, spec := range s.cfg.Sites {
		byTenant := map[string][]Record{}
		for _, rec := range all {
			if rec.hasCopy(spec.Name) {
				byTenant[rec.Tenant] = append(byTenant[rec.Tenant], rec)
			}
		}
		var doomed []Record
		for tenant, recs := range byTenant {
			drop := s.cfg.Retention.prunable(recs, newestVerified[tenant])
			doomed = append(doomed, drop...)
			res.Kept += len(recs) - len(drop)
		}
		if len(doomed) == 0 {
			continue
		}
		st, err := s.cfg.OpenSite(ctx, spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, rec := range doomed {
			if err := st.Delete(ctx, rec.ObjectKey); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := s.cat.removeCopy(ctx, rec.ID, spec.Name, s.inOutbox(rec.ID)); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Deleted++
		}
		st.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	return res, nil
}

func (r Record) hasCopy(site string) bool {
	for _, c := range r.Copies {
		if c.Site == site {
			return true
		}
	}
	return false
}
