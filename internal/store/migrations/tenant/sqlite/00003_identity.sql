-- +goose Up
-- Identity tables owned by internal/identity and the external sign-in packages
-- (internal/auth/oidc, ldap, passkey). Times are Unix seconds. User ids refer to
-- res_users, created by the ORM, so there is no foreign key.

-- Reset mails sent per user: the times of the three latest, oldest first, so one
-- conditional update allows at most 3 per sliding hour, also across processes.
CREATE TABLE auth_reset_mail (
    user_id INTEGER PRIMARY KEY,
    sent_1  BIGINT NOT NULL DEFAULT 0,
    sent_2  BIGINT NOT NULL DEFAULT 0,
    sent_3  BIGINT NOT NULL DEFAULT 0
);

-- Short-lived, single-use ceremony state (OpenID Connect redirects, passkey
-- challenges). The handle given to the browser is stored only as its SHA-256, and
-- binding_hash ties the ceremony to the browser that started it.
CREATE TABLE auth_ceremony (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    handle_hash  BLOB NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    user_id      BIGINT,
    provider_id  BIGINT,
    binding_hash BLOB NOT NULL,
    data         BLOB NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX auth_ceremony_expires ON auth_ceremony (expires_at);

-- External identity providers configured by the tenant's administrator. settings is
-- JSON without secrets; secret_sealed is the client secret or bind password, sealed
-- under the operator's master key and bound to tenant and provider.
CREATE TABLE auth_provider (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    enabled       INTEGER NOT NULL,
    settings      TEXT NOT NULL,
    secret_sealed BLOB,
    create_users  INTEGER NOT NULL,
    default_group TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Which provider subject is which user.
CREATE TABLE auth_external_identity (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id   BIGINT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    UNIQUE (provider_id, subject)
);
CREATE INDEX auth_external_identity_user ON auth_external_identity (user_id);

-- Passkeys (WebAuthn credentials). handle is the random user handle given to
-- authenticators; credential is the library's JSON of the public key, counters and
-- flags (nothing secret).
CREATE TABLE auth_passkey_user (
    user_id INTEGER PRIMARY KEY,
    handle  BLOB NOT NULL UNIQUE
);

CREATE TABLE auth_passkey (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX auth_passkey_user_id ON auth_passkey (user_id);

-- +goose Down
DROP TABLE auth_passkey;
DROP TABLE auth_passkey_user;
DROP TABLE auth_external_identity;
DROP TABLE auth_provider;
DROP TABLE auth_ceremony;
DROP TABLE auth_reset_mail;
