//! Listing the bucket: one ListObjectsV2 walk per key prefix, no per-object HEAD, and the
//! listing errors turned into messages that name the fix. Shared by `sync-images` (one prefix
//! per content folder) and `verify` (the whole layout prefix).

use crate::error::{Error, Result};
use aws_sdk_s3::Client;
use std::collections::BTreeMap;

/// A bucket object as the listing shows it.
#[derive(Debug, Clone)]
pub struct Remote {
    pub size: u64,
    pub etag: String,
}

/// Maps a listing/bucket error to a clear message naming the fix.
pub fn bucket_error<E>(
    bucket: &str,
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match crate::aws::service_code(e) {
        Some((code, _)) if code == "NoSuchBucket" || code == "HTTP 404" => Error::usage(
            format!("bucket {bucket:?} does not exist"),
            format!(
                "create it (aws s3 mb s3://{bucket}) or fix --bucket; check --region and --endpoint-url"
            ),
        ),
        Some((code, msg)) if code == "AccessDenied" || code == "HTTP 403" => Error::Aws {
            msg: format!("access denied listing bucket {bucket:?}: {msg}"),
            hint: Some(format!(
                "grant s3:ListBucket on arn:aws:s3:::{bucket} (and s3:PutObject, s3:DeleteObject on arn:aws:s3:::{bucket}/*)"
            )),
        },
        _ => Error::Aws {
            msg: format!("cannot list bucket {bucket:?}: {}", crate::aws::describe(e)),
            hint: Some("check --endpoint-url, --region and the network".into()),
        },
    }
}

/// One ListObjectsV2 walk per prefix; no per-object HEAD.
pub async fn list(
    s3: &Client,
    bucket: &str,
    prefixes: &[String],
) -> Result<BTreeMap<String, Remote>> {
    let mut all = BTreeMap::new();
    for p in prefixes {
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(p)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| bucket_error(bucket, &e))?;
            for o in page.contents() {
                let Some(k) = o.key() else { continue };
                all.insert(
                    k.to_string(),
                    Remote {
                        size: o.size().unwrap_or(0).max(0) as u64,
                        etag: o.e_tag().unwrap_or("").to_string(),
                    },
                );
            }
        }
    }
    Ok(all)
}
