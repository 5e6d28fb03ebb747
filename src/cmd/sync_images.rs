//! `sync-images`: upload Ghost's content directory to the bucket (content-hash skip).

use super::Outcome;
use crate::aws;
use crate::bucket::BucketLayout;
use crate::cli::{self, SyncImagesArgs};
use crate::error::{Error, Result};
use crate::ghost::config::GhostConfig;
use crate::journal;
use crate::output::Output;
use crate::output::progress::Terminal;
use crate::sync::{self, SyncRequest, upload::Meta};
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption, StorageClass};
use std::path::PathBuf;

/// The checked flags; the content directory is resolved in `execute` (it reads the disk).
pub struct Request {
    pub aws: aws::Settings,
    pub sync: SyncRequest,
    pub content_dir: Option<PathBuf>,
    pub ghost_config: Option<PathBuf>,
}

impl Request {
    pub fn from_args(a: SyncImagesArgs) -> Result<Self> {
        let layout = BucketLayout::new(&a.bucket, &a.prefix)?;
        for d in &a.dirs {
            if d.is_empty() || d.contains('/') || d.starts_with('.') {
                return Err(Error::usage(
                    format!("--dirs entry {d:?} is not a folder name of the content directory"),
                    "use names such as --dirs images,media,files",
                ));
            }
        }
        let storage_class = match &a.storage_class {
            None => None,
            Some(c) => {
                let known = StorageClass::values();
                if !known.contains(&c.as_str()) {
                    return Err(Error::usage(
                        format!("unknown --storage-class {c:?}"),
                        format!("use one of {}", known.join(", ")),
                    ));
                }
                Some(StorageClass::from(c.as_str()))
            }
        };
        let acl = a.acl.map(|x| match x {
            cli::CannedAcl::Private => ObjectCannedAcl::Private,
            cli::CannedAcl::PublicRead => ObjectCannedAcl::PublicRead,
            cli::CannedAcl::BucketOwnerFullControl => ObjectCannedAcl::BucketOwnerFullControl,
            cli::CannedAcl::BucketOwnerRead => ObjectCannedAcl::BucketOwnerRead,
            cli::CannedAcl::AuthenticatedRead => ObjectCannedAcl::AuthenticatedRead,
        });
        let sse = a.sse.map(|x| match x {
            cli::Sse::Aes256 => ServerSideEncryption::Aes256,
            cli::Sse::AwsKms => ServerSideEncryption::AwsKms,
        });
        if a.sse_kms_key_id.is_some() && a.sse != Some(cli::Sse::AwsKms) {
            return Err(Error::usage(
                "--sse-kms-key-id needs --sse aws:kms",
                "add --sse aws:kms, or drop --sse-kms-key-id",
            ));
        }
        Ok(Request {
            aws: a.aws.settings(),
            content_dir: a.content_dir,
            ghost_config: a.ghost_config,
            sync: SyncRequest {
                layout,
                content_dir: PathBuf::new(),
                dirs: a.dirs,
                dry_run: a.dry_run,
                delete: a.delete,
                max_delete: a.max_delete,
                concurrency: a.concurrency as usize,
                meta: Meta {
                    cache_control: a.cache_control,
                    acl,
                    storage_class,
                    sse,
                    sse_kms_key_id: a.sse_kms_key_id,
                },
                rehash: a.rehash,
            },
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let mut s = req.sync;
    s.content_dir =
        crate::bucket::content_dir(req.content_dir.as_deref(), req.ghost_config.as_deref())?;
    let s3 = aws::Aws::load(&req.aws).await?.s3();
    let cancel = super::cancel_on_ctrl_c(
        out,
        "interrupted: starting no new uploads, letting the ones in flight finish...",
    );
    let report = sync::run(&s, &s3, &Terminal::new(out), &cancel).await?;
    // A real sync is a step of the migration: recorded in the journal of the database the
    // Ghost config names (when it has one), so a later run knows it was done.
    if !s.dry_run
        && let Some(cfg) = &req.ghost_config
    {
        let status = if report.interrupted {
            journal::StepStatus::Interrupted
        } else if report.failures.is_empty() {
            journal::StepStatus::Applied
        } else {
            journal::StepStatus::Failed
        };
        match GhostConfig::load(cfg) {
            Ok(c) => {
                let detail = serde_json::to_value(&report).unwrap_or_default();
                let timeout = std::time::Duration::from_secs(10);
                super::record_step(&c.target, timeout, "sync-images", detail, status, out).await;
            }
            Err(e) => out.warn(&format!("sync-images not recorded in the journal: {e}")),
        }
    }
    Ok(Outcome::Sync(report))
}
