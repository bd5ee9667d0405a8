-- +goose Up
-- One row describing this installation.
CREATE TABLE platform (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    instance_id TEXT NOT NULL,      -- short random id that prefixes PostgreSQL object names
    key_check   BLOB NOT NULL,      -- a value sealed under the master key: detects a wrong key at start
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE tenant (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('provisioning', 'active', 'suspended', 'deleted')),
    engine      TEXT NOT NULL CHECK (engine IN ('sqlite', 'postgres')),
    location    TEXT NOT NULL DEFAULT '',
    admin_email TEXT NOT NULL,
    credentials BLOB,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    deleted_at  TIMESTAMP
);
-- A name is unique among live tenants; deleted ones stay for the record.
CREATE UNIQUE INDEX tenant_live_name ON tenant (name) WHERE state <> 'deleted';

-- +goose Down
DROP TABLE tenant;
DROP TABLE platform;
