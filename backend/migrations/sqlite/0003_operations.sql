-- Long-running operations (the handles clients follow), one row each like every entity.
CREATE TABLE operations (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
