//! ghost-migrate: move a self-hosted Ghost site's images to S3/CDN safely.
//!
//! Data flows one way: `scan` (read cells) -> `plan` (match and rewrite strings, prove JSON,
//! check lengths) -> `report` (dry run) or `apply` (guarded UPDATEs) + `journal` (same
//! transaction). `run` is the only dispatch; `main.rs` only parses and maps exit codes.

pub mod apply;
pub mod aws;
pub mod bucket;
pub mod cli;
pub mod db;
pub mod error;
pub mod ghost;
pub mod journal;
pub mod output;
pub mod plan;
pub mod report;
pub mod rewrite;
pub mod scan;
pub mod snapshot;
pub mod sync;
pub mod verify;

use cli::{Cli, Command, DbArgs, RunsCommand};
use db::Target;
use error::{Error, Result, exit};
use ghost::config::GhostConfig;
use output::Output;
use plan::url::{MatchOptions, Site, UrlMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A flag set by Ctrl-C, for commands that stop gracefully (sync-images, snapshot).
pub fn interrupt_flag(out: &Output, what: &'static str) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let out = out.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::SeqCst);
            out.warn(what);
        }
    });
    flag
}

async fn snapshot_cmd(a: cli::SnapshotArgs, out: &Output) -> Result<u8> {
    use snapshot::Source;
    let db_given = a.db.db.is_some() || a.db.ghost_config.is_some();
    let target = if db_given {
        Some(resolve_db(&a.db, Some(&a.aws), out).await?.0)
    } else {
        None
    };
    let timeout = Duration::from_secs(a.db.connect_timeout);
    if a.cluster.is_none()
        && a.instance.is_none()
        && let Some(Target::Sqlite { path }) = &target
    {
        if a.list || a.resume || a.id.is_some() {
            return Err(Error::usage(
                "--list, --resume and --id are for RDS snapshots; this is a SQLite database",
                "use --out PATH to choose where the SQLite backup goes",
            ));
        }
        let out_path = a
            .out
            .clone()
            .unwrap_or_else(|| snapshot::sqlite::default_out(path));
        let mut b = snapshot::sqlite::backup(path, &out_path).await?;
        let detail = serde_json::json!({"kind": "sqlite", "backup": b.backup, "bytes": b.bytes});
        // Recording is best effort: a writer holding the database must not cost the backup.
        let recorded = async {
            let mut conn = Target::Sqlite { path: path.clone() }
                .connect(timeout)
                .await?;
            conn.raw("PRAGMA busy_timeout = 2000").await?;
            journal::record_snapshot(&mut conn, &b.backup, &detail, &recorded_args()).await
        };
        match recorded.await {
            Ok(id) => b.journal_run_id = id,
            Err(e) => out.warn(&format!(
                "backup kept, but not recorded in the journal: {e}"
            )),
        }
        if out.json {
            out.print_json(&b);
        } else {
            out.println(&format!(
                    "SQLite backup written and checked (integrity_check: {}).\nsource: {}\nbackup: {}\nsize:   {} ({} posts)\ntime:   {:.1} s",
                    b.integrity,
                    b.source,
                    b.backup,
                    indicatif::HumanBytes(b.bytes),
                    b.posts,
                    b.elapsed_ms as f64 / 1000.0
                ));
        }
        return Ok(exit::OK);
    }
    if a.out.is_some() {
        return Err(Error::usage(
            "--out is for SQLite backups; RDS snapshots stay in AWS",
            "drop --out, or point --db at the SQLite database",
        ));
    }
    let max = if a.instance.is_some() { 255 } else { 63 };
    if let Some(id) = &a.id {
        snapshot::validate_id(id, max)?;
    }
    let tags = snapshot::parse_tags(&a.tags)?;
    if !(a.poll_interval > 0.0 && a.poll_interval <= 600.0) {
        return Err(Error::usage(
            format!("--poll-interval {} is out of range", a.poll_interval),
            "give seconds between 0.1 and 600, e.g. --poll-interval 5",
        ));
    }
    let host = match &target {
        Some(Target::Mysql { opts, .. }) => Some(opts.get_host().to_string()),
        _ => None,
    };
    let explicit = match (&a.cluster, &a.instance) {
        (Some(c), _) => Some(Source::Cluster(c.clone())),
        (None, Some(i)) => Some(Source::Instance(i.clone())),
        (None, None) => None,
    };
    if explicit.is_none() && host.is_none() {
        return Err(Error::usage(
            "nothing to snapshot: no --cluster, --instance, or MySQL database to find them from",
            "pass --cluster ID (Aurora), --instance ID (RDS), or --db/--ghost-config naming the RDS endpoint; for SQLite pass --db PATH",
        ));
    }
    let aws = aws::Aws::load(&a.aws).await?;
    let rds = aws.rds();
    let src = match explicit {
        Some(s) => s,
        None => {
            let h = host.expect("checked above");
            let s = snapshot::discover(&rds, &h).await?;
            out.notice(&format!(
                "{h} belongs to {} {}",
                match s {
                    Source::Cluster(_) => "Aurora cluster",
                    Source::Instance(_) => "RDS instance",
                },
                s.id()
            ));
            s
        }
    };
    if a.list {
        let items = snapshot::list(&rds, &src).await?;
        if out.json {
            out.print_json(
                &serde_json::json!({"schema": report::SCHEMA, "source": src, "snapshots": items}),
            );
        } else {
            output::table::print_snapshots(out, &src, &items);
        }
        return Ok(exit::OK);
    }
    let req = snapshot::SnapshotRequest {
        snapshot_id: a.id.clone(),
        tags,
        wait: !a.no_wait,
        poll: Duration::from_secs_f64(a.poll_interval),
        timeout: Duration::from_secs(a.timeout),
    };
    let cancel = interrupt_flag(
        out,
        "interrupted: stopping the wait (the snapshot itself goes on)",
    );
    let (mut rep, interrupted) = snapshot::run(&rds, &src, &req, a.resume, out, cancel).await?;
    if interrupted {
        out.warn(&format!(
            "stopped waiting: snapshot {} is still being made by AWS ({}, {}%)",
            rep.snapshot_id,
            rep.status,
            rep.percent_progress.unwrap_or(0)
        ));
        out.notice(&snapshot::resume_hint(&src, &rep.snapshot_id));
        if out.json {
            out.print_json(&rep);
        }
        return Ok(exit::INTERRUPTED);
    }
    if let Some(t) = &target {
        // Record the snapshot in the journal when the database is reachable and has one.
        match t.connect(timeout).await {
            Ok(mut conn) => {
                let detail = serde_json::to_value(&rep).unwrap_or_default();
                match journal::record_snapshot(
                    &mut conn,
                    &rep.snapshot_id,
                    &detail,
                    &recorded_args(),
                )
                .await
                {
                    Ok(id) => rep.journal_run_id = id,
                    Err(e) => out.warn(&format!("snapshot not recorded in the journal: {e}")),
                }
            }
            Err(e) => out.warn(&format!("snapshot not recorded in the journal: {e}")),
        }
    }
    if out.json {
        out.print_json(&rep);
    } else {
        output::table::print_snapshot(out, &rep);
    }
    Ok(exit::OK)
}

