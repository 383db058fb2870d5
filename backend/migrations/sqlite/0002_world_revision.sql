-- A counter every world write bumps in its own transaction. Reading it is one tiny query, so a
-- server can keep the parsed world in memory and reload it only when the counter moved (whoever
-- wrote: this process, another instance, a test).
CREATE TABLE world_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO world_revision (id, revision) VALUES (1, 0);
