//! The journal: ghost-migrate's own tables inside the Ghost database (`ghost_migrate_*`),
//! created and upgraded by the sqlx migrations in `migrations/<engine>/`, and the run and
//! change rows written in the same transaction as the rewrite they describe.

pub mod compress;
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
);
const MYSQL_MIGRATIONS: &[(&str, &str)] = migrations!("mysql":
    "20261123000001_journal.sql",
    "20261203000001_compressed_old_values.sql",
);

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
    /// Per-column counts (JSON as stored).
    pub counts: Option<serde_json::Value>,
}

const RUN_COLS: &str = "id, kind, status, started_at, finished_at, tool_version, args, from_prefix, to_prefix, db_identity, rolls_back, rolled_back_by, rows_changed, cells_changed, occurrences, counts";

fn run_from_row(r: Vec<Option<String>>) -> Run {
    let s = |i: usize| r[i].clone().unwrap_or_default();
    let n = |i: usize| r[i].as_deref().and_then(|x| x.parse().ok()).unwrap_or(0);
    Run {
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
        counts: r[15].as_deref().and_then(|c| serde_json::from_str(c).ok()),
    }
}

pub async fn list_runs(conn: &mut Conn) -> Result<Vec<Run>> {
    let rows = conn
        .rows(
            &format!("SELECT {RUN_COLS} FROM {RUNS} ORDER BY started_at, id"),
            &[],
        )
        .await
        .map_err(|e| Error::Journal(format!("the journal is damaged ({e})")))?;
    Ok(rows.into_iter().map(run_from_row).collect())
}

pub async fn get_run(conn: &mut Conn, id: &str) -> Result<Run> {
    let rows = conn
        .rows(
            &format!("SELECT {RUN_COLS} FROM {RUNS} WHERE id = ?"),
            &[P::S(id)],
        )
        .await
        .map_err(|e| Error::Journal(format!("the journal is damaged ({e})")))?;
    rows.into_iter()
        .next()
        .map(run_from_row)
        .ok_or_else(|| Error::Usage {
            msg: format!("no run {id:?} in this database's journal"),
            hint: Some("list the runs with `ghost-migrate runs`".into()),
        })
}

/// The id of a run that started and never finished, if any.
pub async fn unfinished(conn: &mut Conn) -> Result<Option<String>> {
    Ok(conn
        .scalar(
            &format!("SELECT id FROM {RUNS} WHERE status <> 'applied' LIMIT 1"),
            &[],
        )
        .await?)
}

/// Writes the run row (status `running`) inside the current transaction.
pub async fn begin_run(conn: &mut Conn, run: &Run) -> Result<()> {
    conn.exec(
        &format!(
            "INSERT INTO {RUNS} (id, kind, status, started_at, tool_version, args, from_prefix, to_prefix, db_identity, rolls_back) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)"
        ),
        &[
            P::S(&run.id),
            P::S(&run.kind),
            P::S(&run.started_at),
            P::S(&run.tool_version),
            P::S(&run.args),
            P::OptS(run.from.as_deref()),
            P::OptS(run.to.as_deref()),
            P::S(&run.db_identity),
            P::OptS(run.rolls_back.as_deref()),
        ],
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

/// Records a snapshot as a finished run of kind `snapshot` (only when the journal exists), so
/// later steps of a runbook can show that one was taken.
pub async fn record_snapshot(
    conn: &mut Conn,
    snapshot_id: &str,
    detail: &serde_json::Value,
    args: &str,
) -> Result<Option<String>> {
    if !check(conn).await? {
        return Ok(None);
    }
    let id = new_run_id();
    let at = now();
    let identity = db_identity(conn).await?;
    conn.exec(
        &format!(
            "INSERT INTO {RUNS} (id, kind, status, started_at, finished_at, tool_version, args, to_prefix, db_identity, counts) VALUES (?, 'snapshot', 'applied', ?, ?, ?, ?, ?, ?, ?)"
        ),
        &[
            P::S(&id),
            P::S(&at),
            P::S(&at),
            P::S(env!("CARGO_PKG_VERSION")),
            P::S(args),
            P::S(snapshot_id),
            P::S(&identity),
            P::S(&detail.to_string()),
        ],
    )
    .await?;
    Ok(Some(id))
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

impl Writer {
    pub fn new(run_id: String) -> Self {
        Writer { run_id, seq: 0 }
    }

    pub async fn write(&mut self, conn: &mut Conn, entries: &[Entry<'_>]) -> Result<()> {
        let size = |e: &Entry| e.old_zlib.map_or(e.old.len(), <[u8]>::len) + e.row_id.len() + 160;
        for chunk in crate::db::chunks(entries, crate::db::MAX_ROWS, crate::db::MAX_BYTES, size) {
            let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO {CHANGES} (run_id, seq, table_name, row_id, column_name, old_value, old_zlib, new_sha256) VALUES {placeholders}"
            );
            let mut params = Vec::with_capacity(chunk.len() * 8);
            let seqs: Vec<i64> = (0..chunk.len() as i64).map(|i| self.seq + i + 1).collect();
            for (e, s) in chunk.iter().zip(&seqs) {
                params.extend([
                    P::S(&self.run_id),
                    P::I(*s),
                    P::S(e.table),
                    P::S(e.row_id),
                    P::S(e.column),
                    P::OptS(e.old_zlib.is_none().then_some(e.old)),
                    P::OptB(e.old_zlib),
                    P::S(e.new_sha256),
                ]);
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
        }
    }
}
