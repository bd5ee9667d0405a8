// Package backup takes, stores, verifies, replicates, prunes and restores
// tenant backups, exports a tenant's data for its owner, and runs the
// disaster-recovery drill.
//
// A backup is one encrypted object (see package archive) holding a
// consistent snapshot of the tenant's database — its pages read through
// sqlite_dbpage in one read transaction on SQLite, pg_dump in an exported
// snapshot on PostgreSQL — and, for a full backup, its filestore. The object
// is made in one streaming pass: the snapshot goes through tar, zstd and age,
// hashed on the way, into a local outbox and at the same time onto every file
// site and into a test restore. It is recorded in the control database's
// catalogue once complete, and only then do the sites' copies complete; a
// copy counts only once it has been read back with the expected SHA-256.
// Remote sites get their copy from the outbox afterwards; sites that are
// down are caught up later by the replication job.
//
// Object keys carry everything needed to find backups on a site without the
// catalogue (tenants/<tenant>/<id>.age, the id starting with its UTC time), so
// the drill can run on a machine that has nothing but a replica site and the
// recovery identity.
package backup
