package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Progress receives the bytes done out of an estimated total; it is called
// from the goroutine doing the work. nil means nobody is watching.
type Progress func(done, total int64)

// Run takes a backup of tenant (kind archive.KindDB or archive.KindFull):
// snapshot, encrypted object in the outbox, catalogue, a verified copy on
// every site, and a test restore. A site that fails does not fail the
// backup: the copy is retried later (Config.Enqueue) and the error is
// returned alongside the record as a *ReplicationError. A failed test
// restore is recorded, logged as an error and shown by Status.
func (s *Service) Run(ctx context.Context, tenant, kind string, progress Progress) (Record, error) {
	if kind != archive.KindDB && kind != archive.KindFull {
		return Record{}, fmt.Errorf("backup kind %q: want %s or %s", printable(kind), archive.KindDB, archive.KindFull)
	}
	t, err := s.cfg.Catalogue.Get(ctx, tenant)
	if err != nil {
		return Record{}, err
	}
	return s.backup(ctx, t, kind, progress)
}

// backup makes, records, replicates and verifies one backup of t.
func (s *Service) backup(ctx context.Context, t tenancy.Tenant, kind string, progress Progress) (Record, error) {
	return s.backupWith(ctx, t, kind, progress, true)
}

// backupWith makes one backup of t in a single streaming pass over both
// cores: the snapshot goes through tar, zstd and age, hashed on the way,
// into the outbox and at the same time onto every file site on another file
// system and, when testRestore is set, into the test restore. A file site
// on the outbox's file system takes the complete object as a link; remote
// sites get their copy from the outbox afterwards, beside the test
// restore's integrity check.
//
// Nothing becomes visible before the object is complete and catalogued:
// the sites' uploads end only then, and a failed backup aborts them.
func (s *Service) backupWith(ctx context.Context, t tenancy.Tenant, kind string, progress Progress, testRestore bool) (_ Record, err error) {
	defer func() {
		if err != nil && !IsReplicationError(err) {
			err = fmt.Errorf("back up tenant %q: %w", t.Name, err)
		}
	}()
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
	snap, err := s.takeSnapshot(ctx, t, kind, work, streamed)
	if err != nil {
		return Record{}, err
	}
	defer snap.release()
	manifest := archive.Manifest{
		ID: id, Tenant: t.Name, Kind: kind, Created: created,
		Engine: snap.engine, EngineVersion: snap.engineVersion, SchemaVersion: snap.schemaVersion, RowCounts: snap.rowCounts,
	}
	key := ObjectKey(t.Name, id)
	var streams []*siteStream
	var link *site.Spec // one at most: two sites must never share a file
	var later []site.Spec
	for _, spec := range s.cfg.Sites {
		switch {
		case link == nil && s.linksSite(spec):
			link = &spec
		case streamsSite(spec):
			streams = append(streams, s.startSiteStream(ctx, spec, key))
		default:
			later = append(later, spec)
		}
	}
	var verify *verifyStream
	if testRestore {
		verify = s.startVerifyStream(ctx)
	}
	abandon := func(cause error) {
		for _, ss := range streams {
			ss.abandon(cause)
		}
		if verify != nil {
			verify.pw.CloseWithError(cause)
			<-verify.done
		}
	}
	var copies []io.Writer
	for _, ss := range streams {
		copies = append(copies, ss.pw)
	}
	if verify != nil {
		copies = append(copies, verify.pw)
	}
	res, rb, err := s.writeOutbox(ctx, id, manifest, snap, progress, copies, link != nil)
	if rb != nil {
		defer rb.end() // when no site took the link
	}
	snap.release() // the tenant's read transaction ends as soon as the pages are read
	if err != nil {
		abandon(errBackupAbandoned)
		return Record{}, err
	}
	if verify != nil {
		verify.pw.Close()
	}
	rec := Record{
		ID: id, Tenant: t.Name, TenantID: t.ID, Kind: kind, Engine: snap.engine, ObjectKey: key,
		Created: created, Size: res.Size, SHA256: res.SHA256,
	}
	if err := s.cat.insert(ctx, rec); err != nil {
		abandon(errBackupAbandoned)
		os.Remove(s.outboxPath(id))
		return Record{}, err
	}
	failed := map[string]error{}
	if link != nil {
		if err := s.recordCopy(ctx, rec.ID, *link, s.linkTo(ctx, rec, *link, rb)); err != nil {
			failed[link.Name] = err
		}
	}
	for _, ss := range streams {
		copyErr := ss.finish(rec.SHA256)
		if err := s.recordCopy(ctx, rec.ID, ss.spec, copyErr); err != nil {
			failed[ss.spec.Name] = err
		}
	}
	for _, spec := range later {
		if err := s.replicate(ctx, rec.ID, spec); err != nil {
			failed[spec.Name] = err
		}
	}
	if verify != nil {
		if err := s.recordTestRestore(ctx, rec, verify.result(rec.Size)); err != nil {
			return rec, err
		}
	}
	return s.finishReplication(ctx, rec.ID, failed)
}

