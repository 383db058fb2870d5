-- Master keys (each wrapped: under the root key, or by an external key provider) and the
-- key providers that can keep them. Sealed values now name their master key.
CREATE TABLE master_keys (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE key_providers (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
