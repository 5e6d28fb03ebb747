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
