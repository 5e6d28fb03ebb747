//! The journal: ghost-migrate's own tables inside the Ghost database (`ghost_migrate_*`),
//! created and upgraded by the sqlx migrations in `migrations/<engine>/`, and the run and
//! change rows written in the same transaction as the rewrite they describe.
//!
//! Every step of a migration is a run: rewrites and rollbacks (which change cells, and journal
//! each one), and the steps that change no cell of the database (`snapshot`, `sync-images`,
//! `verify`), recorded by `record_step` as one finished row whose `detail` holds what they
//! report. `last_finished` finds the last finished step of a kind, for resuming a runbook.

pub mod compress;
pub mod mode;
pub mod rollback;

use crate::db::{Conn, Engine, P};
use crate::error::{Error, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const RUNS: &str = "ghost_migrate_runs";
pub const CHANGES: &str = "ghost_migrate_changes";
pub const SCHEMA: &str = "ghost_migrate_schema";

/// The files of `migrations/<engine>/`, embedded. `sqlx::migrate!` would embed the same, but
/// building its proc-macro compiles sqlx and SQLite a second time (for the host); a test checks
/// these lists against the folders.
macro_rules! migrations {
    ($engine:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../../migrations/", $engine, "/", $file)))),+]
    };
}
const SQLITE_MIGRATIONS: &[(&str, &str)] = migrations!("sqlite":
    "20261123000001_journal.sql",
    "20261203000001_compressed_old_values.sql",
    "20261205000001_run_detail.sql",
    "20261205000002_journal_mode.sql",
    "20261206000001_runbook.sql",
);
const MYSQL_MIGRATIONS: &[(&str, &str)] = migrations!("mysql":
    "20261123000001_journal.sql",
    "20261203000001_compressed_old_values.sql",
    "20261205000001_run_detail.sql",
    "20261206000001_runbook.sql",
);

/// The migration that added `ghost_migrate_runs.detail`: journals made before it lack the
/// column until `ensure` upgrades them, and reading them must not need it.
const DETAIL_VERSION: i64 = 20261205000001;

/// The journal's migrations as `sqlx::migrate!` makes them: version and description from the
/// file name (`<version>_<words>.sql`), checksum the SHA-384 of the text.
fn migrator(engine: Engine) -> Vec<sqlx::migrate::Migration> {
    let files = match engine {
        Engine::Sqlite => SQLITE_MIGRATIONS,
        Engine::Mysql => MYSQL_MIGRATIONS,
    };
    files
        .iter()
        .map(|(name, sql)| {
            let (version, words) = name
                .trim_end_matches(".sql")
                .split_once('_')
                .expect("migration files are named <version>_<description>.sql");
            sqlx::migrate::Migration::new(
                version.parse().expect("a numeric migration version"),
                words.replace('_', " ").into(),
                sqlx::migrate::MigrationType::Simple,
                (*sql).into(),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect()
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

async fn table_exists(conn: &mut Conn, name: &str) -> Result<bool> {
    let sql = match conn.engine() {
        Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
        Engine::Mysql => {
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
        }
    };
    Ok(conn.scalar(sql, &[P::S(name)]).await?.is_some())
}

/// Checks the journal's schema against this binary. Returns false when there is no journal.
pub async fn check(conn: &mut Conn) -> Result<bool> {
    if !table_exists(conn, SCHEMA).await? {
        if table_exists(conn, RUNS).await? {
            return Err(Error::Journal(format!(
                "the journal is damaged: {RUNS} exists but {SCHEMA} does not; restore it from a backup or drop the ghost_migrate_* tables"
            )));
        }
        return Ok(false);
    }
    let m = migrator(conn.engine());
    let rows = conn
        .rows(
            &format!("SELECT version, checksum FROM {SCHEMA} ORDER BY version"),
            &[],
        )
        .await
        .map_err(|e| Error::Journal(format!("the journal is damaged ({e})")))?;
    for r in rows {
        let v: i64 = r[0].as_deref().and_then(|s| s.parse().ok()).unwrap_or(-1);
        match m.iter().find(|x| x.version == v) {
            None => {
                return Err(Error::Journal(format!(
                    "this database's journal has schema version {v}, newer than this ghost-migrate ({}) knows; upgrade ghost-migrate",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            Some(mig) if r[1].as_deref() != Some(hex::encode(&mig.checksum).as_str()) => {
                return Err(Error::Journal(format!(
                    "the journal's schema version {v} does not match this ghost-migrate's migration (checksum differs); the ghost_migrate_* tables were altered"
                )));
            }
            _ => {}
        }
    }
    Ok(true)
}

/// Creates or upgrades the journal tables. Runs outside the rewrite transaction (MySQL DDL
/// commits implicitly).
pub async fn ensure(conn: &mut Conn) -> Result<()> {
    check(conn).await?;
    let long = match conn.engine() {
        Engine::Sqlite => "",
        Engine::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    };
    conn.raw(&format!(
        "CREATE TABLE IF NOT EXISTS {SCHEMA} (version BIGINT NOT NULL PRIMARY KEY, description VARCHAR(191) NOT NULL, checksum VARCHAR(128) NOT NULL, applied_at VARCHAR(32) NOT NULL){long}"
    ))
    .await?;
    let m = migrator(conn.engine());
    for mig in m.iter() {
        let have = conn
            .scalar(
                &format!("SELECT version FROM {SCHEMA} WHERE version = ?"),
                &[P::I(mig.version)],
            )
            .await?;
        if have.is_some() {
            continue;
        }
        if conn.engine() == Engine::Sqlite {
            conn.begin_write().await?;
        }
        let res = async {
            conn.raw(&mig.sql).await?;
            conn.exec(
                &format!(
                    "INSERT INTO {SCHEMA} (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)"
                ),
                &[
                    P::I(mig.version),
                    P::S(&mig.description),
                    P::S(&hex::encode(&mig.checksum)),
                    P::S(&now()),
                ],
            )
            .await?;
            Ok::<_, Error>(())
        }
        .await;
        if conn.engine() == Engine::Sqlite {
            match res {
                Ok(()) => conn.commit().await?,
                Err(e) => {
                    conn.rollback().await?;
                    return Err(e);
                }
            }
        } else {
            res?;
        }
    }
    Ok(())
}

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A new run id: `gm-YYYYMMDD-HHMMSS-xxxxxx`.
pub fn new_run_id() -> String {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let seed = format!("{:?}{}{}", t, std::process::id(), t.nanosecond());
    let h = sha256_hex(&seed);
    format!("gm-{}-{}", t.format(&fmt).unwrap_or_default(), &h[..6])
}

/// Ghost's `settings.db_hash`, which identifies this database (copied journals are detected).
pub async fn db_identity(conn: &mut Conn) -> Result<String> {
    let sql = format!(
        "SELECT value FROM settings WHERE {} = 'db_hash'",
        conn.q("key")
    );
    Ok(conn
        .scalar(&sql, &[])
        .await
        .ok()
        .flatten()
        .unwrap_or_default())
}

/// A run as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub tool_version: String,
    pub args: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub db_identity: String,
    pub rolls_back: Option<String>,
    pub rolled_back_by: Option<String>,
    pub rows_changed: u64,
    pub cells_changed: u64,
    pub occurrences: u64,
    /// Per-column counts (JSON as stored). For a snapshot run, the same value as `detail`:
    /// what `runs --json` showed before `detail` existed.
    pub counts: Option<serde_json::Value>,
    /// What a step records beyond the columns above (JSON): a snapshot's id and report, the
    /// counts and outcome of sync-images and verify. None for rewrites and rollbacks.
    pub detail: Option<serde_json::Value>,
}

impl Run {
    /// A run starting now: a new id, status `running`, this binary's version, everything else
    /// empty (set `from`, `to`, `db_identity`, `rolls_back` with struct update syntax).
    pub fn new(
        kind: impl Into<String>,
        args: impl Into<String>,
        detail: Option<serde_json::Value>,
    ) -> Run {
        Run {
            id: new_run_id(),
            kind: kind.into(),
            status: "running".into(),
            started_at: now(),
            finished_at: None,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            args: args.into(),
            from: None,
            to: None,
            db_identity: String::new(),
            rolls_back: None,
            rolled_back_by: None,
            rows_changed: 0,
            cells_changed: 0,
            occurrences: 0,
            counts: None,
            detail,
        }
    }
}

/// How a step that changes no database cell ended, as `record_step` stores it in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Finished and did what was asked (verify found nothing missing; sync-images uploaded
    /// everything): `applied`, the status of every finished rewrite, rollback and snapshot.
    Applied,
    /// Finished, but its outcome is not clean (verify found missing objects; uploads failed).
    Failed,
    /// Stopped before the end (Ctrl-C).
    Interrupted,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::Failed => "failed",
            StepStatus::Interrupted => "interrupted",
        }
    }
}

const RUN_COLS: &str = "id, kind, status, started_at, finished_at, tool_version, args, from_prefix, to_prefix, db_identity, rolls_back, rolled_back_by, rows_changed, cells_changed, occurrences, counts";

/// Whether the journal (which exists) has the `detail` column yet.
async fn has_detail(conn: &mut Conn) -> Result<bool> {
    Ok(conn
        .scalar(
            &format!("SELECT version FROM {SCHEMA} WHERE version = ?"),
            &[P::I(DETAIL_VERSION)],
        )
        .await
        .map_err(|e| Error::Journal(format!("the journal is damaged ({e})")))?
        .is_some())
}

/// The columns `run_from_row` reads: `detail` too once the journal has it (a journal made by an
/// earlier ghost-migrate is read as it is; only writing steps upgrade it).
async fn run_cols(conn: &mut Conn) -> Result<String> {
    Ok(if has_detail(conn).await? {
        format!("{RUN_COLS}, detail")
    } else {
        format!("{RUN_COLS}, NULL AS detail")
    })
}

fn run_from_row(r: Vec<Option<String>>) -> Run {
    let s = |i: usize| r[i].clone().unwrap_or_default();
    let n = |i: usize| r[i].as_deref().and_then(|x| x.parse().ok()).unwrap_or(0);
    let j = |i: usize| {
        r[i].as_deref()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
    };
    let mut run = Run {
        id: s(0),
        kind: s(1),
        status: s(2),
        started_at: s(3),
        finished_at: r[4].clone(),
        tool_version: s(5),
        args: s(6),
        from: r[7].clone(),
        to: r[8].clone(),
        db_identity: s(9),
        rolls_back: r[10].clone(),
        rolled_back_by: r[11].clone(),
        rows_changed: n(12),
        cells_changed: n(13),
        occurrences: n(14),
        counts: j(15),
        detail: j(16),
    };
    // A snapshot's id and report live in `detail`; `runs` has always shown them as `to` and
    // `counts`, and still does.
    if run.kind == "snapshot"
        && let Some(d) = &run.detail
    {
        if run.to.is_none() {
            run.to = d
                .get("snapshot_id")
                .and_then(|v| v.as_str())
                .map(str::to_string);
        }
        if run.counts.is_none() {
            run.counts = Some(d.clone());
        }
    }
    run
}

async fn select_runs(conn: &mut Conn, tail: &str, params: &[P<'_>]) -> Result<Vec<Run>> {
    let cols = run_cols(conn).await?;
    let rows = conn
        .rows(&format!("SELECT {cols} FROM {RUNS} {tail}"), params)
        .await
        .map_err(|e| Error::Journal(format!("the journal is damaged ({e})")))?;
    Ok(rows.into_iter().map(run_from_row).collect())
}

pub async fn list_runs(conn: &mut Conn) -> Result<Vec<Run>> {
    select_runs(conn, "ORDER BY started_at, id", &[]).await
}

pub async fn get_run(conn: &mut Conn, id: &str) -> Result<Run> {
    let rows = select_runs(conn, "WHERE id = ?", &[P::S(id)]).await?;
    rows.into_iter().next().ok_or_else(|| Error::Usage {
        msg: format!("no run {id:?} in this database's journal"),
        hint: Some("list the runs with `ghost-migrate runs`".into()),
    })
}

/// The last finished run of `kind` in this database's journal that still stands: status
/// `applied`, recorded in this database (`db_identity` is this database's `db_hash`, so rows of
/// a journal copied from another database are never taken), not rolled back. The latest by
/// `finished_at`, then by id. None when there is no journal or no such run. This is where a
/// runbook resumes: after the last step that finished.
pub async fn last_finished(conn: &mut Conn, kind: &str) -> Result<Option<Run>> {
    if !check(conn).await? {
        return Ok(None);
    }
    let here = db_identity(conn).await?;
    let rows = select_runs(
        conn,
        "WHERE kind = ? AND status = 'applied' AND finished_at IS NOT NULL AND db_identity = ? AND rolled_back_by IS NULL ORDER BY finished_at DESC, id DESC LIMIT 1",
        &[P::S(kind), P::S(&here)],
    )
    .await?;
    Ok(rows.into_iter().next())
}

/// The id of a run that started and never finished, if any. Steps recorded as `failed` or
/// `interrupted` by `record_step` did finish: they block nothing.
pub async fn unfinished(conn: &mut Conn) -> Result<Option<String>> {
    Ok(conn
        .scalar(
            &format!("SELECT id FROM {RUNS} WHERE status = 'running' LIMIT 1"),
            &[],
        )
        .await?)
}

/// Writes the run row (status `running`) inside the current transaction. `detail` is written
/// only when the run has one (a journal is upgraded by `ensure` before a run that has one).
pub async fn begin_run(conn: &mut Conn, run: &Run) -> Result<()> {
    let detail = run.detail.as_ref().map(|d| d.to_string());
    let (col, mark) = match detail {
        Some(_) => (", detail", ", ?"),
        None => ("", ""),
    };
    let mut params = vec![
        P::S(&run.id),
        P::S(&run.kind),
        P::S(&run.started_at),
        P::S(&run.tool_version),
        P::S(&run.args),
        P::OptS(run.from.as_deref()),
        P::OptS(run.to.as_deref()),
        P::S(&run.db_identity),
        P::OptS(run.rolls_back.as_deref()),
    ];
    if let Some(d) = &detail {
        params.push(P::S(d));
    }
    conn.exec(
        &format!(
            "INSERT INTO {RUNS} (id, kind, status, started_at, tool_version, args, from_prefix, to_prefix, db_identity, rolls_back{col}) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?{mark})"
        ),
        &params,
    )
    .await?;
    Ok(())
}

/// Marks the run applied with its totals, inside the current transaction.
pub async fn finish_run(
    conn: &mut Conn,
    id: &str,
    rows: u64,
    cells: u64,
    occurrences: u64,
    counts: &serde_json::Value,
) -> Result<()> {
    conn.exec(
        &format!(
            "UPDATE {RUNS} SET status = 'applied', finished_at = ?, rows_changed = ?, cells_changed = ?, occurrences = ?, counts = ? WHERE id = ?"
        ),
        &[
            P::S(&now()),
            P::I(rows as i64),
            P::I(cells as i64),
            P::I(occurrences as i64),
            P::S(&counts.to_string()),
            P::S(id),
        ],
    )
    .await?;
    Ok(())
}

/// Records a step that changes no database cell (`snapshot`, `sync-images`, `verify`) as one
/// finished run: `kind`, the recorded `args` (passwords masked), what it reports in `detail`
/// (counts and outcome), and how it ended in `status`; started and finished now, in this
/// database (`db_identity`). Its own statement, outside any transaction.
///
/// Only when the journal exists: a step never creates ghost-migrate's tables in Ghost's
/// database (a read-only verify stays read-only); then it returns None. A journal made by an
/// earlier ghost-migrate is upgraded first (`ensure`). Best effort for the caller: the step's
/// own work is done, so an error here is worth a warning, not a failure.
pub async fn record_step(
    conn: &mut Conn,
    kind: &str,
    args: &str,
    detail: &serde_json::Value,
    status: StepStatus,
) -> Result<Option<String>> {
    if kind.is_empty() || kind.len() > 16 {
        return Err(Error::Journal(format!(
            "a run's kind is 1 to 16 characters, not {kind:?}"
        )));
    }
    if !check(conn).await? {
        return Ok(None);
    }
    if !has_detail(conn).await? {
        ensure(conn).await?;
    }
    let run = Run {
        db_identity: db_identity(conn).await?,
        ..Run::new(kind, args, Some(detail.clone()))
    };
    conn.exec(
        &format!(
            "INSERT INTO {RUNS} (id, kind, status, started_at, finished_at, tool_version, args, db_identity, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        &[
            P::S(&run.id),
            P::S(&run.kind),
            P::S(status.as_str()),
            P::S(&run.started_at),
            P::S(&run.started_at),
            P::S(&run.tool_version),
            P::S(&run.args),
            P::S(&run.db_identity),
            P::S(&detail.to_string()),
        ],
    )
    .await?;
    Ok(Some(run.id))
}

/// Records a snapshot as a finished step of kind `snapshot` (`record_step`, so only when the
/// journal exists), so later steps of a runbook can show that one was taken. Its `detail` is
/// `detail` with `snapshot_id` set (`runs` shows that id as `to`).
pub async fn record_snapshot(
    conn: &mut Conn,
    snapshot_id: &str,
    detail: &serde_json::Value,
    args: &str,
) -> Result<Option<String>> {
    let detail = match detail {
        serde_json::Value::Object(m) => {
            let mut m = m.clone();
            m.insert("snapshot_id".into(), snapshot_id.into());
            serde_json::Value::Object(m)
        }
        other => serde_json::json!({"snapshot_id": snapshot_id, "detail": other}),
    };
    record_step(conn, "snapshot", args, &detail, StepStatus::Applied).await
}

/// One journalled cell.
pub struct Entry<'a> {
    pub table: &'a str,
    pub row_id: &'a str,
    pub column: &'a str,
    pub old: &'a str,
    /// `old` compressed (`compress::compress`); then `old` is not stored.
    pub old_zlib: Option<&'a [u8]>,
    pub new_sha256: &'a str,
}

/// Writes change rows as multi-row INSERTs (bounded in rows and bytes) in the current
/// transaction.
pub struct Writer {
    pub run_id: String,
    seq: i64,
}

/// The columns of a change row, and the placeholders of one row (`Writer::row` binds them).
const CHANGE_COLUMNS: &str =
    "(run_id, seq, table_name, row_id, column_name, old_value, old_zlib, new_sha256)";
const CHANGE_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?)";

impl Writer {
    pub fn new(run_id: String) -> Self {
        Writer { run_id, seq: 0 }
    }

    /// The values of one change row, in `CHANGE_COLUMNS` order.
    fn row<'a>(&'a self, seq: i64, e: &Entry<'a>) -> [P<'a>; 8] {
        [
            P::S(&self.run_id),
            P::I(seq),
            P::S(e.table),
            P::S(e.row_id),
            P::S(e.column),
            P::OptS(e.old_zlib.is_none().then_some(e.old)),
            P::OptB(e.old_zlib),
            P::S(e.new_sha256),
        ]
    }

    /// SQLite: the same rows, one prepared INSERT run once per entry on SQLite's C API.
    pub fn write_raw(
        &mut self,
        raw: &crate::db::raw::Raw,
        entries: &[Entry<'_>],
    ) -> std::result::Result<(), crate::db::DbError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut insert = raw.prepare(&format!(
            "INSERT INTO {CHANGES} {CHANGE_COLUMNS} VALUES {CHANGE_ROW}"
        ))?;
        for e in entries {
            insert.execute(&self.row(self.seq + 1, e))?;
            self.seq += 1;
        }
        Ok(())
    }

    pub async fn write(&mut self, conn: &mut Conn, entries: &[Entry<'_>]) -> Result<()> {
        let size = |e: &Entry| e.old_zlib.map_or(e.old.len(), <[u8]>::len) + e.row_id.len() + 160;
        for chunk in crate::db::chunks(entries, crate::db::MAX_ROWS, crate::db::MAX_BYTES, size) {
            let placeholders = vec![CHANGE_ROW; chunk.len()].join(", ");
            let sql = format!("INSERT INTO {CHANGES} {CHANGE_COLUMNS} VALUES {placeholders}");
            let mut params = Vec::with_capacity(chunk.len() * 8);
            for (i, e) in chunk.iter().enumerate() {
                params.extend(self.row(self.seq + i as i64 + 1, e));
            }
            conn.exec_once(&sql, &params).await?;
            self.seq += chunk.len() as i64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha384;

    #[test]
    fn run_new_fills_in_a_running_run() {
        let d = serde_json::json!({"checked": 1});
        let r = Run::new("verify", "ghost-migrate verify", Some(d.clone()));
        assert!(r.id.starts_with("gm-") && r.id.len() == "gm-20261205-101500-3fa2c1".len());
        assert_eq!((r.kind.as_str(), r.status.as_str()), ("verify", "running"));
        assert_eq!(r.args, "ghost-migrate verify");
        assert_eq!(r.tool_version, env!("CARGO_PKG_VERSION"));
        assert!(r.started_at.starts_with("20") && r.finished_at.is_none());
        assert_eq!(r.detail, Some(d));
        assert!(r.from.is_none() && r.to.is_none() && r.rolls_back.is_none());
        assert_eq!((r.rows_changed, r.cells_changed, r.occurrences), (0, 0, 0));
        assert_ne!(Run::new("verify", "", None).id, r.id);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["detail"]["checked"], 1);
    }

    /// Every file of migrations/<engine>/ is embedded, in version order, with the checksum
    /// `sqlx::migrate!` would give it (so journals made by earlier builds still verify).
    #[test]
    fn embedded_migrations_match_the_folders() {
        for (engine, dir) in [(Engine::Sqlite, "sqlite"), (Engine::Mysql, "mysql")] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files: Vec<String> = std::fs::read_dir(&root)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            let m = migrator(engine);
            assert_eq!(
                m.len(),
                files.len(),
                "{dir}: a migration file is not embedded"
            );
            for (mig, file) in m.iter().zip(&files) {
                let text = std::fs::read(root.join(file)).unwrap();
                assert_eq!(mig.version.to_string(), file.split('_').next().unwrap());
                assert_eq!(mig.checksum.as_ref(), Sha384::digest(&text).as_slice());
                assert!(!mig.no_tx);
            }
            assert_eq!(m[0].description, "journal");
            assert_eq!(m[1].description, "compressed old values");
            assert_eq!(m[2].description, "run detail");
            assert_eq!(m[2].version, DETAIL_VERSION);
            if engine == Engine::Sqlite {
                assert_eq!(m[3].description, "journal mode");
            }
        }
    }
}
