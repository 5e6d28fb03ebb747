//! `snapshot`: an RDS/Aurora snapshot (found from the database host when not named), or a
//! checked SQLite backup; recorded in the journal when the database has one.

use super::Outcome;
use super::db::DbRequest;
use crate::aws;
use crate::cli::SnapshotArgs;
use crate::db::Target;
use crate::error::{Error, Result};
use crate::journal;
use crate::output::Output;
use crate::output::progress::Terminal;
use crate::snapshot::{self, SnapshotRequest, Source};
use std::path::PathBuf;
use std::time::Duration;

pub struct Request {
    pub db: DbRequest,
    pub aws: aws::Settings,
    /// `--cluster` or `--instance`.
    pub source: Option<Source>,
    pub id: Option<String>,
    pub tags: Vec<(String, String)>,
    pub wait: bool,
    pub poll: Duration,
    pub timeout: Duration,
    pub list: bool,
    pub resume: bool,
    /// `--out`, for SQLite backups.
    pub out: Option<PathBuf>,
}

impl Request {
    pub fn from_args(a: SnapshotArgs) -> Result<Self> {
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
        let source = match (a.cluster, a.instance) {
            (Some(c), _) => Some(Source::Cluster(c)),
            (None, Some(i)) => Some(Source::Instance(i)),
            (None, None) => None,
        };
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            aws: a.aws.settings(),
            source,
            id: a.id,
            tags,
            wait: !a.no_wait,
            poll: Duration::from_secs_f64(a.poll_interval),
            timeout: Duration::from_secs(a.timeout),
            list: a.list,
            resume: a.resume,
            out: a.out,
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let target = if req.db.given() {
        Some(req.db.resolve(Some(&req.aws), out).await?.0)
    } else {
        None
    };
    if req.source.is_none()
        && let Some(Target::Sqlite { path }) = &target
    {
        return sqlite_backup(&req, path, out).await;
    }
    if req.out.is_some() {
        return Err(Error::usage(
            "--out is for SQLite backups; RDS snapshots stay in AWS",
            "drop --out, or point --db at the SQLite database",
        ));
    }
    let host = match &target {
        Some(Target::Mysql { opts, .. }) => Some(opts.get_host().to_string()),
        _ => None,
    };
    if req.source.is_none() && host.is_none() {
        return Err(Error::usage(
            "nothing to snapshot: no --cluster, --instance, or MySQL database to find them from",
            "pass --cluster ID (Aurora), --instance ID (RDS), or --db/--ghost-config naming the RDS endpoint; for SQLite pass --db PATH",
        ));
    }
    let rds = aws::Aws::load(&req.aws).await?.rds();
    let src = match req.source.clone() {
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
    if req.list {
        let items = snapshot::list(&rds, &src).await?;
        return Ok(Outcome::Snapshots { source: src, items });
    }
    let s = SnapshotRequest {
        snapshot_id: req.id.clone(),
        tags: req.tags.clone(),
        wait: req.wait,
        poll: req.poll,
        timeout: req.timeout,
    };
    let cancel = super::cancel_on_ctrl_c(
        out,
        "interrupted: stopping the wait (the snapshot itself goes on)",
    );
    let (mut rep, stopped) =
        snapshot::run(&rds, &src, &s, req.resume, &Terminal::new(out), &cancel).await?;
    if stopped {
        return Ok(Outcome::SnapshotWaitStopped {
            report: rep,
            source: src,
        });
    }
    if let Some(t) = &target {
        // Record the snapshot in the journal when the database is reachable and has one.
        let recorded = async {
            let mut conn = t.connect(req.db.connect_timeout).await?;
            let detail = serde_json::to_value(&rep).unwrap_or_default();
            journal::record_snapshot(
                &mut conn,
                &rep.snapshot_id,
                &detail,
                &super::recorded_args(),
            )
            .await
        };
        match recorded.await {
            Ok(id) => rep.journal_run_id = id,
            Err(e) => out.warn(&format!("snapshot not recorded in the journal: {e}")),
        }
    }
    Ok(Outcome::Snapshot(rep))
}

/// A checked SQLite backup beside the database (or at `--out`).
async fn sqlite_backup(req: &Request, path: &std::path::Path, out: &Output) -> Result<Outcome> {
    if req.list || req.resume || req.id.is_some() {
        return Err(Error::usage(
            "--list, --resume and --id are for RDS snapshots; this is a SQLite database",
            "use --out PATH to choose where the SQLite backup goes",
        ));
    }
    let out_path = req
        .out
        .clone()
        .unwrap_or_else(|| snapshot::sqlite::default_out(path));
    let mut b = snapshot::sqlite::backup(path, &out_path).await?;
    let detail = serde_json::json!({"kind": "sqlite", "backup": b.backup, "bytes": b.bytes});
    // Recording is best effort: a writer holding the database must not cost the backup.
    let recorded = async {
        let mut conn = Target::Sqlite {
            path: path.to_path_buf(),
        }
        .connect(req.db.connect_timeout)
        .await?;
        conn.raw("PRAGMA busy_timeout = 2000").await?;
        journal::record_snapshot(&mut conn, &b.backup, &detail, &super::recorded_args()).await
    };
    match recorded.await {
        Ok(id) => b.journal_run_id = id,
        Err(e) => out.warn(&format!(
            "backup kept, but not recorded in the journal: {e}"
        )),
    }
    Ok(Outcome::SqliteBackup(b))
}
