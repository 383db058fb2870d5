-- Access control: the directory of human accounts (their passwords stay in `accounts`) and who
-- holds which role at which scope.
CREATE TABLE user_accounts    (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE role_assignments (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL);
