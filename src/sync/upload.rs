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

/// Why one file was not uploaded.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read: {0}")]
    Read(std::io::Error),
    #[error("{0}")]
    Worker(tokio::task::JoinError),
    /// What S3 answered, as `aws::describe` words it (`AccessDenied: ...`, `HTTP 403`).
    #[error("{0}")]
    Server(String),
    #[error("the server returned no UploadId")]
    NoUploadId,
    #[error("{0}")]
    BadEtag(hex::FromHexError),
}

/// What S3 answered, as an `UploadError`.
fn server<E>(
    e: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> UploadError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    UploadError::Server(crate::aws::describe(&e))
}

impl UploadError {
    /// S3 refused the request itself: every other upload would be refused the same way.
    pub fn denied(&self) -> bool {
        matches!(self, UploadError::Server(m) if m.starts_with("AccessDenied") || m.starts_with("HTTP 403"))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, UploadError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(UploadError::Worker)?
        .map_err(UploadError::Read)
}

/// The object settings every upload carries (type, cache, ACL, class, encryption): a macro,
/// because PutObject and CreateMultipartUpload are builders of different types.
macro_rules! with_meta {
    ($b:expr, $meta:expr, $ctype:expr) => {
        $b.content_type($ctype)
            .cache_control(&$meta.cache_control)
            .set_acl($meta.acl.clone())
            .set_storage_class($meta.storage_class.clone())
            .set_server_side_encryption($meta.sse.clone())
            .set_ssekms_key_id($meta.sse_kms_key_id.clone())
    };
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
) -> Result<Uploaded, UploadError> {
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
        hex::decode_to_slice(&etag, &mut md5).map_err(UploadError::BadEtag)?;
        corrupt_for_test(&mut md5);
        let body = super::body::file_range(path, 0, size);
        let req = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .content_length(size as i64)
            .content_md5(b64(&md5));
        let resp = with_meta!(req, meta, ctype).send().await.map_err(server)?;
        let verified = resp
            .e_tag()
            .is_some_and(|t| t.trim_matches('"').eq_ignore_ascii_case(&etag));
        return Ok(Uploaded { etag, verified });
    }

    let create = s3.create_multipart_upload().bucket(bucket).key(key);
    let created = with_meta!(create, meta, ctype)
        .send()
        .await
        .map_err(server)?;
    let upload_id = created
        .upload_id()
        .ok_or(UploadError::NoUploadId)?
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
                    Err(UploadError::Server(crate::aws::describe(&e)))
                }
            }
        }
        Err(e) => {
            abort(s3, bucket, key, &upload_id).await;
            Err(e)
        }
    }
}

/// Uploads bytes made in memory (a generated variant) as `key` with the given content type: a
/// format variant keeps the original's extension (`.jpg`) although its bytes are WebP.
pub async fn upload_bytes(
    s3: &Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    ctype: &str,
    meta: &Meta,
) -> Result<Uploaded, UploadError> {
    let mut md5: [u8; 16] = Md5::digest(&bytes).into();
    let etag = hex::encode(md5);
    corrupt_for_test(&mut md5);
    let len = bytes.len() as i64;
    let req = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
        .content_length(len)
        .content_md5(b64(&md5));
    let resp = with_meta!(req, meta, ctype).send().await.map_err(server)?;
    let verified = resp
        .e_tag()
        .is_some_and(|t| t.trim_matches('"').eq_ignore_ascii_case(&etag));
    Ok(Uploaded { etag, verified })
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
) -> Result<(Vec<CompletedPart>, String), UploadError> {
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
            .map_err(|e| {
                UploadError::Server(format!("part {}: {}", i + 1, crate::aws::describe(&e)))
            })?;
        done.push(
            CompletedPart::builder()
                .part_number((i + 1) as i32)
                .set_e_tag(r.e_tag().map(str::to_string))
                .build(),
        );
    }
    Ok((done, format!("{}-{n}", hex::encode(outer.finalize()))))
}
