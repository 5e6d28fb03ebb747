//! scan and verify on the Ghost fixtures, against a real S3 server (moto) and a loopback HTTP
//! server that serves some files and 404s others.

use crate::common::{FROM, SITE, json, rewrite_args, run, sqlite_copy, stderr};
use crate::s3server::{Kind, delete_object};
use crate::sync::{Ctx, content, show};
use std::collections::BTreeMap;

fn form_totals(forms: &serde_json::Value) -> BTreeMap<String, u64> {
    forms
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

fn check_scan_matches_dry_run(db: &str) {
    let o = run(&["scan", "--db", db, "--site-url", SITE, "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let inv = json(&o);
    let group = inv["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["host"] == "127.0.0.1:2368" && g["root"] == "/content/images/")
        .expect("the site's image group")
        .clone();
    let o = run(&rewrite_args(db, &["--dry-run", "--json"]));
    let dry = json(&o);
    assert_eq!(group["occurrences"], dry["totals"]["occurrences"]);
    assert_eq!(
        form_totals(&group["forms"]),
        form_totals(&dry["totals"]["forms"])
    );
    // Per column too.
    for c in dry["columns"].as_array().unwrap() {
        if c["occurrences"].as_u64().unwrap() == 0 {
            continue;
        }
        let sc = inv["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["table"] == c["table"] && x["column"] == c["column"])
            .unwrap_or_else(|| panic!("scan lacks {}.{}", c["table"], c["column"]));
        assert!(
            sc["occurrences"].as_u64() >= c["occurrences"].as_u64(),
            "{c}"
        );
    }
    let sugg = inv["suggestions"].to_string();
    assert!(
        sugg.contains("--from http://127.0.0.1:2368/content/images/"),
        "{sugg}"
    );
    // Other hosts are inventoried but not confused with the site.
    assert!(
        inv["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["host"] == "ghost.org")
    );
}

#[test]
fn scan_counts_match_the_rewrite_dry_run_sqlite() {
    let (_d, db) = sqlite_copy();
    check_scan_matches_dry_run(&db);
}

#[test]
fn scan_counts_match_the_rewrite_dry_run_mariadb() {
    let Some(my) = crate::common::MyDb::new() else {
        return;
    };
    check_scan_matches_dry_run(&my.url);
}

fn verify(ctx: &Ctx, db: &str, extra: &[&str]) -> std::process::Output {
    let mut c = ctx.cmd();
    c.args(["verify", "--json", "--db", db, "--bucket", &ctx.bucket])
        .args(extra);
    show(c)
}

#[test]
fn verify_after_sync_and_rewrite_names_exactly_the_missing_objects() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let (_d, db) = sqlite_copy();
    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));

    // Before the rewrite: the site's own forms are checked. Everything synced is present; what
    // is missing are srcset size variants Ghost never generated (it makes them on request).
    let o = verify(
        &ctx,
        &db,
        &["--site-url", SITE, "--content-dir", root.to_str().unwrap()],
    );
    let j = json(&o);
    assert!(j["references"].as_u64().unwrap() > 200);
    let variants = j["missing_size_variants"].as_u64().unwrap();
    assert!(variants > 0);
    assert_eq!(real_missing(&j), Vec::<String>::new());
    assert!(j["missing"].as_array().unwrap().iter().all(|m| {
        m["class"] == "size-variant"
            && m["key"]
                .as_str()
                .unwrap()
                .starts_with("content/images/size/")
    }));
    assert_eq!(o.status.code(), Some(1), "missing variants are a finding");

    // After rewriting images to the CDN: the CDN URLs are checked.
    let o = run(&rewrite_args(&db, &["--yes"]));
    assert_eq!(o.status.code(), Some(0));
    let cdn = [
        "--cdn-url",
        "https://cdn.example.com/content/",
        "--content-dir",
        root.to_str().unwrap(),
    ];
    let o = verify(&ctx, &db, &cdn);
    let refs = json(&o)["references"].as_u64().unwrap();
    assert!(refs >= 150, "{refs}");
    assert_eq!(real_missing(&json(&o)), Vec::<String>::new());
    assert_eq!(
        json(&o)["missing_size_variants"].as_u64().unwrap(),
        variants
    );

    // Two objects disappear from the bucket; one of them also from disk.
    let a = "content/images/2026/11/body-photo.jpg";
    let b = "content/images/2026/11/hero-wide.jpg";
    delete_object(&ctx.s, &ctx.bucket, a);
    delete_object(&ctx.s, &ctx.bucket, b);
    std::fs::remove_file(root.join("images/2026/11/hero-wide.jpg")).unwrap();
    let o = verify(&ctx, &db, &cdn);
    assert_eq!(o.status.code(), Some(1));
    let j = json(&o);
    let missing: Vec<&serde_json::Value> = j["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["class"] != "size-variant")
        .collect();
    let keys: Vec<&str> = missing.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec![a, b]);
    assert_eq!(missing[0]["class"], "not-synced");
    assert_eq!(missing[1]["class"], "gone");
    // Named by post: slug, title, status and column.
    let by: Vec<String> = missing[0]["referenced_by"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            r["slug"].as_str().map(|s| {
                format!(
                    "{s}/{}/{}",
                    r["status"].as_str().unwrap_or(""),
                    r["column"].as_str().unwrap()
                )
            })
        })
        .collect();
    assert!(!by.is_empty(), "{}", missing[0]);
    let expect = crate::common::scalar(
        &db,
        "SELECT slug FROM posts WHERE html LIKE '%2026/11/body-photo.jpg%' ORDER BY id LIMIT 1",
    )
    .unwrap();
    assert!(
        by.iter().any(|b| b.starts_with(&format!("{expect}/"))),
        "{by:?}"
    );

    // A fresh sync repairs what still exists locally.
    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));
    let o = verify(&ctx, &db, &cdn);
    assert_eq!(real_missing(&json(&o)), vec![b.to_string()]);

    // Each verify after the rewrite is a step in the journal, with its outcome and counts.
    let o = crate::common::run(&["runs", "--json", "--db", &db]);
    let runs = json(&o)["runs"].as_array().unwrap().clone();
    let verifies: Vec<&serde_json::Value> = runs.iter().filter(|r| r["kind"] == "verify").collect();
    assert!(verifies.len() >= 2, "{runs:?}");
    assert!(
        verifies.iter().all(|r| r["status"] == "failed"),
        "{verifies:?}"
    );
    assert!(
        verifies.iter().all(|r| r["detail"]["missing"]
            .as_array()
            .is_some_and(|m| !m.is_empty())),
        "{verifies:?}"
    );
}

