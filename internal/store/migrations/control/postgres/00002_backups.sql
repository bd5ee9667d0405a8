-- +goose Up
-- The platform's age identity, sealed under the master key; backups are
-- encrypted to its recipient (and to any extra recipients configured).
CREATE TABLE backup_key (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    recipient       TEXT NOT NULL,
    identity_sealed BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

-- One row per complete backup object. Written only once the object exists in
-- full; verified_at is set when a test restore succeeded, verify_error when it
-- failed.
CREATE TABLE backup (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    tenant_id      BIGINT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('db', 'full')),
    engine         TEXT NOT NULL,
    object_key     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    verified_at    TIMESTAMPTZ,
    verify_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX backup_tenant_created ON backup (tenant, created_at);

-- Where each backup is stored. verified_at is set only after the object was
-- read back from the site and its SHA-256 matched.
CREATE TABLE backup_copy (
    backup_id    TEXT NOT NULL REFERENCES backup (id) ON DELETE CASCADE,
    site         TEXT NOT NULL,
    data_centre  TEXT NOT NULL,
    verified_at  TIMESTAMPTZ,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (backup_id, site)
);

-- Customer exports and the remaining uses of their download link.
CREATE TABLE backup_export (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    tenant_id   BIGINT NOT NULL,
    file        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    uses_left   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE backup_export;
DROP TABLE backup_copy;
DROP TABLE backup;
DROP TABLE backup_key;
