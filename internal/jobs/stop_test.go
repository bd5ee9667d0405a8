package jobs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// heldTenants is a TenantSource whose Acquire blocks until released, so that a
// test holds a tenant job in the middle of its work.
type heldTenants struct {
	TenantSource
	entered     chan struct{} // receives once per Acquire that starts waiting
	release     chan struct{} // closed to let every Acquire go on
	releaseOnce sync.Once
}

func newHeldTenants(src TenantSource) *heldTenants {
	return &heldTenants{TenantSource: src, entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (h *heldTenants) Acquire(ctx context.Context, name string) (*tenancy.Lease, error) {
	h.entered <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	// Checked after the release too: a job cancelled meanwhile stops here.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return h.TenantSource.Acquire(ctx, name)
}

func (h *heldTenants) letGo() { h.releaseOnce.Do(func() { close(h.release) }) }

// A job running when the server is told to stop is not lost: ending the
// context the queue was started with (SIGINT ends the server's) leaves it to
// finish, and Stop waits for it; if Stop's own context (the grace period) ends
// first, the job is cancelled and handed back to the queue to be retried,
// rather than left "running" until River's rescuer looks, an hour later.
func TestStopKeepsRunningJobs(t *testing.T) {
	cases := []struct {
		name string
		// stop stops q while its job is held in tenants, and returns Stop's
		// error.
		stop      func(q *Queue, tenants *heldTenants, cancelStart context.CancelFunc) error
		wantState []string // any of these
		wantErr   bool
	}{
		{
			name: "signal, then the job ends",
			stop: func(q *Queue, tenants *heldTenants, cancelStart context.CancelFunc) error {
				cancelStart()
				tenants.letGo()
				return q.Stop(context.Background())
			},
			wantState: []string{"completed"},
		},
		{
			name: "grace period over",
			stop: func(q *Queue, tenants *heldTenants, cancelStart context.CancelFunc) error {
				over, cancel := context.WithCancel(context.Background())
				cancel()
				return q.Stop(over)
			},
			// Due again: retryable, or available when the retry is imminent.
			wantState: []string{"retryable", "available"},
			wantErr:   true,
		},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := newTestPlatform(t, e.Name, false)
				p.create(t, "acme")
				tenants := newHeldTenants(p.router)
				// The periodic fan-out runs on start; hourly, it queues acme's
				// job no more than once during the test.
				q := p.queue(t, Config{MaintainEvery: time.Hour})
				q.cfg.Tenants = tenants  // p.queue gives it the router itself
				t.Cleanup(tenants.letGo) // before the queue's Stop, which waits for the job
				res, err := q.insert(context.Background(), MaintainArgs{Tenant: "acme"},
					&river.InsertOpts{Queue: tenantQueue, MaxAttempts: tenantJobAttempts})
				if err != nil {
					t.Fatal(err)
				}
				startCtx, cancelStart := context.WithCancel(context.Background())
				defer cancelStart()
				if err := q.Start(startCtx, nil); err != nil {
					t.Fatal(err)
				}
				select {
				case <-tenants.entered:
				case <-time.After(time.Minute):
					t.Fatal("the job never started")
				}

				err = tc.stop(q, tenants, cancelStart)
				if (err != nil) != tc.wantErr {
					t.Errorf("Stop: %v, want an error: %v", err, tc.wantErr)
				}
				var state string
				if err := p.control.Read.QueryRow(p.control.Rebind("SELECT state FROM river_job WHERE id = ?"), res.Job.ID).Scan(&state); err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(tc.wantState, state) {
					t.Errorf("job %s after Stop, want %s", state, tc.wantState)
				}
			})
		}
	})
}
