package app

import (
	"context"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/jobs"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// backupConfig is the backup service's configuration for this platform,
// creating the platform's backup identity on first use.
func (p *Platform) backupConfig(ctx context.Context) (backup.Config, error) {
	id, err := backup.PlatformIdentity(ctx, p.Control, p.Key, time.Now())
	if err != nil {
		return backup.Config{}, err
	}
	cfg := backup.Config{
		Control: p.Control, Catalogue: p.Catalogue, Storage: p.Storage, Provisioner: p.Provisioner,
		Identity: id, Sites: p.Config.BackupSites, DataDir: p.Config.DataDir, AdminURL: p.Config.DatabaseURL,
		PGBinDir:  p.Config.PGBinDir,
		Retention: backup.Retention{Daily: p.Config.BackupDaily, Weekly: p.Config.BackupWeekly},
		Log:       p.Log,
	}
	if len(p.Config.BackupRecipients) > 0 {
		if cfg.ExtraRecipients, err = archive.ParseRecipients(p.Config.BackupRecipients); err != nil {
			return backup.Config{}, fmt.Errorf("backup recipients: %w", err)
		}
	}
	return cfg, nil
}

// Backups is the backup service of a command that runs backups in the
// foreground, with the job queue on which copies that fail are queued for
// the workers to retry. Close releases the queue.
type Backups struct {
	*backup.Service
	queue *jobs.Queue
}

// Close releases the job queue: on PostgreSQL, River's own connection pool.
func (b *Backups) Close() error { return b.queue.Stop(context.Background()) }

// Backups builds the backup service for commands that run backups in the
// foreground. The caller must Close it.
func (p *Platform) Backups(ctx context.Context) (*Backups, error) {
	cfg, err := p.backupConfig(ctx)
	if err != nil {
		return nil, err
	}
	queue, err := p.jobQueue(ctx, nil)
	if err != nil {
		return nil, err
	}
	cfg.Enqueue = queue.EnqueueReplication
	svc, err := backup.New(cfg)
	if err != nil {
		queue.Stop(ctx)
		return nil, err
	}
	return &Backups{Service: svc, queue: queue}, nil
}

func (p *Platform) jobQueue(ctx context.Context, tenants jobs.TenantSource) (*jobs.Queue, error) {
	cfg := jobs.Config{Control: p.Control, DatabaseURL: p.Config.DatabaseURL, Log: p.Log,
		Window: jobs.Window{Start: p.Config.BackupWindow.Start, Length: p.Config.BackupWindow.Length}}
	if tenants != nil {
		cfg.Catalogue, cfg.Tenants, cfg.Registry = p.Catalogue, tenants, p.Registry
		sender, err := mail.New(mail.Settings{DataDir: p.Config.DataDir, SMTPURL: p.Config.SMTPURL,
			SMTPPassword: p.Config.SMTPPassword, From: p.Config.MailFrom})
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		cfg.Mail = sender
	}
	return jobs.Open(ctx, cfg)
}

// StartJobs starts the job workers (River): nightly backups spread over the
// window, replication retries, catch-up and pruning, and, through router, each
// active tenant's periodic maintenance and the delivery of its queued mail
// (SMTP with --smtp-url, else the outbox directory). The router's Evict drops a tenant's
// open database after a restore. The returned function stops the workers.
// Several nodes may run them: River shares the queue through the control
// database.
func (p *Platform) StartJobs(ctx context.Context, router *tenancy.Router) (stop func(context.Context) error, err error) {
	cfg, err := p.backupConfig(ctx)
	if err != nil {
		return nil, err
	}
	queue, err := p.jobQueue(ctx, router)
	if err != nil {
		return nil, err
	}
	cfg.Enqueue, cfg.Evict = queue.EnqueueReplication, router.Evict
	svc, err := backup.New(cfg)
	if err != nil {
		queue.Stop(ctx)
		return nil, err
	}
	if err := queue.Start(ctx, svc); err != nil {
		queue.Stop(ctx)
		return nil, err
	}
	return queue.Stop, nil
}

// warnBackupSites says loudly when backups would not leave the data centre: the
// promise is a copy in at least two distinct data centres.
func (p *Platform) warnBackupSites() {
	centres := map[string]bool{}
	for _, s := range p.Config.BackupSites {
		centres[s.DataCentre] = true
	}
	if len(centres) < 2 {
		p.Log.Warn("backups are not replicated to a second data centre: configure --backup-site NAME@DC=URL for at least two distinct DC labels",
			"sites", len(p.Config.BackupSites), "data_centres", len(centres))
	}
}
