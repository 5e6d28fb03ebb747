//! Uploads one file: a single PutObject up to [`PART_SIZE`], multipart above it. Bodies stream
//! from disk in bounded chunks (`body`); every request carries Content-MD5, so the server rejects a corrupted body instead
//! of storing it. A failed multipart upload is aborted, leaving no orphaned parts behind.

use super::etag::{PART_SIZE, local_etag, md5_range, parts};
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ObjectCannedAcl, ServerSideEncryption, StorageClass,
};
use base64::Engine as _;
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// Headers every object gets.
#[derive(Debug, Clone)]
pub struct Meta {
    pub cache_control: String,
    pub acl: Option<ObjectCannedAcl>,
    pub storage_class: Option<StorageClass>,
    /// Server-side encryption (`--sse`) and its KMS key (`--sse-kms-key-id`).
    pub sse: Option<ServerSideEncryption>,
    pub sse_kms_key_id: Option<String>,
}

/// What an upload achieved.
#[derive(Debug)]
pub struct Uploaded {
    /// The ETag we computed locally (cached for the next run).
    pub etag: String,
    /// The server's ETag equals ours.
    pub verified: bool,
}

pub fn content_type(rel: &str) -> String {
    mime_guess::from_path(rel)
        .first_or_octet_stream()
        .essence_str()
        .to_string()
}

fn b64(d: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(d)
}

/// Debug builds only: send a wrong Content-MD5 so tests can prove the server checks it.
fn corrupt_for_test(md5: &mut [u8]) {
    if cfg!(debug_assertions) && std::env::var_os("GHOST_MIGRATE_TEST_BAD_MD5").is_some() {
        md5[0] ^= 0xff;
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read: {e}"))
}

/// Uploads `path` as `key`. `known` is the file's ETag when already computed this run.
pub async fn upload(
    s3: &Client,
    bucket: &str,
    key: &str,
    path: PathBuf,
    size: u64,
    known: Option<String>,
    meta: &Meta,
) -> Result<Uploaded, String> {
    let ctype = content_type(key);
    if parts(size) == 1 {
        let etag = match known {
            Some(e) => e,
            None => {
                let p = path.clone();
                blocking(move || local_etag(&p, size)).await?
            }
        };
        let mut md5 = [0u8; 16];
        hex::decode_to_slice(&etag, &mut md5).map_err(|e| e.to_string())?;
        corrupt_for_test(&mut md5);
        let body = super::body::file_range(path, 0, size);
        let mut req = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .content_length(size as i64)
            .content_md5(b64(&md5))
            .content_type(ctype)
            .cache_control(&meta.cache_control);
        if let Some(a) = &meta.acl {
            req = req.acl(a.clone());
        }
        if let Some(c) = &meta.storage_class {
            req = req.storage_class(c.clone());
        }
        req = req
            .set_server_side_encryption(meta.sse.clone())
            .set_ssekms_key_id(meta.sse_kms_key_id.clone());
        let resp = req.send().await.map_err(|e| crate::aws::describe(&e))?;
        let verified = resp
            .e_tag()
            .is_some_and(|t| t.trim_matches('"').eq_ignore_ascii_case(&etag));
        return Ok(Uploaded { etag, verified });
    }

    let mut create = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .content_type(ctype)
        .cache_control(&meta.cache_control);
    if let Some(a) = &meta.acl {
        create = create.acl(a.clone());
    }
    if let Some(c) = &meta.storage_class {
        create = create.storage_class(c.clone());
    }
    create = create
        .set_server_side_encryption(meta.sse.clone())
        .set_ssekms_key_id(meta.sse_kms_key_id.clone());
    let created = create.send().await.map_err(|e| crate::aws::describe(&e))?;
    let upload_id = created
        .upload_id()
        .ok_or("the server returned no UploadId")?
        .to_string();
    let result = upload_parts(s3, bucket, key, &path, size, &upload_id).await;
    match result {
        Ok((done, etag)) => {
            let resp = s3
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(done))
                        .build(),
                )
                .send()
                .await;
            match resp {
                Ok(r) => {
                    let verified = r
                        .e_tag()
                        .is_some_and(|t| t.trim_matches('"').eq_ignore_ascii_case(&etag));
                    Ok(Uploaded { etag, verified })
                }
                Err(e) => {
                    abort(s3, bucket, key, &upload_id).await;
                    Err(crate::aws::describe(&e))
                }
            }
        }
        Err(e) => {
            abort(s3, bucket, key, &upload_id).await;
            Err(e)
        }
    }
}

async fn abort(s3: &Client, bucket: &str, key: &str, upload_id: &str) {
    let _ = s3
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await;
}

async fn upload_parts(
    s3: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    size: u64,
    upload_id: &str,
) -> Result<(Vec<CompletedPart>, String), String> {
    let n = parts(size);
    let mut done = Vec::with_capacity(n as usize);
    let mut outer = Md5::new();
    for i in 0..n {
        let offset = i * PART_SIZE;
        let len = PART_SIZE.min(size - offset);
        let p = path.to_path_buf();
        let mut md5 = blocking(move || md5_range(&p, offset, len)).await?;
        outer.update(md5);
        corrupt_for_test(&mut md5);
        let body = super::body::file_range(path.to_path_buf(), offset, len);
        let r = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number((i + 1) as i32)
            .content_length(len as i64)
            .content_md5(b64(&md5))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("part {}: {}", i + 1, crate::aws::describe(&e)))?;
        done.push(
            CompletedPart::builder()
                .part_number((i + 1) as i32)
                .set_e_tag(r.e_tag().map(str::to_string))
                .build(),
        );
    }
    Ok((done, format!("{}-{n}", hex::encode(outer.finalize()))))
}
