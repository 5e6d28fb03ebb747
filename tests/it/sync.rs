//! sync-images against real S3 servers on loopback (moto and SeaweedFS).

use crate::common::{fixtures, json, stderr};
use crate::s3server::{Kind, Server, bucket, delete_object, get_object, header, keys, server};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The real Ghost content tree (images, media, files) in a temp dir.
pub fn content() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("tar")
        .arg("xzf")
        .arg(fixtures().join("ghost-5.130.6-content.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let p = dir.path().to_path_buf();
    (dir, p)
}

/// Environment for the AWS SDK pointed at a loopback server, with no ~/.aws and no IMDS.
pub fn aws_env(c: &mut std::process::Command, endpoint: &str, cache: &Path) {
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_CONFIG_FILE", "/nonexistent/gm-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gm-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env("GHOST_MIGRATE_CACHE_DIR", cache);
}

pub struct Ctx {
    pub s: std::sync::Arc<Server>,
    pub bucket: String,
    pub cache: tempfile::TempDir,
}

impl Ctx {
    pub fn new(kind: Kind) -> Ctx {
        let s = server(kind);
        let bucket = bucket(&s);
        Ctx {
            s,
            bucket,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn cmd(&self) -> std::process::Command {
        let mut c = crate::common::bin();
        aws_env(&mut c, &self.s.endpoint, self.cache.path());
        c
    }

    pub fn sync(&self, dir: &Path, extra: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args([
            "sync-images",
            "--json",
            "--bucket",
            &self.bucket,
            "--content-dir",
        ])
        .arg(dir)
        .args(extra);
        show(c)
    }
}

pub fn show(mut c: std::process::Command) -> Output {
    let out = c.output().expect("run ghost-migrate");
    eprintln!(
        "$ {:?}\nexit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        c.get_args().collect::<Vec<_>>(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn local_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut v = Vec::new();
    for d in ["images", "media", "files"] {
        let base = root.join(d);
        if !base.exists() {
            continue;
        }
        let mut stack = vec![base];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e
                        .path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string();
                    v.push((rel, e.path()));
                }
            }
        }
    }
    v.sort();
    v
}

fn totals(o: &Output) -> serde_json::Value {
    json(o)["totals"].clone()
}

fn set_mtime(p: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn first_sync_then_noop(kind: Kind) {
    let ctx = Ctx::new(kind);
    let (_d, root) = content();
    let files = local_files(&root);
    assert!(files.len() > 100, "fixture has {} files", files.len());

    let o = ctx.sync(&root, &[]);
    assert_eq!(o.status.code(), Some(0));
    let t = totals(&o);
    assert_eq!(t["uploaded"], files.len());
    assert_eq!(t["verified"], files.len());
    assert_eq!(t["failed"], 0);

    // Every object holds the local bytes, with a Content-Type by extension and Cache-Control.
    let want: Vec<String> = files.iter().map(|(r, _)| format!("content/{r}")).collect();
    assert_eq!(keys(&ctx.s, &ctx.bucket), want);
    for (rel, path) in &files {
        let (st, h, body) = get_object(&ctx.s, &ctx.bucket, &format!("content/{rel}"));
        assert_eq!(st, 200, "{rel}");
        assert_eq!(body, std::fs::read(path).unwrap(), "bytes of {rel}");
        let ct = header(&h, "content-type").unwrap_or_default();
        let ext = rel.rsplit('.').next().unwrap();
        let expect = match ext {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "webp" => "image/webp",
            "gif" => "image/gif",
            "svg" => "image/svg+xml",
            "mp4" => "video/mp4",
            "mp3" => "audio/mpeg",
            "pdf" => "application/pdf",
            _ => "",
        };
        if !expect.is_empty() {
            assert_eq!(ct, expect, "content-type of {rel}");
        }
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{rel}"
        );
    }

    // Second run: nothing to upload, nothing hashed (cache), every file identical.
    let o = ctx.sync(&root, &[]);
    assert_eq!(o.status.code(), Some(0));
    let t = totals(&o);
    assert_eq!(t["uploaded"], 0);
    assert_eq!(t["identical"], files.len());
    assert_eq!(t["hashed"], 0);
    // Without the cache, the hashes still prove every object identical.
    let o = ctx.sync(&root, &["--rehash"]);
    let t = totals(&o);
    assert_eq!(
        (t["uploaded"].clone(), t["hashed"].clone()),
        (0.into(), files.len().into())
    );
}

#[test]
fn moto_first_sync_uploads_everything_second_uploads_nothing() {
    first_sync_then_noop(Kind::Moto);
}

#[test]
fn seaweed_first_sync_uploads_everything_second_uploads_nothing() {
    first_sync_then_noop(Kind::Seaweed);
}

#[test]
fn touch_uploads_nothing_same_size_edit_with_old_mtime_is_uploaded() {
    let ctx = Ctx::new(Kind::Seaweed);
    let (_d, root) = content();
    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));

    let a = root.join("images/2026/11/site-icon.png");
    let b = root.join("images/2026/11/gallery-1.jpg");
    // Touch a: new mtime, same bytes.
    set_mtime(
        &a,
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    );
    // Edit b: same size, one byte changed, old mtime restored.
    let old = std::fs::metadata(&b).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&b).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&b, &bytes).unwrap();
    set_mtime(&b, old);
    assert_eq!(std::fs::metadata(&b).unwrap().modified().unwrap(), old);

    let o = ctx.sync(&root, &[]);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    let ups: Vec<(String, String)> = j["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["key"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ups,
        vec![(
            "content/images/2026/11/gallery-1.jpg".to_string(),
            "content-differs".to_string()
        )]
    );
    assert_eq!(
        j["totals"]["hashed"], 2,
        "only the two changed-stamp files are hashed again"
    );
    let (_, _, body) = get_object(&ctx.s, &ctx.bucket, "content/images/2026/11/gallery-1.jpg");
    assert_eq!(body, bytes);
}

