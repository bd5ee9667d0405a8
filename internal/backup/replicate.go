package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/instant-erp/instanterp/internal/backup/site"
)

// Replicate puts backup id on the named site and marks the copy only after
// reading it back with the catalogued SHA-256. A backup already verified on
// that site is left alone, so retries are harmless. The source is the local
// outbox or, once that is gone, any site holding a verified copy.
func (s *Service) Replicate(ctx context.Context, id, siteName string) error {
	spec, err := s.siteSpec(siteName)
	if err != nil {
		return err
	}
	if err := s.replicate(ctx, id, spec); err != nil {
		return err
	}
	s.dropOutboxIfReplicated(ctx, id)
	return nil
}

// replicate copies backup id to the site of spec unless it holds a
// verified copy already, and records the outcome.
func (s *Service) replicate(ctx context.Context, id string, spec site.Spec) error {
	rec, err := s.cat.get(ctx, id)
	if err != nil {
		return err
	}
	if rec.VerifiedOn(spec.Name) {
		return nil
	}
	return s.recordCopy(ctx, rec.ID, spec, s.copyTo(ctx, rec, spec))
}

// recordCopy records the outcome of copying backup id to the site of spec
// and returns the copy's error.
func (s *Service) recordCopy(ctx context.Context, id string, spec site.Spec, copyErr error) error {
	if err := s.cat.markCopy(context.WithoutCancel(ctx), id, spec.Name, spec.DataCentre, s.now(), copyErr); err != nil {
		return errors.Join(copyErr, err)
	}
	if copyErr != nil {
		s.cfg.Log.Warn("backup copy failed", "backup", id, "site", spec.Name, "err", copyErr)
	}
	return copyErr
}

func (s *Service) copyTo(ctx context.Context, rec Record, spec site.Spec) error {
	src, err := s.openSource(ctx, rec, spec.Name)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := s.cfg.OpenSite(ctx, spec)
	if err != nil {
		return err
	}
	defer dst.Close()
	obj, err := dst.Put(ctx, rec.ObjectKey, src)
	if err != nil {
		return err
	}
	if obj.SHA256 != rec.SHA256 {
		dst.Delete(context.WithoutCancel(ctx), rec.ObjectKey)
		return fmt.Errorf("copy of %s sent to %s has sha256 %s, the catalogue says %s: %w", rec.ID, spec.Name, obj.SHA256, rec.SHA256, site.ErrMismatch)
	}
	return site.Verify(ctx, dst, rec.ObjectKey, rec.SHA256)
}

// openSource opens the object of rec from the outbox, or from a site other
// than except that holds a verified copy.
func (s *Service) openSource(ctx context.Context, rec Record, except string) (io.ReadCloser, error) {
	if f, err := os.Open(s.outboxPath(rec.ID)); err == nil {
		return f, nil
	}
	var errs []error
	for _, c := range rec.Copies {
		if c.Site == except || c.VerifiedAt.IsZero() {
			continue
		}
		spec, err := s.siteSpec(c.Site)
		if err != nil {
			continue
		}
		st, err := s.cfg.OpenSite(ctx, spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rc, err := st.Open(ctx, rec.ObjectKey)
		if err != nil {
			st.Close()
			errs = append(errs, err)
			continue
		}
		return &siteReader{ReadCloser: rc, site: st}, nil
	}
	return nil, fmt.Errorf("backup %s: no readable copy (outbox emptied, no other verified site reachable): %w", rec.ID, errors.Join(errs...))
}

// siteReader closes the site with the object.
type siteReader struct {
	io.ReadCloser
	site site.Site
}

func (r *siteReader) Close() error { return errors.Join(r.ReadCloser.Close(), r.site.Close()) }

func (s *Service) inOutbox(id string) bool {
	_, err := os.Stat(s.outboxPath(id))
	return err == nil
}

// dropOutboxIfReplicated removes the outbox object once every configured
// site holds a verified copy.
func (s *Service) dropOutboxIfReplicated(ctx context.Context, id string) {
	rec, err := s.cat.get(ctx, id)
	if err != nil {
		return
	}
	for _, spec := range s.cfg.Sites {
		if !rec.VerifiedOn(spec.Name) {
			return
		}
	}
	if len(s.cfg.Sites) > 0 {
		os.Remove(s.outboxPath(id))
	}
}

// Gap is a backup that a site is missing.
type Gap struct {
	BackupID string
	Site     string
}

// Gaps lists, for each tenant's newest backup still in the catalogue and any
// backup still in the outbox, the sites that lack a verified copy. The
// replication job works through them; status shows them.
func (s *Service) Gaps(ctx context.Context) ([]Gap, error) {
	all, err := s.cat.list(ctx, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var gaps []Gap
	for _, rec := range all { // newest first
		newest := !seen[rec.Tenant]
		seen[rec.Tenant] = true
		if !newest && !s.inOutbox(rec.ID) {
			continue
		}
		for _, spec := range s.cfg.Sites {
			if !rec.VerifiedOn(spec.Name) {
				gaps = append(gaps, Gap{BackupID: rec.ID, Site: spec.Name})
			}
		}
	}
	return gaps, nil
}

// CatchUp tries every gap once and returns how many it closed.
func (s *Service) CatchUp(ctx context.Context) (int, error) {
	gaps, err := s.Gaps(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	var errs []error
	for _, g := range gaps {
		if err := s.Replicate(ctx, g.BackupID, g.Site); err != nil {
			errs = append(errs, err)
			continue
		}
		closed++
	}
	return closed, errors.Join(errs...)
}
