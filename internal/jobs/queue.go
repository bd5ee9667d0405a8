package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// ApplicationName is the PostgreSQL application_name of the queue's
// connections.
const ApplicationName = "instanterp-jobs"

// Config is what a Queue needs.
type Config struct {
	Control *store.DB
	// DatabaseURL is the control database's PostgreSQL URL (River's pgx
	// driver needs its own pool); empty on SQLite.
	DatabaseURL string
	Window      Window
	Log         *slog.Logger
	Now         func() time.Time
	// RetryBase and RetryMax bound the replication backoff (defaults 30s
	// and 1h); PollInterval is how often idle workers look for jobs
	// (default 1s).
	RetryBase, RetryMax time.Duration
	PollInterval        time.Duration
	// CatchUpEvery is how often gaps are looked for (default 15 minutes).
	CatchUpEvery time.Duration

	// Tenant jobs (maintenance, mail delivery) run only when Catalogue and
	// Tenants are set: the catalogue lists the active tenants, the router hands
	// out their databases.
	Catalogue *tenancy.Catalogue
	Tenants   TenantSource
	// MaintainEvery is how often each tenant's expired credentials and stale
	// sign-in state are deleted (default hourly, each tenant at a stable offset
	// within the first MaintainEvery/6).
	MaintainEvery time.Duration
	// Sessions and Throttle are the server's sign-in settings (zero: defaults).
	Sessions session.Config
	Throttle throttle.Config
	// Mail, with Registry, delivers the tenants' queued business mail
	// (mail.mail) every MailEvery (default 1 minute).
	Mail      mail.Sender
	Registry  *orm.Registry
	MailEvery time.Duration

	// Finished jobs are deleted by River once older than these: completed
	// after CompletedRetention (default 1 hour), cancelled after
	// CancelledRetention (default 24 hours), discarded (out of attempts) after
	// DiscardedRetention (default 7 days). A negative value keeps them forever.
	// Mail delivery alone finishes a job per tenant per minute; River's own
	// default of a day would keep 1,440 of them per tenant.
	CompletedRetention time.Duration
	CancelledRetention time.Duration
	DiscardedRetention time.Duration
}

// Default retention of finished jobs. Completed jobs say nothing the logs and
// the backup catalogue do not; failures are kept long enough to be looked at.
const (
	DefaultCompletedRetention = time.Hour
	DefaultCancelledRetention = 24 * time.Hour
	DefaultDiscardedRetention = 7 * 24 * time.Hour
)

// retention is River's retention period for a configured one: zero is def,
// negative is River's "never delete" (-1).
func retention(configured, def time.Duration) time.Duration {
	switch {
	case configured == 0:
		return def
	case configured < 0:
		return -1
	}
	return configured
}

// Queue inserts jobs and, once started, works them.
type Queue struct {
	cfg    Config
	svc    *backup.Service
	insert func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	start  func(ctx context.Context, cfg *river.Config) (stop func(context.Context) error, err error)
	stopFn func(context.Context) error
	close  func()
}

// Open migrates River's tables in the control database and returns a queue
// that can insert jobs; Start makes it work them too.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Control == nil {
		return nil, errors.New("jobs: control database required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Hour
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.CatchUpEvery <= 0 {
		cfg.CatchUpEvery = 15 * time.Minute
	}
	if cfg.MailEvery <= 0 {
		cfg.MailEvery = time.Minute
	}
	if cfg.MaintainEvery <= 0 {
		cfg.MaintainEvery = time.Hour
	}
	if cfg.Window.Length <= 0 {
		cfg.Window = Window{Start: time.Hour, Length: 4 * time.Hour}
	}
	cfg.CompletedRetention = retention(cfg.CompletedRetention, DefaultCompletedRetention)
	cfg.CancelledRetention = retention(cfg.CancelledRetention, DefaultCancelledRetention)
	cfg.DiscardedRetention = retention(cfg.DiscardedRetention, DefaultDiscardedRetention)
	q := &Queue{cfg: cfg}
	switch cfg.Control.Engine {
	case store.SQLite:
		// River on SQLite shares the control database's single writer
		// connection, which serialises its writes with the catalogue's.
		if err := wire(ctx, q, riversqlite.New(cfg.Control.Write)); err != nil {
			return nil, err
		}
	case store.Postgres:
		poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("jobs: connect: %s", store.RedactURL(cfg.DatabaseURL))
		}
		// Named, so that operators (and tests) tell River's connections
		// from the control database's in pg_stat_activity.
		poolCfg.ConnConfig.RuntimeParams["application_name"] = ApplicationName
		pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
		if err != nil {
			return nil, fmt.Errorf("jobs: connect: %s", store.RedactURL(cfg.DatabaseURL))
		}
		if err := wire(ctx, q, riverpgxv5.New(pool)); err != nil {
			pool.Close()
			return nil, err
		}
		q.close = pool.Close
	default:
		return nil, fmt.Errorf("jobs: unknown engine %q", cfg.Control.Engine)
	}
	return q, nil
}

