package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Progress receives the bytes done out of an estimated total; it is called
// from the goroutine doing the work. nil means nobody is watching.
type Progress func(done, total int64)

// Run takes a backup of tenant (kind archive.KindDB or archive.KindFull):
// snapshot, encrypted object in the outbox, test restore, catalogue, and a
// copy on every site. A site that fails does not fail the backup: the copy is
// retried later (Config.Enqueue) and the error is returned alongside the
// record as a *ReplicationError.
func (s *Service) Run(ctx context.Context, tenant, kind string, progress Progress) (Record, error) {
	if kind != archive.KindDB && kind != archive.KindFull {
		return Record{}, fmt.Errorf("backup kind %q: want %s or %s", printable(kind), archive.KindDB, archive.KindFull)
	}
	t, err := s.cfg.Catalogue.Get(ctx, tenant)
	if err != nil {
		return Record{}, err
	}
	rec, err := s.writeBackup(ctx, t, kind, progress)
	if err != nil {
		return Record{}, fmt.Errorf("back up tenant %q: %w", t.Name, err)
	}
	return s.replicateNew(ctx, rec)
}

// writeBackup makes the object, verifies it and records it.
func (s *Service) writeBackup(ctx context.Context, t tenancy.Tenant, kind string, progress Progress) (Record, error) {
	created := s.now()
	id, err := newID(created, kind)
	if err != nil {
		return Record{}, err
	}
	work, err := s.newWorkDir("run-" + id)
	if err != nil {
		return Record{}, err
	}
	defer os.RemoveAll(work)
	snap, err := s.takeSnapshot(ctx, t, kind, work)
	if err != nil {
		return Record{}, err
	}
	manifest := archive.Manifest{
		ID: id, Tenant: t.Name, Kind: kind, Created: created,
		Engine: snap.engine, EngineVersion: snap.engineVersion, SchemaVersion: snap.schemaVersion, RowCounts: snap.rowCounts,
	}
	res, err := s.writeOutbox(ctx, id, manifest, snap.members, progress)
	if err != nil {
		return Record{}, err
	}
	rec := Record{
		ID: id, Tenant: t.Name, TenantID: t.ID, Kind: kind, Engine: snap.engine, ObjectKey: ObjectKey(t.Name, id),
		Created: created, Size: res.Size, SHA256: res.SHA256,
	}
	verifyErr := s.testRestoreFile(ctx, s.outboxPath(id), res.SHA256, rec.Engine)
	if verifyErr == nil {
		rec.VerifiedAt = s.now()
	} else {
		rec.VerifyError = verifyErr.Error()
		s.cfg.Log.Error("backup failed its test restore", "tenant", t.Name, "backup", id, "err", verifyErr)
	}
	if err := s.cat.insert(ctx, rec); err != nil {
		os.Remove(s.outboxPath(id))
		return Record{}, err
	}
	return rec, nil
}

// writeOutbox writes the object to a partial file and renames it into the
// outbox once complete and synced, so a complete name is a complete object.
func (s *Service) writeOutbox(ctx context.Context, id string, m archive.Manifest, members []archive.Source, progress Progress) (res archive.Result, err error) {
	if err := os.MkdirAll(s.outboxDir(), 0o700); err != nil {
		return archive.Result{}, fmt.Errorf("create outbox: %w", err)
	}
	final := s.outboxPath(id)
	partial := final + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return archive.Result{}, fmt.Errorf("create object: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(partial)
		}
	}()
	var w io.Writer = f
	if s.wrapOutbox != nil {
		w = s.wrapOutbox(w)
	}
	if progress != nil {
		var total int64
		for _, m := range members {
			total += m.Size
		}
		w = &progressWriter{w: w, total: total, report: progress}
	}
	res, err = archive.Write(ctx, w, m, members, s.recipients())
	if err != nil {
		return archive.Result{}, err
	}
	if err := f.Sync(); err != nil {
		return archive.Result{}, fmt.Errorf("sync object: %w", err)
	}
	if err := f.Close(); err != nil {
		return archive.Result{}, fmt.Errorf("close object: %w", err)
	}
	if err := os.Rename(partial, final); err != nil {
		return archive.Result{}, fmt.Errorf("complete object: %w", err)
	}
	return res, nil
}

// progressWriter reports bytes written against the input size: compression
// makes the output smaller, so this only ever underestimates progress.
type progressWriter struct {
	w      io.Writer
	done   int64
	total  int64
	report Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.report(min(p.done, p.total), p.total)
	return n, err
}

// ReplicationError lists the sites a new backup could not be copied to.
type ReplicationError struct {
	BackupID string
	Sites    map[string]error
}

func (e *ReplicationError) Error() string {
	msg := fmt.Sprintf("backup %s is complete but not yet on every site:", e.BackupID)
	for name, err := range e.Sites {
		msg += fmt.Sprintf(" %s: %v;", name, err)
	}
	return msg + " the copy will be retried"
}

// replicateNew copies a fresh backup to every site.
func (s *Service) replicateNew(ctx context.Context, rec Record) (Record, error) {
	failed := map[string]error{}
	for _, spec := range s.cfg.Sites {
		if err := s.Replicate(ctx, rec.ID, spec.Name); err != nil {
			failed[spec.Name] = err
			if s.cfg.Enqueue != nil {
				if qerr := s.cfg.Enqueue(context.WithoutCancel(ctx), rec.ID, spec.Name); qerr != nil {
					s.cfg.Log.Error("cannot schedule replication retry", "backup", rec.ID, "site", spec.Name, "err", qerr)
				}
			}
		}
	}
	out, err := s.cat.get(ctx, rec.ID)
	if err != nil {
		return rec, err
	}
	if len(failed) > 0 {
		return out, &ReplicationError{BackupID: rec.ID, Sites: failed}
	}
	return out, nil
}

// IsReplicationError reports whether err only says that some site still
// lacks a copy (the backup itself succeeded).
func IsReplicationError(err error) bool {
	var re *ReplicationError
	return errors.As(err, &re)
}
