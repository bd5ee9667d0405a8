-- +goose Up
-- The tenant's audit log, owned by internal/audit: append-only and hash-chained.
-- id is assigned by the log (previous id + 1), so two appends that raced past the
-- log's serialisation would collide on the key instead of forking the chain.
-- at_us is Unix microseconds, UTC. hash = SHA-256(prev_hash || canonical row).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at_us       BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    BIGINT NOT NULL,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    model       TEXT NOT NULL,
    record_id   BIGINT NOT NULL,
    address     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL UNIQUE
);
CREATE INDEX audit_log_record ON audit_log (model, record_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The database itself refuses to change or remove an entry.
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
