// Package backup takes, stores, verifies, replicates, prunes and restores
// tenant backups, exports a tenant's data for its owner, and runs the
// disaster-recovery drill.
//
// A backup is one encrypted object (see package archive) holding a
// consistent snapshot of the tenant's database — VACUUM INTO on SQLite,
// pg_dump in a exported snapshot on PostgreSQL — and, for a full backup, its
// filestore. The object is written completely to a local outbox, checked by a
// test restore, recorded in the control database's catalogue, and then put on
// every configured site; a copy counts only once it has been read back with
// the expected SHA-256. Sites that are down are caught up later by the
// replication job.
//
// Object keys carry everything needed to find backups on a site without the
// catalogue (tenants/<tenant>/<id>.age, the id starting with its UTC time), so
// the drill can run on a machine that has nothing but a replica site and the
// recovery identity.
package backup
