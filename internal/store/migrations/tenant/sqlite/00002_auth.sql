-- +goose Up
-- Identity tables owned by internal/auth. Times are Unix seconds (BIGINT) on both
-- engines so comparisons mean the same thing everywhere. User ids refer to res_users,
-- which the ORM creates from its registry, so there is no foreign key.

-- Server-side sessions: the cookie carries a random 256-bit id, only its SHA-256 is here.
CREATE TABLE auth_session (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     BLOB NOT NULL UNIQUE,
    user_id        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    client_address TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    csrf_token     BLOB NOT NULL
);
CREATE INDEX auth_session_user ON auth_session (user_id);
CREATE INDEX auth_session_expires ON auth_session (expires_at);

-- Login throttling, shared by every process reaching this database. kind is
-- 'address' or 'account'; subject is the normalised address or login.
CREATE TABLE auth_login_failure (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX auth_login_failure_subject ON auth_login_failure (kind, subject, at);

CREATE TABLE auth_lockout (
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    locked_until   BIGINT NOT NULL,
    lockouts       BIGINT NOT NULL,
    last_locked_at BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);

-- TOTP second factor: the secret is sealed under the master key, bound to tenant
-- and user; last_step is the newest accepted time step (replay refusal).
CREATE TABLE auth_totp (
    user_id       INTEGER PRIMARY KEY,
    secret_sealed BLOB NOT NULL,
    last_step     BIGINT NOT NULL,
    enabled_at    BIGINT NOT NULL
);

CREATE TABLE auth_totp_failure (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX auth_totp_failure_user ON auth_totp_failure (user_id, at);

CREATE TABLE auth_recovery_code (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   BIGINT NOT NULL,
    code_hash BLOB NOT NULL UNIQUE,
    used_at   BIGINT
);
CREATE INDEX auth_recovery_code_user ON auth_recovery_code (user_id);

-- API keys: only a hash of the key and a short clear index are stored.
CREATE TABLE auth_api_key (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    index_prefix TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    use_count    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX auth_api_key_prefix ON auth_api_key (index_prefix);
CREATE INDEX auth_api_key_user ON auth_api_key (user_id);
CREATE INDEX auth_api_key_expires ON auth_api_key (expires_at);

-- Security events for tenant admins. Never holds a password, hash, token or key.
CREATE TABLE auth_security_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    BIGINT,
    actor_id   BIGINT,
    login      TEXT NOT NULL,
    address    TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    reference  TEXT NOT NULL
);
CREATE INDEX auth_security_log_user ON auth_security_log (user_id, id);
CREATE INDEX auth_security_log_kind ON auth_security_log (kind, id);

-- +goose Down
DROP TABLE auth_security_log;
DROP TABLE auth_api_key;
DROP TABLE auth_recovery_code;
DROP TABLE auth_totp_failure;
DROP TABLE auth_totp;
DROP TABLE auth_lockout;
DROP TABLE auth_login_failure;
DROP TABLE auth_session;
