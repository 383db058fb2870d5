-- When each session was last used: a session idle for longer than the idle timeout ends.
ALTER TABLE sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
