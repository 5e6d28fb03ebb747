//! The stored forms issue 17 names, in real databases (the SQLite fixture and MariaDB): URLs
//! after JSON escapes and with escaped slashes in lexical, HTML entities, `__GHOST_URL__` only
//! where Ghost expands it, an image-proxy `--to` that contains `--from`, and cells that are not
//! text (SQLite BLOB values) named and skipped on request.

use crate::common::{
    FROM, MyDb, SITE, connect, dump, json, rows_differing, rt, run, scalar, sqlite_copy, stderr,
};
use ghost_migrate::db::P;

fn set(db: &str, sql: &str, value: &str) {
    rt().block_on(async {
        let mut c = connect(db).await;
        c.exec(sql, &[P::S(value)]).await.unwrap();
    });
}

fn rewrite(db: &str, to: &str, extra: &[&str]) -> std::process::Output {
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
        "--json",
    ];
    a.extend_from_slice(extra);
    run(&a)
}

const LEXICAL: &str = r#"{"root":{"children":[{"type":"html","version":1,"html":"<img srcset=\"http://127.0.0.1:2368/content/images/size/w600/a.jpg 600w,\n\thttp://127.0.0.1:2368/content/images/a.jpg 1000w\">"},{"type":"markdown","version":1,"markdown":"Photo:\nhttp://127.0.0.1:2368/content/images/m.jpg"},{"type":"codeblock","version":1,"code":"x\thttp://127.0.0.1:2368/content/images/t.jpg"},{"type":"paragraph","children":[{"type":"text","text":"\u201chttp://127.0.0.1:2368/content/images/q.jpg\u201d"}]},{"type":"html","version":1,"html":"<script type=\"application/ld+json\">{\"image\":\"http:\\/\\/127.0.0.1:2368\\/content\\/images\\/ld.jpg\"}</script>"},{"type":"image","version":1,"src":"http:\u002F\u002F127.0.0.1:2368\u002Fcontent\u002Fimages\u002Fu.jpg"}],"direction":null,"format":"","indent":0,"type":"root","version":1}}"#;

const HTML: &str = "<p><a href=\"http&#58;//127.0.0.1:2368/content/images/e.jpg\">e</a><img src=\"http:&#x2F;&#x2F;127.0.0.1:2368&#x2F;content&#x2F;images&#x2F;f.jpg?a=1&amp;b=2\"></p>";

