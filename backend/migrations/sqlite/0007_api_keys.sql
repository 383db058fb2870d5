-- API keys scripts exchange for access tokens (only a hash of each secret is stored).
CREATE TABLE api_keys (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
