//! `snapshot`: an RDS/Aurora snapshot made through aws-sdk-rds and waited for by our own poll
//! loop (short interval, progress bar, typed failures), or a consistent SQLite backup
//! (`sqlite.rs`). It finds the cluster from the Ghost database host when not told.

pub mod sqlite;

use crate::error::{Error, Result};
use crate::progress::{Cancel, Progress, Task};
use aws_sdk_rds::Client;
use aws_sdk_rds::types::Tag;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What to snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "id")]
pub enum Source {
    Cluster(String),
    Instance(String),
}

impl Source {
    pub fn id(&self) -> &str {
        match self {
            Source::Cluster(s) | Source::Instance(s) => s,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Cluster(_) => "cluster",
            Source::Instance(_) => "instance",
        }
    }
    fn flag(&self) -> &'static str {
        match self {
            Source::Cluster(_) => "--cluster",
            Source::Instance(_) => "--instance",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SnapshotRequest {
    pub snapshot_id: Option<String>,
    pub tags: Vec<(String, String)>,
    pub wait: bool,
    pub poll: Duration,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotReport {
    pub schema: u32,
    pub command: &'static str,
    pub source: Source,
    pub snapshot_id: String,
    pub arn: Option<String>,
    pub status: String,
    pub percent_progress: Option<i32>,
    pub allocated_storage_gib: Option<i32>,
    pub engine: Option<String>,
    pub tags: Vec<(String, String)>,
    pub waited: bool,
    pub elapsed_ms: u64,
    /// The journal run recording this snapshot, when the journal tables exist.
    pub journal_run_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotListItem {
    pub snapshot_id: String,
    pub status: String,
    pub created: Option<String>,
    pub percent_progress: Option<i32>,
    pub allocated_storage_gib: Option<i32>,
}

/// AWS's rules for snapshot identifiers: 1-63 (cluster) or 1-255 (instance) letters, digits
/// and hyphens; first a letter; no `--`; no trailing hyphen.
pub fn validate_id(id: &str, max: usize) -> Result<()> {
    let why = if id.is_empty() || id.len() > max {
        Some(format!("must be 1 to {max} characters long"))
    } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Some("may hold only letters, digits and hyphens".to_string())
    } else if !id.as_bytes()[0].is_ascii_alphabetic() {
        Some("must start with a letter".to_string())
    } else if id.contains("--") {
        Some("must not contain two hyphens in a row".to_string())
    } else if id.ends_with('-') {
        Some("must not end with a hyphen".to_string())
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(w) => Err(Error::usage(
            format!("invalid snapshot id {id:?}: it {w}"),
            "pass --id with letters, digits and single hyphens, e.g. --id ghost-before-cdn-2026",
        )),
    }
}

/// `ghost-migrate-<source>-<yyyymmdd-hhmmss>`, shortened to fit AWS's limit.
pub fn default_id(source: &str, max: usize) -> String {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default();
    let clean: String = source
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let room = max - "ghost-migrate-".len() - stamp.len() - 1;
    let mut mid: String = clean.chars().take(room).collect();
    while mid.contains("--") {
        mid = mid.replace("--", "-");
    }
    let mid = mid.trim_matches('-');
    if mid.is_empty() {
        format!("ghost-migrate-{stamp}")
    } else {
        format!("ghost-migrate-{mid}-{stamp}")
    }
}

/// `key=value` tags, checked by AWS's limits.
pub fn parse_tags(raw: &[String]) -> Result<Vec<(String, String)>> {
    let mut tags = Vec::new();
    for t in raw {
        let Some((k, v)) = t.split_once('=') else {
            return Err(Error::usage(
                format!("--tag {t:?} is not KEY=VALUE"),
                "write tags as --tag team=blog (repeat --tag for more)",
            ));
        };
        if k.is_empty() || k.len() > 128 || v.len() > 256 || k.starts_with("aws:") {
            return Err(Error::usage(
                format!("--tag {t:?}: keys are 1-128 characters (not aws:...), values at most 256"),
                "shorten the tag",
            ));
        }
        tags.push((k.to_string(), v.to_string()));
    }
    tags.push(("created-by".into(), "ghost-migrate".into()));
    Ok(tags)
}

type HttpResponse = aws_sdk_rds::config::http::HttpResponse;

/// Maps an RDS error to a message naming the fix.
fn rds_error<E>(
    e: &aws_sdk_rds::error::SdkError<E, HttpResponse>,
    action: &str,
    what: &str,
) -> Error
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let Some((code, msg)) = crate::aws::service_code(e) else {
        return Error::Aws {
            msg: format!("{action} failed: {}", crate::aws::chain(e)),
            hint: Some("check --endpoint-url, --region and the network".into()),
        };
    };
    let usage = |m: String, h: &str| Error::usage(m, h);
    match code.as_str() {
        "DBClusterSnapshotAlreadyExistsFault" | "DBSnapshotAlreadyExists" => usage(
            format!("a snapshot named {what:?} already exists"),
            "pick another --id, or leave --id out for a timestamped one",
        ),
        "DBClusterNotFoundFault" => usage(
            format!("no Aurora cluster {what:?} in this account and region ({msg})"),
            "check --cluster and --region; for a plain RDS database use --instance",
        ),
        "DBInstanceNotFound" | "DBInstanceNotFoundFault" => usage(
            format!("no RDS instance {what:?} in this account and region ({msg})"),
            "check --instance and --region; for Aurora use --cluster",
        ),
        "InvalidDBClusterStateFault" | "InvalidDBInstanceState" | "InvalidDBInstanceStateFault" => {
            Error::Aws {
                msg: format!("{what:?} is not in a state that allows a snapshot: {msg}"),
                hint: Some("wait until it is `available` (aws rds describe-db-clusters) and try again".into()),
            }
        }
        "SnapshotQuotaExceeded" | "SnapshotQuotaExceededFault" => Error::Aws {
            msg: format!("the manual snapshot quota of this account is used up: {msg}"),
            hint: Some("delete old manual snapshots (ghost-migrate snapshot --list shows ours) or ask AWS for a higher quota".into()),
        },
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError" => {
            Error::Aws {
                msg: format!("access denied calling {action}: {msg}"),
                hint: Some(format!(
                    "grant the IAM action rds:{action} (and rds:AddTagsToResource for tags) to this role or user"
                )),
            }
        }
        _ => Error::Aws {
            msg: format!("{action} failed: {code}: {msg}"),
            hint: None,
        },
    }
}

/// Checks the source exists and can be snapshotted (an Aurora member given as --instance is refused).
pub async fn check_source(rds: &Client, src: &Source) -> Result<()> {
    let (what, st) = match src {
        Source::Cluster(id) => {
            let r = rds
                .describe_db_clusters()
                .db_cluster_identifier(id)
                .send()
                .await
                .map_err(|e| rds_error(&e, "DescribeDBClusters", id))?;
            let c = r.db_clusters().first().ok_or_else(|| {
                Error::usage(
                    format!("no Aurora cluster {id:?}"),
                    "check --cluster and --region",
                )
            })?;
            ("cluster", c.status().unwrap_or("unknown").to_string())
        }
        Source::Instance(id) => {
            let r = rds
                .describe_db_instances()
                .db_instance_identifier(id)
                .send()
                .await
                .map_err(|e| rds_error(&e, "DescribeDBInstances", id))?;
            let i = r.db_instances().first().ok_or_else(|| {
                Error::usage(
                    format!("no RDS instance {id:?}"),
                    "check --instance and --region",
                )
            })?;
            if let Some(c) = i.db_cluster_identifier() {
                return Err(Error::usage(
                    format!(
                        "instance {id:?} is a member of Aurora cluster {c:?}: Aurora snapshots are taken of the cluster"
                    ),
                    format!("use --cluster {c}"),
                ));
            }
            (
                "instance",
                i.db_instance_status().unwrap_or("unknown").to_string(),
            )
        }
    };
    if st != "available" {
        return Err(Error::Aws {
            msg: format!("{what} {:?} is {st}, not available", src.id()),
            hint: Some("wait until it is `available` and run snapshot again".into()),
        });
    }
    Ok(())
}

/// Finds the cluster (or instance) serving `host`: cluster, reader and custom endpoints, then
/// instance endpoints (an Aurora member resolves to its cluster).
pub async fn discover(rds: &Client, host: &str) -> Result<Source> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let eq = |s: Option<&str>| s.is_some_and(|x| x.eq_ignore_ascii_case(&host));
    let mut pages = rds.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| rds_error(&e, "DescribeDBClusters", &host))?;
        for c in page.db_clusters() {
            if (eq(c.endpoint())
                || eq(c.reader_endpoint())
                || c.custom_endpoints().iter().any(|e| eq(Some(e))))
                && let Some(id) = c.db_cluster_identifier()
            {
                return Ok(Source::Cluster(id.to_string()));
            }
        }
    }
    let mut pages = rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| rds_error(&e, "DescribeDBInstances", &host))?;
        for i in page.db_instances() {
            if eq(i.endpoint().and_then(|e| e.address())) {
                return Ok(
                    match (i.db_cluster_identifier(), i.db_instance_identifier()) {
                        (Some(c), _) => Source::Cluster(c.to_string()),
                        (None, Some(id)) => Source::Instance(id.to_string()),
                        (None, None) => continue,
                    },
                );
            }
        }
    }
    Err(Error::usage(
        format!("no RDS cluster or instance in this account and region has the endpoint {host}"),
        "pass --cluster ID or --instance ID, or check --region (the database host must be an RDS endpoint, not a CNAME)",
    ))
}

