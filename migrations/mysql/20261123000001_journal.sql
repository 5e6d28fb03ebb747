-- ghost-migrate's journal: one row per run, one row per changed cell (full old value, hash of the new one).
CREATE TABLE ghost_migrate_runs (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at VARCHAR(32) NOT NULL,
    finished_at VARCHAR(32),
    tool_version VARCHAR(32) NOT NULL,
    args LONGTEXT NOT NULL,
    from_prefix TEXT,
    to_prefix TEXT,
    db_identity VARCHAR(191) NOT NULL,
    rolls_back VARCHAR(40),
    rolled_back_by VARCHAR(40),
    rows_changed BIGINT NOT NULL DEFAULT 0,
    cells_changed BIGINT NOT NULL DEFAULT 0,
    occurrences BIGINT NOT NULL DEFAULT 0,
    counts LONGTEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE ghost_migrate_changes (
    run_id VARCHAR(40) NOT NULL,
    seq BIGINT NOT NULL,
    table_name VARCHAR(64) NOT NULL,
    row_id VARCHAR(191) NOT NULL,
    column_name VARCHAR(64) NOT NULL,
    old_value LONGTEXT,
    new_sha256 CHAR(64) NOT NULL,
    PRIMARY KEY (run_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
