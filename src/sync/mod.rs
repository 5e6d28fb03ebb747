//! `sync-images`: walk the content directory, list the bucket once, decide per file by size and
//! content hash (never by mtime), then upload concurrently and delete (guarded) what has no
//! local file. Stages: walk -> list -> compare (SyncPlan) -> report (dry run) or upload/delete.

pub mod body;
pub mod etag;
pub mod report;
pub mod upload;
pub mod walk;

use crate::bucket::{self, BucketLayout};
use crate::error::{Error, Result};
use crate::progress::{Cancel, Progress, Task};
use crate::sync::report::{Reason, SyncReport, SyncTotals, Upload};
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use etag::{HashCache, Verdict, verdict};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use walk::{LocalFile, Skipped};

/// A validated `sync-images` request.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The bucket and key prefix; keys are `<prefix><path below the content directory>`.
    pub layout: BucketLayout,
    pub content_dir: PathBuf,
    pub dirs: Vec<String>,
    pub dry_run: bool,
    pub delete: bool,
    pub max_delete: u64,
    pub concurrency: usize,
    pub meta: upload::Meta,
    pub rehash: bool,
}

/// Hashes the files at `idx` on all cores; returns (index, ETag or error).
fn hash_all(files: &[LocalFile], idx: Vec<usize>) -> Vec<(usize, std::io::Result<String>)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let results = std::sync::Mutex::new(Vec::with_capacity(idx.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&fi) = idx.get(i) else { break };
                    let f = &files[fi];
                    let r = etag::local_etag(&f.path, f.size);
                    results
                        .lock()
                        .expect("no panics while locked")
                        .push((fi, r));
                }
            });
        }
    });
    results.into_inner().expect("threads joined")
}