async fn verify_cmd(a: cli::VerifyArgs, out: &Output) -> Result<u8> {
    let layout = bucket::BucketLayout::new(&a.bucket, &a.prefix)?;
    let (target, site) = resolve_db(&a.db, Some(&a.aws), out).await?;
    if a.cdn_url.is_none() && site.is_none() {
        out.warn("no site URL: only __GHOST_URL__ values are checked; pass --site-url or --ghost-config to include absolute and relative ones");
    }
    let content_dir =
        bucket::optional_content_dir(a.content_dir.as_deref(), a.db.ghost_config.as_deref())?;
    let (mut conn, tables) =
        rewrite::open_ghost(&target, Duration::from_secs(a.db.connect_timeout)).await?;
    let aws = aws::Aws::load(&a.aws).await?;
    let s3 = aws.s3();
    let req = verify::VerifyRequest {
        layout,
        cdn_url: a.cdn_url,
        content_dir,
        http: a.http,
        concurrency: a.concurrency as usize,
    };
    let r = verify::run(
        &mut conn,
        &tables,
        target.display(),
        site.as_ref(),
        &req,
        &s3,
    )
    .await?;
    if out.json {
        out.print_json(&r);
    } else {
        output::table::print_verify(out, &r);
    }
    Ok(if r.missing.is_empty() && r.http_problems.is_empty() {
        exit::OK
    } else {
        exit::FOUND
    })
}

