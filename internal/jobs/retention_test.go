package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestRetentionDefaults(t *testing.T) {
	for _, c := range []struct {
		configured, def, want time.Duration
	}{
		{0, time.Hour, time.Hour},
		{90 * time.Minute, time.Hour, 90 * time.Minute},
		{-1, time.Hour, -1},
		{-time.Hour, time.Hour, -1}, // River refuses anything below -1
	} {
		if got := retention(c.configured, c.def); got != c.want {
			t.Errorf("retention(%v, %v) = %v, want %v", c.configured, c.def, got, c.want)
		}
	}
}

// finish moves a queued job to a finished state as if it had finished ago
// before now: the database's clock is what River's cleaner compares with.
func (p *testPlatform) finish(t *testing.T, id int64, state string, at time.Time) {
	t.Helper()
	var finalized any = at
	if p.engine == store.SQLite {
		// River's SQLite driver stores times as text in this one format.
		finalized = at.UTC().Format("2006-01-02 15:04:05.000")
	}
	if _, err := p.control.Write.ExecContext(context.Background(),
		p.control.Rebind("UPDATE river_job SET state = ?, finalized_at = ? WHERE id = ?"), state, finalized, id); err != nil {
		t.Fatal(err)
	}
}

// Finished jobs are deleted by age and state with the default retention:
// completed after an hour (River alone would keep them a day), cancelled after
// a day, discarded after a week. Jobs still waiting are never touched.
func TestFinishedJobRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, false)
		q := p.queue(t, Config{MaintainEvery: time.Hour})
		now := time.Now()
		jobs := []struct {
			tenant, state string
			age           time.Duration
			kept          bool
		}{
			{"completed-2h", "completed", 2 * time.Hour, false},
			{"completed-30m", "completed", 30 * time.Minute, true},
			{"cancelled-25h", "cancelled", 25 * time.Hour, false},
			{"cancelled-2h", "cancelled", 2 * time.Hour, true},
			{"discarded-8d", "discarded", 8 * 24 * time.Hour, false},
			{"discarded-2h", "discarded", 2 * time.Hour, true},
			{"discarded-6d", "discarded", 6 * 24 * time.Hour, true},
			// Still waiting to run: not finished, never deleted.
			{"waiting", "", 0, true},
		}
		for _, j := range jobs {
			// Scheduled far ahead so that no worker takes them once started.
			res, err := q.insert(ctx, MaintainArgs{Tenant: j.tenant}, &river.InsertOpts{Queue: tenantQueue, ScheduledAt: now.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if j.state != "" {
				p.finish(t, res.Job.ID, j.state, now.Add(-j.age))
			}
		}
		present := func() map[string]string {
			got := map[string]string{}
			for _, j := range p.jobsOf(t, KindMaintain) {
				got[j.Tenant] = j.State
			}
			return got
		}
		if got := present(); len(got) != len(jobs) {
			t.Fatalf("seeded %v; the test would prove nothing", got)
		}

		if err := q.Start(ctx, nil); err != nil {
			t.Fatal(err)
		}
		// The cleaner deletes all that is due in one statement: once the first
		// is gone, every other due job is gone too.
		waitFor(t, "the cleaner to delete the old completed job", func() bool {
			_, ok := present()["completed-2h"]
			return !ok
		})
		got := present()
		for _, j := range jobs {
			if _, ok := got[j.tenant]; ok != j.kept {
				t.Errorf("%s (%s %v ago): kept %v, want %v", j.tenant, j.state, j.age, ok, j.kept)
			}
		}
	})
}

// A per-tenant job still waiting or running is not queued again: a slow tenant
// or a fan-out that runs twice (two nodes, a restart) never piles up jobs,
// while the next period queues afresh once the job has finished.
func TestTenantJobsDoNotPileUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, false)
		p.create(t, "acme", "globex")
		q := p.queue(t, Config{})
		fanOut := &fanOutWorker[MailAllArgs]{q: q, job: func(t string) river.JobArgs { return MailArgs{Tenant: t} }}
		count := func() map[string]int {
			n := map[string]int{}
			for _, j := range p.jobsOf(t, KindMail) {
				n[j.Tenant+" "+j.State]++
			}
			return n
		}
		for range 3 {
			if err := fanOut.Work(ctx, &river.Job[MailAllArgs]{}); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := fmt.Sprint(count()), fmt.Sprint(map[string]int{"acme available": 1, "globex available": 1}); got != want {
			t.Fatalf("after three fan-outs: %s, want %s", got, want)
		}

		// The first tenant's job finishes: the next period queues a new one for
		// that tenant only.
		var id int64
		if err := p.control.Read.QueryRowContext(ctx, p.control.Rebind(
			"SELECT id FROM river_job WHERE kind = ? ORDER BY id LIMIT 1"), KindMail).Scan(&id); err != nil {
			t.Fatal(err)
		}
		first, other := p.jobsOf(t, KindMail)[0].Tenant, "globex"
		if first == "globex" {
			other = "acme"
		}
		p.finish(t, id, "completed", time.Now())
		if err := fanOut.Work(ctx, &river.Job[MailAllArgs]{}); err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(count()), fmt.Sprint(map[string]int{first + " available": 1, first + " completed": 1, other + " available": 1}); got != want {
			t.Fatalf("after the next period: %s, want %s", got, want)
		}
	})
}
