//! `sync-images --variants`: every wanted variant that has no object in the bucket is made
//! (a local file Ghost already made, a local resize of the original, the original's bytes
//! where Ghost would redirect, or the answer of a running Ghost) and uploaded with the sync's
//! object settings. A variant that cannot be made is named with the reason; the rest go on.

use super::origin::Origin;
use super::{Action, Sizes, Variant, Why, action, resize};
use crate::bucket::{self, BucketLayout};
use crate::error::Result;
use crate::progress::{Cancel, Progress, Task};
use crate::sync::upload::{self, Meta};
use crate::sync::walk::Skipped;
use aws_sdk_s3::Client;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where missing variants come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Resized here from the local originals.
    Local,
    /// Asked of a running Ghost (`--variants-from URL`).
    Ghost(String),
}

/// A validated variants request.
#[derive(Debug, Clone)]
pub struct VariantsRequest {
    pub layout: BucketLayout,
    pub content_dir: PathBuf,
    pub sizes: Sizes,
    pub source: Source,
    pub dry_run: bool,
    pub meta: Meta,
    pub concurrency: usize,
}

/// How a variant was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Ghost had already made it: the local `content/images/size/...` file.
    LocalFile,
    /// Resized here.
    Resized,
    /// The original's bytes (Ghost redirects this URL to the original, or resizing did not
    /// make it smaller).
    Original,
    /// What the running Ghost answered.
    Ghost,
}