/// One poll: (status, percent, arn, storage, engine); None when the snapshot is gone.
type Poll = Option<(
    String,
    Option<i32>,
    Option<String>,
    Option<i32>,
    Option<String>,
)>;

/// One describe call's answer as a `Poll`: the first snapshot listed, None when AWS says it
/// does not exist (one of the not-found codes), an error otherwise. A macro, because cluster
/// and instance snapshots are different SDK types with the same accessors.
macro_rules! poll_answer {
    ($sent:expr, $list:ident, $arn:ident, $op:expr, $snap:expr, [$($code:expr),+]) => {
        match $sent {
            Ok(r) => Ok(r.$list().first().map(|s| {
                (
                    s.status().unwrap_or("unknown").to_string(),
                    s.percent_progress(),
                    s.$arn().map(str::to_string),
                    s.allocated_storage(),
                    s.engine().map(str::to_string),
                )
            })),
            Err(e)
                if crate::aws::service_code(&e)
                    .is_some_and(|(c, _)| [$($code),+].contains(&c.as_str())) =>
            {
                Ok(None)
            }
            Err(e) => Err(rds_error(&e, $op, $snap)),
        }
    };
}

async fn poll(rds: &Client, src: &Source, snap: &str) -> Result<Poll> {
    match src {
        Source::Cluster(_) => poll_answer!(
            rds.describe_db_cluster_snapshots()
                .db_cluster_snapshot_identifier(snap)
                .send()
                .await,
            db_cluster_snapshots,
            db_cluster_snapshot_arn,
            "DescribeDBClusterSnapshots",
            snap,
            ["DBClusterSnapshotNotFoundFault"]
        ),
        Source::Instance(_) => poll_answer!(
            rds.describe_db_snapshots()
                .db_snapshot_identifier(snap)
                .send()
                .await,
            db_snapshots,
            db_snapshot_arn,
            "DescribeDBSnapshots",
            snap,
            ["DBSnapshotNotFound", "DBSnapshotNotFoundFault"]
        ),
    }
}

