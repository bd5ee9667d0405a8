package backup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
)

// MaxBackupAge is how old a tenant's newest backup may be before Diagnose
// flags it: a daily backup plus half a day of slack for a late window.
const MaxBackupAge = 36 * time.Hour

// siteCheckTimeout bounds how long one unreachable site holds up a check.
const siteCheckTimeout = 30 * time.Second

// CheckSites reports configuration problems of the backup sites that need
// no installation: fewer than two distinct data centres, and sites that
// cannot be reached (open is site.Open, or a test's replacement). One line
// per problem; none means all is well.
func CheckSites(ctx context.Context, specs []site.Spec, open func(context.Context, site.Spec) (site.Site, error)) []string {
	var problems []string
	centres := map[string]bool{}
	for _, s := range specs {
		centres[s.DataCentre] = true
	}
	if len(centres) < 2 {
		problems = append(problems, fmt.Sprintf("backups stay in %d data centre(s): configure --backup-site NAME@DC=URL for at least two distinct DC labels", len(centres)))
	}
	for _, spec := range specs {
		cctx, cancel := context.WithTimeout(ctx, siteCheckTimeout)
		st, err := open(cctx, spec)
		if err == nil {
			_, err = st.List(cctx, "tenants/")
			st.Close()
		}
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("backup site %s (%s) is not reachable: %s", spec.Name, spec.DataCentre, oneLine(err.Error())))
		}
	}
	return problems
}

// Diagnose reports problems of the installation's backups: on PostgreSQL,
// pg_dump, pg_restore or psql missing or of another major version than the
// server; and per live tenant, a newest backup that is missing, older than
// maxAge, not verified by a test restore, or not on two data centres. One
// line per problem; none means all is well.
func (s *Service) Diagnose(ctx context.Context, maxAge time.Duration) ([]string, error) {
	var problems []string
	if s.cfg.AdminURL != "" {
		problems = append(problems, s.checkPGTools(ctx)...)
	}
	status, err := s.Status(ctx)
	if err != nil {
		return problems, err
	}
	for _, st := range status {
		if st.Newest != "" && st.Age > maxAge {
			problems = append(problems, fmt.Sprintf("tenant %s: newest backup %s is %s old, more than %s", st.Tenant, st.Newest, st.Age.Round(time.Minute), maxAge))
		}
		for _, p := range st.Problems {
			line := fmt.Sprintf("tenant %s: %s", st.Tenant, p)
			if p == "newest backup not on two data centres" {
				line += fmt.Sprintf(" (verified on %d: %v)", len(st.DataCentres), st.DataCentres)
			}
			problems = append(problems, line)
		}
	}
	return problems, nil
}

// checkPGTools checks the client tools a PostgreSQL backup and restore run.
func (s *Service) checkPGTools(ctx context.Context) []string {
	db, err := store.OpenPostgres(ctx, s.cfg.AdminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		return []string{fmt.Sprintf("cannot reach the PostgreSQL server to compare client tool versions: %s", oneLine(err.Error()))}
	}
	defer db.Close()
	var problems []string
	for _, tool := range []string{"pg_dump", "pg_restore", "psql"} {
		if _, err := s.checkedPGTool(ctx, tool, db); err != nil {
			problems = append(problems, oneLine(err.Error()))
		}
	}
	return slices.Compact(problems)
}