// wire migrates River's schema and sets up the insert-only client and the
// constructor of the working one for driver.
func wire[TTx any](ctx context.Context, q *Queue, driver riverdriver.Driver[TTx]) error {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: queueLogger(q.cfg.Log)})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate river tables: %w", err)
	}
	inserter, err := river.NewClient(driver, &river.Config{Logger: queueLogger(q.cfg.Log)})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.insert = inserter.Insert
	q.start = func(ctx context.Context, cfg *river.Config) (func(context.Context) error, error) {
		client, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, err
		}
		// River cancels the running jobs when the context given to Start
		// ends; the server's ends on SIGINT, and its jobs must finish then.
		// Only Stop stops this client.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return stopClient(ctx, client) }, nil
	}
	return nil
}

// handBackTimeout bounds how long Stop waits, once its context has ended,
// for the jobs it cancelled to return.
const handBackTimeout = 10 * time.Second

// stopClient lets the running jobs finish until ctx ends, then cancels those
// still running and waits for them to return: River then records each
// cancelled job as failed and due again (an attempt used), instead of leaving
// it "running" until its rescuer notices, an hour later.
func stopClient[TTx any](ctx context.Context, client *river.Client[TTx]) error {
	err := client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handBackTimeout)
	defer cancel()
	if cerr := client.StopAndCancel(cancelCtx); cerr != nil {
		return fmt.Errorf("jobs still running after the grace period and after being cancelled: %w", cerr)
	}
	return fmt.Errorf("jobs cancelled at the end of the grace period, to be retried: %w", err)
}

// EnqueueReplication asks for backupID to be copied to site, retried with
// backoff until it succeeds. A job already waiting for the same copy is
// reused.
func (q *Queue) EnqueueReplication(ctx context.Context, backupID, site string) error {
	_, err := q.insert(ctx, ReplicateArgs{BackupID: backupID, Site: site}, &river.InsertOpts{
		MaxAttempts: 1000,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	})
	if err != nil {
		return fmt.Errorf("queue replication of %s to %s: %w", backupID, site, err)
	}
	return nil
}

