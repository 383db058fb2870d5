-- See ../sqlite/0002_world_revision.sql. Every writing transaction updates this row first, so
-- its row lock orders writers the way SQLite's write lock does.
CREATE TABLE world_revision (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO world_revision (id, revision) VALUES (1, 0);
