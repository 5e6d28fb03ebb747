-- Every step is a run: `detail` holds what a step records beyond the rewrite columns (JSON
-- text; a snapshot's id and report, sync and verify counts). Snapshot runs recorded before this
-- kept their id in to_prefix and their report in counts: both move into detail.
-- MySQL commits DDL at once, so the column is added only when missing: a run of this file cut
-- short after the ALTER can be run again.
SET @ghost_migrate_ddl = (
    SELECT IF(COUNT(*) = 0, 'ALTER TABLE ghost_migrate_runs ADD COLUMN detail LONGTEXT', 'DO 0')
      FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ghost_migrate_runs' AND COLUMN_NAME = 'detail'
);
PREPARE ghost_migrate_stmt FROM @ghost_migrate_ddl;
EXECUTE ghost_migrate_stmt;
DEALLOCATE PREPARE ghost_migrate_stmt;
SET @ghost_migrate_ddl = NULL;
UPDATE ghost_migrate_runs
   SET detail = CASE
           WHEN NOT COALESCE(JSON_VALID(counts), 0) THEN JSON_OBJECT('snapshot_id', to_prefix)
           WHEN JSON_TYPE(counts) = 'OBJECT' THEN JSON_SET(counts, '$.snapshot_id', to_prefix)
           ELSE JSON_OBJECT('snapshot_id', to_prefix)
       END,
       to_prefix = NULL,
       counts = NULL
 WHERE kind = 'snapshot' AND detail IS NULL;
