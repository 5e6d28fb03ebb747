//! Database access for both engines Ghost runs on: where to connect (`Target`, passwords masked),
//! one connection (`Conn`) with the few query shapes the tool needs, and the SQL spelling
//! differences between MySQL and SQLite. No knowledge of Ghost or of URLs here.

pub mod schema;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor, Row};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Mysql,
}

/// Where the Ghost database is. `display` never contains a password.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite {
        path: PathBuf,
    },
    Mysql {
        opts: Box<MySqlConnectOptions>,
        display: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("--db {0:?} is not a SQLite path, sqlite:// URL or mysql:// URL")]
    BadUrl(String),
    #[error("SQLite database {0} does not exist")]
    NoSuchFile(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("{0}")]
    Sql(String),
}

/// Formats an sqlx error without ever including connection credentials.
pub fn sql_err(e: sqlx::Error) -> DbError {
    DbError::Sql(e.to_string())
}

impl Target {
    /// Parses `--db`: a SQLite path, `sqlite://path`, or `mysql://user:pass@host:port/db?ssl-mode=..`.
    pub fn parse(db: &str) -> Result<Self, DbError> {
        let db = db.trim();
        if db.starts_with("mysql://") || db.starts_with("mariadb://") {
            let norm = db.replacen("mariadb://", "mysql://", 1);
            let opts =
                MySqlConnectOptions::from_str(&norm).map_err(|_| DbError::BadUrl(mask_url(db)))?;
            return Ok(Target::Mysql {
                opts: Box::new(opts),
                display: mask_url(db),
            });
        }
        let path = db
            .strip_prefix("sqlite://")
            .or_else(|| db.strip_prefix("sqlite:"))
            .unwrap_or(db);
        if path.is_empty() || path.contains("://") {
            return Err(DbError::BadUrl(mask_url(db)));
        }
        Ok(Target::Sqlite { path: path.into() })
    }

    /// From Ghost's `database.connection` for MySQL.
    pub fn mysql(
        host: &str,
        port: u16,
        user: &str,
        password: Option<&str>,
        database: &str,
        ssl: bool,
    ) -> Self {
        let mut opts = MySqlConnectOptions::new()
            .host(host)
            .port(port)
            .username(user)
            .database(database);
        if let Some(p) = password {
            opts = opts.password(p);
        }
        if ssl {
            opts = opts.ssl_mode(MySqlSslMode::Required);
        }
        let pw = if password.is_some_and(|p| !p.is_empty()) {
            ":***"
        } else {
            ""
        };
        Target::Mysql {
            opts: Box::new(opts),
            display: format!("mysql://{user}{pw}@{host}:{port}/{database}"),
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Target::Sqlite { .. } => Engine::Sqlite,
            Target::Mysql { .. } => Engine::Mysql,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Target::Sqlite { path } => path.display().to_string(),
            Target::Mysql { display, .. } => display.clone(),
        }
    }

    pub async fn connect(&self, timeout: Duration) -> Result<Conn, DbError> {
        let fail = |reason: String| DbError::Connect {
            target: self.display(),
            reason,
        };
        match self {
            Target::Sqlite { path } => {
                if !path.is_file() {
                    return Err(DbError::NoSuchFile(path.display().to_string()));
                }
                // No journal_mode pragma: the database keeps the mode Ghost gave it.
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(false);
                let c = SqliteConnection::connect_with(&opts)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                Ok(Conn::Sqlite(c))
            }
            Target::Mysql { opts, .. } => {
                let c = tokio::time::timeout(timeout, MySqlConnection::connect_with(opts))
                    .await
                    .map_err(|_| fail(format!("no answer within {}s", timeout.as_secs())))?
                    .map_err(|e| fail(e.to_string()))?;
                Ok(Conn::Mysql(c))
            }
        }
    }
}

/// Replaces the password in a URL with `***`.
pub fn mask_url(s: &str) -> String {
    if let Some((scheme, rest)) = s.split_once("://")
        && let Some(at) = rest.rfind('@')
    {
        let (cred, host) = rest.split_at(at);
        if let Some((user, _)) = cred.split_once(':') {
            return format!("{scheme}://{user}:***{host}");
        }
    }
    s.to_string()
}

/// Rows per multi-row statement, and the bound on the bytes one statement carries (MySQL's
/// default `max_allowed_packet` is 16 MiB on MariaDB, 64 MiB on MySQL 8, 4 MiB on old servers).
pub const MAX_ROWS: usize = 100;
pub const MAX_BYTES: usize = 2 << 20;

/// Splits `items` into runs of at most `max_rows` items and about `max_bytes` bytes (one item
/// at least).
pub fn chunks<T>(
    items: &[T],
    max_rows: usize,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, it) in items.iter().enumerate() {
        let b = size(it);
        if i > start && (i - start == max_rows || bytes + b > max_bytes) {
            out.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += b;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// What `Conn::guard` is compared with for a cell that held `old`.
pub fn guard_value(engine: Engine, old: &str) -> std::borrow::Cow<'_, str> {
    use sha2::Digest;
    match engine {
        Engine::Sqlite => std::borrow::Cow::Borrowed(old),
        Engine::Mysql => std::borrow::Cow::Owned(hex::encode(sha2::Sha256::digest(old))),
    }
}

/// A bind parameter.
#[derive(Debug, Clone)]
pub enum P<'a> {
    S(&'a str),
    OptS(Option<&'a str>),
    OptB(Option<&'a [u8]>),
    I(i64),
}

/// One open connection to either engine.
pub enum Conn {
    Sqlite(SqliteConnection),
    Mysql(MySqlConnection),
}

macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                P::S(s) => q.bind(*s),
                P::OptS(s) => q.bind(*s),
                P::OptB(b) => q.bind(*b),
                P::I(i) => q.bind(*i),
            };
        }
        q
    }};
}