// recordTestRestore records the outcome of a new backup's test restore. A
// cancelled test restore proves nothing and leaves the backup unverified.
func (s *Service) recordTestRestore(ctx context.Context, rec Record, verifyErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if verifyErr != nil {
		s.cfg.Log.Error("backup failed its test restore", "tenant", rec.Tenant, "backup", rec.ID, "err", verifyErr)
	}
	return s.cat.setVerification(ctx, rec.ID, s.now(), verifyErr)
}

// writeOutbox writes the object to a partial file, and to copies as it
// goes, and renames it into the outbox once complete, so a complete name is
// a complete object.
//
// The object is not synced here: while every site takes a verified copy it
// never needs to reach this disk, and the copies are synced where they land.
// Only an object some site still lacks is synced (syncOutbox), because it is
// then the source of later retries, and one that a site takes as a link
// (linkTo). For that site, with toLink set, the disk writes start while the
// object is written, so that they overlap the work and the sync finds little
// left, and the read-back it returns reads the object behind the writer.
func (s *Service) writeOutbox(ctx context.Context, id string, m archive.Manifest, snap snapshot, progress Progress, copies []io.Writer, toLink bool) (res archive.Result, rb *readBehind, err error) {
	if err := os.MkdirAll(s.outboxDir(), 0o700); err != nil {
		return archive.Result{}, nil, fmt.Errorf("create outbox: %w", err)
	}
	final := s.outboxPath(id)
	partial := final + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return archive.Result{}, nil, fmt.Errorf("create object: %w", err)
	}
	var behind *readBehind
	if toLink {
		var rerr error
		if behind, rerr = startReadBehind(partial); rerr != nil {
			// The object is then read back from the site once linked.
			s.cfg.Log.Warn("backup read back after it is written", "backup", id, "err", rerr)
		}
	}
	defer func() {
		if err != nil {
			if behind != nil {
				behind.end()
			}
			f.Close()
			os.Remove(partial)
		}
	}()
	var w io.Writer = f
	if toLink {
		w = &writebackWriter{f: f, rb: behind}
	}
	if s.wrapOutbox != nil {
		w = s.wrapOutbox(w)
	}
	if len(copies) > 0 {
		w = io.MultiWriter(append([]io.Writer{w}, copies...)...)
	}
	if progress != nil {
		w = &progressWriter{w: w, total: snap.expectedSize(), report: progress}
	}
	res, err = archive.Write(ctx, w, m, snap.members, s.recipients())
	if err != nil {
		return archive.Result{}, nil, err
	}
	if err := f.Close(); err != nil {
		return archive.Result{}, nil, fmt.Errorf("close object: %w", err)
	}
	if err := os.Rename(partial, final); err != nil {
		return archive.Result{}, nil, fmt.Errorf("complete object: %w", err)
	}
	return res, behind, nil
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

// copyToSites puts a new backup on every site and returns the sites that
// failed. The outbox object stays until finishReplication.
func (s *Service) copyToSites(ctx context.Context, rec Record) map[string]error {
	failed := map[string]error{}
	for _, spec := range s.cfg.Sites {
		if err := s.replicate(ctx, rec.ID, spec); err != nil {
			failed[spec.Name] = err
		}
	}
	return failed
}

// finishReplication drops the outbox object of a backup that every site
// holds; otherwise it makes the object durable, as the source of the
// retries it queues, and returns a *ReplicationError.
func (s *Service) finishReplication(ctx context.Context, id string, failed map[string]error) (Record, error) {
	if len(failed) == 0 {
		s.dropOutboxIfReplicated(ctx, id)
	} else {
		if err := s.syncOutbox(id); err != nil {
			s.cfg.Log.Error("cannot sync the outbox copy of a backup some site still lacks", "backup", id, "err", err)
		}
		for name := range failed {
			if s.cfg.Enqueue == nil {
				break
			}
			if qerr := s.cfg.Enqueue(context.WithoutCancel(ctx), id, name); qerr != nil {
				s.cfg.Log.Error("cannot schedule replication retry", "backup", id, "site", name, "err", qerr)
			}
		}
	}
	out, err := s.cat.get(context.WithoutCancel(ctx), id)
	if err != nil {
		return Record{}, err
	}
	if len(failed) > 0 {
		return out, &ReplicationError{BackupID: id, Sites: failed}
	}
	return out, nil
}

// syncOutbox makes the outbox object of id and its name durable.
func (s *Service) syncOutbox(id string) error {
	f, err := os.Open(s.outboxPath(id))
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dir, err := os.Open(s.outboxDir())
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// IsReplicationError reports whether err only says that some site still
// lacks a copy (the backup itself succeeded).
func IsReplicationError(err error) bool {
	var re *ReplicationError
	return errors.As(err, &re)
}