fn multipart_roundtrip(kind: Kind) {
    let ctx = Ctx::new(kind);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("images/2026/11")).unwrap();
    std::fs::create_dir_all(root.join("media/2026/11")).unwrap();
    // 17 MiB + 5 bytes: three 8 MiB parts, the last one short.
    let big: Vec<u8> = (0..(17 * 1024 * 1024 + 5))
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(root.join("media/2026/11/talk.mp4"), &big).unwrap();
    std::fs::write(root.join("images/2026/11/a.jpg"), b"jpeg").unwrap();
    let o = ctx.sync(root, &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(totals(&o)["uploaded"], 2);
    let (st, h, body) = get_object(&ctx.s, &ctx.bucket, "content/media/2026/11/talk.mp4");
    assert_eq!(st, 200);
    assert!(
        body == big,
        "multipart object bytes differ ({} vs {})",
        body.len(),
        big.len()
    );
    assert!(header(&h, "etag").unwrap().ends_with("-3\""), "{h:?}");
    assert_eq!(header(&h, "content-type"), Some("video/mp4"));
    // Second run compares the multipart ETag by hashing (no cache) and uploads nothing.
    let o = ctx.sync(root, &["--rehash"]);
    assert_eq!(totals(&o)["uploaded"], 0);
    assert_eq!(totals(&o)["identical"], 2);
    // A same-size edit in the last part is caught.
    let mut edited = big.clone();
    let n = edited.len();
    edited[n - 2] ^= 1;
    std::fs::write(root.join("media/2026/11/talk.mp4"), &edited).unwrap();
    let o = ctx.sync(root, &[]);
    assert_eq!(json(&o)["uploads"][0]["reason"], "content-differs");
    let (_, _, body) = get_object(&ctx.s, &ctx.bucket, "content/media/2026/11/talk.mp4");
    assert!(body == edited);
}

#[test]
fn moto_multipart_file_is_compared_by_its_multipart_etag() {
    multipart_roundtrip(Kind::Moto);
}

#[test]
fn seaweed_multipart_file_is_compared_by_its_multipart_etag() {
    multipart_roundtrip(Kind::Seaweed);
}

