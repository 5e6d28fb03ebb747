//! `sync-images --variants`: the responsive variants every srcset names (and the theme's sizes
//! of referenced images) end up in the bucket, so that after a full migration `verify` finds
//! nothing missing, on the bucket listing and over HTTP.

use crate::common::{SITE, json, run, sqlite_copy};
use crate::s3server::{Kind, get_object, header, keys};
use crate::sync::{Ctx, content};
use std::path::Path;

/// Casper 5.x's `config.image_sizes` (the fixture's active theme is casper; the content
/// archive has no themes folder, so the test puts the package.json Ghost would read).
const CASPER: &str = r#"{"name": "casper", "version": "5.8.0", "config": {"posts_per_page": 25,
  "image_sizes": {"xxs": {"width": 30}, "xs": {"width": 100}, "s": {"width": 300},
  "m": {"width": 600}, "l": {"width": 1000}, "xl": {"width": 2000}}}}"#;

fn add_theme(root: &Path) {
    std::fs::create_dir_all(root.join("themes/casper")).unwrap();
    std::fs::write(root.join("themes/casper/package.json"), CASPER).unwrap();
}

fn variants(j: &serde_json::Value) -> &serde_json::Value {
    &j["variants"]
}

fn made_keys(j: &serde_json::Value) -> Vec<String> {
    variants(j)["made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap().to_string())
        .collect()
}

/// The decoded size of an object.
fn dims(ctx: &Ctx, key: &str) -> (u32, u32, String) {
    let (status, headers, body) = get_object(&ctx.s, &ctx.bucket, key);
    assert_eq!(status, 200, "{key}");
    let img = image::load_from_memory(&body).unwrap_or_else(|e| panic!("{key}: {e}"));
    (
        img.width(),
        img.height(),
        header(&headers, "content-type").unwrap_or("").to_string(),
    )
}

/// A loopback "CDN" in front of the bucket: `/content/...` answers what GetObject on the key
/// `content/...` answers (200 or 404), as CloudFront with an origin access control would.
fn cdn_server(ctx: &Ctx) -> String {
    let (s, bucket) = (ctx.s.clone(), ctx.bucket.clone());
    let base = crate::common::loopback_http(move |_, path| {
        let key = path.trim_start_matches('/').replace("%20", " ");
        let (status, _, _) = get_object(&s, &bucket, &key);
        let st = if status == 200 {
            "200 OK"
        } else {
            "404 Not Found"
        };
        format!("HTTP/1.1 {st}\r\nContent-Length: 0\r\n\r\n")
    });
    format!("{base}/content/")
}

/// `over_http`: a loopback server in front of the bucket stands in for the CDN, and verify
/// also asks every URL over HTTP.
fn full_migration(kind: Kind, over_http: bool) {
    let ctx = Ctx::new(kind);
    let cdn = over_http.then(|| cdn_server(&ctx));
    let (_c, root) = content();
    add_theme(&root);
    let (_d, db) = sqlite_copy();
    let db_args = ["--variants", "--db", &db, "--site-url", SITE];

    // The dry run names what it would make, and uploads nothing.
    let o = ctx.sync(&root, &[&db_args[..], &["--dry-run"]].concat());
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    let would = made_keys(&j);
    assert!(would.len() > 50, "{would:?}");
    assert!(keys(&ctx.s, &ctx.bucket).is_empty());

    let o = ctx.sync(&root, &db_args);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    let v = variants(&j);
    assert_eq!(v["failed"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["theme"], "casper");
    assert_eq!(
        v["theme_sizes"],
        serde_json::json!(["w30", "w100", "w300", "w600", "w1000", "w2000"])
    );
    // Every srcset entry Ghost never generated is now made: header-bg.jpg's w600 has no local
    // file in the fixture.
    let made = made_keys(&j);
    assert_eq!(made, would, "the dry run named exactly what was made");
    let key = "content/images/size/w600/2026/11/header-bg.jpg";
    assert!(made.contains(&key.to_string()), "{made:?}");
    let (ow, oh) = image::image_dimensions(root.join("images/2026/11/header-bg.jpg")).unwrap();
    let (w, h, ctype) = dims(&ctx, key);
    assert_eq!(ctype, "image/jpeg");
    if ow > 600 {
        assert_eq!(w, 600);
        let want = (oh as f64 * 600.0 / ow as f64).round() as u32;
        assert_eq!(h, want, "aspect kept: {ow}x{oh} -> {w}x{h}");
    } else {
        assert_eq!((w, h), (ow, oh), "never enlarged");
    }
    // A theme size of a referenced image (the site cover), though no stored URL names it.
    let theme_key = "content/images/size/w300/2026/11/site-cover.jpg";
    assert!(made.contains(&theme_key.to_string()));
    let (w, _, _) = dims(&ctx, theme_key);
    assert!(w <= 300, "{w}");
    let by_key: std::collections::BTreeMap<String, &serde_json::Value> = v["made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["key"].as_str().unwrap().to_string(), m))
        .collect();
    assert_eq!(by_key[theme_key]["why"], "theme-size");
    // The site icon's favicon size, which Ghost's head links and no stored URL names.
    let icon = "content/images/size/w256h256/2026/11/site-icon.png";
    assert_eq!(by_key[icon]["why"], "internal");
    let (w, h, _) = dims(&ctx, icon);
    assert!(w <= 256 && h <= 256, "{w}x{h}");
    assert_eq!(by_key[key]["why"], "referenced");
    // The unoptimised original is the source when Ghost kept one.
    let from_o = by_key
        .values()
        .filter(|m| m["note"].as_str().is_some_and(|n| n.contains("_o.")))
        .count();
    assert!(from_o > 0, "{v}");

    // Verify: the site's own forms, then after the rewrite the CDN's: nothing missing.
    let mut c = ctx.cmd();
    c.args(["verify", "--json", "--db", &db, "--bucket", &ctx.bucket])
        .args(["--site-url", SITE]);
    let o = crate::sync::show(c);
    let j = json(&o);
    assert_eq!(j["missing"], serde_json::json!([]), "{j}");
    assert_eq!(o.status.code(), Some(0));

    let cdn_url = cdn.unwrap_or_else(|| "https://cdn.example.com/content/".into());
    let to = format!("{cdn_url}images/");
    let o = run(&[
        "rewrite",
        "--db",
        &db,
        "--site-url",
        SITE,
        "--from",
        "http://127.0.0.1:2368/content/images/",
        "--to",
        &to,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", crate::common::stderr(&o));
    let mut c = ctx.cmd();
    c.args(["verify", "--json", "--db", &db, "--bucket", &ctx.bucket])
        .args(["--cdn-url", &cdn_url]);
    if over_http {
        c.arg("--http");
    }
    let o = crate::sync::show(c);
    let j = json(&o);
    assert_eq!(j["missing"], serde_json::json!([]), "{j}");
    assert_eq!(j["missing_size_variants"], 0);
    assert_eq!(j["http_problems"], serde_json::json!([]), "{j}");
    assert_eq!(o.status.code(), Some(0));

    // Run again after the rewrite (references now on the CDN): nothing left to make.
    let o = ctx.sync(&root, &[&db_args[..], &["--cdn-url", &cdn_url]].concat());
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(variants(&j)["made"], serde_json::json!([]));
    assert!(variants(&j)["in_bucket"].as_u64().unwrap() >= made.len() as u64);
}

#[test]
fn a_full_migration_with_variants_verifies_clean_on_moto_over_http() {
    full_migration(Kind::Moto, true);
}

#[test]
fn a_full_migration_with_variants_verifies_clean_on_seaweedfs() {
    full_migration(Kind::Seaweed, false);
}

#[test]
fn a_corrupt_original_is_named_and_the_rest_goes_on() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let (_d, db) = sqlite_copy();
    for f in ["header-bg.jpg", "header-bg_o.jpg"] {
        let p = root.join("images/2026/11").join(f);
        if p.exists() {
            std::fs::write(&p, b"\xff\xd8 this is not a JPEG any more").unwrap();
        }
    }
    let o = ctx.sync(&root, &["--variants", "--db", &db, "--site-url", SITE]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "a variant that cannot be made fails the run"
    );
    let j = json(&o);
    let v = variants(&j);
    let failed: Vec<&str> = v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        failed.iter().all(|p| p.ends_with("2026/11/header-bg.jpg")),
        "{failed:?}"
    );
    assert!(failed.contains(&"images/size/w600/2026/11/header-bg.jpg"));
    assert!(
        v["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot decode"),
        "{v}"
    );
    // The theme's sizes are unknown here (no themes folder): said, not silently skipped.
    assert!(
        v["warnings"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("image sizes are unknown")
    );
    // Everything else was made.
    let made = made_keys(&j);
    assert!(made.contains(&"content/images/size/w600/2026/11/page-feature.jpg".to_string()));
    let ks = keys(&ctx.s, &ctx.bucket);
    assert!(
        !ks.iter()
            .any(|k| k == "content/images/size/w600/2026/11/header-bg.jpg")
    );
}

#[test]
fn variants_need_the_database() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let o = ctx.sync(&root, &["--variants"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("--variants needs the database"));
    assert!(keys(&ctx.s, &ctx.bucket).is_empty(), "nothing uploaded");
    let o = ctx.sync(
        &root,
        &[
            "--variants",
            "--db",
            "x.db",
            "--variants-from",
            "ftp://ghost",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("is not a Ghost origin URL"));
}

#[test]
fn orphans_are_named_and_nothing_is_deleted() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let (_d, db) = sqlite_copy();
    // A file nothing references, with its _o original and a size variant of it.
    let dir = root.join("images/2026/11");
    std::fs::write(dir.join("never-used.jpg"), b"x").unwrap();
    std::fs::write(dir.join("never-used_o.jpg"), b"xx").unwrap();
    std::fs::create_dir_all(root.join("images/size/w600/2026/11")).unwrap();
    std::fs::write(root.join("images/size/w600/2026/11/never-used.jpg"), b"xxx").unwrap();
    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));
    let before = keys(&ctx.s, &ctx.bucket);

    let mut c = ctx.cmd();
    c.args([
        "verify",
        "--json",
        "--orphans",
        "--db",
        &db,
        "--bucket",
        &ctx.bucket,
    ])
    .args(["--site-url", SITE, "--content-dir", root.to_str().unwrap()]);
    let o = crate::sync::show(c);
    let j = json(&o);
    let list = |k: &str| -> Vec<String> {
        j["orphans"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let ours = [
        "images/2026/11/never-used.jpg",
        "images/2026/11/never-used_o.jpg",
        "images/size/w600/2026/11/never-used.jpg",
    ];
    let local = list("local");
    for p in ours {
        assert!(local.contains(&p.to_string()), "{p}: {local:?}");
        assert!(list("bucket").contains(&format!("content/{p}")), "{p}");
    }
    // Used images' _o originals and size variants are not orphans.
    for used in [
        "images/2026/11/body-photo_o.jpg",
        "images/size/w300/2026/11/body-photo.jpg",
        "images/2026/11/site-icon.png",
        "images/2026/11/site-icon_o.png",
    ] {
        assert!(root.join(used).exists(), "{used}");
        assert!(!local.contains(&used.to_string()), "{used}");
    }
    // The fixture's own unused uploads (uploaded through the Admin API, named by no column).
    let mut expect: Vec<String> = ["collection", "email-design-header", "welcome-email"]
        .iter()
        .flat_map(|n| {
            [
                format!("images/2026/11/{n}.jpg"),
                format!("images/2026/11/{n}_o.jpg"),
            ]
        })
        .chain(ours.iter().map(|p| p.to_string()))
        .collect();
    expect.sort();
    assert_eq!(local, expect);
    assert!(j["orphans"]["local_bytes"].as_u64().unwrap() >= 6);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the fixture's unmade size variants are missing"
    );
    // Read-only.
    assert_eq!(keys(&ctx.s, &ctx.bucket), before);
    assert!(dir.join("never-used.jpg").exists());
}

/// A loopback server answering like Ghost's `handle-image-sizes`: the configured sizes are
/// served (here as marker bytes), another size is redirected to the original.
fn ghost_like_server() -> String {
    crate::common::loopback_http(|_, path| {
        if let Some(rest) = path.strip_prefix("/content/images/size/w123/") {
            return format!(
                "HTTP/1.1 302 Found\r\nLocation: /content/images/{rest}\r\nContent-Length: 0\r\n\r\n"
            );
        }
        let (body, ctype) = if path.starts_with("/content/images/size/") {
            (format!("GHOST:{path}"), "image/jpeg")
        } else {
            (format!("ORIG:{path}"), "image/jpeg; charset=binary")
        };
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    })
}

#[test]
fn variants_from_a_running_ghost_store_what_it_answers() {
    let ctx = Ctx::new(Kind::Moto);
    let (_c, root) = content();
    let (_d, db) = sqlite_copy();
    crate::common::exec(
        &db,
        "UPDATE posts SET html = html || '<img src=\"/content/images/size/w123/2026/11/header-bg.jpg\">' WHERE id = (SELECT id FROM posts WHERE html IS NOT NULL ORDER BY id LIMIT 1)",
    );
    let ghost = ghost_like_server();
    let o = ctx.sync(
        &root,
        &[
            "--variants",
            "--variants-from",
            &ghost,
            "--db",
            &db,
            "--site-url",
            SITE,
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    let v = variants(&j);
    assert_eq!(v["source"], format!("ghost at {ghost}"));
    let key = "content/images/size/w600/2026/11/header-bg.jpg";
    let (status, headers, body) = get_object(&ctx.s, &ctx.bucket, key);
    assert_eq!(status, 200);
    assert_eq!(
        body,
        b"GHOST:/content/images/size/w600/2026/11/header-bg.jpg"
    );
    assert_eq!(header(&headers, "content-type"), Some("image/jpeg"));
    // Ghost redirects a size it does not know to the original: those bytes are stored.
    let key = "content/images/size/w123/2026/11/header-bg.jpg";
    let (_, _, body) = get_object(&ctx.s, &ctx.bucket, key);
    assert_eq!(body, b"ORIG:/content/images/2026/11/header-bg.jpg");
    let m = v["made"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap();
    assert_eq!(m["how"], "original");

    // A Ghost that does not answer: each variant is named, the run fails (exit 4).
    let (_d2, db2) = sqlite_copy();
    let ctx2 = Ctx::new(Kind::Moto);
    let o = ctx2.sync(
        &root,
        &[
            "--variants",
            "--variants-from",
            "http://127.0.0.1:9",
            "--db",
            &db2,
            "--site-url",
            SITE,
        ],
    );
    assert_eq!(o.status.code(), Some(4));
    let j = json(&o);
    let failed = variants(&j)["failed"].as_array().unwrap();
    assert!(!failed.is_empty());
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("GET http://127.0.0.1:9/content/images/size/")
    );
}
