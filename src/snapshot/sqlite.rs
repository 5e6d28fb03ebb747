//! A consistent backup of a SQLite Ghost database with `VACUUM INTO`, safe while Ghost has the
//! file open (it reads one committed state inside a read transaction), written under a temporary
//! name and renamed only after `PRAGMA integrity_check` says ok.

use crate::db::{Conn, Target};
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct SqliteBackup {
    pub schema: u32,
    pub command: &'static str,
    pub source: String,
    pub backup: String,
    pub bytes: u64,
    pub integrity: String,
    pub posts: u64,
    pub elapsed_ms: u64,
    pub journal_run_id: Option<String>,
}

/// `<db>.ghost-migrate-<yyyymmdd-hhmmss>.db` beside the database.
pub fn default_out(db: &Path) -> PathBuf {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default();
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "ghost.db".into());
    db.with_file_name(format!("{name}.ghost-migrate-{stamp}.db"))
}

pub async fn backup(db: &Path, out: &Path) -> Result<SqliteBackup> {
    let started = Instant::now();
    if out.exists() {
        return Err(Error::usage(
            format!("{} already exists", out.display()),
            "pass another --out, or move the old backup away",
        ));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Error::usage(
            format!("the folder of --out {} does not exist", out.display()),
            "create it first or pick another --out",
        ));
    }
    let tmp = out.with_file_name(format!(
        ".{}.partial-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let src = Target::Sqlite {
        path: db.to_path_buf(),
    };
    let mut conn = src.connect(Duration::from_secs(10)).await?;
    let tmp_s = tmp.to_string_lossy().replace('\'', "''");
    let r = conn.raw(&format!("VACUUM INTO '{tmp_s}'")).await;
    drop(conn);
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Backup(format!(
            "VACUUM INTO {} failed: {e}",
            tmp.display()
        )));
    }
    let check = Target::Sqlite { path: tmp.clone() };
    let mut c: Conn = check.connect(Duration::from_secs(10)).await?;
    let integrity = c
        .scalar("PRAGMA integrity_check", &[])
        .await?
        .unwrap_or_default();
    let posts: u64 = c
        .scalar("SELECT COUNT(*) FROM posts", &[])
        .await
        .ok()
        .flatten()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    drop(c);
    if integrity != "ok" {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Backup(format!(
            "the backup failed PRAGMA integrity_check: {integrity}; nothing was kept"
        )));
    }
    std::fs::rename(&tmp, out)?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(SqliteBackup {
        schema: crate::REPORT_SCHEMA,
        command: "snapshot",
        source: db.display().to_string(),
        backup: out.display().to_string(),
        bytes,
        integrity,
        posts,
        elapsed_ms: started.elapsed().as_millis() as u64,
        journal_run_id: None,
    })
}