#[derive(Debug, Clone, Serialize)]
pub struct MadeVariant {
    pub key: String,
    pub why: Why,
    /// None in a dry run.
    pub how: Option<How>,
    pub note: Option<String>,
    pub bytes: u64,
    pub content_type: Option<String>,
    pub done: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VariantReport {
    /// `local resize` or `ghost at URL`.
    pub source: String,
    pub theme: Option<String>,
    pub theme_sizes: Vec<String>,
    /// Variants wanted: referenced by stored URLs, plus the theme's sizes of referenced images.
    pub wanted: u64,
    pub referenced: u64,
    pub from_theme: u64,
    /// Sizes Ghost's own templates ask for (the site icon's w256h256).
    pub internal: u64,
    pub in_bucket: u64,
    /// Dry run: variants Ghost already made locally, which the sync uploads as files.
    pub synced_from_local: u64,
    pub made: Vec<MadeVariant>,
    pub failed: Vec<Skipped>,
    pub warnings: Vec<Skipped>,
}

/// Makes and uploads the wanted variants the bucket lacks.
pub async fn run(
    req: &VariantsRequest,
    wanted: BTreeMap<String, Why>,
    s3: &Client,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<VariantReport> {
    let layout = &req.layout;
    let mut report = VariantReport {
        source: match &req.source {
            Source::Local => "local resize".into(),
            Source::Ghost(u) => format!("ghost at {u}"),
        },
        theme_sizes: req.sizes.theme.clone(),
        wanted: wanted.len() as u64,
        referenced: wanted.values().filter(|w| **w == Why::Referenced).count() as u64,
        from_theme: wanted.values().filter(|w| **w == Why::ThemeSize).count() as u64,
        internal: wanted.values().filter(|w| **w == Why::Internal).count() as u64,
        ..Default::default()
    };
    let listing = bucket::list(
        s3,
        &layout.bucket,
        &[format!("{}size/", layout.dir_prefix("images"))],
    )
    .await?;
    let mut todo = Vec::new();
    for (rel, why) in wanted {
        let key = layout.key(&rel);
        if listing.contains_key(&key) {
            report.in_bucket += 1;
        } else {
            todo.push((rel, key, why));
        }
    }
    if req.dry_run {
        for (rel, key, why) in todo {
            // Ghost made it already: the sync itself uploads the local file.
            if req.content_dir.join(&rel).is_file() {
                report.synced_from_local += 1;
                continue;
            }
            let note = Variant::parse(&rel).map(|v| match action(&v, &req.sizes) {
                Action::Resize { .. } => "would be resized".to_string(),
                Action::Original(r) => format!("the original's bytes: {r}"),
                Action::CannotLocally(r) => format!("cannot be made here: {r}"),
            });
            report.made.push(MadeVariant {
                key,
                why,
                how: None,
                note,
                bytes: 0,
                content_type: None,
                done: false,
            });
        }
        return Ok(report);
    }

    let origin = match &req.source {
        Source::Local => None,
        Source::Ghost(u) => Some(Arc::new(Origin::new(u).map_err(crate::error::Error::Tls)?)),
    };
    let cpu = Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ));
    progress.start(Task::Items {
        label: "variants",
        total: todo.len() as u64,
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(req.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (rel, key, why) in todo {
        if cancel.is_cancelled() {
            break;
        }
        let permit = sem.clone().acquire_owned().await.expect("semaphore open");
        let (s3, bucket, meta) = (s3.clone(), layout.bucket.clone(), req.meta.clone());
        let (dir, sizes, origin, cpu) = (
            req.content_dir.clone(),
            req.sizes.clone(),
            origin.clone(),
            cpu.clone(),
        );
        set.spawn(async move {
            let _permit = permit;
            let made = match origin {
                Some(o) => from_ghost(&o, &rel).await,
                None => from_local(dir, rel.clone(), sizes, cpu).await,
            };
            let r = match made {
                Ok((bytes, ctype, how, note)) => {
                    let n = bytes.len() as u64;
                    match upload::upload_bytes(&s3, &bucket, &key, bytes, &ctype, &meta).await {
                        Ok(_) => Ok(MadeVariant {
                            key: key.clone(),
                            why,
                            how: Some(how),
                            note,
                            bytes: n,
                            content_type: Some(ctype),
                            done: true,
                        }),
                        Err(e) => Err(format!("upload to {key} failed: {e}")),
                    }
                }
                Err(e) => Err(e),
            };
            (rel, r)
        });
    }
    while let Some(joined) = set.join_next().await {
        let (rel, r) = joined.map_err(crate::error::Error::from)?;
        match r {
            Ok(m) => report.made.push(m),
            Err(reason) => report.failed.push(Skipped { path: rel, reason }),
        }
        progress.inc(1);
    }
    progress.finish();
    report.made.sort_by(|a, b| a.key.cmp(&b.key));
    report.failed.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

type Product = (Vec<u8>, String, How, Option<String>);

async fn from_ghost(origin: &Origin, rel: &str) -> std::result::Result<Product, String> {
    let f = origin.fetch(rel).await?;
    let (how, note) = if f.redirected {
        (
            How::Original,
            Some("Ghost redirected to the original".to_string()),
        )
    } else {
        (How::Ghost, None)
    };
    Ok((f.bytes, f.content_type, how, note))
}

/// A local `size/` file, else the action Ghost's rules give, from the local originals.
async fn from_local(
    dir: PathBuf,
    rel: String,
    sizes: Sizes,
    cpu: Arc<tokio::sync::Semaphore>,
) -> std::result::Result<Product, String> {
    let _cpu = cpu.acquire_owned().await.expect("semaphore open");
    tokio::task::spawn_blocking(move || make_local(&dir, &rel, &sizes))
        .await
        .map_err(|e| e.to_string())?
}

fn make_local(
    dir: &std::path::Path,
    rel: &str,
    sizes: &Sizes,
) -> std::result::Result<Product, String> {
    let v = Variant::parse(rel).ok_or_else(|| format!("{rel} is not a size variant path"))?;
    let ctype_of = |p: &str| upload::content_type(p);
    let existing = dir.join(rel);
    if existing.is_file() {
        let bytes = std::fs::read(&existing)
            .map_err(|e| format!("cannot read {}: {e}", existing.display()))?;
        let ctype = match &v.format {
            Some(f) => format!("image/{}", if f == "jpg" { "jpeg" } else { f }),
            None => ctype_of(rel),
        };
        return Ok((bytes, ctype, How::LocalFile, None));
    }
    let read_first = |cands: &[String]| {
        for c in cands {
            let p = dir.join(c);
            match std::fs::read(&p) {
                Ok(b) => return Ok((c.clone(), b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("cannot read {}: {e}", p.display())),
            }
        }
        Err(format!(
            "the original {} is not in {}",
            v.original,
            dir.display()
        ))
    };
    match action(&v, sizes) {
        Action::Original(why) => {
            let (_, bytes) = read_first(std::slice::from_ref(&v.original))?;
            Ok((
                bytes,
                ctype_of(&v.original),
                How::Original,
                Some(why.into()),
            ))
        }
        Action::CannotLocally(why) => Err(format!(
            "{why}: pass --variants-from http://<ghost>:2368 to have Ghost make it"
        )),
        Action::Resize { dim, format } => {
            let (from, bytes) = read_first(&v.original_candidates())?;
            let m = resize::resize(&bytes, &v.ext(), dim, format.as_deref())
                .map_err(|e| format!("{from}: {e}"))?;
            let note = format!("{}x{} from {from}", m.width, m.height);
            let how = if m.resized {
                How::Resized
            } else {
                How::Original
            };
            let note = if m.resized {
                note
            } else {
                format!("{note}: the resized copy was not smaller, the original's bytes are kept")
            };
            Ok((m.bytes, m.content_type.to_string(), how, Some(note)))
        }
    }
}
