//! `sync-images --sse`: the server-side encryption headers moto stores for single-part and
//! multipart uploads, read back with HeadObject outside the code under test.

use crate::common::stderr;
use crate::s3server::{Kind, enc, header, http};
use crate::sync::Ctx;
use std::path::Path;

/// A small content tree: one image and one file above the 8 MiB part size (multipart).
fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("images/2024/05")).unwrap();
    std::fs::write(root.join("images/2024/05/a.jpg"), b"\xff\xd8\xff jpeg-ish").unwrap();
    std::fs::create_dir_all(root.join("media")).unwrap();
    let big: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("media/big.mp4"), big).unwrap();
}

fn head(ctx: &Ctx, key: &str) -> Vec<(String, String)> {
    let (st, h, _) = http(
        "HEAD",
        &format!("{}/{}/{}", ctx.s.endpoint, ctx.bucket, enc(key)),
        &[],
    )
    .unwrap();
    assert_eq!(st, 200, "HEAD {key}");
    h
}

const KEYS: [&str; 2] = ["content/images/2024/05/a.jpg", "content/media/big.mp4"];

#[test]
fn sse_aes256_is_stored_on_every_object() {
    let ctx = Ctx::new(Kind::Moto);
    let d = tempfile::tempdir().unwrap();
    tree(d.path());
    let o = ctx.sync(d.path(), &["--sse", "AES256"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for k in KEYS {
        let h = head(&ctx, k);
        assert_eq!(
            header(&h, "x-amz-server-side-encryption"),
            Some("AES256"),
            "{k}: {h:?}"
        );
    }
}

#[test]
fn sse_kms_with_a_key_id_is_stored_on_every_object() {
    let ctx = Ctx::new(Kind::Moto);
    let d = tempfile::tempdir().unwrap();
    tree(d.path());
    let key_id = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    let o = ctx.sync(d.path(), &["--sse", "aws:kms", "--sse-kms-key-id", key_id]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    for k in KEYS {
        let h = head(&ctx, k);
        assert_eq!(
            header(&h, "x-amz-server-side-encryption"),
            Some("aws:kms"),
            "{k}: {h:?}"
        );
        assert_eq!(
            header(&h, "x-amz-server-side-encryption-aws-kms-key-id"),
            Some(key_id),
            "{k}: {h:?}"
        );
    }
}

#[test]
fn without_sse_nothing_is_asked_and_bad_flag_combinations_are_refused() {
    let ctx = Ctx::new(Kind::Moto);
    let d = tempfile::tempdir().unwrap();
    tree(d.path());
    let o = ctx.sync(d.path(), &["--sse-kms-key-id", "alias/ghost"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--sse-kms-key-id needs --sse aws:kms"),
        "{}",
        stderr(&o)
    );
    let o = ctx.sync(d.path(), &["--sse", "aes256"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses unknown values");
    let o = ctx.sync(d.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    let h = head(&ctx, KEYS[0]);
    assert_ne!(
        header(&h, "x-amz-server-side-encryption"),
        Some("aws:kms"),
        "{h:?}"
    );
}