async fn sync_images(a: cli::SyncImagesArgs, out: &Output) -> Result<u8> {
    let layout = bucket::BucketLayout::new(&a.bucket, &a.prefix)?;
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
            let known = aws_sdk_s3::types::StorageClass::values();
            if !known.contains(&c.as_str()) {
                return Err(Error::usage(
                    format!("unknown --storage-class {c:?}"),
                    format!("use one of {}", known.join(", ")),
                ));
            }
            Some(aws_sdk_s3::types::StorageClass::from(c.as_str()))
        }
    };
    let acl = a.acl.map(|x| {
        use aws_sdk_s3::types::ObjectCannedAcl as A;
        match x {
            cli::CannedAcl::Private => A::Private,
            cli::CannedAcl::PublicRead => A::PublicRead,
            cli::CannedAcl::BucketOwnerFullControl => A::BucketOwnerFullControl,
            cli::CannedAcl::BucketOwnerRead => A::BucketOwnerRead,
            cli::CannedAcl::AuthenticatedRead => A::AuthenticatedRead,
        }
    });
    let sse = a.sse.map(|x| {
        use aws_sdk_s3::types::ServerSideEncryption as S;
        match x {
            cli::Sse::Aes256 => S::Aes256,
            cli::Sse::AwsKms => S::AwsKms,
        }
    });
    if a.sse_kms_key_id.is_some() && a.sse != Some(cli::Sse::AwsKms) {
        return Err(Error::usage(
            "--sse-kms-key-id needs --sse aws:kms",
            "add --sse aws:kms, or drop --sse-kms-key-id",
        ));
    }
    let content_dir = bucket::content_dir(a.content_dir.as_deref(), a.ghost_config.as_deref())?;
    let req = sync::SyncRequest {
        layout,
        content_dir,
        dirs: a.dirs,
        dry_run: a.dry_run,
        delete: a.delete,
        max_delete: a.max_delete,
        concurrency: a.concurrency as usize,
        meta: sync::upload::Meta {
            cache_control: a.cache_control,
            acl,
            storage_class,
            sse,
            sse_kms_key_id: a.sse_kms_key_id,
        },
        rehash: a.rehash,
    };
    let aws = aws::Aws::load(&a.aws).await?;
    let s3 = aws.s3();
    let cancel = interrupt_flag(
        out,
        "interrupted: starting no new uploads, letting the ones in flight finish...",
    );
    let report = sync::run(&req, &s3, out, cancel).await?;
    if out.json {
        out.print_json(&report);
    } else {
        output::table::print_sync(out, &report);
    }
    Ok(if report.interrupted {
        exit::INTERRUPTED
    } else if !report.failures.is_empty() {
        exit::FAILED
    } else if !report.warnings.is_empty() {
        exit::WARNINGS
    } else {
        exit::OK
    })
}

/// Where the database is and what the site URL is, from --db / --ghost-config / --site-url;
/// loads AWS credentials for IAM authentication and shows how TLS was lowered, if it was.
pub async fn resolve_db(
    a: &DbArgs,
    aws: Option<&cli::AwsArgs>,
    out: &Output,
) -> Result<(Target, Option<Site>)> {
    let cfg = a
        .ghost_config
        .as_deref()
        .map(GhostConfig::load)
        .transpose()?;
    let target = match (&a.db, &cfg) {
        (Some(db), _) => Target::parse(db)?,
        (None, Some(c)) => c.target.clone(),
        (None, None) => {
            return Err(Error::usage(
                "no database given",
                "pass --db PATH|mysql://user:pass@host/db, set GHOST_MIGRATE_DB, or pass --ghost-config config.production.json",
            ));
        }
    };
    let target = if a.iam_auth || target.wants_iam() {
        with_iam(target, aws, out).await?
    } else {
        target
    };
    for w in target.warnings() {
        out.warn(&w);
    }
    let site_url = a.site_url.clone().or_else(|| cfg.and_then(|c| c.url));
    let site = site_url.as_deref().map(Site::parse).transpose()?;
    Ok((target, site))
}

