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
        (runs.len(), n)
    })
}

/// Runs the kill loop; `fresh` makes a new copy of the inflated database and returns its URL.
fn kill_loop(fresh: &mut dyn FnMut() -> String, points: usize) {
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
    // Points spread over the run, plus two after it would have finished.
    for i in 1..=points + 2 {
        let db = fresh();
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
        // MariaDB rolls an aborted connection's transaction back asynchronously: wait for it.
        std::thread::sleep(Duration::from_millis(300));
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
    kill_loop(&mut fresh, 12);
}

#[test]
fn mariadb_kill_9_leaves_before_or_after() {
    let Some(first) = MyDb::new() else { return };
    inflate(&first.url, 400);
    let mut dbs = vec![];
    let mut fresh = || {
        // A new database per kill point, cloned from the inflated one with the mariadb client.
        let my = MyDb::new().unwrap();
        my.sql(&format!(
            "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM posts; INSERT INTO {}.posts SELECT * FROM {}.posts",
            my.name, first.name
        ));
        let url = my.url.clone();
        dbs.push(my);
        url
    };
    kill_loop(&mut fresh, 10);
}
