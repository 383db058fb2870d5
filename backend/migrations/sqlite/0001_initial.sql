-- One table per kind of engine entity. `body` is the entity as JSON (key material inside it is
-- already sealed by the master key); `version` is the row's optimistic-concurrency counter:
-- every write is `... WHERE id = ? AND version = ?`, so a stale writer changes nothing.
CREATE TABLE world_settings (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE tenants        (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE subscriptions  (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE resource_groups(id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE vaults         (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE import_keys    (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE identities     (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE orders         (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);

-- Sign-in. Only the argon2 hash of a password and the SHA-256 of a session token are kept.
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A value sealed under the master key at first start: opening it at every start proves the
-- configured master key is the one the data was sealed with.
CREATE TABLE master_key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
