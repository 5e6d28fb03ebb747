//! SQLite journal mode around an apply: the apply switches a rollback-journal file to WAL (to
//! read on a second connection while it writes) and must leave it exactly as it found it, after
//! a normal run, after a refused one, after a kill -9 (the next command restores it), and must
//! fall back to one connection when the switch is not possible. Asserted on the file itself:
//! its header's read/write version bytes, `PRAGMA journal_mode`, the `-wal` file, the record
//! table and the rows.

use crate::common::*;
use ghost_migrate::db::P;
use std::io::BufRead;
use std::time::Duration;

const B: &str = "https://cdn-b.example.com/content/images/";

/// The file header's write and read version bytes (offsets 18 and 19): 1 for a rollback
/// journal, 2 for WAL. Read from the file, without opening a connection.
fn header_versions(db: &str) -> (u8, u8) {
    let b = std::fs::read(db).unwrap();
    (b[18], b[19])
}

fn wal_file(db: &str) -> bool {
    std::path::Path::new(&format!("{db}-wal")).exists()
}

/// `PRAGMA journal_mode` on a fresh connection (closed before returning).
fn journal_mode(db: &str) -> String {
    scalar(db, "PRAGMA journal_mode").unwrap()
}

/// The recorded mode, or None when the record table is missing or empty.
fn recorded_mode(db: &str) -> Option<String> {
    rt().block_on(async {
        let mut c = connect(db).await;
        let v = c
            .scalar(
                "SELECT mode FROM ghost_migrate_journal_mode WHERE id = 1",
                &[],
            )
            .await
            .ok()
            .flatten();
        c.close().await.unwrap();
        v
    })
}

/// The file is in rollback-journal mode, as the fixture is, with nothing left over.
fn assert_rollback_mode(db: &str) {
    assert_eq!(header_versions(db), (1, 1), "header says WAL");
    assert!(!wal_file(db), "a -wal file is left");
    assert_eq!(journal_mode(db), "delete");
    assert_eq!(recorded_mode(db), None, "the mode record is left");
}

fn apply(db: &str, to: &str, extra: &[&str]) -> std::process::Output {
    let mut a = vec![
        "rewrite",
        "--db",
        db,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        to,
        "--yes",
        "--json",
    ];
    a.extend_from_slice(extra);
    run_wal(&a)
}

