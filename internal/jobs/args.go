package jobs

import "time"

// Job kinds.
const (
	KindBackup    = "backup_tenant"
	KindReplicate = "backup_replicate"
	KindSchedule  = "backup_schedule"
	KindCatchUp   = "backup_catch_up"
	KindPrune     = "backup_prune"
)

// BackupArgs backs up one tenant on one night.
type BackupArgs struct {
	Tenant     string `json:"tenant"`
	BackupKind string `json:"kind"`
	Night      string `json:"night"` // YYYY-MM-DD of the window; keeps one job per tenant and night
}

func (BackupArgs) Kind() string { return KindBackup }

// ReplicateArgs copies one backup to one site.
type ReplicateArgs struct {
	BackupID string `json:"backup_id"`
	Site     string `json:"site"`
}

func (ReplicateArgs) Kind() string { return KindReplicate }

// ScheduleArgs plans one night's backups.
type ScheduleArgs struct{}

func (ScheduleArgs) Kind() string { return KindSchedule }

// CatchUpArgs queues a replication job for every gap.
type CatchUpArgs struct{}

func (CatchUpArgs) Kind() string { return KindCatchUp }

// PruneArgs applies retention on every site.
type PruneArgs struct{}

func (PruneArgs) Kind() string { return KindPrune }

// Window is the nightly backup window (UTC).
type Window struct {
	Start  time.Duration // since midnight
	Length time.Duration
}

// Per-tenant job kinds: a periodic fan-out queues one job per active tenant.
const (
	KindMaintainAll = "tenant_maintain_all"
	KindMaintain    = "tenant_maintain"
	KindMailAll     = "mail_deliver_all"
	KindMail        = "mail_deliver"
)

// MaintainAllArgs queues a maintenance job for every active tenant.
type MaintainAllArgs struct{}

func (MaintainAllArgs) Kind() string { return KindMaintainAll }

// MaintainArgs deletes one tenant's expired credentials and stale sign-in state.
type MaintainArgs struct {
	Tenant string `json:"tenant"`
}

func (MaintainArgs) Kind() string { return KindMaintain }

// MailAllArgs queues a mail delivery job for every active tenant.
type MailAllArgs struct{}

func (MailAllArgs) Kind() string { return KindMailAll }

// MailArgs delivers one tenant's queued business mail (mail.mail).
type MailArgs struct {
	Tenant string `json:"tenant"`
}

func (MailArgs) Kind() string { return KindMail }
