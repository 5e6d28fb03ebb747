-- Every step is a run: `detail` holds what a step records beyond the rewrite columns (JSON
-- text; a snapshot's id and report, sync and verify counts). Snapshot runs recorded before this
-- kept their id in to_prefix and their report in counts: both move into detail.
ALTER TABLE ghost_migrate_runs ADD COLUMN detail TEXT;
UPDATE ghost_migrate_runs
   SET detail = CASE
           WHEN NOT COALESCE(json_valid(counts), 0) THEN json_object('snapshot_id', to_prefix)
           WHEN json_type(counts) = 'object' THEN json_set(counts, '$.snapshot_id', to_prefix)
           ELSE json_object('snapshot_id', to_prefix)
       END,
       to_prefix = NULL,
       counts = NULL
 WHERE kind = 'snapshot' AND detail IS NULL;
