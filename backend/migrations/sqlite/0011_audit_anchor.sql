-- The audit trail's head (last position and hash) sealed under a key derived from the master
-- key, rewritten in the same transaction as every append: entries cut off the end of the trail
-- or added outside Keyblade then show (see shared::audit::Anchor). One row, id 1. It starts as
-- a placeholder (seq -1) that the server's first start replaces by the sealed head of the trail
-- as it stands; a missing row is never replaced, so deleting it shows too.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    seal TEXT NOT NULL
);
INSERT INTO audit_anchor (id, seq, hash, seal) VALUES (1, -1, '', '');