fn cell_to_string<R: Row>(row: &R, i: usize) -> Result<Option<String>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v);
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        // Binary-collated text (utf8mb4_bin) arrives as bytes.
        return Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()));
    }
    Ok(row.try_get::<Option<i64>, _>(i)?.map(|n| n.to_string()))
}

/// Every cell of every row as text, whichever engine the rows came from.
fn rows_as_text<R: Row>(rows: &[R]) -> Result<Vec<Vec<Option<String>>>, DbError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|r| (0..r.len()).map(|i| cell_to_string(r, i)).collect())
        .collect::<Result<_, _>>()
        .map_err(sql_err)
}

impl Conn {
    pub fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Mysql(_) => Engine::Mysql,
        }
    }

    /// Runs a query and returns every cell as text (integers converted).
    pub async fn rows(
        &mut self,
        sql: &str,
        params: &[P<'_>],
    ) -> Result<Vec<Vec<Option<String>>>, DbError> {
        match self {
            Conn::Sqlite(c) => rows_as_text(
                &bind_all!(sqlx::query(sql), params)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(sql_err)?,
            ),
            Conn::Mysql(c) => rows_as_text(
                &bind_all!(sqlx::query(sql), params)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(sql_err)?,
            ),
        }
    }

    /// Runs a statement; returns rows affected.
    pub async fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, DbError> {
        self.execute(sql, params, true).await
    }

    /// Runs a statement whose text is rarely repeated (multi-row writes): not kept in the
    /// prepared-statement cache, which would otherwise hold every shape with its last bound
    /// values (megabytes each). Returns rows affected.
    pub async fn exec_once(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, DbError> {
        self.execute(sql, params, false).await
    }

    async fn execute(
        &mut self,
        sql: &str,
        params: &[P<'_>],
        persistent: bool,
    ) -> Result<u64, DbError> {
        match self {
            Conn::Sqlite(c) => Ok(bind_all!(sqlx::query(sql).persistent(persistent), params)
                .execute(&mut *c)
                .await
                .map_err(sql_err)?
                .rows_affected()),
            Conn::Mysql(c) => Ok(bind_all!(sqlx::query(sql).persistent(persistent), params)
                .execute(&mut *c)
                .await
                .map_err(sql_err)?
                .rows_affected()),
        }
    }

    /// Runs raw SQL text (several statements allowed; no parameters).
    pub async fn raw(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
            Conn::Mysql(c) => c.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
        }
        .map_err(sql_err)
    }

    /// Quotes an identifier for this engine.
    pub fn q(&self, ident: &str) -> String {
        match self {
            Conn::Sqlite(_) => format!("\"{}\"", ident.replace('"', "\"\"")),
            Conn::Mysql(_) => format!("`{}`", ident.replace('`', "``")),
        }
    }

    /// The expression a guarded write compares with `guard_value` of the value read: equal
    /// exactly when the stored value is byte-identical. SQLite compares the text itself
    /// (in-process, BINARY collation); MySQL compares the SHA-256 of the UTF-8 bytes, computed
    /// by the server, so the old value does not cross the network again.
    pub fn guard(&self, col: &str) -> String {
        match self {
            Conn::Sqlite(_) => col.to_string(),
            Conn::Mysql(_) => format!("SHA2(CONVERT({col} USING utf8mb4), 256)"),
        }
    }

    /// Server-side pre-filter: `col` contains the needle (in its lower-cased form if `lower`),
    /// byte for byte. On MySQL the binary cast skips the collation-aware search, which costs
    /// twice as much and would match more than the matcher does.
    pub fn contains(&self, col: &str, lower: bool) -> String {
        match (self, lower) {
            (Conn::Sqlite(_), false) => format!("instr({col}, ?) > 0"),
            (Conn::Sqlite(_), true) => format!("instr(LOWER({col}), ?) > 0"),
            (Conn::Mysql(_), false) => format!("LOCATE(?, CAST({col} AS BINARY)) > 0"),
            (Conn::Mysql(_), true) => format!("LOCATE(?, LOWER({col})) > 0"),
        }
    }

    /// Starts the one write transaction (SQLite takes the write lock at once).
    ///
    /// On SQLite this connection's page cache grows from the default 2 MiB to 32 MiB first: in
    /// rollback-journal mode every time the dirty pages overflow the cache, SQLite must fsync
    /// the journal before it may spill them, so a 0.7 GB rewrite did 712 fsyncs at 2 MiB and 58
    /// at 32 MiB (bench/RESULTS.md). A per-connection setting: the file is not changed.
    pub async fn begin_write(&mut self) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(_) => {
                self.raw("PRAGMA cache_size = -32768; BEGIN IMMEDIATE")
                    .await
            }
            Conn::Mysql(_) => self.raw("START TRANSACTION").await,
        }
    }

    pub async fn commit(&mut self) -> Result<(), DbError> {
        self.raw("COMMIT").await
    }

    pub async fn rollback(&mut self) -> Result<(), DbError> {
        self.raw("ROLLBACK").await
    }

    /// One value of the first row, if any.
    pub async fn scalar(&mut self, sql: &str, params: &[P<'_>]) -> Result<Option<String>, DbError> {
        Ok(self
            .rows(sql, params)
            .await?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_bound_rows_and_bytes() {
        let v = [5, 5, 5, 20, 1, 1, 1, 1];
        let c = chunks(&v, 3, 12, |x| *x);
        assert_eq!(
            c,
            vec![&[5, 5][..], &[5][..], &[20][..], &[1, 1, 1][..], &[1][..]]
        );
        assert!(chunks(&[] as &[usize], 3, 12, |x| *x).is_empty());
    }
}