/// Creates the snapshot (or, with `resume`, picks up an existing one) and waits for it.
/// Returns the report and whether Ctrl-C ended the wait (the snapshot goes on being made).
pub async fn run(
    rds: &Client,
    src: &Source,
    req: &SnapshotRequest,
    resume: bool,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<(SnapshotReport, bool)> {
    let started = Instant::now();
    let max = match src {
        Source::Cluster(_) => 63,
        Source::Instance(_) => 255,
    };
    let mut snap = match &req.snapshot_id {
        Some(id) => id.clone(),
        None => default_id(src.id(), max),
    };
    validate_id(&snap, max)?;
    if req.snapshot_id.is_none() && !resume {
        // Two default ids in the same second: add -2, -3... (cut to fit AWS's limit).
        let base = snap.clone();
        let mut n = 2;
        while poll(rds, src, &snap).await?.is_some() && n < 100 {
            let suffix = format!("-{n}");
            snap = format!("{}{suffix}", &base[..base.len().min(max - suffix.len())]);
            n += 1;
        }
    }
    let tags: Vec<Tag> = req
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let mut report = SnapshotReport {
        schema: crate::REPORT_SCHEMA,
        command: "snapshot",
        source: src.clone(),
        snapshot_id: snap.clone(),
        arn: None,
        status: "creating".into(),
        percent_progress: None,
        allocated_storage_gib: None,
        engine: None,
        tags: req.tags.clone(),
        waited: false,
        elapsed_ms: 0,
        journal_run_id: None,
    };
    if !resume {
        check_source(rds, src).await?;
        match src {
            Source::Cluster(c) => {
                let r = rds
                    .create_db_cluster_snapshot()
                    .db_cluster_identifier(c)
                    .db_cluster_snapshot_identifier(&snap)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| match rds_error(&e, "CreateDBClusterSnapshot", &snap) {
                        Error::Usage { msg, hint } if msg.starts_with("no Aurora") => {
                            Error::Usage {
                                msg: msg.replace(&snap, c),
                                hint,
                            }
                        }
                        other => other,
                    })?;
                if let Some(s) = r.db_cluster_snapshot() {
                    report.arn = s.db_cluster_snapshot_arn().map(str::to_string);
                    report.status = s.status().unwrap_or("creating").to_string();
                }
            }
            Source::Instance(i) => {
                let r = rds
                    .create_db_snapshot()
                    .db_instance_identifier(i)
                    .db_snapshot_identifier(&snap)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| rds_error(&e, "CreateDBSnapshot", &snap))?;
                if let Some(s) = r.db_snapshot() {
                    report.arn = s.db_snapshot_arn().map(str::to_string);
                    report.status = s.status().unwrap_or("creating").to_string();
                }
            }
        }
        progress.notice(&format!(
            "snapshot {snap} of {} {} created",
            src.kind(),
            src.id()
        ));
    }
    if !req.wait {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok((report, false));
    }

    // Our own poll loop: a short interval, progress on stderr, typed endings.
    report.waited = true;
    progress.start(Task::Percent {
        label: "waiting for snapshot",
    });
    let mut last_line = String::new();
    let deadline = started + req.timeout;
    loop {
        let p = poll(rds, src, &snap).await?;
        let Some((status, pct, arn, storage, engine)) = p else {
            progress.finish();
            return Err(Error::Aws {
                msg: format!(
                    "snapshot {snap} disappeared while it was being made (deleted by someone, or by AWS after a failure)"
                ),
                hint: Some(format!(
                    "look at the RDS events of {} {} and run snapshot again",
                    src.kind(),
                    src.id()
                )),
            });
        };
        report.status = status.clone();
        report.percent_progress = pct;
        report.arn = arn.or(report.arn.take());
        report.allocated_storage_gib = storage;
        report.engine = engine;
        progress.set(pct.unwrap_or(0).clamp(0, 100) as u64);
        progress.message(&status);
        let line = format!("snapshot {snap}: {status} {}%", pct.unwrap_or(0));
        if line != last_line {
            progress.status(&line);
        }
        last_line = line;
        match status.as_str() {
            "available" => break,
            "failed" | "error" | "deleted" | "deleting" | "incompatible-restore" => {
                progress.finish();
                return Err(Error::Aws {
                    msg: format!("snapshot {snap} ended as {status}"),
                    hint: Some(format!(
                        "look at the RDS events of {} {} (aws rds describe-events), then run snapshot again",
                        src.kind(),
                        src.id()
                    )),
                });
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            progress.finish();
            return Err(Error::Aws {
                msg: format!(
                    "gave up waiting after {} s: snapshot {snap} is still {status} ({}%); AWS goes on making it",
                    req.timeout.as_secs(),
                    pct.unwrap_or(0)
                ),
                hint: Some(resume_hint(src, &snap)),
            });
        }
        // Sleep one interval, waking early for Ctrl-C.
        let until = Instant::now() + req.poll;
        while Instant::now() < until {
            if cancel.is_cancelled() {
                progress.finish();
                report.elapsed_ms = started.elapsed().as_millis() as u64;
                return Ok((report, true));
            }
            tokio::time::sleep(Duration::from_millis(50).min(until - Instant::now())).await;
        }
    }
    progress.finish();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok((report, false))
}

