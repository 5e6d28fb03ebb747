//! `verify`: every image/media/file URL the database references (under the CDN prefix, or the
//! site's own forms before a rewrite) mapped to its bucket key and checked against one listing
//! of the bucket; missing objects reported by key and by post, with whether the file still
//! exists locally. `--http` also asks the public URLs (HEAD, bounded concurrency).

pub mod http;
pub mod orphans;

use crate::bucket::{self, BucketLayout};
use crate::db::Conn;
use crate::db::schema::Table;
use crate::error::Result;
use crate::inventory::{self, Place, PostRef};
use crate::refs::{self, Cdn};
use crate::url::Site;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// How the missing object can be fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingClass {
    /// The file exists locally: run sync-images.
    NotSynced,
    /// No local file either (or no --content-dir given).
    Gone,
    /// A `size/wNNN/` variant: Ghost makes these on request; S3 cannot.
    SizeVariant,
}

#[derive(Debug, Clone, Serialize)]
pub struct Referrer {
    #[serde(flatten)]
    pub place: Place,
    #[serde(flatten)]
    pub post: PostRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    pub key: String,
    pub class: MissingClass,
    pub local_file: Option<String>,
    pub referenced_by: Vec<Referrer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpProblem {
    pub url: String,
    pub status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub schema: u32,
    pub command: &'static str,
    pub database: String,
    pub bucket: String,
    pub prefix: String,
    pub matched: String,
    pub references: u64,
    pub distinct_keys: u64,
    pub present: u64,
    pub missing: Vec<Missing>,
    pub missing_size_variants: u64,
    pub http_checked: u64,
    pub http_problems: Vec<HttpProblem>,
    /// `--orphans`: what nothing references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphans: Option<orphans::Orphans>,
    pub elapsed_ms: u64,
}

/// What `verify` compares: the prefix URLs are matched with and the key they map to.
pub struct VerifyRequest {
    /// The bucket and key prefix the referenced files are expected under.
    pub layout: BucketLayout,
    pub cdn_url: Option<String>,
    pub content_dir: Option<PathBuf>,
    pub http: bool,
    pub concurrency: usize,
    /// Also list the objects and local files nothing references.
    pub orphans: bool,
}

/// Collects the references and checks them against the bucket listing.
pub async fn run(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    database: String,
    site: Option<&Site>,
    req: &VerifyRequest,
    s3: &aws_sdk_s3::Client,
) -> Result<VerifyReport> {
    let started = std::time::Instant::now();
    let (refs, matched) = match &req.cdn_url {
        Some(cdn) => {
            let cdn = Cdn::parse(cdn, site)?;
            (
                refs::cdn_refs(conn, tables, &req.layout, &cdn).await?,
                cdn.url,
            )
        }
        None => (
            refs::site_refs(conn, tables, &req.layout, site).await?,
            refs::site_matched(site),
        ),
    };
    let keys: BTreeSet<String> = refs.iter().map(|r| r.key.clone()).collect();
    // One listing of the prefix (no HEAD per object).
    let layout = &req.layout;
    let listing = bucket::list(s3, &layout.bucket, std::slice::from_ref(&layout.prefix)).await?;
    let mut missing_map: BTreeMap<String, BTreeSet<Place>> = BTreeMap::new();
    let mut present = 0u64;
    for k in &keys {
        if listing.contains_key(k) {
            present += 1;
        }
    }
    for r in &refs {
        if !listing.contains_key(&r.key) {
            missing_map
                .entry(r.key.clone())
                .or_default()
                .insert(r.place.clone());
        }
    }
    let mut missing = Vec::new();
    let mut variants = 0;
    for (key, places) in missing_map {
        let local = req
            .content_dir
            .as_ref()
            .and_then(|d| layout.local_path(d, &key))
            .filter(|p| p.is_file());
        let class = if local.is_some() {
            MissingClass::NotSynced
        } else if layout
            .rel(&key)
            .is_some_and(|rel| rel.starts_with("images/size/"))
        {
            variants += 1;
            MissingClass::SizeVariant
        } else {
            MissingClass::Gone
        };
        let mut referenced_by = Vec::new();
        for p in places {
            let post = inventory::post_of(conn, tables, &p).await;
            referenced_by.push(Referrer { place: p, post });
        }
        missing.push(Missing {
            key,
            class,
            local_file: local.map(|p| p.display().to_string()),
            referenced_by,
        });
    }
    let mut report = VerifyReport {
        schema: crate::REPORT_SCHEMA,
        command: "verify",
        database,
        bucket: layout.bucket.clone(),
        prefix: layout.prefix.clone(),
        matched,
        references: refs.len() as u64,
        distinct_keys: keys.len() as u64,
        present,
        missing,
        missing_size_variants: variants,
        http_checked: 0,
        http_problems: Vec::new(),
        orphans: None,
        elapsed_ms: 0,
    };
    if req.orphans {
        // Both spellings count as use: the site's own forms and, with --cdn-url, the CDN's.
        let mut all: Vec<String> = refs.iter().map(|r| r.key.clone()).collect();
        if req.cdn_url.is_some() {
            let site_refs = refs::site_refs(conn, tables, layout, site).await?;
            all.extend(site_refs.into_iter().map(|r| r.key));
        }
        let referenced: BTreeSet<String> = all
            .iter()
            .filter_map(|k| layout.rel(k).map(str::to_string))
            .collect();
        let in_roots = |rel: &str| {
            bucket::ROOTS
                .iter()
                .any(|r| rel.strip_prefix(r).is_some_and(|t| t.starts_with('/')))
        };
        let objects = listing.iter().filter_map(|(k, r)| {
            layout
                .rel(k)
                .filter(|rel| in_roots(rel) && !k.ends_with('/'))
                .map(|rel| (rel, r.size))
        });
        let (bucket_list, bucket_bytes) = orphans::unused(objects, &referenced);
        let mut o = orphans::Orphans {
            bucket: bucket_list
                .into_iter()
                .map(|rel| layout.key(&rel))
                .collect(),
            bucket_bytes,
            ..Default::default()
        };
        if let Some(dir) = &req.content_dir {
            let dirs: Vec<String> = bucket::ROOTS.iter().map(|r| r.to_string()).collect();
            let w = crate::sync::walk::walk(dir, &dirs);
            let files = w.files.iter().map(|f| (f.rel.as_str(), f.size));
            let (local, local_bytes) = orphans::unused(files, &referenced);
            o.local = local;
            o.local_bytes = local_bytes;
        }
        report.orphans = Some(o);
    }
    if req.http {
        let urls: BTreeSet<String> = refs.iter().filter_map(|r| r.url.clone()).collect();
        report.http_checked = urls.len() as u64;
        report.http_problems = http::check(urls.into_iter().collect(), req.concurrency).await?;
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}