/// Switches a MySQL target to RDS IAM authentication over the standard AWS chain; the region
/// is the endpoint's own unless --region says otherwise.
async fn with_iam(target: Target, aws: Option<&cli::AwsArgs>, out: &Output) -> Result<Target> {
    let (host, has_password) = match &target {
        Target::Mysql { opts, display, .. } => {
            (opts.get_host().to_string(), display.contains(":***@"))
        }
        Target::Sqlite { .. } => {
            return Err(Error::usage(
                "--iam-auth is for MySQL on RDS/Aurora; this is a SQLite database",
                "drop --iam-auth",
            ));
        }
    };
    let mut args = aws.cloned().unwrap_or_default();
    if args.region.is_none() {
        args.region = db::tls::rds_region(&host);
    }
    let loaded = aws::Aws::load(&args).await?;
    let Some(credentials) = loaded.config.credentials_provider() else {
        return Err(Error::usage(
            "no AWS credentials for the IAM auth token",
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a task/instance role",
        ));
    };
    if has_password {
        out.notice("IAM authentication: the configured password is not used, a token is");
    }
    let auth = db::iam::IamAuth {
        region: loaded.region(),
        credentials,
    };
    Ok(target.with_iam(auth)?)
}

fn recorded_args() -> String {
    // The journal records the command line without secrets: --db values are masked.
    let args: Vec<String> = std::env::args().skip(1).map(|a| db::mask_url(&a)).collect();
    serde_json::to_string(&args).unwrap_or_default()
}