fn story(db: &str) {
    let post = scalar(db, "SELECT id FROM posts ORDER BY id LIMIT 1").unwrap();
    set(
        db,
        &format!("UPDATE posts SET lexical = ?, mobiledoc = NULL WHERE id = '{post}'"),
        LEXICAL,
    );
    set(
        db,
        &format!("UPDATE posts SET html = ? WHERE id = '{post}'"),
        HTML,
    );
    set(
        db,
        "UPDATE settings SET value = ? WHERE `key` = 'codeinjection_head'",
        "<link rel=\"preload\" href=\"http://127.0.0.1:2368/content/images/c.jpg\">",
    );

    // The scan counts what the dry run counts, with these forms present.
    let o = run(&["scan", "--db", db, "--site-url", SITE, "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let inv = json(&o);
    let group = inv["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["host"] == "127.0.0.1:2368" && g["root"] == "/content/images/")
        .unwrap()
        .clone();
    let o = rewrite(
        db,
        "https://cdn.example.com/content/images/",
        &["--dry-run"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dry = json(&o);
    assert!(dry["problems"].as_array().unwrap().is_empty(), "{dry}");
    assert_eq!(group["occurrences"], dry["totals"]["occurrences"]);
    assert_eq!(group["forms"], dry["totals"]["forms"]);

    // Normalise to the portable form; where Ghost does not expand it, the CDN's absolute URL.
    let o = rewrite(
        db,
        "__GHOST_URL__/content/images/",
        &["--ghost-url-base", "https://cdn.example.com", "--yes"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert!(
        r["absolute_instead"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["table"] == "settings")
    );
    let lex = scalar(
        db,
        &format!("SELECT lexical FROM posts WHERE id = '{post}'"),
    )
    .unwrap();
    for want in [
        r#"600w,\n\t__GHOST_URL__/content/images/a.jpg 1000w"#,
        r#"Photo:\n__GHOST_URL__/content/images/m.jpg"#,
        r#"x\t__GHOST_URL__/content/images/t.jpg"#,
        r#"\u201c__GHOST_URL__/content/images/q.jpg\u201d"#,
        r#"\"image\":\"__GHOST_URL__\\/content\\/images\\/ld.jpg\""#,
        r#""src":"__GHOST_URL__\u002Fcontent\u002Fimages\u002Fu.jpg""#,
    ] {
        assert!(lex.contains(want), "{want} not in {lex}");
    }
    assert!(!lex.contains("127.0.0.1"), "{lex}");
    // Outside the URLs the document is byte-identical.
    let strip = |s: &str| {
        s.replace("http://127.0.0.1:2368/content/images/", "")
            .replace(
                "http:\\\\/\\\\/127.0.0.1:2368\\\\/content\\\\/images\\\\/",
                "",
            )
            .replace(
                "http:\\u002F\\u002F127.0.0.1:2368\\u002Fcontent\\u002Fimages\\u002F",
                "",
            )
            .replace("__GHOST_URL__/content/images/", "")
            .replace("__GHOST_URL__\\\\/content\\\\/images\\\\/", "")
            .replace("__GHOST_URL__\\u002Fcontent\\u002Fimages\\u002F", "")
    };
    assert_eq!(strip(&lex), strip(LEXICAL));
    serde_json::from_str::<serde_json::Value>(&lex).unwrap();
    let html = scalar(db, &format!("SELECT html FROM posts WHERE id = '{post}'")).unwrap();
    assert_eq!(
        html,
        "<p><a href=\"__GHOST_URL__/content/images/e.jpg\">e</a><img src=\"__GHOST_URL__&#x2F;content&#x2F;images&#x2F;f.jpg?a=1&amp;b=2\"></p>"
    );
    let inj = scalar(
        db,
        "SELECT value FROM settings WHERE `key` = 'codeinjection_head'",
    )
    .unwrap();
    assert_eq!(
        inj,
        "<link rel=\"preload\" href=\"https://cdn.example.com/content/images/c.jpg\">"
    );
    // Revisions are never expanded by Ghost: absolute there too.
    let revs = scalar(
        db,
        "SELECT COUNT(*) FROM post_revisions WHERE lexical LIKE '%__GHOST_URL__%'",
    );
    assert_eq!(revs.as_deref(), Some("0"));
    // A second run changes nothing.
    let o = rewrite(
        db,
        "__GHOST_URL__/content/images/",
        &["--ghost-url-base", "https://cdn.example.com", "--yes"],
    );
    assert_eq!(json(&o)["totals"]["cells_changed"], 0);

    // An image-proxy --to that contains --from: the second and third runs change nothing.
    let proxy =
        "https://cdn.example.com/cdn-cgi/image/f=auto/http://127.0.0.1:2368/content/images/";
    let o = rewrite(db, proxy, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(json(&o)["totals"]["cells_changed"].as_u64().unwrap() > 0);
    let before = dump(db);
    for _ in 0..2 {
        let o = rewrite(db, proxy, &["--yes"]);
        assert_eq!(json(&o)["totals"]["cells_changed"], 0);
    }
    assert_eq!(rows_differing(&before, &dump(db)), 0);
}

#[test]
fn stored_forms_story_sqlite() {
    let (_d, db) = sqlite_copy();
    story(&db);
}

#[test]
fn stored_forms_story_mariadb() {
    let Some(my) = MyDb::new() else { return };
    story(&my.url);
}

#[test]
fn blob_cell_is_named_and_skipped_only_on_request() {
    let (_d, db) = sqlite_copy();
    let (id, slug) = (
        scalar(&db, "SELECT id FROM posts ORDER BY id LIMIT 1").unwrap(),
        scalar(&db, "SELECT slug FROM posts ORDER BY id LIMIT 1").unwrap(),
    );
    set(
        &db,
        &format!("UPDATE posts SET html = CAST(? AS BLOB) WHERE id = '{id}'"),
        "<img src=\"http://127.0.0.1:2368/content/images/blob.jpg\">",
    );
    let before = dump(&db);
    let to = "https://cdn.example.com/content/images/";
    // The dry run lists it with its post; the apply refuses, names it and writes nothing.
    let o = rewrite(&db, to, &["--dry-run"]);
    let p = &json(&o)["problems"][0];
    assert_eq!(p["table"], "posts");
    assert_eq!(p["column"], "html");
    assert_eq!(p["slug"], slug.as_str());
    assert!(p["reason"].as_str().unwrap().contains("BLOB"), "{p}");
    let o = rewrite(&db, to, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("posts.html id {id} (post {slug})")));
    assert!(stderr(&o).contains("--skip-unsafe"));
    assert_eq!(rows_differing(&before, &dump(&db)), 0);
    // --skip-unsafe applies the rest, leaves the BLOB as it was, exits 3.
    let o = rewrite(&db, to, &["--yes", "--skip-unsafe"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["skipped_unsafe"], 1);
    assert!(r["totals"]["cells_changed"].as_u64().unwrap() > 0);
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT typeof(html) FROM posts WHERE id = '{id}'")
        )
        .as_deref(),
        Some("blob")
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM posts WHERE html LIKE '%cdn.example.com%'"
        )
        .map(|n| n != "0"),
        Some(true)
    );
}

#[test]
fn root_relative_to_is_refused() {
    let (_d, db) = sqlite_copy();
    let before = dump(&db);
    let o = rewrite(&db, "/content/images/", &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("root-relative"), "{}", stderr(&o));
    assert!(stderr(&o).contains("__GHOST_URL__/content/images/"));
    assert_eq!(rows_differing(&before, &dump(&db)), 0);
}
