-- `ghost-migrate run`: one row per step of a runbook run. A step is written `started` (with the
-- parameters it runs with) before it does anything, and `finished` or `failed` after; a re-run
-- of the same plan file (same SHA-256) resumes after the last finished step.
CREATE TABLE IF NOT EXISTS ghost_migrate_runbook (
    runbook_id VARCHAR(40) NOT NULL,
    seq INTEGER NOT NULL,
    step VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    plan_sha256 CHAR(64) NOT NULL,
    plan_path TEXT NOT NULL,
    started_at VARCHAR(32) NOT NULL,
    finished_at VARCHAR(32),
    detail TEXT,
    PRIMARY KEY (runbook_id, step)
);
