-- Stamps (seed 003): their internal secrets, external endpoint certificates, alerts and
-- rotation state, each secret value sealed under the master key.
CREATE TABLE stamps (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
