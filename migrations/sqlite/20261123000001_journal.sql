-- ghost-migrate's journal: one row per run, one row per changed cell (full old value, hash of the new one).
CREATE TABLE ghost_migrate_runs (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at VARCHAR(32) NOT NULL,
    finished_at VARCHAR(32),
    tool_version VARCHAR(32) NOT NULL,
    args TEXT NOT NULL,
    from_prefix TEXT,
    to_prefix TEXT,
    db_identity VARCHAR(191) NOT NULL,
    rolls_back VARCHAR(40),
    rolled_back_by VARCHAR(40),
    rows_changed INTEGER NOT NULL DEFAULT 0,
    cells_changed INTEGER NOT NULL DEFAULT 0,
    occurrences INTEGER NOT NULL DEFAULT 0,
    counts TEXT
);
CREATE TABLE ghost_migrate_changes (
    run_id VARCHAR(40) NOT NULL,
    seq INTEGER NOT NULL,
    table_name VARCHAR(64) NOT NULL,
    row_id VARCHAR(191) NOT NULL,
    column_name VARCHAR(64) NOT NULL,
    old_value TEXT,
    new_sha256 CHAR(64) NOT NULL,
    PRIMARY KEY (run_id, seq)
);