/// Runs one command; returns the exit code for a completed command.
pub async fn run(cli: Cli, out: &Output) -> Result<u8> {
    match cli.cmd {
        Command::Completions { shell } => {
            out.write_raw(&cli::docs::completions(shell));
            Ok(exit::OK)
        }
        Command::Man { dir: None } => {
            out.write_raw(&cli::docs::man_page()?);
            Ok(exit::OK)
        }
        Command::Man { dir: Some(dir) } => {
            for page in cli::docs::man_pages_into(&dir)? {
                out.println(&page.display().to_string());
            }
            Ok(exit::OK)
        }
        Command::SyncImages(a) => sync_images(a, out).await,
        Command::Snapshot(a) => snapshot_cmd(a, out).await,
        Command::Scan(a) => {
            let (target, site) = resolve_db(&a.db, None, out).await?;
            let (mut conn, tables) =
                rewrite::open_ghost(&target, Duration::from_secs(a.db.connect_timeout)).await?;
            let inv = scan::inventory::inventory(
                &mut conn,
                &tables,
                target.display(),
                site.as_ref(),
                a.all_text_columns,
                a.examples,
            )
            .await?;
            if out.json {
                out.print_json(&inv);
            } else {
                output::table::print_scan(out, &inv);
            }
            Ok(exit::OK)
        }
        Command::Verify(a) => verify_cmd(a, out).await,
        Command::Rewrite(a) => {
            let (target, site) = resolve_db(&a.db, None, out).await?;
            let (from, to) = rewrite::parse_prefixes(&a.from, &a.to, site.as_ref())?;
            let opts = MatchOptions {
                exact_scheme: a.exact_scheme,
            };
            let cfg =
                a.db.ghost_config
                    .as_deref()
                    .map(GhostConfig::load)
                    .transpose()?;
            let absolute_map = match &to {
                plan::url::Prefix::Ghost { path } => {
                    let base = a
                        .ghost_url_base
                        .clone()
                        .or_else(|| {
                            cfg.as_ref()
                                .and_then(|c| c.asset_base(path))
                                .map(str::to_string)
                        })
                        .or_else(|| site.as_ref().map(|s| s.url.clone()));
                    match base {
                        Some(b) => {
                            let abs = plan::url::Prefix::parse(
                                "--ghost-url-base",
                                &format!("{}{path}", b.trim_end_matches('/')),
                                None,
                            )?;
                            Some(UrlMap::new(from.clone(), abs, site.as_ref(), &opts)?)
                        }
                        None => None,
                    }
                }
                _ => None,
            };
            let map = UrlMap::new(from, to, site.as_ref(), &opts)?;
            let req = rewrite::RewriteRequest {
                target,
                site,
                map,
                absolute_map,
                skip_unsafe: a.skip_unsafe,
                dry_run: a.dry_run,
                yes: a.yes,
                all_text_columns: a.all_text_columns,
                samples: a.samples,
                batch_size: a.batch_size,
                connect_timeout: Duration::from_secs(a.db.connect_timeout),
                args: recorded_args(),
            };
            let report = rewrite::run(&req, out).await?;
            if let Some(path) = &a.report {
                let text = if path.extension().is_some_and(|e| e == "json") {
                    serde_json::to_string_pretty(&report).expect("report serializes")
                } else {
                    report::markdown(&report)
                };
                std::fs::write(path, text)?;
            }
            if out.json {
                out.print_json(&report);
            } else if !(req.yes || req.dry_run) && report.run_id.is_none() {
                // The preview was printed before the question.
            } else {
                output::table::print_rewrite(out, &report);
            }
            Ok(if report.problems.is_empty() {
                exit::OK
            } else if req.skip_unsafe && !req.dry_run {
                exit::WARNINGS
            } else {
                exit::USAGE
            })
        }
        Command::Runs(a) => {
            let (target, _) = resolve_db(&a.db, None, out).await?;
            let mut conn = target
                .connect(Duration::from_secs(a.db.connect_timeout))
                .await?;
            if !journal::check(&mut conn).await? {
                if out.json {
                    out.print_json(&serde_json::json!({"schema": report::SCHEMA, "runs": []}));
                } else {
                    out.println("No runs recorded in this database.");
                }
                return Ok(exit::OK);
            }
            match a.cmd {
                None => {
                    let runs = journal::list_runs(&mut conn).await?;
                    if out.json {
                        out.print_json(
                            &serde_json::json!({"schema": report::SCHEMA, "runs": runs}),
                        );
                    } else {
                        output::table::print_runs(out, &runs);
                    }
                }
                Some(RunsCommand::Show { run_id }) => {
                    let run = journal::get_run(&mut conn, &run_id).await?;
                    if out.json {
                        out.print_json(&serde_json::json!({"schema": report::SCHEMA, "run": run}));
                    } else {
                        output::table::print_run(out, &run);
                    }
                }
            }
            Ok(exit::OK)
        }
        Command::Rollback(a) => {
            let (target, _) = resolve_db(&a.db, None, out).await?;
            if !a.dry_run && !a.yes && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Error::usage(
                    "refusing to write without confirmation: stdin is not a terminal",
                    "add --yes to roll back, or --dry-run to preview",
                ));
            }
            let (mut conn, _) =
                rewrite::open_ghost(&target, Duration::from_secs(a.db.connect_timeout)).await?;
            let mut req = journal::rollback::RollbackRequest {
                run_id: &a.run_id,
                dry_run: true,
                skip_conflicts: a.skip_conflicts,
                args: recorded_args(),
            };
            if !a.dry_run && !a.yes {
                let preview = journal::rollback::rollback(&mut conn, &req).await?;
                output::table::print_rollback(out, &preview);
                let q = format!(
                    "Restore {} cell(s) of run {}?",
                    preview.restorable, a.run_id
                );
                if out.confirm(&q) != Some(true) {
                    return Err(Error::usage(
                        "not confirmed; nothing was written",
                        "answer y, or pass --yes",
                    ));
                }
            }
            req.dry_run = a.dry_run;
            let r = journal::rollback::rollback(&mut conn, &req).await?;
            if out.json {
                out.print_json(&r);
            } else {
                output::table::print_rollback(out, &r);
            }
            Ok(match (r.conflicts.is_empty(), r.dry_run) {
                (true, _) => exit::OK,
                (false, true) => exit::FOUND,
                (false, false) => exit::WARNINGS,
            })
        }
    }
}
