package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/instant-erp/instanterp/internal/backup"
)

// longJob lets backups and copies of large tenants run for hours.
const longJob = 12 * time.Hour

type backupWorker struct {
	river.WorkerDefaults[BackupArgs]
	svc *backup.Service
}

func (w *backupWorker) Timeout(*river.Job[BackupArgs]) time.Duration { return longJob }

func (w *backupWorker) Work(ctx context.Context, job *river.Job[BackupArgs]) error {
	_, err := w.svc.Run(ctx, job.Args.Tenant, job.Args.BackupKind, nil)
	if backup.IsReplicationError(err) {
		return nil // the backup exists; the missing copies have their own jobs
	}
	return err
}

type replicateWorker struct {
	river.WorkerDefaults[ReplicateArgs]
	svc *backup.Service
}

func (w *replicateWorker) Timeout(*river.Job[ReplicateArgs]) time.Duration { return longJob }

func (w *replicateWorker) Work(ctx context.Context, job *river.Job[ReplicateArgs]) error {
	err := w.svc.Replicate(ctx, job.Args.BackupID, job.Args.Site)
	if errors.Is(err, backup.ErrNoBackup) {
		return river.JobCancel(err) // pruned meanwhile: nothing left to copy
	}
	return err
}

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	q *Queue
}

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	now := w.q.cfg.Now().UTC()
	start := latestWindowStart(now, w.q.cfg.Window.Start)
	plan, err := w.q.svc.Plan(ctx, start, w.q.cfg.Window.Length)
	if err != nil {
		return err
	}
	night := start.Format(time.DateOnly)
	for _, p := range plan {
		opts := &river.InsertOpts{ScheduledAt: p.At, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if _, err := w.q.insert(ctx, BackupArgs{Tenant: p.Tenant, BackupKind: p.Kind, Night: night}, opts); err != nil {
			return fmt.Errorf("schedule backup of %s: %w", p.Tenant, err)
		}
	}
	return nil
}

// latestWindowStart is the start of the window that began most recently.
func latestWindowStart(now time.Time, start time.Duration) time.Time {
	next := backup.NextWindowStart(now, start)
	if next.After(now) {
		next = next.AddDate(0, 0, -1)
	}
	return next
}

type catchUpWorker struct {
	river.WorkerDefaults[CatchUpArgs]
	q *Queue
}

func (w *catchUpWorker) Work(ctx context.Context, job *river.Job[CatchUpArgs]) error {
	gaps, err := w.q.svc.Gaps(ctx)
	if err != nil {
		return err
	}
	for _, g := range gaps {
		if err := w.q.EnqueueReplication(ctx, g.BackupID, g.Site); err != nil {
			return err
		}
	}
	return nil
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	svc *backup.Service
}

func (w *pruneWorker) Work(ctx context.Context, job *river.Job[PruneArgs]) error {
	_, err := w.svc.Prune(ctx)
	return err
}
