// Package jobs runs the platform's background work on River: nightly
// backups spread over the backup window, replication retries with backoff
// until every site holds a verified copy, a periodic catch-up for gaps, and
// pruning; and, per active tenant, the hourly clean-up of expired credentials
// and sign-in state and the delivery of queued business mail, each tenant's
// job reaching its database through the tenancy router. River keeps its
// tables in the control database (riversqlite on SQLite, riverpgxv5 on
// PostgreSQL), so several app nodes on PostgreSQL share one queue with no
// home-made coordination.
package jobs
