package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// TenantSource hands out tenant databases; *tenancy.Router is one. Tenant jobs
// reach a database only through it, by a name the catalogue listed.
type TenantSource interface {
	Acquire(ctx context.Context, name string) (*tenancy.Lease, error)
}

// tenantQueue holds the short per-tenant jobs, with workers of their own so
// that hours-long backups never hold them up.
const tenantQueue = "tenant"

// tenantJobAttempts bounds River's retries of one tenant's job; the next
// periodic run queues a fresh one anyway.
const tenantJobAttempts = 5

// tenantUnique keeps at most one job per kind and tenant waiting or running, so
// a slow or failing tenant never piles up jobs. Completed and discarded jobs
// are left out: the next period must be able to queue again.
func tenantUnique() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}
}

// fanOutWorker queues one job per active tenant. Suspended tenants are
// skipped: nobody signs in to them and their mail waits for reactivation.
type fanOutWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	q *Queue
	// job is the per-tenant job of a tenant.
	job func(tenant string) river.JobArgs
	// spread delays each tenant's job by a stable offset below it, so that
	// hundreds of tenants do not all open their databases in the same second.
	spread time.Duration
}

func (w *fanOutWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	tenants, err := w.q.cfg.Catalogue.List(ctx)
	if err != nil {
		return err
	}
	now := w.q.cfg.Now()
	for _, t := range tenants {
		if t.State != tenancy.Active {
			continue
		}
		opts := &river.InsertOpts{Queue: tenantQueue, MaxAttempts: tenantJobAttempts, UniqueOpts: tenantUnique()}
		if w.spread > 0 {
			opts.ScheduledAt = now.Add(jitter(t.Name, w.spread))
		}
		args := w.job(t.Name)
		if _, err := w.q.insert(ctx, args, opts); err != nil {
			return fmt.Errorf("queue %s for tenant %s: %w", args.Kind(), t.Name, err)
		}
	}
	return nil
}

// jitter is a stable offset in [0, spread) for tenant.
func jitter(tenant string, spread time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(tenant))
	return time.Duration(h.Sum64() % uint64(spread))
}

// errTenantGone marks a tenant suspended or deleted since its job was queued.
var errTenantGone = errors.New("tenant is no longer active")

// withTenant runs fn on the tenant's database, leased from the router.
func (q *Queue) withTenant(ctx context.Context, name string, fn func(db *store.DB) error) error {
	lease, err := q.cfg.Tenants.Acquire(ctx, name)
	if errors.Is(err, tenancy.ErrNotFound) || errors.Is(err, tenancy.ErrSuspended) {
		return fmt.Errorf("%w: %v", errTenantGone, err)
	}
	if err != nil {
		return fmt.Errorf("open tenant %s: %w", name, err)
	}
	defer lease.Release()
	return fn(lease.DB)
}

// tenantOutcome turns a tenant job's error into River's answer: a tenant gone
// meanwhile is not retried.
func tenantOutcome(err error) error {
	if errors.Is(err, errTenantGone) {
		return river.JobCancel(err)
	}
	return err
}