/// Missing keys other than the size variants.
fn real_missing(j: &serde_json::Value) -> Vec<String> {
    j["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["class"] != "size-variant")
        .map(|m| m["key"].as_str().unwrap().to_string())
        .collect()
}

/// A loopback HTTP server answering HEAD: 200 for paths in `ok`, 404 otherwise.
fn http_server(ok: Vec<String>) -> String {
    crate::common::loopback_http(move |_, path| {
        let st = if ok.iter().any(|o| o == path) {
            "200 OK"
        } else {
            "404 Not Found"
        };
        format!("HTTP/1.1 {st}\r\nContent-Length: 0\r\n\r\n")
    })
}

#[test]
fn verify_http_reports_non_200_urls() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let (_d, db) = sqlite_copy();
    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));
    // Point the images at a loopback "CDN" that serves all but one file.
    let served: Vec<String> = crate::sync::local_files(&root)
        .into_iter()
        .map(|(rel, _)| format!("/content/{rel}"))
        .filter(|p| p.starts_with("/content/images/") && !p.ends_with("/2026/11/gallery-1.jpg"))
        .collect();
    let base = http_server(served);
    let to = format!("{base}/content/images/");
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        &to,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = verify(
        &ctx,
        &db,
        &["--cdn-url", &format!("{base}/content/"), "--http"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(real_missing(&j), Vec::<String>::new());
    assert!(j["http_checked"].as_u64().unwrap() > 20);
    // 404s: the one file the server does not serve, plus the size variants nobody generated.
    let bad: Vec<(String, u64)> = j["http_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["url"].as_str().unwrap().to_string(),
                p["status"].as_u64().unwrap_or(0),
            )
        })
        .filter(|(u, _)| !u.contains("/content/images/size/"))
        .collect();
    assert_eq!(
        bad,
        vec![(format!("{base}/content/images/2026/11/gallery-1.jpg"), 404)]
    );
    let variant_404s = j["http_problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["url"].as_str().unwrap().contains("/size/") && p["status"] == 404)
        .count() as u64;
    assert!(variant_404s >= j["missing_size_variants"].as_u64().unwrap());
}
