-- Device managers and their devices (device key rollover), one row each like every entity.
CREATE TABLE device_managers (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE devices (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
