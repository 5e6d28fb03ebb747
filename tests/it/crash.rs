//! Crash safety: `rewrite --yes` killed with SIGKILL at many moments leaves the database exactly
//! as before or exactly as after the full rewrite, never in between, and the journal agrees.

use crate::common::*;
use ghost_migrate::db::Engine;
use std::time::{Duration, Instant};

/// Copies the fixture's posts `copies` times (new id, uuid, slug) so apply takes a while.
fn inflate(db: &str, copies: usize) {
    rt().block_on(async {
        let mut c = connect(db).await;
        let tables = ghost_migrate::db::schema::discover(&mut c).await.unwrap();
        let cols = tables["posts"].all_columns.clone();
        let engine = c.engine();
        let cat = |a: &str, b: &str| match engine {
            Engine::Sqlite => format!("{a} || {b}"),
            Engine::Mysql => format!("CONCAT({a}, {b})"),
        };
        let names = cols.iter().map(|x| c.q(x)).collect::<Vec<_>>().join(", ");
        c.begin_write().await.unwrap();
        for k in 0..copies {
            let exprs: Vec<String> = cols
                .iter()
                .map(|col| match col.as_str() {
                    "id" => cat(
                        &cat("SUBSTR(id, 1, 8)", &format!("'{k:08}'")),
                        "SUBSTR(id, 17, 8)",
                    ),
                    "uuid" => cat(
                        &cat("SUBSTR(uuid, 1, 20)", &format!("'{k:08}'")),
                        "SUBSTR(uuid, 29, 8)",
                    ),
                    "slug" => cat("slug", &format!("'-copy-{k}'")),
                    other => c.q(other),
                })
                .collect();
            // Copy only the fixture's own posts, never earlier copies.
            let sql = format!(
                "INSERT INTO posts ({names}) SELECT {} FROM posts WHERE slug NOT LIKE '%-copy-%'",
                exprs.join(", ")
            );
            c.raw(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        c.commit().await.unwrap();
    })
}

fn args(db: &str) -> Vec<String> {
    rewrite_args(db, &["--yes", "--no-progress"])
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn journal_runs(db: &str) -> (usize, usize) {
    // (applied runs, change rows); (0, 0) when the journal tables do not exist yet.
    rt().block_on(async {
        let mut c = connect(db).await;
        let Ok(runs) = c.rows("SELECT status FROM ghost_migrate_runs", &[]).await else {
            return (0, 0);
        };
        assert!(runs.iter().all(|r| r[0].as_deref() == Some("applied")));
        let n = c
            .scalar("SELECT COUNT(*) FROM ghost_migrate_changes", &[])
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        c.close().await.unwrap();
        (runs.len(), n)
    })
}

/// Runs the kill loop. `fresh` makes a new copy of the inflated database and returns its URL;
/// `settle` returns once the killed process's work has ended on the server side.
fn kill_loop(fresh: &mut dyn FnMut() -> String, settle: &dyn Fn(&str), points: usize) {
    let db = fresh();
    let before = dump(&db);
    let t0 = Instant::now();
    let o = bin().args(args(&db)).output().unwrap();
    let full = t0.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = dump(&db);
    let (runs, cells) = journal_runs(&db);
    assert_eq!(runs, 1);
    assert_ne!(before, after);
    eprintln!("full run: {full:?}, {cells} cells journalled");
    let mut outcomes = Vec::new();
    // A database proven to be exactly `before` (dump and empty journal) is used again for the
    // next kill; a new copy is made only after a kill that left it `after`.
    let mut db = fresh();
    // Points spread over the run, plus two after it would have finished.
    for i in 1..=points + 2 {
        let at = full.mul_f64(i as f64 / (points + 1) as f64);
        let mut child = bin()
            .args(args(&db))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        settle(&db);
        let now = dump(&db);
        let (runs, n) = journal_runs(&db);
        let state = if now == before {
            assert_eq!(
                runs, 0,
                "kill at {at:?}: database as before, journal must be empty"
            );
            "before"
        } else if now == after {
            assert_eq!(
                (runs, n),
                (1, cells),
                "kill at {at:?}: as after, journal must hold the run"
            );
            db = fresh();
            assert!(
                dump(&db) == before,
                "a fresh copy must hold the state before"
            );
            "after"
        } else {
            panic!("kill at {at:?} (exit {status:?}) left the database half-written");
        };
        outcomes.push((at, state));
    }
    eprintln!("outcomes: {outcomes:?}");
    assert!(
        outcomes.iter().any(|(_, s)| *s == "before"),
        "some kills must land before the commit"
    );
}

#[test]
fn sqlite_kill_9_leaves_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, base) = sqlite_copy();
    inflate(&base, 400);
    let mut n = 0;
    let mut fresh = || {
        n += 1;
        let p = dir.path().join(format!("k{n}.db"));
        std::fs::copy(&base, &p).unwrap();
        p.to_str().unwrap().to_string()
    };
    // A killed SQLite writer leaves a hot journal that the next reader rolls back: nothing to
    // wait for.
    kill_loop(&mut fresh, &|_| {}, 12);
}

/// MariaDB goes on with a killed client's last statement (a COMMIT already sent included) and
/// then rolls its transaction back: wait until its connection has left the server.
fn settle_mariadb(db: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let sql = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()";
    while scalar(db, sql).as_deref() != Some("0") {
        assert!(
            Instant::now() < deadline,
            "the killed connection stayed on the server"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn mariadb_kill_9_leaves_before_or_after() {
    // One working database, reset to the inflated one's content before each use: loading the
    // fixture into a new database costs seconds of DDL, copying the rows back does not. The two
    // are loaded at the same time.
    let (first, work) = std::thread::scope(|s| {
        // Named as the test, for MyDb's skip notice.
        let name = std::thread::current()
            .name()
            .unwrap_or_default()
            .to_string();
        let load = || {
            std::thread::Builder::new()
                .name(name.clone())
                .spawn_scoped(s, MyDb::new)
                .unwrap()
        };
        let (a, b) = (load(), load());
        (a.join().unwrap(), b.join().unwrap())
    });
    let (Some(first), Some(work)) = (first, work) else {
        return;
    };
    inflate(&first.url, 400);
    let tables: Vec<String> = rt().block_on(async {
        let mut c = connect(&first.url).await;
        c.rows(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect()
    });
    let copy: String = tables
        .iter()
        .map(|t| {
            format!(
                "DELETE FROM `{t}`; INSERT INTO `{t}` SELECT * FROM `{}`.`{t}`;",
                first.name
            )
        })
        .collect();
    let reset = format!(
        "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE IF EXISTS ghost_migrate_changes, ghost_migrate_runs, ghost_migrate_schema; START TRANSACTION; {copy} COMMIT;"
    );
    let mut fresh = || {
        work.sql(&reset);
        work.url.clone()
    };
    kill_loop(&mut fresh, &settle_mariadb, 10);
}