/// `run` with WAL mode asked for (`GHOST_MIGRATE_SQLITE_WAL=1`; one connection is the default).
fn run_wal(args: &[&str]) -> std::process::Output {
    let out = bin()
        .env("GHOST_MIGRATE_SQLITE_WAL", "1")
        .args(args)
        .output()
        .expect("run ghost-migrate");
    eprintln!(
        "$ GHOST_MIGRATE_SQLITE_WAL=1 ghost-migrate {}\nexit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn warnings(o: &std::process::Output) -> Vec<String> {
    json(o)["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// Starts an apply that pauses (debug-build test hook) after reading its first posts batch,
/// and returns once it has paused: the file is in WAL mode and the transaction is open.
fn paused_apply(db: &str) -> std::process::Child {
    paused_apply_with(db, "1")
}

/// An apply that pauses 4 s in the posts table, `GHOST_MIGRATE_SQLITE_WAL` set to `wal`.
fn paused_apply_with(db: &str, wal: &str) -> std::process::Child {
    let mut child = bin()
        .env("GHOST_MIGRATE_SQLITE_WAL", wal)
        .args(rewrite_args(db, &["--yes", "--json", "--no-progress"]))
        .env("GHOST_MIGRATE_TEST_PAUSE_TABLE", "posts")
        .env("GHOST_MIGRATE_TEST_PAUSE_MS", "4000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the apply ended before pausing"
        );
        if line.contains("paused after reading posts") {
            break;
        }
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    child
}

#[test]
fn apply_switches_to_wal_and_back_and_rollback_is_byte_exact() {
    let (_d, db) = sqlite_copy();
    assert_rollback_mode(&db);
    let before = dump(&db);
    let o = apply(&db, TO, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert!(r["totals"]["cells_changed"].as_u64().unwrap() > 20);
    assert!(
        !warnings(&o).iter().any(|w| w.contains("WAL")),
        "{:?}",
        warnings(&o)
    );
    assert_rollback_mode(&db);
    let after = dump(&db);
    assert_eq!(count_in(&after, FROM), 0);
    assert!(count_in(&after, TO) > 20);
    // The journal holds every old value: rollback restores the file byte for byte.
    let id = r["run_id"].as_str().unwrap();
    let o = run(&["rollback", "--db", &db, id, "--yes", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(dump(&db), before);
    assert_rollback_mode(&db);
}

#[test]
fn the_file_is_in_wal_mode_only_while_applying() {
    let (_d, db) = sqlite_copy();
    let before = dump(&db);
    let child = paused_apply(&db);
    // Mid-apply: WAL on disk, the original mode committed in the record, nothing of the
    // rewrite visible to another connection yet.
    assert_eq!(header_versions(&db), (2, 2));
    assert_eq!(recorded_mode(&db).as_deref(), Some("delete"));
    assert_eq!(dump(&db), before);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_rollback_mode(&db);
    assert_eq!(count_in(&dump(&db), FROM), 0);
}

#[test]
fn by_default_the_apply_never_switches_the_journal_mode() {
    let (_d, db) = sqlite_copy();
    let child = paused_apply_with(&db, "");
    // Mid-apply: still Ghost's rollback journal, no record, no -wal file.
    assert_eq!(header_versions(&db), (1, 1));
    assert!(!wal_file(&db));
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_rollback_mode(&db);
    assert_eq!(recorded_mode(&db), None);
    assert_eq!(count_in(&dump(&db), FROM), 0);
}

#[test]
fn a_refused_apply_restores_the_mode() {
    let (_d, db) = sqlite_copy();
    // A BLOB holding the old prefix: the apply reads everything, refuses and rolls back.
    rt().block_on(async {
        let mut c = connect(&db).await;
        c.exec(
            "UPDATE posts SET html = CAST(? AS BLOB) WHERE id = (SELECT id FROM posts ORDER BY id DESC LIMIT 1)",
            &[P::S("<img src=\"http://127.0.0.1:2368/content/images/blob.jpg\">")],
        )
        .await
        .unwrap();
        c.close().await.unwrap();
    });
    let before = dump(&db);
    let o = apply(&db, TO, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
    assert_rollback_mode(&db);
    assert_eq!(dump(&db), before);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM ghost_migrate_runs").as_deref(),
        Some("0")
    );
}

#[test]
fn kill_9_in_wal_mode_is_restored_by_the_next_command() {
    let (_d, db) = sqlite_copy();
    let before = dump(&db);
    let mut child = paused_apply(&db);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Left as the kill found it: in WAL mode, the original mode recorded, nothing committed.
    assert_eq!(header_versions(&db), (2, 2));
    assert_eq!(recorded_mode(&db).as_deref(), Some("delete"));
    assert_eq!(dump(&db), before);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM ghost_migrate_runs").as_deref(),
        Some("0")
    );
    // Any next command that opens the database puts the mode back first.
    let o = run(&["runs", "--db", &db]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("its journal mode is delete again"),
        "{}",
        stderr(&o)
    );
    assert_rollback_mode(&db);
    assert_eq!(dump(&db), before);
    // And the rewrite then runs as if nothing had happened.
    let o = apply(&db, TO, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_rollback_mode(&db);
    assert_eq!(count_in(&dump(&db), FROM), 0);
}

#[test]
fn a_held_file_falls_back_to_one_connection() {
    let (_d, db) = sqlite_copy();
    // A first apply creates the journal tables (and leaves the mode as it was).
    let o = apply(&db, B, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_rollback_mode(&db);
    // Another connection holds a read transaction for 5 s: the switch to WAL cannot get the
    // file to itself within its 2 s, so the apply reads and writes on one connection; its
    // commit waits for the reader (busy timeout 10 s).
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = {
        let db = db.clone();
        std::thread::spawn(move || {
            rt().block_on(async {
                let mut c = connect(&db).await;
                c.begin_snapshot().await.unwrap();
                held_tx.send(()).unwrap();
                tokio::time::sleep(Duration::from_secs(5)).await;
                c.rollback().await.unwrap();
                c.close().await.unwrap();
            })
        })
    };
    held_rx.recv().unwrap();
    let o = run_wal(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        B,
        "--to",
        TO,
        "--yes",
        "--json",
    ]);
    holder.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    assert!(
        w.iter()
            .any(|w| w.contains("could not be switched to WAL mode")),
        "{w:?}"
    );
    assert_rollback_mode(&db);
    let after = dump(&db);
    assert_eq!(count_in(&after, B), 0);
    assert!(count_in(&after, TO) > 20);
}

#[test]
fn a_reader_left_open_keeps_wal_until_the_next_command() {
    let (_d, db) = sqlite_copy();
    let child = paused_apply(&db);
    // Like Ghost reading during the apply: a connection that reads in WAL mode and stays open
    // holds the file, so the apply cannot switch it back when it ends.
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let db = db.clone();
        std::thread::spawn(move || {
            rt().block_on(async {
                let mut c = connect(&db).await;
                c.scalar("SELECT COUNT(*) FROM posts", &[]).await.unwrap();
                opened_tx.send(()).unwrap();
                let _ = tokio::task::spawn_blocking(move || done_rx.recv()).await;
                c.close().await.unwrap();
            })
        })
    };
    opened_rx.recv().unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = r["warnings"].to_string();
    assert!(
        w.contains("cannot put the database back in journal mode delete"),
        "{w}"
    );
    // The rewrite is committed; the file is still in WAL mode, with its record.
    assert_eq!(header_versions(&db), (2, 2));
    assert_eq!(recorded_mode(&db).as_deref(), Some("delete"));
    assert_eq!(count_in(&dump(&db), FROM), 0);
    done_tx.send(()).unwrap();
    holder.join().unwrap();
    // Once the other connection is gone, the next command restores the mode.
    let o = run(&["runs", "--db", &db]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_rollback_mode(&db);
    assert_eq!(count_in(&dump(&db), FROM), 0);
}
