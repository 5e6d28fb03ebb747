//! `sync-images`: upload Ghost's content directory to the bucket (content-hash skip).

use super::Outcome;
use super::db::DbRequest;
use crate::aws;
use crate::bucket::BucketLayout;
use crate::cli::{self, SyncImagesArgs};
use crate::error::{Error, Result};
use crate::ghost::config::GhostConfig;
use crate::journal;
use crate::output::Output;
use crate::output::progress::Terminal;
use crate::sync::{self, SyncRequest, upload::Meta};
use crate::variants::run::{Source, VariantsRequest};
use crate::variants::{self as var, Sizes, Why};
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption, StorageClass};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The checked flags; the content directory is resolved in `execute` (it reads the disk).
pub struct Request {
    pub aws: aws::Settings,
    pub sync: SyncRequest,
    pub content_dir: Option<PathBuf>,
    pub ghost_config: Option<PathBuf>,
    pub db: DbRequest,
    /// `--variants`: where missing variants come from, and the CDN base of rewritten URLs.
    pub variants: Option<(Source, Option<String>)>,
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
        let db = DbRequest::from_args(&a.db)?;
        let variants = if a.variants {
            if !db.given() {
                return Err(Error::usage(
                    "--variants needs the database, to know which images the content references",
                    "add --ghost-config config.production.json, or --db URL --site-url URL",
                ));
            }
            let source = match a.variants_from {
                None => Source::Local,
                Some(u) => {
                    let ok = (u.starts_with("http://") || u.starts_with("https://"))
                        && u.split("://")
                            .nth(1)
                            .is_some_and(|h| !h.is_empty() && !h.starts_with('/'));
                    if !ok || u.contains('?') || u.contains('#') {
                        return Err(Error::usage(
                            format!("--variants-from {u:?} is not a Ghost origin URL"),
                            "give the URL the Ghost server answers on, e.g. --variants-from http://127.0.0.1:2368",
                        ));
                    }
                    Source::Ghost(u)
                }
            };
            if let Some(c) = &a.cdn_url {
                crate::refs::Cdn::parse(c, None)?;
            }
            Some((source, a.cdn_url))
        } else {
            None
        };
        Ok(Request {
            aws: a.aws.settings(),
            content_dir: a.content_dir,
            ghost_config: a.db.ghost_config.clone(),
            db,
            variants,
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
    let mut s = req.sync.clone();
    s.content_dir =
        crate::bucket::content_dir(req.content_dir.as_deref(), req.ghost_config.as_deref())?;
    // The wanted variants are worked out before anything is uploaded: a database problem
    // stops the run before it starts.
    let wanted = match &req.variants {
        Some((_, cdn)) => Some(wanted_variants(&req, &s, cdn.as_deref(), out).await?),
        None => None,
    };
    let s3 = aws::Aws::load(&req.aws).await?.s3();
    let cancel = super::cancel_on_ctrl_c(
        out,
        "interrupted: starting no new uploads, letting the ones in flight finish...",
    );
    let mut report = sync::run(&s, &s3, &Terminal::new(out), &cancel).await?;
    if let (Some((source, _)), Some((wanted, sizes, theme, warnings))) = (&req.variants, wanted)
        && !report.interrupted
    {
        let vr = VariantsRequest {
            layout: s.layout.clone(),
            content_dir: s.content_dir.clone(),
            sizes,
            source: source.clone(),
            dry_run: s.dry_run,
            meta: s.meta.clone(),
            concurrency: s.concurrency,
        };
        let mut v = var::run::run(&vr, wanted, &s3, &Terminal::new(out), &cancel).await?;
        v.theme = theme;
        v.warnings = warnings;
        report.variants = Some(v);
    }
    // A real sync is a step of the migration: recorded in the journal of the database the
    // Ghost config names (when it has one), so a later run knows it was done.
    if !s.dry_run
        && let Some(cfg) = &req.ghost_config
    {
        let status = if report.interrupted {
            journal::StepStatus::Interrupted
        } else if report.failures.is_empty()
            && report.variants.as_ref().is_none_or(|v| v.failed.is_empty())
        {
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

type Wanted = (
    BTreeMap<String, Why>,
    Sizes,
    Option<String>,
    Vec<crate::sync::walk::Skipped>,
);

/// Which variants the content can ask for: the stored references (the site's own forms, and
/// the CDN's when `--cdn-url` is given) and the active theme's sizes.
async fn wanted_variants(
    req: &Request,
    s: &SyncRequest,
    cdn: Option<&str>,
    out: &Output,
) -> Result<Wanted> {
    let (target, site) = req.db.resolve(Some(&req.aws), out).await?;
    if site.is_none() {
        out.warn("no site URL: only __GHOST_URL__ references are read; pass --site-url or --ghost-config to include absolute and relative ones");
    }
    let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let mut refs = crate::refs::site_refs(&mut conn, &tables, &s.layout, site.as_ref()).await?;
    if let Some(c) = cdn {
        let cdn = crate::refs::Cdn::parse(c, site.as_ref())?;
        refs.extend(crate::refs::cdn_refs(&mut conn, &tables, &s.layout, &cdn).await?);
    }
    let mut warnings = Vec::new();
    let theme = crate::ghost::active_theme(&mut conn).await?;
    let mut sizes = Sizes::default();
    match &theme {
        Some(t) => match var::theme::image_sizes(&s.content_dir, t) {
            Ok(list) => sizes.theme = list,
            Err(why) => warnings.push(crate::sync::walk::Skipped {
                path: format!("themes/{t}"),
                reason: format!(
                    "the active theme's image sizes are unknown ({why}): only the variants stored URLs name are made"
                ),
            }),
        },
        None => warnings.push(crate::sync::walk::Skipped {
            path: "settings.active_theme".into(),
            reason: "no active theme: only the variants stored URLs name are made".into(),
        }),
    }
    let rels: Vec<String> = refs
        .iter()
        .filter_map(|r| s.layout.rel(&r.key).map(str::to_string))
        .collect();
    // The site icon: Ghost's head links its w256h256 variant.
    let icon_row = crate::ghost::setting_id(&mut conn, "icon").await?;
    let internal: Vec<(String, &str)> = refs
        .iter()
        .filter(|r| r.place.table == "settings" && Some(&r.place.id) == icon_row.as_ref())
        .filter_map(|r| s.layout.rel(&r.key))
        .map(|rel| (rel.to_string(), var::ICON_SIZE))
        .collect();
    let wanted = var::wanted(rels.iter().map(String::as_str), &sizes, &internal);
    Ok((wanted, sizes, theme, warnings))
}