/// Runs the sync. `cancel` is set by Ctrl-C: no new uploads start, in-flight ones settle.
pub async fn run(
    req: &SyncRequest,
    s3: &Client,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<SyncReport> {
    let started = Instant::now();
    let root = req.content_dir.clone();
    let dirs = req.dirs.clone();
    let w = tokio::task::spawn_blocking(move || walk::walk(&root, &dirs))
        .await
        .map_err(Error::from)?;
    let layout = &req.layout;
    let prefixes: Vec<String> = req.dirs.iter().map(|d| layout.dir_prefix(d)).collect();
    let remote = bucket::list(s3, &layout.bucket, &prefixes).await?;

    let mut totals = SyncTotals {
        local_files: w.files.len() as u64,
        local_bytes: w.files.iter().map(|f| f.size).sum(),
        bucket_objects: remote.len() as u64,
        ignored_junk: w.ignored,
        ..Default::default()
    };
    let mut failures: Vec<Skipped> = w.errors.clone();

    // Compare: size first; same size needs the content hash (cached when the file is untouched).
    let mut cache = HashCache::open(&req.content_dir, req.rehash);
    let files = w.files;
    let keys: Vec<String> = files.iter().map(|f| layout.key(&f.rel)).collect();
    let mut etags: Vec<Option<String>> = vec![None; files.len()];
    let mut unreadable = vec![false; files.len()];
    let mut need_hash = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if let Some(r) = remote.get(&keys[i])
            && r.size == f.size
        {
            match cache.get(&f.rel, (f.size, f.stamp)) {
                Some(e) => etags[i] = Some(e),
                None => need_hash.push(i),
            }
        }
    }
    totals.hashed = need_hash.len() as u64;
    if !need_hash.is_empty() {
        let fl = files.clone();
        let hashed = tokio::task::spawn_blocking(move || hash_all(&fl, need_hash))
            .await
            .map_err(Error::from)?;
        for (i, r) in hashed {
            match r {
                Ok(e) => etags[i] = Some(e),
                Err(e) => {
                    unreadable[i] = true;
                    failures.push(Skipped {
                        path: files[i].path.display().to_string(),
                        reason: format!("cannot read: {e}"),
                    });
                }
            }
        }
    }

    let mut uploads = Vec::new();
    let mut plan_idx = Vec::new();
    let local_keys: HashSet<&String> = keys.iter().collect();
    for (i, f) in files.iter().enumerate() {
        if unreadable[i] {
            continue;
        }
        let key = &keys[i];
        let reason = match remote.get(key) {
            None => Some(Reason::New),
            Some(r) if r.size != f.size => Some(Reason::SizeDiffers),
            Some(r) => {
                let local = etags[i].as_deref().unwrap_or_default();
                match verdict(&r.etag, local) {
                    Verdict::Same => None,
                    Verdict::Differs => Some(Reason::ContentDiffers),
                    Verdict::Unknown => Some(Reason::EtagUnverifiable),
                }
            }
        };
        match reason {
            None => {
                totals.identical += 1;
                if let Some(e) = &etags[i] {
                    cache.put(&f.rel, (f.size, f.stamp), e.clone());
                }
            }
            Some(reason) => {
                totals.to_upload += 1;
                totals.to_upload_bytes += f.size;
                uploads.push(Upload {
                    key: key.clone(),
                    size: f.size,
                    reason,
                    done: false,
                });
                plan_idx.push(i);
            }
        }
    }
    let extra: Vec<String> = remote
        .keys()
        .filter(|k| !k.ends_with('/') && !local_keys.contains(*k))
        .cloned()
        .collect();
    let deletes = if req.delete {
        extra.clone()
    } else {
        Vec::new()
    };
    totals.only_in_bucket = if req.delete { 0 } else { extra.len() as u64 };
    totals.to_delete = deletes.len() as u64;
    if req.delete && totals.to_delete > req.max_delete && !req.dry_run {
        return Err(Error::usage(
            format!(
                "refusing to delete {} objects from s3://{}/{} (more than --max-delete {})",
                totals.to_delete, layout.bucket, layout.prefix, req.max_delete
            ),
            "check --content-dir and --prefix with --dry-run, then raise --max-delete if the deletions are intended",
        ));
    }

    let mut report = SyncReport {
        schema: crate::REPORT_SCHEMA,
        command: "sync-images",
        dry_run: req.dry_run,
        bucket: layout.bucket.clone(),
        prefix: layout.prefix.clone(),
        content_dir: req.content_dir.display().to_string(),
        interrupted: false,
        totals,
        uploads,
        deletes,
        failures,
        warnings: w.warnings,
        variants: None,
        elapsed_ms: 0,
    };
    if req.dry_run {
        if req.delete && report.totals.to_delete > req.max_delete {
            report.warnings.push(Skipped {
                path: format!("s3://{}/{}", layout.bucket, layout.prefix),
                reason: format!(
                    "{} deletions exceed --max-delete {}: the real run would refuse",
                    report.totals.to_delete, req.max_delete
                ),
            });
        }
        cache.save();
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    // Upload: bounded concurrency; Ctrl-C stops new uploads and lets in-flight ones settle.
    progress.start(Task::Bytes {
        total: report.totals.to_upload_bytes,
        files: report.totals.to_upload,
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(req.concurrency));
    let mut set = tokio::task::JoinSet::new();
    let mut next = 0usize;
    let mut in_flight = 0usize;
    let mut denied: Option<Error> = None;
    loop {
        while next < plan_idx.len()
            && in_flight < req.concurrency
            && !cancel.is_cancelled()
            && denied.is_none()
        {
            let permit = sem.clone().acquire_owned().await.expect("semaphore open");
            let ui = next;
            let f = files[plan_idx[ui]].clone();
            let known = etags[plan_idx[ui]].clone();
            let key = report.uploads[ui].key.clone();
            let (s3, bucket, meta) = (s3.clone(), layout.bucket.clone(), req.meta.clone());
            set.spawn(async move {
                let r =
                    upload::upload(&s3, &bucket, &key, f.path.clone(), f.size, known, &meta).await;
                drop(permit);
                (ui, f, r)
            });
            next += 1;
            in_flight += 1;
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        in_flight -= 1;
        let (ui, f, r) = joined.map_err(Error::from)?;
        match r {
            Ok(u) => {
                report.uploads[ui].done = true;
                report.totals.uploaded += 1;
                report.totals.uploaded_bytes += f.size;
                if u.verified {
                    report.totals.verified += 1;
                } else {
                    report.warnings.push(Skipped {
                        path: report.uploads[ui].key.clone(),
                        reason:
                            "uploaded, but the server's ETag differs from the local MD5 (SSE-KMS?)"
                                .into(),
                    });
                }
                cache.put(&f.rel, (f.size, f.stamp), u.etag);
            }
            Err(e) if e.denied() => {
                // Every other PUT would be refused the same way: start no more, then say why.
                report.totals.failed += 1;
                denied.get_or_insert_with(|| {
                    upload_denied(
                        &layout.bucket,
                        &report.uploads[ui].key,
                        &e.to_string(),
                        &req.meta,
                    )
                });
            }
            Err(e) => {
                report.totals.failed += 1;
                report.failures.push(Skipped {
                    path: f.path.display().to_string(),
                    reason: format!("upload to {} failed: {e}", report.uploads[ui].key),
                });
            }
        }
        progress.inc(f.size);
        progress.message(&format!(
            "{}/{} files",
            report.totals.uploaded + report.totals.failed,
            report.totals.to_upload
        ));
    }
    progress.finish();
    if let Some(e) = denied {
        cache.save();
        return Err(e);
    }
    if cancel.is_cancelled() {
        report.interrupted = true;
    } else if !report.deletes.is_empty() {
        report.totals.deleted =
            delete(s3, &layout.bucket, &report.deletes, &mut report.failures).await;
    }
    cache.save();
    report.totals.failed = report.failures.len() as u64;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// An upload refused for lack of permission: most often a bucket policy that denies PUTs
/// without (the right) server-side encryption.
fn upload_denied(bucket: &str, key: &str, e: &str, meta: &upload::Meta) -> Error {
    let sse = match (&meta.sse, &meta.sse_kms_key_id) {
        (None, _) => "the bucket may require server-side encryption: pass --sse AES256 or --sse aws:kms (with --sse-kms-key-id ID for a given key)".to_string(),
        (Some(s), None) => format!("the bucket may require another encryption than --sse {}: try --sse aws:kms --sse-kms-key-id ID, or --sse AES256", s.as_str()),
        (Some(s), Some(k)) => format!("the bucket may require another encryption than --sse {} --sse-kms-key-id {k}, or the key's policy denies kms:GenerateDataKey to you", s.as_str()),
    };
    Error::Aws {
        msg: format!("access denied uploading s3://{bucket}/{key}: {e}"),
        hint: Some(format!(
            "{sse}; otherwise grant s3:PutObject on arn:aws:s3:::{bucket}/*"
        )),
    }
}

/// DeleteObjects in batches of 1,000; returns how many were deleted.
async fn delete(s3: &Client, bucket: &str, keys: &[String], failures: &mut Vec<Skipped>) -> u64 {
    let mut deleted = 0;
    for chunk in keys.chunks(1000) {
        let objects: Vec<ObjectIdentifier> = chunk
            .iter()
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        let del = match Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
        {
            Ok(d) => d,
            Err(e) => {
                failures.push(Skipped {
                    path: chunk[0].clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        match s3.delete_objects().bucket(bucket).delete(del).send().await {
            Ok(r) => {
                let errs = r.errors();
                deleted += (chunk.len() - errs.len()) as u64;
                for e in errs {
                    failures.push(Skipped {
                        path: e.key().unwrap_or("").to_string(),
                        reason: format!(
                            "delete failed: {} {}",
                            e.code().unwrap_or(""),
                            e.message().unwrap_or("")
                        ),
                    });
                }
            }
            Err(e) => failures.push(Skipped {
                path: chunk[0].clone(),
                reason: format!(
                    "delete of {} objects failed: {}",
                    chunk.len(),
                    crate::aws::describe(&e)
                ),
            }),
        }
    }
    deleted
}

#[cfg(test)]
mod sse_tests {
    use super::*;
    use aws_sdk_s3::types::ServerSideEncryption;

    fn meta(sse: Option<ServerSideEncryption>, key: Option<&str>) -> upload::Meta {
        upload::Meta {
            cache_control: String::new(),
            acl: None,
            storage_class: None,
            sse,
            sse_kms_key_id: key.map(str::to_string),
        }
    }

    #[test]
    fn a_denied_upload_names_the_sse_flags() {
        let e = upload_denied(
            "b",
            "content/images/a.jpg",
            "AccessDenied: Access Denied",
            &meta(None, None),
        );
        assert_eq!(e.exit_code(), crate::error::exit::FAILED);
        assert!(
            e.to_string()
                .contains("access denied uploading s3://b/content/images/a.jpg")
        );
        let hint = e.hint().unwrap();
        assert!(
            hint.contains("pass --sse AES256 or --sse aws:kms"),
            "{hint}"
        );
        let e = upload_denied(
            "b",
            "k",
            "AccessDenied",
            &meta(Some(ServerSideEncryption::Aes256), None),
        );
        assert!(
            e.hint()
                .unwrap()
                .contains("another encryption than --sse AES256")
        );
        let e = upload_denied(
            "b",
            "k",
            "AccessDenied",
            &meta(Some(ServerSideEncryption::AwsKms), Some("alias/x")),
        );
        assert!(
            e.hint()
                .unwrap()
                .contains("--sse aws:kms --sse-kms-key-id alias/x")
        );
    }
}
