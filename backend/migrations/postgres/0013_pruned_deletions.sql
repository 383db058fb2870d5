-- Deletions recorded at or before this revision may have been pruned from world_deletions: a
-- replica whose kept world is older than it reads the whole world again rather than only what
-- changed, so the table stays as small as the recent deletions.
ALTER TABLE world_revision ADD COLUMN deletions_from BIGINT NOT NULL DEFAULT 0;
