package backup

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
)

// FullEvery is how often a tenant gets a full backup; the other nights it
// gets a database backup. The half-day slack keeps a full backup that ran
// late in last week's window from pushing this week's to the next night.
const (
	FullEvery = 7 * 24 * time.Hour
	fullSlack = 12 * time.Hour
)

// Planned is one tenant's backup for one night.
type Planned struct {
	Tenant string
	Kind   string
	At     time.Time
}

// Plan returns tonight's backups: one per live tenant, a full one when the
// tenant's newest full backup is a week old (or missing), each starting at a
// fixed offset into the window derived from the tenant's name, so that a
// thousand tenants are spread over the window instead of starting at once,
// and each tenant's backups are a steady 24 hours apart.
func (s *Service) Plan(ctx context.Context, windowStart time.Time, window time.Duration) ([]Planned, error) {
	tenants, err := s.cfg.Catalogue.List(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.cat.list(ctx, "")
	if err != nil {
		return nil, err
	}
	lastFull := map[string]time.Time{}
	for _, rec := range all {
		if rec.Kind == archive.KindFull && rec.Created.After(lastFull[rec.Tenant]) {
			lastFull[rec.Tenant] = rec.Created
		}
	}
	out := make([]Planned, 0, len(tenants))
	for _, t := range tenants {
		at := windowStart.Add(Jitter(t.Name, window))
		kind := archive.KindDB
		if last, ok := lastFull[t.Name]; !ok || at.Sub(last) >= FullEvery-fullSlack {
			kind = archive.KindFull
		}
		out = append(out, Planned{Tenant: t.Name, Kind: kind, At: at})
	}
	return out, nil
}

// Jitter is a tenant's fixed offset into a window of the given length.
func Jitter(tenant string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(tenant))
	return time.Duration(h.Sum64() % uint64(window))
}

// NextWindowStart returns the first start of the daily window (start after
// midnight UTC) that is not before t.
func NextWindowStart(t time.Time, start time.Duration) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	next := day.Add(start)
	if next.Before(t) {
		next = day.AddDate(0, 0, 1).Add(start)
	}
	return next
}