#[test]
fn odd_keys_junk_and_symlinks() {
    let ctx = Ctx::new(Kind::Moto);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("content");
    let img = root.join("images/2026/11");
    std::fs::create_dir_all(&img).unwrap();
    let names = [
        "my photo+1%.jpg",
        "été ü.png",
        "a&b=c?.webp",
        "plus+sign.avif",
    ];
    for n in names {
        std::fs::write(img.join(n), n.as_bytes()).unwrap();
    }
    std::fs::write(img.join(".DS_Store"), b"x").unwrap();
    std::fs::write(img.join("Thumbs.db"), b"x").unwrap();
    std::fs::write(img.join("draft.jpg~"), b"x").unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), img.join("escape.jpg")).unwrap();
    std::os::unix::fs::symlink(img.join("my photo+1%.jpg"), img.join("inside-link.jpg")).unwrap();
    std::os::unix::fs::symlink(img.join("missing.jpg"), img.join("broken.jpg")).unwrap();

    let o = ctx.sync(&root, &[]);
    // The broken link is an error by path: the rest is uploaded, the exit is non-zero.
    assert_eq!(o.status.code(), Some(4));
    let j = json(&o);
    let fails: Vec<&str> = j["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(fails.len(), 1);
    assert!(fails[0].ends_with("broken.jpg"));
    assert!(
        j["warnings"].to_string().contains("escape.jpg"),
        "{}",
        j["warnings"]
    );
    assert_eq!(j["totals"]["ignored_junk"], 3);
    let mut want: Vec<String> = names
        .iter()
        .map(|n| format!("content/images/2026/11/{n}"))
        .collect();
    want.push("content/images/2026/11/inside-link.jpg".into());
    want.sort();
    assert_eq!(keys(&ctx.s, &ctx.bucket), want);
    for n in names {
        let (st, h, body) = get_object(&ctx.s, &ctx.bucket, &format!("content/images/2026/11/{n}"));
        assert_eq!((st, body), (200, n.as_bytes().to_vec()), "{n}");
        if n.ends_with(".avif") {
            assert_eq!(header(&h, "content-type"), Some("image/avif"));
        }
    }
    let (_, _, body) = get_object(
        &ctx.s,
        &ctx.bucket,
        "content/images/2026/11/inside-link.jpg",
    );
    assert_eq!(body, b"my photo+1%.jpg");
    std::fs::remove_file(img.join("broken.jpg")).unwrap();
    let o = ctx.sync(&root, &[]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "the link out of the directory stays a warning"
    );
    assert_eq!(totals(&o)["uploaded"], 0);
}

