-- +goose Up
-- The tenant's audit log, owned by internal/audit: append-only and hash-chained.
-- id is assigned by the log (previous id + 1), so two appends that raced past the
-- log's serialisation would collide on the key instead of forking the chain.
-- at_us is Unix microseconds, UTC. hash = SHA-256(prev_hash || canonical row).
CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY,
    at_us       BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    BIGINT NOT NULL,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    model       TEXT NOT NULL,
    record_id   BIGINT NOT NULL,
    address     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL UNIQUE
);
CREATE INDEX audit_log_record ON audit_log (model, record_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The database itself refuses to change or remove an entry: triggers hold for
-- every role (and survive a restore, which replays the schema without grants),
-- and the role running this migration — the tenant's own role in production —
-- keeps only INSERT and SELECT. (A superuser is not bound by grants; the
-- triggers still stop it.)
-- +goose StatementBegin
CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse();
