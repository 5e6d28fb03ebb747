-- The journal mode a SQLite database had before an apply switched it to WAL, committed before the
-- switch and deleted once the mode is back: a row here means a run ended (kill -9, power loss,
-- or another connection holding the file) before it could switch back, and the next
-- ghost-migrate command that opens the database restores `mode` first.
CREATE TABLE ghost_migrate_journal_mode (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    mode VARCHAR(16) NOT NULL,
    switched_at VARCHAR(32) NOT NULL,
    pid INTEGER NOT NULL
);
