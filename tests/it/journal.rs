//! Journal and rollback: chains of runs, conflicts, rollback of a rollback, damaged or foreign
//! journals, on SQLite and MariaDB.

use crate::common::*;

const B: &str = "https://cdn-b.example.com/content/images/";
const C: &str = "https://cdn-c.example.com/content/images/";

fn rewrite(db: &str, from: &str, to: &str) -> String {
    let o = run(&[
        "rewrite",
        "--db",
        db,
        "--site-url",
        SITE,
        "--from",
        from,
        "--to",
        to,
        "--yes",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    json(&o)["run_id"].as_str().unwrap().to_string()
}

fn rollback(db: &str, id: &str, extra: &[&str]) -> std::process::Output {
    let mut a = vec!["rollback", "--db", db, id, "--json"];
    a.extend_from_slice(extra);
    run(&a)
}

fn chain_story(db: &str) {
    let original = dump(db);
    let ab = rewrite(db, FROM, B);
    let after_ab = dump(db);
    let bc = rewrite(db, B, C);

    // Rolling back the first while the second stands: conflicts, never corruption.
    let dry = rollback(db, &ab, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(1));
    let r = json(&dry);
    let n = r["conflicts"].as_array().unwrap().len();
    assert!(
        n > 20,
        "every cell the second run changed is a conflict ({n})"
    );
    assert_eq!(r["restorable"], 0);
    let posts_conflict = r["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == "posts" && c["column"] == "html")
        .expect("a posts.html conflict");
    assert!(
        posts_conflict["post"].as_str().unwrap().contains('('),
        "title (slug)"
    );
    let real = rollback(db, &ab, &["--yes"]);
    assert_eq!(real.status.code(), Some(2));
    assert!(stderr(&real).contains("--skip-conflicts"));
    assert_eq!(
        count_in(&dump(db), "cdn-c.example.com"),
        count_in(&dump(db), "cdn-c.example.com")
    );

    // In reverse order: back to the original, byte for byte.
    assert_eq!(rollback(db, &bc, &["--yes"]).status.code(), Some(0));
    assert_eq!(dump(db), after_ab);
    // Rolling back the same run twice is refused.
    let twice = rollback(db, &bc, &["--yes"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("already rolled back"));
    let o = rollback(db, &ab, &["--yes"]);
    assert_eq!(o.status.code(), Some(0));
    let rb_id = json(&o)["new_run_id"].as_str().unwrap().to_string();
    assert_eq!(dump(db), original);

    // A rollback is a run: rolling it back re-applies A->B exactly.
    assert_eq!(rollback(db, &rb_id, &["--yes"]).status.code(), Some(0));
    assert_eq!(dump(db), after_ab);
    // ... after which A->B itself can be rolled back again.
    assert_eq!(rollback(db, &ab, &["--yes"]).status.code(), Some(0));
    assert_eq!(dump(db), original);

    let runs = json(&run(&["runs", "--db", db, "--json"]));
    assert_eq!(runs["runs"].as_array().unwrap().len(), 6);
    let show = run(&["runs", "show", &ab, "--db", db]);
    assert_eq!(show.status.code(), Some(0));
    assert!(stdout(&show).contains("posts.html"));
}

#[test]
fn sqlite_chain_and_rollbacks() {
    let (_d, db) = sqlite_copy();
    chain_story(&db);
}

#[test]
fn mariadb_chain_and_rollbacks() {
    let Some(my) = MyDb::new() else { return };
    chain_story(&my.url);
}

fn conflict_story(db: &str) {
    let original = dump(db);
    let id = rewrite(db, FROM, B);
    // An author edits one post after the run.
    exec(
        db,
        "UPDATE posts SET html = 'edited by an author' WHERE id = (SELECT id FROM (SELECT id FROM posts WHERE feature_image LIKE 'https://cdn-b%' ORDER BY id LIMIT 1) x)",
    );
    let edited = dump(db);
    let dry = rollback(db, &id, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(1));
    let r = json(&dry);
    let c = r["conflicts"].as_array().unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["table"], "posts");
    assert_eq!(c[0]["column"], "html");
    assert_eq!(dump(db), edited, "a dry run writes nothing");
    let o = rollback(db, &id, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(dump(db), edited, "a refused rollback writes nothing");
    let o = rollback(db, &id, &["--yes", "--skip-conflicts"]);
    assert_eq!(o.status.code(), Some(3));
    let now = dump(db);
    assert_eq!(count_in(&now, "cdn-b.example.com"), 0);
    assert_eq!(
        count_in(&now, "edited by an author"),
        1,
        "the newer edit is kept"
    );
    // Everything but the edited cell is back to the original.
    assert_eq!(rows_differing(&original, &now), 1);
}

#[test]
fn sqlite_conflicts() {
    let (_d, db) = sqlite_copy();
    conflict_story(&db);
}

#[test]
fn mariadb_conflicts() {
    let Some(my) = MyDb::new() else { return };
    conflict_story(&my.url);
}

#[test]
fn bad_journal_input_is_refused() {
    let (_d, db) = sqlite_copy();
    // No journal yet.
    let o = rollback(&db, "gm-nope", &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no ghost-migrate journal"));
    let id = rewrite(&db, FROM, B);
    // Unknown run id.
    let o = rollback(&db, "gm-nope", &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no run \"gm-nope\""));
    // A journal from a different database (db_hash differs).
    exec(
        &db,
        "UPDATE settings SET value = 'another-db' WHERE key = 'db_hash'",
    );
    let before = dump(&db);
    let o = rollback(&db, &id, &["--yes"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("another Ghost database"));
    assert_eq!(dump(&db), before);
    exec(
        &db,
        "UPDATE settings SET value = (SELECT db_identity FROM ghost_migrate_runs LIMIT 1) WHERE key = 'db_hash'",
    );
    // A damaged journal: a change row is missing.
    exec(
        &db,
        &format!("DELETE FROM ghost_migrate_changes WHERE run_id = '{id}' AND seq = 1"),
    );
    let before = dump(&db);
    let o = rollback(&db, &id, &["--yes"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("journal is damaged"));
    assert_eq!(dump(&db), before);
    // An unfinished run blocks new rewrites.
    exec(
        &db,
        &format!("UPDATE ghost_migrate_runs SET status = 'running' WHERE id = '{id}'"),
    );
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        B,
        "--to",
        C,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("unfinished"));
    // A journal written by a newer ghost-migrate.
    exec(
        &db,
        "INSERT INTO ghost_migrate_schema VALUES (99990101000000, 'future', 'x', 'now')",
    );
    let o = run(&["runs", "--db", &db]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("newer than this ghost-migrate"));
}

/// Long old values are journalled compressed; MySQL's UNCOMPRESS() reads them back, a journal
/// written before compression existed (old_value only) still rolls back, and a damaged
/// compressed value is refused with nothing written.
fn compressed_story(db: &str, mysql: bool) {
    let original = dump(db);
    let id = rewrite(db, FROM, B);
    let count = |w: &str| {
        scalar(
            db,
            &format!("SELECT COUNT(*) FROM ghost_migrate_changes WHERE run_id = '{id}' AND {w}"),
        )
        .unwrap()
    };
    // posts.html of the fixture is longer than 1 KiB: compressed; feature images are not.
    assert_ne!(count("old_zlib IS NOT NULL AND old_value IS NULL"), "0");
    assert_ne!(count("old_zlib IS NULL AND old_value IS NOT NULL"), "0");
    assert_eq!(count("old_zlib IS NULL AND old_value IS NULL"), "0");
    if mysql {
        // Plain SQL reads the old html back: it is the stored html before the run.
        let sql = format!(
            "SELECT HEX(UNCOMPRESS(old_zlib)) FROM ghost_migrate_changes WHERE run_id = '{id}' AND table_name = 'posts' AND column_name = 'html' AND old_zlib IS NOT NULL ORDER BY seq LIMIT 1"
        );
        let old = unhex(&scalar(db, &sql)).unwrap();
        assert!(old.contains("__GHOST_URL__/content/images/"), "{old}");
        let originals: Vec<String> = all_text(&original)
            .into_iter()
            .filter(|(t, _)| t == "posts")
            .map(|(_, v)| v)
            .collect();
        assert!(originals.contains(&old));
        // A journal as the first schema wrote it: every old value as text.
        exec(
            db,
            &format!(
                "UPDATE ghost_migrate_changes SET old_value = UNCOMPRESS(old_zlib), old_zlib = NULL WHERE run_id = '{id}' AND old_zlib IS NOT NULL AND seq % 2 = 0"
            ),
        );
    }
    let o = rollback(db, &id, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(dump(db), original, "rolled back byte for byte");
    // Damage one compressed value of a new run: refused, nothing written.
    let id = rewrite(db, FROM, B);
    let seq = scalar(
        db,
        &format!("SELECT MAX(seq) FROM ghost_migrate_changes WHERE run_id = '{id}' AND old_zlib IS NOT NULL"),
    )
    .unwrap();
    let cut = if mysql {
        "LEFT(old_zlib, 40)"
    } else {
        "substr(old_zlib, 1, 40)"
    };
    exec(
        db,
        &format!(
            "UPDATE ghost_migrate_changes SET old_zlib = {cut} WHERE run_id = '{id}' AND seq = {seq}"
        ),
    );
    let before = dump(db);
    let o = rollback(db, &id, &["--yes"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("journal is damaged"), "{}", stderr(&o));
    assert_eq!(dump(db), before);
}

#[test]
fn sqlite_compressed_old_values() {
    let (_d, db) = sqlite_copy();
    compressed_story(&db, false);
}

#[test]
fn mariadb_compressed_old_values() {
    let Some(my) = MyDb::new() else { return };
    compressed_story(&my.url, true);
}

/// The journal exactly as ghost-migrate made it before `detail` existed: the first two
/// migration files run, `ghost_migrate_schema` filled as `ensure` filled it then (checksum the
/// SHA-384 of the file), and a snapshot recorded the old way (id in `to_prefix`, report in
/// `counts`).
fn old_journal(db: &str, mysql: bool) {
    use sha2::Digest;
    let (dir, long) = if mysql {
        (
            "mysql",
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        )
    } else {
        ("sqlite", "")
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    exec(
        db,
        &format!(
            "CREATE TABLE ghost_migrate_schema (version BIGINT NOT NULL PRIMARY KEY, description VARCHAR(191) NOT NULL, checksum VARCHAR(128) NOT NULL, applied_at VARCHAR(32) NOT NULL){long}"
        ),
    );
    for (file, words) in [
        ("20261123000001_journal.sql", "journal"),
        (
            "20261203000001_compressed_old_values.sql",
            "compressed old values",
        ),
    ] {
        let sql = std::fs::read_to_string(root.join(file)).unwrap();
        exec(db, &sql);
        let sum = hex::encode(sha2::Sha384::digest(sql.as_bytes()));
        let version = file.split('_').next().unwrap();
        exec(
            db,
            &format!(
                "INSERT INTO ghost_migrate_schema VALUES ({version}, '{words}', '{sum}', '2026-12-04T10:00:00Z')"
            ),
        );
    }
    let identity = scalar(db, "SELECT value FROM settings WHERE `key` = 'db_hash'").unwrap();
    exec(
        db,
        &format!(
            "INSERT INTO ghost_migrate_runs (id, kind, status, started_at, finished_at, tool_version, args, to_prefix, db_identity, counts) VALUES ('gm-20261204-100000-aaaaaa', 'snapshot', 'applied', '2026-12-04T10:00:00Z', '2026-12-04T10:00:00Z', '0.1.0', 'ghost-migrate snapshot', '/backups/ghost-1.db', '{identity}', '{{\"kind\":\"sqlite\",\"backup\":\"/backups/ghost-1.db\",\"bytes\":4096}}')"
        ),
    );
}

fn schema_versions(db: &str) -> String {
    rt().block_on(async {
        let mut conn = connect(db).await;
        conn.rows(
            "SELECT version FROM ghost_migrate_schema ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect::<Vec<_>>()
        .join(",")
    })
}

/// A journal made by the previous ghost-migrate is read as it is (reading never upgrades), is
/// upgraded by the next writing step, its snapshot's id moves from `to_prefix` into `detail`,
/// `runs` shows the same `to` and `counts` before and after, and the upgrade is idempotent.
fn upgrade_story(db: &str, mysql: bool) {
    use ghost_migrate::journal;
    old_journal(db, mysql);
    let old = "20261123000001,20261203000001";
    // SQLite also records the journal mode an apply switched from (20261205000002).
    let new = if mysql {
        "20261123000001,20261203000001,20261205000001,20261206000001"
    } else {
        "20261123000001,20261203000001,20261205000001,20261205000002,20261206000001"
    };
    let snap_id = "gm-20261204-100000-aaaaaa";
    let before = json(&run(&["runs", "--db", db, "--json"]));
    let snap = &before["runs"][0];
    assert_eq!(snap["to"], "/backups/ghost-1.db");
    assert_eq!(snap["counts"]["backup"], "/backups/ghost-1.db");
    assert_eq!(snap["counts"]["bytes"], 4096);
    assert!(snap["detail"].is_null());
    let o = run(&["runs", "show", snap_id, "--db", db]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown_before = stdout(&o);
    assert_eq!(schema_versions(db), old, "reading does not upgrade");

    // The next writing step upgrades the journal.
    rt().block_on(async {
        let mut c = connect(db).await;
        let id = journal::record_step(
            &mut c,
            "verify",
            "ghost-migrate verify",
            &serde_json::json!({"checked": 3, "missing": 0}),
            journal::StepStatus::Applied,
        )
        .await
        .unwrap();
        assert!(id.is_some());
    });
    assert_eq!(schema_versions(db), new);
    assert_eq!(
        scalar(
            db,
            &format!("SELECT COUNT(*) FROM ghost_migrate_runs WHERE id = '{snap_id}' AND to_prefix IS NULL AND counts IS NULL AND detail IS NOT NULL")
        )
        .as_deref(),
        Some("1"),
        "the snapshot id left to_prefix"
    );
    let detail: serde_json::Value = serde_json::from_str(
        &unhex(&scalar(
            db,
            &format!("SELECT HEX(detail) FROM ghost_migrate_runs WHERE id = '{snap_id}'"),
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        detail,
        serde_json::json!({"kind": "sqlite", "backup": "/backups/ghost-1.db", "bytes": 4096, "snapshot_id": "/backups/ghost-1.db"})
    );
    let after = json(&run(&["runs", "--db", db, "--json"]));
    let snap = &after["runs"][0];
    assert_eq!(snap["id"], snap_id);
    assert_eq!(snap["to"], "/backups/ghost-1.db", "runs shows the same to");
    assert_eq!(snap["counts"], detail);
    assert_eq!(snap["detail"], detail);
    let o = run(&["runs", "show", snap_id, "--db", db]);
    assert_eq!(stdout(&o), shown_before, "runs show prints the same");
    let o = rollback(db, snap_id, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("records a snapshot"));

    // Idempotent: ensure again changes nothing; the MySQL file runs again even after its ALTER
    // committed (a run cut short before the schema row was written).
    let runs_now = dump_runs(db);
    rt().block_on(async {
        let mut c = connect(db).await;
        journal::ensure(&mut c).await.unwrap();
        assert!(journal::check(&mut c).await.unwrap());
    });
    assert_eq!(schema_versions(db), new);
    assert_eq!(dump_runs(db), runs_now);
    if mysql {
        exec(
            db,
            "DELETE FROM ghost_migrate_schema WHERE version = 20261205000001",
        );
        rt().block_on(async {
            let mut c = connect(db).await;
            journal::ensure(&mut c).await.unwrap();
        });
        assert_eq!(schema_versions(db), new);
        assert_eq!(dump_runs(db), runs_now);
    }
    // A rewrite on the upgraded journal, and a snapshot recorded the new way.
    let id = rewrite(db, FROM, B);
    assert_eq!(
        json(&run(&["runs", "show", &id, "--db", db, "--json"]))["run"]["detail"],
        serde_json::Value::Null
    );
    let new_snap = rt().block_on(async {
        let mut c = connect(db).await;
        journal::record_snapshot(
            &mut c,
            "rds:ghost-before",
            &serde_json::json!({"snapshot_id": "rds:ghost-before", "status": "available"}),
            "ghost-migrate snapshot",
        )
        .await
        .unwrap()
        .unwrap()
    });
    assert_eq!(
        scalar(
            db,
            &format!("SELECT COUNT(*) FROM ghost_migrate_runs WHERE id = '{new_snap}' AND to_prefix IS NULL AND counts IS NULL")
        )
        .as_deref(),
        Some("1")
    );
    let shown = json(&run(&["runs", "show", &new_snap, "--db", db, "--json"]));
    assert_eq!(shown["run"]["to"], "rds:ghost-before");
    assert_eq!(shown["run"]["detail"]["status"], "available");
    assert_eq!(shown["run"]["counts"], shown["run"]["detail"]);
}

fn dump_runs(db: &str) -> Vec<Vec<Option<String>>> {
    rt().block_on(async {
        let mut c = connect(db).await;
        c.rows(
            "SELECT id, kind, status, to_prefix, counts, detail FROM ghost_migrate_runs ORDER BY id",
            &[],
        )
        .await
        .unwrap()
    })
}

#[test]
fn sqlite_journal_upgrade() {
    let (_d, db) = sqlite_copy();
    upgrade_story(&db, false);
}

#[test]
fn mariadb_journal_upgrade() {
    let Some(my) = MyDb::new() else { return };
    upgrade_story(&my.url, true);
}

/// Steps that change no cell: recorded only where a journal exists, read back whole, never
/// "unfinished", never rolled back; `last_finished` finds the last step that finished well in
/// this database.
fn step_story(db: &str) {
    use ghost_migrate::journal::{self, StepStatus};
    let detail = serde_json::json!({"bucket": "b", "checked": 12, "missing": ["images/a.png"]});
    rt().block_on(async {
        let mut c = connect(db).await;
        // No journal: nothing recorded, no table created.
        let none = journal::record_step(&mut c, "verify", "a", &detail, StepStatus::Applied)
            .await
            .unwrap();
        assert!(none.is_none());
        assert!(!journal::check(&mut c).await.unwrap());
        assert!(
            journal::last_finished(&mut c, "verify")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            journal::record_step(
                &mut c,
                "a-kind-far-too-long",
                "a",
                &detail,
                StepStatus::Applied
            )
            .await
            .is_err()
        );
    });
    let rewrite_id = rewrite(db, FROM, B);
    let (failed, first, second) = rt().block_on(async {
        let mut c = connect(db).await;
        let failed = journal::record_step(
            &mut c,
            "verify",
            "ghost-migrate verify --bucket b",
            &detail,
            StepStatus::Failed,
        )
        .await
        .unwrap()
        .unwrap();
        let run = journal::get_run(&mut c, &failed).await.unwrap();
        assert_eq!(run.kind, "verify");
        assert_eq!(run.status, "failed");
        assert_eq!(run.args, "ghost-migrate verify --bucket b");
        assert_eq!(run.detail.as_ref(), Some(&detail));
        assert_eq!(run.finished_at.as_deref(), Some(run.started_at.as_str()));
        assert_eq!(run.tool_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(run.db_identity, journal::db_identity(&mut c).await.unwrap());
        assert!((run.from.is_none() && run.to.is_none() && run.counts.is_none()));
        // A failed step finished: it blocks no rewrite, and is not where a runbook resumes.
        assert!(journal::unfinished(&mut c).await.unwrap().is_none());
        assert!(
            journal::last_finished(&mut c, "verify")
                .await
                .unwrap()
                .is_none()
        );
        let first = journal::record_step(&mut c, "sync-images", "s1", &detail, StepStatus::Applied)
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let second =
            journal::record_step(&mut c, "sync-images", "s2", &detail, StepStatus::Applied)
                .await
                .unwrap()
                .unwrap();
        journal::record_step(
            &mut c,
            "sync-images",
            "s3",
            &detail,
            StepStatus::Interrupted,
        )
        .await
        .unwrap()
        .unwrap();
        let last = journal::last_finished(&mut c, "sync-images")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.id, second);
        assert_eq!(last.args, "s2");
        let last = journal::last_finished(&mut c, "rewrite")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.id, rewrite_id);
        assert!(last.detail.is_none());
        assert!(
            journal::last_finished(&mut c, "snapshot")
                .await
                .unwrap()
                .is_none()
        );
        (failed, first, second)
    });
    // `runs` lists them, with their detail.
    let runs = json(&run(&["runs", "--db", db, "--json"]));
    let listed = runs["runs"].as_array().unwrap();
    assert_eq!(listed.len(), 5);
    let v = listed.iter().find(|r| r["id"] == failed.as_str()).unwrap();
    assert_eq!(v["detail"], detail);
    assert_eq!(v["status"], "failed");
    // Nothing to roll back in a step, and a new rewrite is not blocked by it.
    let o = rollback(db, &second, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nothing to roll back"),
        "{}",
        stderr(&o)
    );
    let o = rollback(db, &failed, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    let bc = rewrite(db, B, C);
    // A rolled-back rewrite no longer counts as finished; the one before it does again.
    assert_eq!(rollback(db, &bc, &["--yes"]).status.code(), Some(0));
    rt().block_on(async {
        let mut c = connect(db).await;
        let last = journal::last_finished(&mut c, "rewrite")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.id, rewrite_id);
    });
    // Rows of another database (a copied journal) are never where this one resumes.
    exec(
        db,
        &format!("UPDATE ghost_migrate_runs SET db_identity = 'another-db' WHERE id = '{second}'"),
    );
    rt().block_on(async {
        let mut c = connect(db).await;
        let last = journal::last_finished(&mut c, "sync-images")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.id, first);
    });
}

#[test]
fn sqlite_steps_recorded() {
    let (_d, db) = sqlite_copy();
    step_story(&db);
}

#[test]
fn mariadb_steps_recorded() {
    let Some(my) = MyDb::new() else { return };
    step_story(&my.url);
}
