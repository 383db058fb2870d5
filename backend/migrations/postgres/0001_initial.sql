-- The PostgreSQL form of ../sqlite/0001_initial.sql: the same tables, columns and constraints.
-- Integers are BIGINT, the width the store reads them at (SQLite's INTEGER is 64-bit already).
CREATE TABLE world_settings (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE tenants        (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE subscriptions  (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE resource_groups(id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE vaults         (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE import_keys    (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE identities     (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);
CREATE TABLE orders         (id TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL);

CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE master_key_check (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
