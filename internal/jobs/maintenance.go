package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/store"
)

// Cleanup counts the rows one maintenance run deleted from a tenant database.
type Cleanup struct {
	APIKeys    int64 // expired API keys
	Sessions   int64 // sessions past their lifetime or idle timeout
	Throttle   int64 // login failures and lock-outs no window needs any more
	Ceremonies int64 // expired OpenID Connect and passkey ceremonies
	// TOTPFailures are wrong second-factor codes older than the failure window.
	TOTPFailures int64
}

// MaintenanceConfig is what Maintain needs: the same session and throttle
// settings the server signs in with (zero values: the packages' defaults), so
// that nothing still alive for the server is deleted.
type MaintenanceConfig struct {
	Sessions session.Config
	Throttle throttle.Config
	// TOTPFailureWindow is how long a wrong code counts against the user;
	// zero means totp.DefaultFailureWindow, the window the server uses.
	TOTPFailureWindow time.Duration
	Now               func() time.Time
}

// Maintain deletes a tenant's expired API keys and sessions, stale login
// throttle rows, expired sign-in ceremonies and old wrong second-factor codes. Expired credentials are already
// refused when presented; this keeps the tables small and drops what is of no
// use to anyone. Every clean-up runs even when another fails; the errors are
// joined.
func Maintain(ctx context.Context, db *store.DB, cfg MaintenanceConfig) (Cleanup, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var (
		c    Cleanup
		errs []error
	)
	n, err := apikey.DeleteExpired(ctx, db, cfg.Now())
	c.APIKeys, errs = n, append(errs, err)

	scfg := cfg.Sessions
	scfg.Now = cfg.Now
	if sessions, err := session.NewStore(db, scfg); err != nil {
		errs = append(errs, err)
	} else {
		n, err := sessions.DeleteExpired(ctx)
		c.Sessions, errs = n, append(errs, err)
	}

	tcfg := cfg.Throttle
	if tcfg.Address.Failures == 0 && tcfg.Account.Failures == 0 {
		tcfg = throttle.DefaultConfig()
	}
	tcfg.Now = cfg.Now
	if th, err := throttle.New(db, tcfg); err != nil {
		errs = append(errs, err)
	} else {
		n, err := th.Prune(ctx)
		c.Throttle, errs = n, append(errs, err)
	}

	n, err = ceremony.New(db, cfg.Now).Prune(ctx)
	c.Ceremonies, errs = n, append(errs, err)

	window := cfg.TOTPFailureWindow
	if window <= 0 {
		window = totp.DefaultFailureWindow
	}
	n, err = totp.PruneFailures(ctx, db, cfg.Now().Add(-window))
	c.TOTPFailures, errs = n, append(errs, err)
	return c, errors.Join(errs...)
}

type maintainWorker struct {
	river.WorkerDefaults[MaintainArgs]
	q *Queue
}

func (w *maintainWorker) Work(ctx context.Context, job *river.Job[MaintainArgs]) error {
	tenant := job.Args.Tenant
	err := w.q.withTenant(ctx, tenant, func(db *store.DB) error {
		c, err := Maintain(ctx, db, MaintenanceConfig{Sessions: w.q.cfg.Sessions, Throttle: w.q.cfg.Throttle, Now: w.q.cfg.Now})
		log := w.q.cfg.Log.With("tenant", tenant, "api_keys", c.APIKeys, "sessions", c.Sessions,
			"throttle_rows", c.Throttle, "ceremonies", c.Ceremonies, "totp_failures", c.TOTPFailures)
		if err != nil {
			log.Warn("tenant maintenance incomplete", "attempt", job.Attempt, "error", err)
			return err
		}
		log.Info("tenant maintenance")
		return nil
	})
	return tenantOutcome(err)
}
