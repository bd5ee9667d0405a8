package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	erpmail "github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/store"
)

// mailRunTimeout bounds one tenant's delivery run: well inside the claim a
// run holds on the mails it sends (erpmail.DeliveryConfig.Claim), so a mail is
// never claimed again while its first sender may still be sending it.
const mailRunTimeout = 10 * time.Minute

type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	q *Queue
}

func (w *mailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return mailRunTimeout }

func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	tenant := job.Args.Tenant
	log := w.q.cfg.Log.With("tenant", tenant)
	err := w.q.withTenant(ctx, tenant, func(db *store.DB) error {
		d, err := erpmail.Deliver(ctx, db, w.q.cfg.Registry, erpmail.DeliveryConfig{Sender: w.q.cfg.Mail, Log: log, Now: w.q.cfg.Now})
		if d != (erpmail.Delivery{}) {
			log.Info("mail delivery", "sent", d.Sent, "failed", d.Failed, "deferred", d.Deferred)
		}
		return err
	})
	return tenantOutcome(err)
}
