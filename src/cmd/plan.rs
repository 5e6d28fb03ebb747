//! `plan`: read-only. Detects the Ghost version, its storage set-up, the URL inventory and
//! what the bucket already holds, chooses the strategy (`plan::choose`) and writes the whole
//! runbook as a TOML file for `run`.

use super::Outcome;
use super::db::DbRequest;
use crate::aws;
use crate::cli::PlanArgs;
use crate::db::Target;
use crate::error::{Error, Result};
use crate::inventory::{self, SiteMatchers};
use crate::output::Output;
use crate::plan::choose::{self, Facts, Inputs, Storage};
use crate::plan::{AwsPlan, PlanReport};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub struct Request {
    pub db: DbRequest,
    pub aws: aws::Settings,
    pub inputs: Inputs,
    pub content_dir: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub force: bool,
}

impl Request {
    pub fn from_args(a: PlanArgs) -> Result<Self> {
        crate::bucket::BucketLayout::new(&a.bucket, &a.prefix)?;
        crate::refs::Cdn::parse(&a.cdn_url, None)?;
        if let Some(s) = &a.strategy
            && !crate::plan::STRATEGIES.contains(&s.as_str())
        {
            return Err(Error::usage(
                format!("--strategy {s:?} is unknown"),
                "use cdn-absolute or ghost-urls",
            ));
        }
        if let Some(m) = &a.snapshot
            && !crate::plan::SNAPSHOT_MODES.contains(&m.as_str())
        {
            return Err(Error::usage(
                format!("--snapshot {m:?} is unknown"),
                "use sqlite, rds-cluster, rds-instance or skip",
            ));
        }
        if a.ecs_cluster.is_some() != a.ecs_service.is_some() {
            return Err(Error::usage(
                "--ecs-cluster and --ecs-service go together",
                "pass both (the Ghost service and its cluster), or neither to restart by hand",
            ));
        }
        let aws_plan = AwsPlan {
            profile: a.aws.profile.clone(),
            region: a.aws.region.clone(),
            endpoint_url: a.aws.endpoint_url.clone(),
            force_path_style: a.aws.force_path_style,
        };
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            aws: a.aws.settings(),
            inputs: Inputs {
                // Absolute: `run` takes relative paths against the plan file's folder.
                config: a
                    .db
                    .ghost_config
                    .as_ref()
                    .map(|c| std::path::absolute(c).unwrap_or(c.clone())),
                bucket: a.bucket,
                prefix: crate::bucket::BucketLayout::new("aaa", &a.prefix)?.prefix,
                cdn_url: a.cdn_url,
                strategy: a.strategy,
                snapshot_mode: a.snapshot,
                snapshot_id: a.snapshot_id,
                ecs_cluster: a.ecs_cluster,
                ecs_service: a.ecs_service,
                cloudfront_distribution_id: a.cloudfront_distribution_id,
                variants_from: a.variants_from,
                report: a.report,
                aws: aws_plan,
            },
            content_dir: a.content_dir,
            out: a.out,
            force: a.force,
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    if let Some(p) = &req.out
        && p.exists()
        && !req.force
    {
        return Err(Error::usage(
            format!("{} already exists", p.display()),
            "choose another --out, or add --force to replace it",
        ));
    }
    let (target, site, cfg) = req.db.resolve_with_config(Some(&req.aws), out).await?;
    let content_dir = crate::bucket::optional_content_dir(
        req.content_dir.as_deref(),
        req.db.ghost_config.as_deref(),
    )?;
    let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let mut facts = Facts {
        ghost_version: ghost_version(&mut conn).await,
        engine_sqlite: matches!(target, Target::Sqlite { .. }),
        site_url: site.as_ref().map(|s| s.url.clone()),
        site_host: site.as_ref().map(|s| s.host_port()),
        content_dir: content_dir
            .clone()
            .map(|d| std::path::absolute(&d).unwrap_or(d)),
        ..Facts::default()
    };
    match &target {
        Target::Sqlite { path } => {
            if req.db.ghost_config.is_none() {
                facts.db_for_plan = Some(
                    std::path::absolute(path)
                        .unwrap_or(path.clone())
                        .display()
                        .to_string(),
                );
            }
        }
        Target::Mysql { .. } => {
            facts.db_host = target.host();
            let shown = target.display();
            facts.db_has_password = target.has_password();
            if !facts.db_has_password && req.db.ghost_config.is_none() {
                facts.db_for_plan = req.db.db.clone().or(Some(shown));
            }
        }
    }
    if let Some(c) = &cfg {
        facts.asset_urls = c.asset_urls.clone();
        facts.storage = c.storage.as_ref().and_then(|(name, s)| {
            (name != "LocalFileStorage").then(|| Storage {
                active: name.clone(),
                bucket: s.get("bucket").and_then(|v| v.as_str()).map(str::to_string),
                path_prefix: s
                    .get("pathPrefix")
                    .or_else(|| s.get("tenantPrefix"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                asset_host: s
                    .get("assetHost")
                    .or_else(|| s.get("cdnUrl"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            })
        });
    }

    // One pass over the content: other hosts, URLs already on the CDN, http on an https site,
    // referenced variants the content directory lacks.
    let cdn = crate::refs::Cdn::parse(&req.inputs.cdn_url, site.as_ref())?;
    let cdn_host = cdn_host(&req.inputs.cdn_url);
    let m = SiteMatchers::new(site.as_ref());
    let own = site.as_ref().map(|s| s.host_port());
    let http_needles: Vec<String> = match &site {
        Some(s) if s.url.starts_with("https://") => {
            let h = s.host_port();
            vec![format!("http://{h}/"), format!("http:\\/\\/{h}\\/")]
        }
        _ => vec![],
    };
    let mut other: BTreeMap<String, u64> = BTreeMap::new();
    let mut on_cdn = 0u64;
    let mut http = 0u64;
    let mut variants: BTreeSet<String> = BTreeSet::new();
    inventory::each_cell(&mut conn, &tables, false, |_, _, meta, text, _| {
        for n in &http_needles {
            http += text.matches(n.as_str()).count() as u64;
        }
        on_cdn += crate::cell::cell_hits(&cdn.finder, meta.kind, text).len() as u64;
        for f in inventory::find_all(&m, meta.kind, text) {
            if f.root == "other" {
                continue;
            }
            let is_own = own.as_deref() == Some(f.host.as_str())
                || f.host == crate::url::GHOST_URL
                || f.host == "(relative)";
            if is_own {
                if f.rest.starts_with("size/") {
                    variants.insert(format!(
                        "{}{}",
                        f.root.trim_start_matches("/content/"),
                        f.rest
                    ));
                }
            } else if Some(f.host.as_str()) != cdn_host.as_deref() {
                *other.entry(f.host.clone()).or_default() += 1;
            }
        }
    })
    .await?;
    facts.other_hosts = other.into_iter().collect();
    facts.on_cdn = on_cdn;
    facts.http_on_https = http;
    if let Some(dir) = &content_dir {
        facts.variants_absent = variants
            .iter()
            .filter(|rel| !dir.join(crate::bucket::percent_decode(rel)).is_file())
            .count() as u64;
        facts.local_files = Some(count_files(dir));
    }
    drop(conn);

    // What the bucket already holds (read-only listing).
    let a = aws::Aws::load(&req.aws).await?;
    let layout = crate::bucket::BucketLayout::new(&req.inputs.bucket, &req.inputs.prefix)?;
    let prefixes: Vec<String> = crate::bucket::ROOTS
        .iter()
        .map(|r| layout.dir_prefix(r))
        .collect();
    match crate::bucket::list(&a.s3(), &layout.bucket, &prefixes).await {
        Ok(objects) => facts.bucket_objects = Some(objects.len() as u64),
        Err(e) => facts.bucket_error = Some(e.to_string()),
    }

    let chosen = choose::choose(&facts, &req.inputs)?;
    let mut notes = chosen.reasons.clone();
    for f in &chosen.findings {
        notes.push(format!("{}: {}", f.severity.to_uppercase(), f.message));
    }
    let text = chosen.plan.to_toml(&notes);
    if let Some(p) = &req.out {
        std::fs::write(p, &text).map_err(|e| {
            Error::usage(
                format!("cannot write {}: {e}", p.display()),
                "choose a writable --out path",
            )
        })?;
    }
    Ok(Outcome::Plan(Box::new(PlanReport {
        schema: crate::REPORT_SCHEMA,
        command: "plan",
        written_to: req.out.as_ref().map(|p| p.display().to_string()),
        strategy: chosen.plan.ghost.strategy.clone(),
        reasons: chosen.reasons,
        findings: chosen.findings,
        plan: chosen.plan,
        text,
    })))
}

/// `migrations.currentVersion` of the newest migration Ghost ran.
async fn ghost_version(conn: &mut crate::db::Conn) -> Option<String> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {} DESC LIMIT 1",
        conn.q("currentVersion"),
        conn.q("migrations"),
        conn.q("id")
    );
    conn.scalar(&sql, &[]).await.ok().flatten()
}

fn cdn_host(url: &str) -> Option<String> {
    let rest = url.split_once("//")?.1;
    Some(rest.split('/').next()?.to_ascii_lowercase())
}

fn count_files(dir: &std::path::Path) -> u64 {
    crate::bucket::ROOTS
        .iter()
        .map(|r| {
            walkdir::WalkDir::new(dir.join(r))
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .count() as u64
        })
        .sum()
}
