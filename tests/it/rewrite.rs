//! `rewrite` end to end on the real Ghost 5.130.6 fixtures (SQLite file and MariaDB), plus
//! adversarial inputs and bad input.

use crate::common::*;
use ghost_migrate::url::{MatchOptions, Prefix, Site, UrlMap};

fn site_map() -> UrlMap {
    let site = Site::parse(SITE).unwrap();
    UrlMap::new(
        Prefix::parse("--from", FROM, None).unwrap(),
        Prefix::parse("--to", TO, None).unwrap(),
        Some(&site),
        &MatchOptions::default(),
    )
    .unwrap()
}

/// The whole story on one database: dry run, apply, checks on every cell, idempotence, rollback.
pub fn full_story(db: &str) {
    let before = dump(db);
    let old_forms = count_in(&before, "127.0.0.1:2368/content/images/")
        + count_in(&before, "__GHOST_URL__/content/images/");
    assert!(
        old_forms > 200,
        "fixture holds the old prefix ({old_forms})"
    );
    let media_before = count_in(&before, "/content/media/");
    let files_before = count_in(&before, "/content/files/");

    let dry = run(&rewrite_args(db, &["--dry-run", "--json"]));
    assert_eq!(dry.status.code(), Some(0));
    let dry = json(&dry);
    assert_eq!(dump(db), before, "a dry run writes nothing");

    let applied = run(&rewrite_args(db, &["--yes", "--json"]));
    assert_eq!(applied.status.code(), Some(0));
    let applied = json(&applied);
    // The dry run's counts are what the real run did.
    assert_eq!(dry["totals"], applied["totals"]);
    let per_col = |v: &serde_json::Value| {
        v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["table"].clone(),
                    c["column"].clone(),
                    c["rows_changed"].clone(),
                    c["occurrences"].clone(),
                    c["forms"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(per_col(&dry), per_col(&applied));
    let run_id = applied["run_id"].as_str().expect("a run id").to_string();
    assert!(applied["settings_changed"].as_bool().unwrap());

    let after = dump(db);
    assert_eq!(count_in(&after, "127.0.0.1:2368/content/images"), 0);
    assert_eq!(count_in(&after, "127.0.0.1:2368\\/content\\/images"), 0);
    assert_eq!(count_in(&after, "__GHOST_URL__/content/images"), 0);
    assert_eq!(
        count_in(&after, "https://cdn.example.com/content/images/") as u64,
        applied["totals"]["occurrences"].as_u64().unwrap()
    );
    assert_eq!(
        count_in(&after, "/content/media/"),
        media_before,
        "media untouched"
    );
    assert_eq!(
        count_in(&after, "/content/files/"),
        files_before,
        "files untouched"
    );

    // Only URL bytes changed: every differing cell is exactly the matcher's rewrite of the old
    // one, and every changed JSON document still parses.
    let map = site_map();
    let mut changed = 0;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (t, rows) in &before {
        let rows_after = &after[t];
        assert_eq!(rows.len(), rows_after.len(), "{t}: same rows");
        for (r0, r1) in rows.iter().zip(rows_after) {
            for (c0, c1) in r0.iter().zip(r1) {
                if c0 == c1 {
                    continue;
                }
                changed += 1;
                let (b, a) = (unhex(c0).unwrap(), unhex(c1).unwrap());
                assert_eq!(map.rewrite(&b).unwrap().0, a, "{t}: only URL bytes change");
                if serde_json::from_str::<serde_json::Value>(&b).is_ok() {
                    serde_json::from_str::<serde_json::Value>(&a).expect("changed JSON parses");
                }
            }
        }
    }
    assert_eq!(
        changed as u64,
        applied["totals"]["cells_changed"].as_u64().unwrap()
    );

    // Idempotent: a second identical run changes nothing and records no run.
    let again = run(&rewrite_args(db, &["--yes", "--json"]));
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(json(&again)["totals"]["cells_changed"], 0);
    assert_eq!(dump(db), after);

    // The journal lists the run; rollback restores every byte.
    let runs = json(&run(&["runs", "--db", db, "--json"]));
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
    let rb = run(&["rollback", "--db", db, &run_id, "--yes", "--json"]);
    assert_eq!(rb.status.code(), Some(0));
    assert_eq!(dump(db), before, "rollback is byte-identical");
}

#[test]
fn sqlite_full_story() {
    let (_d, db) = sqlite_copy();
    full_story(&db);
}

#[test]
fn mariadb_full_story() {
    let Some(my) = MyDb::new() else { return };
    full_story(&my.url);
}

#[test]
fn ghost_url_as_from_and_to() {
    let (_d, db) = sqlite_copy();
    // Normalise every absolute spelling of the site's images back to the portable form.
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        "__GHOST_URL__/content/images/",
        "--yes",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let r = json(&o);
    assert_eq!(
        r["totals"]["forms"]["ghost_url"], 0,
        "portable values are not changes"
    );
    // Columns where Ghost does not expand the placeholder keep the absolute URL, and the
    // report names them even when that URL is already what they hold.
    let kept: Vec<String> = r["absolute_instead"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}.{}",
                c["table"].as_str().unwrap(),
                c["column"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "settings.value",
        "post_revisions.lexical",
        "recommendations.favicon",
    ] {
        assert!(kept.iter().any(|k| k == want), "{want} not in {kept:?}");
    }
    // The portable form only where Ghost expands it; the absolute URL everywhere else.
    let has = |t: &str, c: &str, needle: &str, key: Option<&str>| {
        let filter = key.map(|k| format!(" AND key = '{k}'")).unwrap_or_default();
        scalar(
            &db,
            &format!("SELECT COUNT(*) FROM \"{t}\" WHERE instr(\"{c}\", '{needle}') > 0{filter}"),
        )
        .is_some_and(|n| n != "0")
    };
    let schema = crate::common::rt().block_on(async {
        ghost_migrate::db::schema::discover(&mut crate::common::connect(&db).await)
            .await
            .unwrap()
    });
    let mut checked = 0;
    for (t, c, _) in ghost_migrate::ghost::columns::COLUMNS {
        if !schema
            .get(*t)
            .is_some_and(|x| x.all_columns.iter().any(|n| n == c))
        {
            continue; // not in this schema
        }
        let keys: Vec<Option<String>> = if *t == "settings" {
            let all = scalar(&db, "SELECT group_concat(key, ' ') FROM settings").unwrap();
            all.split(' ').map(|k| Some(k.to_string())).collect()
        } else {
            vec![None]
        };
        for k in keys {
            let ctx = if *t == "custom_theme_settings" {
                Some("image")
            } else {
                k.as_deref()
            };
            if ghost_migrate::ghost::columns::expands_ghost_url(t, c, ctx, Some(5)) {
                assert!(
                    !has(t, c, "127.0.0.1:2368/content/images", k.as_deref()),
                    "{t}.{c} {k:?}"
                );
            } else {
                assert!(!has(t, c, "__GHOST_URL__", k.as_deref()), "{t}.{c} {k:?}");
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
    assert!(
        r["absolute_instead"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["table"] == "post_revisions")
            || has(
                "post_revisions",
                "lexical",
                "127.0.0.1:2368/content/images",
                None
            )
    );
    // Then from both forms to the CDN.
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        "__GHOST_URL__/content/images/",
        "--to",
        TO,
        "--yes",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let d = dump(&db);
    assert_eq!(count_in(&d, "__GHOST_URL__/content/images"), 0);
    assert_eq!(count_in(&d, "127.0.0.1:2368/content/images"), 0);
}

#[test]
fn unknown_site_url_is_reported() {
    let (_d, db) = sqlite_copy();
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--from",
        FROM,
        "--to",
        TO,
        "--dry-run",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let r = json(&o);
    assert!(r["unresolved_ghost_url"].as_u64().unwrap() > 100);
    assert!(r["warnings"].to_string().contains("--site-url"));
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let (_d, db) = sqlite_copy();
    let before = dump(&db);
    for (args, needle) in [
        (vec!["--from", "", "--to", TO], "--from is empty"),
        (vec!["--from", FROM, "--to", ""], "--to is empty"),
        (vec!["--from", FROM, "--to", FROM], "the same"),
        (
            vec!["--from", "blog.example.com", "--to", TO],
            "not a URL prefix",
        ),
        (
            vec!["--from", FROM, "--to", "https://cdn.example.com/x\"y/"],
            "escaping",
        ),
        (
            vec!["--from", FROM, "--to", "https://cdn.example.com"],
            "trailing '/'",
        ),
    ] {
        let mut a = vec!["rewrite", "--db", db.as_str(), "--yes"];
        a.extend(args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(stderr(&o).contains(needle), "{a:?}: {}", stderr(&o));
    }
    // Not a Ghost database.
    let empty = tempfile::NamedTempFile::new().unwrap();
    exec(empty.path().to_str().unwrap(), "CREATE TABLE x (id TEXT)");
    let o = run(&[
        "rewrite",
        "--db",
        empty.path().to_str().unwrap(),
        "--from",
        FROM,
        "--to",
        TO,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a Ghost database"));
    // Missing file, unreachable server, wrong password: exit 2, password never printed.
    let o = run(&[
        "rewrite",
        "--db",
        "/nonexistent/ghost.db",
        "--from",
        FROM,
        "--to",
        TO,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "rewrite",
        "--db",
        "mysql://ghost:s3cret-pw@127.0.0.1:1/ghost",
        "--from",
        FROM,
        "--to",
        TO,
        "--yes",
        "--connect-timeout",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("s3cret-pw") && stderr(&o).contains("***"));
    // No terminal and no --yes.
    let o = run(&["rewrite", "--db", &db, "--from", FROM, "--to", TO]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--yes"));
    assert_eq!(dump(&db), before);
}

#[test]
fn mariadb_wrong_password_is_masked() {
    let Some(my) = MyDb::new() else { return };
    let url = my
        .url
        .replacen("mysql://root@", "mysql://root:wr0ng-pass@", 1);
    let o = run(&[
        "rewrite",
        "--db",
        &url,
        "--from",
        FROM,
        "--to",
        TO,
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("wr0ng-pass"));
}

#[test]
fn adversarial_values_in_a_real_database() {
    let (_d, db) = sqlite_copy();
    let evil = [
        "http://127.0.0.1:2368.evil.net/content/images/a.jpg",
        "http://127.0.0.1:23680/content/images/a.jpg",
        "http://127.0.0.1:2368/content/images-archive/a.jpg",
        "http://127.0.0.1:2368/CONTENT/images/a.jpg",
        "https://x127.0.0.1:2368/content/images/a.jpg",
    ];
    let html = evil
        .iter()
        .map(|u| format!("<img src=\"{u}\">"))
        .collect::<String>()
        + "<img src=\"HTTP://127.0.0.1:2368/content/images/up.jpg\"><img src=\"//127.0.0.1:2368/content/images/pr.jpg\">";
    exec(
        &db,
        &format!(
            "UPDATE posts SET html = '{html}' WHERE slug = (SELECT slug FROM posts ORDER BY id LIMIT 1)"
        ),
    );
    let o = run(&rewrite_args(&db, &["--yes", "--json"]));
    assert_eq!(o.status.code(), Some(0));
    let got = scalar(&db, "SELECT html FROM posts ORDER BY id LIMIT 1").unwrap();
    for e in evil {
        assert!(got.contains(e), "{e} must be untouched: {got}");
    }
    assert!(got.contains("https://cdn.example.com/content/images/up.jpg"));
    assert!(got.contains("https://cdn.example.com/content/images/pr.jpg"));
}

#[test]
fn from_inside_to_is_idempotent() {
    let (_d, db) = sqlite_copy();
    let args = |extra: &'static str| {
        vec![
            "rewrite".to_string(),
            "--db".into(),
            db.clone(),
            "--site-url".into(),
            SITE.into(),
            "--from".into(),
            "http://127.0.0.1:2368/".into(),
            "--to".into(),
            "http://127.0.0.1:2368/cdn/".into(),
            extra.into(),
            "--json".into(),
        ]
    };
    let a: Vec<String> = args("--yes");
    let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0));
    assert!(json(&o)["totals"]["cells_changed"].as_u64().unwrap() > 0);
    let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        json(&o)["totals"]["cells_changed"],
        0,
        "second run changes nothing"
    );
}

#[test]
fn length_overflow_stops_before_writing() {
    let Some(my) = MyDb::new() else { return };
    let before = dump(&my.url);
    // A --to long enough to push posts.feature_image past varchar(2000).
    let long_to = format!("https://cdn.example.com/{}/", "x".repeat(1990));
    let o = run(&[
        "rewrite",
        "--db",
        &my.url,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        &long_to,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("posts.feature_image id ") && e.contains("2000 characters"),
        "{e}"
    );
    assert_eq!(dump(&my.url), before);
    // The same on SQLite, where Ghost's declared varchar(2000) is enforced by us.
    let (_d, db) = sqlite_copy();
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        &long_to,
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("over the column's limit"));
}

#[test]
fn concurrent_edit_aborts_the_whole_transaction() {
    let Some(my) = MyDb::new() else { return };
    let before = dump(&my.url);
    let child = bin()
        .args(rewrite_args(&my.url, &["--yes"]))
        .env("GHOST_MIGRATE_TEST_PAUSE_TABLE", "posts")
        .env("GHOST_MIGRATE_TEST_PAUSE_MS", "3000")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the tool has read the posts batch, then edit one of its rows.
    let mut child = child;
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0
        && !line.contains("paused after reading posts")
    {
        line.clear();
    }
    my.sql("UPDATE posts SET html = CONCAT(html, '<p>edited</p>') WHERE LOCATE('content/images', html) > 0 ORDER BY id LIMIT 1");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    let e = rest;
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(e.contains("changed while ghost-migrate was running"), "{e}");
    let after = dump(&my.url);
    // Only the concurrent edit is there; the rewrite left nothing.
    assert_eq!(rows_differing(&before, &after), 1);
    assert_eq!(
        count_in(&after, "__GHOST_URL__/content/images/"),
        count_in(&before, "__GHOST_URL__/content/images/")
    );
}

#[test]
fn myisam_table_is_refused() {
    let Some(my) = MyDb::new() else { return };
    my.sql("ALTER TABLE custom_theme_settings ENGINE=MyISAM");
    let o = run(&rewrite_args(&my.url, &["--yes"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("MyISAM"));
    assert_eq!(
        scalar(
            &my.url,
            "SELECT COUNT(*) FROM posts WHERE html LIKE '%cdn.example.com%'"
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn ghost_config_with_env_override() {
    let (d, db) = sqlite_copy();
    let cfg = d.path().join("config.production.json");
    std::fs::write(
        &cfg,
        r#"{"url": "https://wrong.example.com", "database": {"client": "sqlite3", "connection": {"filename": "ghost.db"}}}"#,
    )
    .unwrap();
    let o = bin()
        .args([
            "rewrite",
            "--ghost-config",
            cfg.to_str().unwrap(),
            "--from",
            FROM,
            "--to",
            TO,
            "--dry-run",
            "--json",
        ])
        .env("url", SITE)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["site_url"], SITE);
    assert!(r["totals"]["forms"]["ghost_url"].as_u64().unwrap() > 100);
    let _ = db;
}

#[test]
fn report_file_markdown_and_json() {
    let (d, db) = sqlite_copy();
    let md = d.path().join("r.md");
    let js = d.path().join("r.json");
    for p in [&md, &js] {
        let o = run(&rewrite_args(
            &db,
            &["--dry-run", "--report", p.to_str().unwrap()],
        ));
        assert_eq!(o.status.code(), Some(0));
    }
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(m.contains("| `posts.html` |"));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap();
    assert_eq!(j["schema"], 1);
    assert!(j["totals"]["occurrences"].as_u64().unwrap() > 200);
}
