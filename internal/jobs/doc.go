// Package jobs runs the platform's background work on River: nightly
// backups spread over the backup window, replication retries with backoff
// until every site holds a verified copy, a periodic catch-up for gaps, and
// pruning. River keeps its tables in the control database (riversqlite on
// SQLite, riverpgxv5 on PostgreSQL), so several app nodes on PostgreSQL share
// one queue with no home-made coordination.
package jobs