/// The command that resumes waiting for a snapshot being made.
pub fn resume_hint(src: &Source, snap: &str) -> String {
    format!(
        "resume waiting with: ghost-migrate snapshot {} {} --id {snap} --resume",
        src.flag(),
        src.id()
    )
}

/// The snapshots of `src` tagged created-by=ghost-migrate, oldest first (Marker pagination).
pub async fn list(rds: &Client, src: &Source) -> Result<Vec<SnapshotListItem>> {
    let mut items = Vec::new();
    let ours = |tags: &[Tag]| {
        tags.iter()
            .any(|t| t.key() == Some("created-by") && t.value() == Some("ghost-migrate"))
    };
    let fmt = |t: Option<&aws_sdk_rds::primitives::DateTime>| {
        t.and_then(|d| {
            d.fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
                .ok()
        })
    };
    // Cluster and instance snapshots are different SDK types with the same accessors.
    macro_rules! collect_ours {
        ($pages:expr, $list:ident, $id:ident, $op:expr, $of:expr) => {
            let mut pages = $pages;
            while let Some(p) = pages.next().await {
                let p = p.map_err(|e| rds_error(&e, $op, $of))?;
                for s in p.$list().iter().filter(|s| ours(s.tag_list())) {
                    items.push(SnapshotListItem {
                        snapshot_id: s.$id().unwrap_or("").into(),
                        status: s.status().unwrap_or("").into(),
                        created: fmt(s.snapshot_create_time()),
                        percent_progress: s.percent_progress(),
                        allocated_storage_gib: s.allocated_storage(),
                    });
                }
            }
        };
    }
    match src {
        Source::Cluster(c) => {
            collect_ours!(
                rds.describe_db_cluster_snapshots()
                    .db_cluster_identifier(c)
                    .snapshot_type("manual")
                    .into_paginator()
                    .send(),
                db_cluster_snapshots,
                db_cluster_snapshot_identifier,
                "DescribeDBClusterSnapshots",
                c
            );
        }
        Source::Instance(i) => {
            collect_ours!(
                rds.describe_db_snapshots()
                    .db_instance_identifier(i)
                    .snapshot_type("manual")
                    .into_paginator()
                    .send(),
                db_snapshots,
                db_snapshot_identifier,
                "DescribeDBSnapshots",
                i
            );
        }
    }
    items.sort_by(|a, b| {
        a.created
            .cmp(&b.created)
            .then(a.snapshot_id.cmp(&b.snapshot_id))
    });
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "ghost-1", "A-b-C"] {
            assert!(validate_id(ok, 63).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "a--b", "a-", "a_b", "a.b", &"a".repeat(64)] {
            assert!(validate_id(bad, 63).is_err(), "{bad}");
        }
        let d = default_id("My_Cluster--prod", 63);
        assert!(d.starts_with("ghost-migrate-My-Cluster-prod-"), "{d}");
        assert!(validate_id(&d, 63).is_ok());
        let long = default_id(&"x".repeat(100), 63);
        assert_eq!(long.len(), 63);
        assert!(validate_id(&long, 63).is_ok(), "{long}");
    }

    #[test]
    fn tags() {
        let t = parse_tags(&["team=blog".into(), "empty=".into()]).unwrap();
        assert_eq!(
            t.last().unwrap(),
            &("created-by".to_string(), "ghost-migrate".to_string())
        );
        assert!(parse_tags(&["novalue".into()]).is_err());
        assert!(parse_tags(&["aws:x=1".into()]).is_err());
    }
}
