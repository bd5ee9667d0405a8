package backup

import (
	"context"
	"time"
)

// List returns the catalogue's backups of tenant (all if empty), newest first.
func (s *Service) List(ctx context.Context, tenant string) ([]Record, error) {
	return s.cat.list(ctx, tenant)
}

// Get returns one backup.
func (s *Service) Get(ctx context.Context, id string) (Record, error) { return s.cat.get(ctx, id) }

// TenantStatus is one line of `backup status`.
type TenantStatus struct {
	Tenant string `json:"tenant"`
	// Newest is the tenant's newest backup; empty when it has none.
	Newest      string        `json:"newest,omitempty"`
	Kind        string        `json:"kind,omitempty"`
	Age         time.Duration `json:"age_ns,omitempty"`
	Verified    bool          `json:"verified"`
	VerifyError string        `json:"verify_error,omitempty"`
	// Sites hold the newest backup verified; Missing are configured sites
	// that do not (yet).
	Sites       []string `json:"sites"`
	Missing     []string `json:"missing,omitempty"`
	DataCentres []string `json:"data_centres"`
	// Problems says why the tenant is flagged; empty when all is well.
	Problems []string `json:"problems,omitempty"`
}

// Status reports per live tenant its newest backup and where it is, flagging
// tenants with no backup, a failed verification, or a newest backup on
// fewer than two data centres.
func (s *Service) Status(ctx context.Context) ([]TenantStatus, error) {
	tenants, err := s.cfg.Catalogue.List(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.cat.list(ctx, "")
	if err != nil {
		return nil, err
	}
	newest := map[string]Record{}
	for _, rec := range all { // newest first
		if _, ok := newest[rec.Tenant]; !ok {
			newest[rec.Tenant] = rec
		}
	}
	now := s.now()
	out := make([]TenantStatus, 0, len(tenants))
	for _, t := range tenants {
		st := TenantStatus{Tenant: t.Name, Sites: []string{}, DataCentres: []string{}}
		rec, ok := newest[t.Name]
		if !ok {
			st.Problems = append(st.Problems, "no backup")
			out = append(out, st)
			continue
		}
		st.Newest, st.Kind, st.Age = rec.ID, rec.Kind, now.Sub(rec.Created)
		st.Verified, st.VerifyError = rec.Verified(), rec.VerifyError
		for _, spec := range s.cfg.Sites {
			if rec.VerifiedOn(spec.Name) {
				st.Sites = append(st.Sites, spec.Name)
			} else {
				st.Missing = append(st.Missing, spec.Name)
			}
		}
		st.DataCentres = append(st.DataCentres, rec.DataCentres()...)
		if !st.Verified {
			st.Problems = append(st.Problems, "test restore failed or pending")
		}
		if len(st.DataCentres) < 2 {
			st.Problems = append(st.Problems, "newest backup not on two data centres")
		}
		out = append(out, st)
	}
	return out, nil
}