// Start works jobs until Stop: with svc, the nightly schedule, backups,
// replication, catch-up and pruning (leftovers of killed processes older than
// a day are cleaned first); with a catalogue and tenant source in the Config,
// each active tenant's maintenance and mail delivery.
func (q *Queue) Start(ctx context.Context, svc *backup.Service) error {
	if q.stopFn != nil {
		return errors.New("jobs: already started")
	}
	workers := river.NewWorkers()
	queues := map[string]river.QueueConfig{}
	var periodic []*river.PeriodicJob
	if svc != nil {
		q.svc = svc
		if _, err := svc.Cleanup(ctx, q.cfg.Now().Add(-24*time.Hour)); err != nil {
			q.cfg.Log.Warn("backup cleanup incomplete", "err", err)
		}
		periodic = append(periodic, q.addBackupWorkers(workers, svc)...)
		queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: 2}
	}
	if q.cfg.Catalogue != nil && q.cfg.Tenants != nil {
		periodic = append(periodic, q.addTenantWorkers(workers)...)
		queues[tenantQueue] = river.QueueConfig{MaxWorkers: 2}
	}
	if len(queues) == 0 {
		return errors.New("jobs: nothing to work: no backup service and no tenant source")
	}
	cfg := &river.Config{
		Logger:            queueLogger(q.cfg.Log),
		Queues:            queues,
		Workers:           workers,
		FetchPollInterval: q.cfg.PollInterval,
		FetchCooldown:     min(q.cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:       backoff{base: q.cfg.RetryBase, max: q.cfg.RetryMax, now: q.cfg.Now},
		PeriodicJobs:      periodic,
		// The elected leader deletes finished jobs past these every 30 s.
		CompletedJobRetentionPeriod: q.cfg.CompletedRetention,
		CancelledJobRetentionPeriod: q.cfg.CancelledRetention,
		DiscardedJobRetentionPeriod: q.cfg.DiscardedRetention,
	}
	stop, err := q.start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.stopFn = stop
	return nil
}

// Stop waits for running jobs to finish and releases the queue. Jobs still
// running when ctx ends are cancelled and handed back to the queue, to be
// retried.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.stopFn != nil {
		err = q.stopFn(ctx)
		q.stopFn = nil
	}
	if q.close != nil {
		q.close()
		q.close = nil
	}
	return err
}

// addBackupWorkers registers the backup jobs and returns their periodic ones.
func (q *Queue) addBackupWorkers(workers *river.Workers, svc *backup.Service) []*river.PeriodicJob {
	river.AddWorker(workers, &backupWorker{svc: svc})
	river.AddWorker(workers, &replicateWorker{svc: svc})
	river.AddWorker(workers, &scheduleWorker{q: q})
	river.AddWorker(workers, &catchUpWorker{q: q})
	river.AddWorker(workers, &pruneWorker{svc: svc})
	window := q.cfg.Window
	return []*river.PeriodicJob{
		river.NewPeriodicJob(dailyAt(window.Start), func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindSchedule}),
		river.NewPeriodicJob(dailyAt(window.Start+window.Length), func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindPrune}),
		river.NewPeriodicJob(river.PeriodicInterval(q.cfg.CatchUpEvery), func() (river.JobArgs, *river.InsertOpts) { return CatchUpArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindCatchUp, RunOnStart: true}),
	}
}

// addTenantWorkers registers the per-tenant jobs and returns their periodic
// fan-outs. They run on start too, so a restarted node catches up at once.
func (q *Queue) addTenantWorkers(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &fanOutWorker[MaintainAllArgs]{q: q, spread: q.cfg.MaintainEvery / 6,
		job: func(t string) river.JobArgs { return MaintainArgs{Tenant: t} }})
	river.AddWorker(workers, &maintainWorker{q: q})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(q.cfg.MaintainEvery), func() (river.JobArgs, *river.InsertOpts) {
			return MaintainAllArgs{}, &river.InsertOpts{Queue: tenantQueue}
		}, &river.PeriodicJobOpts{ID: KindMaintainAll, RunOnStart: true}),
	}
	if q.cfg.Mail != nil && q.cfg.Registry != nil {
		// Mail is due at once: no spread beyond the one-minute period.
		river.AddWorker(workers, &fanOutWorker[MailAllArgs]{q: q, job: func(t string) river.JobArgs { return MailArgs{Tenant: t} }})
		river.AddWorker(workers, &mailWorker{q: q})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(q.cfg.MailEvery), func() (river.JobArgs, *river.InsertOpts) {
			return MailAllArgs{}, &river.InsertOpts{Queue: tenantQueue}
		}, &river.PeriodicJobOpts{ID: KindMailAll, RunOnStart: true}))
	}
	return periodic
}

// dailyAt fires once a day at offset past midnight UTC.
type dailyAt time.Duration

func (d dailyAt) Next(current time.Time) time.Time {
	return backup.NextWindowStart(current.Add(time.Second), time.Duration(d)%(24*time.Hour))
}
