//! `rewrite --report x.html` opened in a real browser: a dry run of the SQLite fixture (with a
//! post title full of markup and one cell that cannot be rewritten) whose `--to` is a loopback
//! server holding the fixture's images, rendered in Debian's headless Chromium driven by
//! playwright-core (installed on first use into the target dir under a file lock, like the test
//! servers). Asserts what a reviewer relies on: the rows, URLs, images, counts and problems are
//! there, nothing is requested but the page and its images, and nothing errs in the console.
//! Without Chromium or node the test prints SKIPPED (fails under CI).

use crate::common::*;
use crate::tools::say;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What the npm dir holds; a change here makes a new dir.
const PLAYWRIGHT: &str = "playwright-core@1.65.2";
const CHROMIUM: &str = "/usr/bin/chromium";
const NODE: &str = "/usr/bin/node";
const NPM: &str = "/usr/bin/npm";

fn missing(what: &str, hint: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing under CI ({hint})");
    }
    say(&format!(
        "SKIPPED {}: no {what} ({hint})",
        std::thread::current().name().unwrap_or("a test")
    ));
    None
}

fn works(path: &str) -> bool {
    Command::new(path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `node_modules` dir holding playwright-core, installed on first use (one process
/// installs under a file lock, the others wait). None (skipped) without Chromium, node or npm.
fn playwright() -> Option<PathBuf> {
    if !works(CHROMIUM) {
        return missing(CHROMIUM, "Debian: apt-get install chromium");
    }
    if !works(NODE) || !works(NPM) {
        return missing("node and npm", "Debian: apt-get install nodejs npm");
    }
    let tag: String = PLAYWRIGHT
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-tools");
    let dir = parent.join(tag);
    let done = dir.join(".installed");
    let modules = dir.join("node_modules");
    if std::fs::read_to_string(&done).is_ok_and(|s| s == PLAYWRIGHT) {
        return Some(modules);
    }
    std::fs::create_dir_all(&parent).unwrap();
    let lock = std::fs::File::create(parent.join("install.lock")).unwrap();
    lock.lock().unwrap();
    if std::fs::read_to_string(&done).is_ok_and(|s| s == PLAYWRIGHT) {
        return Some(modules);
    }
    say(&format!(
        "browser test: installing {PLAYWRIGHT} into {} (once)",
        dir.display()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // --ignore-scripts: nothing runs at install time; the browser is Debian's, never downloaded.
    let o = Command::new(NPM)
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .arg("--prefix")
        .arg(&dir)
        .arg(PLAYWRIGHT)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "npm install {PLAYWRIGHT} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(&done, PLAYWRIGHT).unwrap();
    Some(modules) // `lock` drops here
}

/// A file of the content tree for `GET /content/...`, else 404.
fn serve(root: &Path, path: &str) -> Vec<u8> {
    let file = path
        .strip_prefix("/content/")
        .filter(|p| !p.split('/').any(|s| s == ".." || s.is_empty()))
        .and_then(|p| std::fs::read(root.join(p)).ok());
    match file {
        Some(body) => {
            let ext = path.rsplit('.').next().unwrap_or("");
            let ctype = match ext {
                "jpg" | "jpeg" => "image/jpeg",
                "png" => "image/png",
                "webp" => "image/webp",
                "gif" => "image/gif",
                "svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            r
        }
        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    }
}

const EVIL_TITLE: &str = r#"</style><script>alert("title")</script> & "quoted" 'post'"#;

#[test]
fn html_report_shows_every_changed_row_in_chromium() {
    let Some(modules) = playwright() else { return };
    let started = Instant::now();
    let (_content_tmp, content) = crate::sync::content();
    let root = content.clone();
    let base = loopback_http(move |_, path| serve(&root, path));
    let to = format!("{base}/content/images/");
    let (dir, db) = sqlite_copy();
    exec(
        &db,
        &format!(
            "UPDATE posts SET title = '{}' WHERE slug = 'lexical-simple'",
            EVIL_TITLE.replace('\'', "''")
        ),
    );
    exec(
        &db,
        "UPDATE posts SET lexical = '{\"root\": broken http://127.0.0.1:2368/content/images/2026/11/broken.jpg' WHERE slug = 'coming-soon'",
    );
    let report = dir.path().join("report.html");
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
        "--dry-run",
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    // The broken cell makes the dry run exit 2 (applying would refuse); the report is written.
    assert_eq!(o.status.code(), Some(2));
    let j = json(&o);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains("cdn.example.com"));

    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html");
    let _ = std::fs::remove_dir_all(&artefacts);
    std::fs::create_dir_all(&artefacts).unwrap();
    std::fs::copy(&report, artefacts.join("report.html")).unwrap();
    let b = Command::new(NODE)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/report_html.js"))
        .arg(artefacts.join("report.html"))
        .arg(&artefacts)
        .env("NODE_PATH", &modules)
        .output()
        .unwrap();
    assert!(
        b.status.success(),
        "the browser driver failed:\n{}",
        String::from_utf8_lossy(&b.stderr)
    );
    let out: Value = serde_json::from_slice(&b.stdout).expect("the driver prints JSON");
    let dom = &out["dom"];
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect()
    };

    // Nothing ran but our script: no page error, no alert from the title, one script element.
    assert_eq!(out["pageErrors"], serde_json::json!([]), "{out}");
    assert_eq!(out["dialogs"], serde_json::json!([]), "{out}");
    assert_eq!(dom["scripts"], 1);

    // Every request is the page itself or one of its images, and every image is on loopback.
    let images = strs(&dom["images"]);
    let page = out["pageUrl"].as_str().unwrap().to_string();
    assert!(page.starts_with("file://"));
    for u in strs(&out["requests"]) {
        assert!(
            u == page || images.contains(&u),
            "a request that is not an image of the report: {u}"
        );
    }
    for u in &images {
        assert!(
            u.starts_with("http://127.0.0.1:"),
            "an image off loopback: {u}"
        );
    }
    // The only console errors are images that did not load.
    for m in out["console"].as_array().unwrap() {
        if m["type"] == "error" {
            let url = m["url"].as_str().unwrap_or("").to_string();
            assert!(
                m["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Failed to load resource")
                    && images.contains(&url),
                "console error: {m}"
            );
        }
    }

    // Every changed row is listed (no cap reached here), each with its URL pairs.
    let rows = dom["rows"].as_array().unwrap();
    assert_eq!(
        rows.len() as u64,
        j["totals"]["rows_changed"].as_u64().unwrap()
    );
    assert!(dom["cap"].is_null());
    let pairs: Vec<&Value> = rows
        .iter()
        .flat_map(|r| r["pairs"].as_array().unwrap())
        .collect();
    let mut loaded = 0;
    for p in &pairs {
        let (old, new) = (p["old"].as_str().unwrap(), p["new"].as_str().unwrap());
        assert!(new.starts_with(&to), "{new}");
        let tail = &new[to.len()..];
        assert!(
            [FROM, "__GHOST_URL__/content/images/", "/content/images/"]
                .iter()
                .any(|f| old == format!("{f}{tail}")),
            "{old} -> {new}"
        );
        // The new image loads from the loopback CDN exactly when the file exists; otherwise,
        // like the old host's, it shows a visible placeholder.
        let exists = content.join("images").join(tail).is_file();
        let n = &p["newImg"];
        if exists {
            assert_eq!(n["loaded"], true, "{p}");
            assert!(n["size"].as_str().unwrap().contains('×'), "{p}");
            loaded += 1;
        } else {
            assert_eq!(
                (&n["failed"], &n["placeholderShown"]),
                (&Value::Bool(true), &Value::Bool(true)),
                "{p}"
            );
        }
        let o = &p["oldImg"];
        assert!(
            o["loaded"] == true || (o["failed"] == true && o["placeholderShown"] == true),
            "{p}"
        );
        assert!(o["alt"].as_str().unwrap().contains(old));
    }
    assert!(loaded >= 40, "only {loaded} new images loaded");
    // A known post: identity, the stored __GHOST_URL__ form resolved for display, the image.
    let post = rows
        .iter()
        .find(|r| {
            r["who"]
                .as_str()
                .unwrap_or("")
                .contains("lexical-all-cards")
        })
        .expect("the lexical post is listed");
    assert_eq!(post["table"], "posts");
    let photo = post["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["old"] == "__GHOST_URL__/content/images/2026/11/body-photo.jpg")
        .expect("body-photo.jpg");
    assert_eq!(photo["new"], format!("{to}2026/11/body-photo.jpg"));
    assert_eq!(
        photo["oldImg"]["src"],
        format!("{SITE}/content/images/2026/11/body-photo.jpg")
    );
    assert_eq!(photo["newImg"]["size"], "1200×800");
    assert!(photo["columns"].as_str().unwrap().contains("html"));
    // The title full of markup is text.
    assert!(
        rows.iter()
            .any(|r| r["who"].as_str().unwrap().contains(EVIL_TITLE))
    );
    // Settings rows are named by their key.
    assert!(
        rows.iter()
            .any(|r| r["table"] == "settings" && !r["who"].is_null())
    );

    // The per-column table matches the JSON report, and the problem and warnings are shown.
    let columns: Vec<Vec<String>> = dom["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(strs)
        .collect();
    for c in j["columns"].as_array().unwrap() {
        let want: Vec<String> = [
            "table",
            "column",
            "rows_scanned",
            "rows_changed",
            "occurrences",
        ]
        .iter()
        .map(|k| c[*k].to_string().trim_matches('"').to_string())
        .collect();
        assert!(
            columns.iter().any(|r| r.len() >= 5 && r[..5] == want[..]),
            "column {want:?} not in {columns:?}"
        );
    }
    let problems: Vec<Vec<String>> = dom["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(strs)
        .collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0][0], "posts.lexical");
    assert_eq!(problems[0][2], "coming-soon");
    assert!(problems[0][3].contains("does not parse"));
    assert!(
        dom["verdict"]
            .as_str()
            .unwrap()
            .contains("cannot be rewritten safely")
    );
    assert!(
        strs(&dom["warnings"])
            .iter()
            .any(|w| w.contains("restart Ghost"))
    );

    for s in strs(&out["screenshots"]) {
        let png = std::fs::read(&s).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{s}");
    }
    say(&format!(
        "report_html: {} rows, {} URL pairs, {loaded} new images loaded, in {:.1}s; report and screenshots in {}",
        rows.len(),
        pairs.len(),
        started.elapsed().as_secs_f64(),
        artefacts.display()
    ));
}