#[test]
fn delete_is_guarded_and_dry_run_writes_nothing() {
    let ctx = Ctx::new(Kind::Moto);
    let (_d, root) = content();
    let n = local_files(&root).len();

    // Dry run on an empty bucket: everything listed as new, nothing written.
    let o = ctx.sync(&root, &["--dry-run"]);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(j["totals"]["to_upload"], n);
    assert!(
        j["uploads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["reason"] == "new")
    );
    assert!(keys(&ctx.s, &ctx.bucket).is_empty());

    assert_eq!(ctx.sync(&root, &[]).status.code(), Some(0));
    // Three local files go away; an unrelated object outside the prefix must survive.
    let gone = [
        "images/2026/11/gallery-1.jpg",
        "images/2026/11/gallery-3.webp",
        "files/2026/11",
    ];
    let mut removed = Vec::new();
    for g in gone {
        let p = root.join(g);
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap();
                removed.push(format!("content/{g}/{}", e.file_name().to_str().unwrap()));
                std::fs::remove_file(e.path()).unwrap();
            }
        } else {
            removed.push(format!("content/{g}"));
            std::fs::remove_file(p).unwrap();
        }
    }
    removed.sort();
    let before = keys(&ctx.s, &ctx.bucket);
    // Without --delete: kept and counted.
    let o = ctx.sync(&root, &[]);
    assert_eq!(totals(&o)["only_in_bucket"], removed.len());
    // Over the guard: refused, nothing deleted.
    let o = ctx.sync(&root, &["--delete", "--max-delete", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--max-delete"), "{}", stderr(&o));
    assert_eq!(keys(&ctx.s, &ctx.bucket), before);
    // A dry run over the guard lists them and warns instead of refusing.
    let o = ctx.sync(&root, &["--delete", "--max-delete", "2", "--dry-run"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        json(&o)["warnings"]
            .to_string()
            .contains("exceed --max-delete 2")
    );
    assert_eq!(keys(&ctx.s, &ctx.bucket), before);
    // Dry run lists them; then the real delete removes exactly them.
    let o = ctx.sync(&root, &["--delete", "--dry-run"]);
    let mut listed: Vec<String> = json(&o)["deletes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, removed);
    assert_eq!(keys(&ctx.s, &ctx.bucket), before);
    let o = ctx.sync(&root, &["--delete"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(totals(&o)["deleted"], removed.len());
    let after = keys(&ctx.s, &ctx.bucket);
    let expect: Vec<String> = before
        .into_iter()
        .filter(|k| !removed.contains(k))
        .collect();
    assert_eq!(after, expect);
    // A deleted object is uploaded again when its file comes back.
    delete_object(&ctx.s, &ctx.bucket, "content/images/2026/11/site-icon.png");
    let o = ctx.sync(&root, &[]);
    assert_eq!(
        json(&o)["uploads"][0]["key"],
        "content/images/2026/11/site-icon.png"
    );
}

#[test]
fn corrupted_body_is_rejected_by_the_server_not_stored() {
    let ctx = Ctx::new(Kind::Seaweed);
    let (_d, root) = content();
    let mut c = ctx.cmd();
    c.env("GHOST_MIGRATE_TEST_BAD_MD5", "1")
        .args([
            "sync-images",
            "--json",
            "--bucket",
            &ctx.bucket,
            "--content-dir",
        ])
        .arg(&root);
    let o = show(c);
    assert_eq!(o.status.code(), Some(4));
    let t = totals(&o);
    assert_eq!(t["uploaded"], 0);
    assert!(json(&o)["failures"].to_string().contains("BadDigest"));
    assert!(keys(&ctx.s, &ctx.bucket).is_empty());
}

#[test]
fn bad_input_fails_before_any_upload() {
    let ctx = Ctx::new(Kind::Moto);
    let (_d, root) = content();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--bucket".into(), "no-such-bucket-gm".into()],
            "does not exist",
        ),
        (
            vec!["--bucket".into(), "s3://Bad_Name".into()],
            "not a valid S3 bucket name",
        ),
        (
            vec![
                "--bucket".into(),
                ctx.bucket.clone(),
                "--prefix".into(),
                "s3://x/y".into(),
            ],
            "looks like a URL",
        ),
    ];
    for (args, msg) in cases {
        let mut c = ctx.cmd();
        c.args(["sync-images", "--content-dir"])
            .arg(&root)
            .args(&args);
        let o = show(c);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
    }
    // Content dir missing, or not Ghost's (no images/).
    let empty = tempfile::tempdir().unwrap();
    for (dir, msg) in [
        (empty.path().join("nope"), "does not exist"),
        (empty.path().to_path_buf(), "no images/ folder"),
        (root.join("images"), "no images/ folder"),
    ] {
        let mut c = ctx.cmd();
        c.args(["sync-images", "--bucket", &ctx.bucket, "--content-dir"])
            .arg(&dir);
        let o = show(c);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(msg), "{}", stderr(&o));
    }
    // No region, no credentials.
    let mut c = ctx.cmd();
    c.env_remove("AWS_REGION")
        .args(["sync-images", "--bucket", &ctx.bucket, "--content-dir"])
        .arg(&root);
    let o = show(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS region") && stderr(&o).contains("--region"));
    let mut c = ctx.cmd();
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
        .args(["sync-images", "--bucket", &ctx.bucket, "--content-dir"])
        .arg(&root);
    let o = show(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS credentials"), "{}", stderr(&o));
    assert!(keys(&ctx.s, &ctx.bucket).is_empty());
}
