//! Database access for both engines Ghost runs on: where to connect (`Target`, passwords masked),
//! one connection (`Conn`) with the few query shapes the tool needs, and the SQL spelling
//! differences between MySQL and SQLite. No knowledge of Ghost or of URLs here.

pub mod iam;
pub mod raw;
pub mod schema;
pub mod tls;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
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
        /// Host, port, user, password, database; TLS comes from `tls` when connecting.
        opts: Box<MySqlConnectOptions>,
        display: String,
        /// What `--db` or Ghost's `ssl` asked of TLS (the RDS rule is applied by `tls_plan`).
        tls: Box<tls::TlsRequest>,
        /// RDS IAM authentication instead of the password.
        iam: iam::Iam,
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
    /// A TLS or authentication setting that cannot be used as given (exit 2).
    #[error("{msg}")]
    Setting { msg: String, hint: String },
    /// The TLS handshake failed: certificate not trusted, wrong host name, no TLS (exit 2).
    #[error("cannot connect to {target}: TLS: {reason}")]
    Tls {
        target: String,
        reason: String,
        hint: String,
    },
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
            let query = norm.split_once('?').map_or("", |(_, q)| q);
            let req =
                tls::from_url_query(query).map_err(|(msg, hint)| DbError::Setting { msg, hint })?;
            let iam = iam::Iam::from_url_query(query)?;
            let t = Target::Mysql {
                opts: Box::new(opts),
                display: mask_url(db),
                tls: Box::new(req),
                iam,
            };
            t.tls_plan()?;
            return Ok(t);
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

    /// From Ghost's `database.connection` for MySQL (`ssl` mapped by `ghost::config`).
    pub fn mysql(
        host: &str,
        port: u16,
        user: &str,
        password: Option<&str>,
        database: &str,
        ssl: tls::TlsRequest,
    ) -> Self {
        let mut opts = MySqlConnectOptions::new()
            .host(host)
            .port(port)
            .username(user)
            .database(database);
        if let Some(p) = password {
            opts = opts.password(p);
        }
        let pw = if password.is_some_and(|p| !p.is_empty()) {
            ":***"
        } else {
            ""
        };
        Target::Mysql {
            opts: Box::new(opts),
            display: format!("mysql://{user}{pw}@{host}:{port}/{database}"),
            tls: Box::new(ssl),
            iam: iam::Iam::Off,
        }
    }

    /// The TLS settings this target connects with (MySQL only), warnings included; refuses
    /// IAM authentication without TLS.
    pub fn tls_plan(&self) -> Result<Option<tls::TlsPlan>, DbError> {
        let Target::Mysql { opts, tls, iam, .. } = self else {
            return Ok(None);
        };
        let host = opts.get_host();
        let mut req = (**tls).clone();
        if !matches!(iam, iam::Iam::Off) && req.mode.is_none() && !tls::is_rds_host(host) {
            // A token is only good for RDS: verify the chain with Amazon's CAs even when the
            // name is a tunnel or an alias.
            req.fallback = Some(tls::SslMode::VerifyCa);
            req.ca = req.ca.or(Some(tls::Ca::RdsBundle));
        }
        let plan = tls::decide(host, &req);
        if !matches!(iam, iam::Iam::Off) && plan.mode < tls::SslMode::Required {
            return Err(DbError::Setting {
                msg: format!(
                    "IAM authentication sends its token as a clear-text password, and ssl-mode={} allows a connection without TLS",
                    plan.mode.name()
                ),
                hint: "drop ssl-mode from --db (RDS endpoints then verify the certificate and host name), or use ssl-mode=verify_identity".into(),
            });
        }
        Ok(Some(plan))
    }

    /// Notes for the user about how this target connects (a lowered RDS TLS mode, ...).
    pub fn warnings(&self) -> Vec<String> {
        self.tls_plan()
            .ok()
            .flatten()
            .map(|p| p.warnings)
            .unwrap_or_default()
    }

    /// Switches a MySQL target to RDS IAM authentication with `auth`'s credentials.
    pub fn with_iam(mut self, auth: iam::IamAuth) -> Result<Self, DbError> {
        if let Target::Mysql { iam, .. } = &mut self {
            *iam = iam::Iam::Ready(auth);
            self.tls_plan()?;
            return Ok(self);
        }
        Err(DbError::Setting {
            msg: "--iam-auth is for MySQL on RDS/Aurora; this is a SQLite database".into(),
            hint: "drop --iam-auth".into(),
        })
    }

    /// True when `--db` asked for IAM authentication (`?iam-auth=true`).
    /// The MySQL server's host name (None for SQLite).
    pub fn host(&self) -> Option<String> {
        match self {
            Target::Mysql { opts, .. } => Some(opts.get_host().to_string()),
            Target::Sqlite { .. } => None,
        }
    }

    /// Whether the MySQL connection carries a password (which a plan file must not hold).
    pub fn has_password(&self) -> bool {
        match self {
            Target::Mysql { display, .. } => display.contains(":***@"),
            Target::Sqlite { .. } => false,
        }
    }

    pub fn wants_iam(&self) -> bool {
        matches!(self, Target::Mysql { iam, .. } if !matches!(iam, iam::Iam::Off))
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
            Target::Mysql { opts, iam, .. } => {
                let plan = self.tls_plan()?.expect("a MySQL target has a TLS plan");
                let mut o = tls::apply((**opts).clone(), &plan);
                match iam {
                    iam::Iam::Off => {}
                    iam::Iam::Wanted => {
                        return Err(DbError::Setting {
                            msg: "IAM authentication was asked for but no AWS credentials were loaded".into(),
                            hint: "this is a bug: report it with the command line".into(),
                        });
                    }
                    iam::Iam::Ready(a) => {
                        let token = a
                            .token(o.get_host(), o.get_port(), o.get_username())
                            .await
                            .map_err(|e| DbError::Setting {
                                msg: e.to_string(),
                                hint: "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a task/instance role".into(),
                            })?;
                        o = o.password(&token).enable_cleartext_plugin(true);
                    }
                }
                if let Some(sock) = test_socket() {
                    o = o.socket(sock);
                }
                let c = tokio::time::timeout(timeout, MySqlConnection::connect_with(&o))
                    .await
                    .map_err(|_| fail(format!("no answer within {}s", timeout.as_secs())))?
                    .map_err(|e| connect_error(self.display(), &plan, e))?;
                Ok(Conn::Mysql(c))
            }
        }
    }
}

impl Target {
    /// A second, read-only connection to a SQLite file, for reading while `connect`'s
    /// connection writes (useful only in WAL mode, where a reader keeps its snapshot while the
    /// writer spills and commits). None for MySQL.
    pub async fn connect_reader(&self) -> Result<Option<Conn>, DbError> {
        let Target::Sqlite { path } = self else {
            return Ok(None);
        };
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        let c = SqliteConnection::connect_with(&opts)
            .await
            .map_err(|e| DbError::Connect {
                target: self.display(),
                reason: e.to_string(),
            })?;
        Ok(Some(Conn::Sqlite(c)))
    }
}

/// Debug builds only: `GHOST_MIGRATE_TEST_MYSQL_SOCKET` sends MySQL connections through that
/// Unix socket while TLS still verifies the host name of the target, so tests can reach an
/// `*.rds.amazonaws.com` name on a local server.
fn test_socket() -> Option<PathBuf> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var_os("GHOST_MIGRATE_TEST_MYSQL_SOCKET").map(PathBuf::from)
}

/// A failed MySQL connection: TLS failures get their own error and hint.
fn connect_error(target: String, plan: &tls::TlsPlan, e: sqlx::Error) -> DbError {
    let reason = e.to_string();
    let tls_failure = matches!(e, sqlx::Error::Tls(_))
        || [
            "certificate",
            "TLS",
            "tls",
            "handshake",
            "CertNotValid",
            "UnknownIssuer",
        ]
        .iter()
        .any(|w| reason.contains(w));
    if !tls_failure {
        return DbError::Connect { target, reason };
    }
    let hint = if reason.contains("NotValidForName") || reason.contains("not valid for") {
        "the server's certificate does not name this host: connect by a name the certificate carries (the RDS endpoint itself, not an alias or an IP address); ssl-mode=required in --db skips every check".to_string()
    } else if reason.contains("does not support TLS") {
        "the server offers no TLS: enable it on the server, or (off RDS) use ssl-mode=preferred"
            .to_string()
    } else if plan.rds && plan.ca == Some(tls::Ca::RdsBundle) {
        "the certificate is not signed by an Amazon RDS CA known to this build: refresh the bundle (tools/refresh-rds-ca.sh), or give the CA with ?ssl-ca=/path/ca.pem in --db or database.connection.ssl.ca in Ghost's config".to_string()
    } else {
        "the certificate is not signed by a trusted CA: give the CA with ?ssl-ca=/path/ca.pem in --db or database.connection.ssl.ca in Ghost's config".to_string()
    };
    DbError::Tls {
        target,
        reason,
        hint,
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

/// One value as read for rewriting: text, or bytes that ghost-migrate must not rewrite (a
/// SQLite value stored as BLOB, or bytes that are not UTF-8). The lossy text of such bytes is
/// kept only to tell whether they hold a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Text(String),
    Binary {
        len: usize,
        utf8: bool,
        lossy: String,
    },
}

fn cell_of<R: Row>(row: &R, i: usize, sqlite: bool) -> Result<Cell, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<u64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v.map_or(Cell::Null, Cell::Text));
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        let Some(b) = v else { return Ok(Cell::Null) };
        return Ok(match String::from_utf8(b) {
            // MySQL sends binary-collated text (utf8mb4_bin) as bytes: still text.
            Ok(s) if !sqlite => Cell::Text(s),
            Ok(s) => Cell::binary(s.into_bytes()),
            Err(e) => Cell::binary(e.into_bytes()),
        });
    }
    let number = |n: String| Cell::Text(n);
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return Ok(v.map(|n| n.to_string()).map_or(Cell::Null, number));
    }
    // MySQL's unsigned integer keys (knex's `increments`) decode only as u64.
    Ok(row
        .try_get::<Option<u64>, _>(i)?
        .map(|n| n.to_string())
        .map_or(Cell::Null, number))
}

impl Cell {
    /// Bytes that must not be rewritten: `Binary`, with whether they are UTF-8 and their lossy
    /// text.
    pub fn binary(b: Vec<u8>) -> Cell {
        match String::from_utf8(b) {
            Ok(s) => Cell::Binary {
                len: s.len(),
                utf8: true,
                lossy: s,
            },
            Err(e) => Cell::Binary {
                len: e.as_bytes().len(),
                utf8: false,
                lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            },
        }
    }

    /// The value as text: bytes read lossily, integers written out.
    pub fn into_text(self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Text(s) => Some(s),
            Cell::Binary { lossy, .. } => Some(lossy),
        }
    }
}

/// Every value of every row as a `Cell`.
fn rows_as_cells<R: Row>(
    rows: &[R],
    cell: impl Fn(&R, usize) -> Result<Cell, sqlx::Error>,
) -> Result<Vec<Vec<Cell>>, DbError> {
    rows.iter()
        .map(|r| (0..r.len()).map(|i| cell(r, i)).collect())
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
        Ok(self
            .cells(sql, params)
            .await?
            .into_iter()
            .map(|r| r.into_iter().map(Cell::into_text).collect())
            .collect())
    }

    /// Runs a query and returns every value as a `Cell` (bytes kept apart from text).
    pub async fn cells(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Vec<Cell>>, DbError> {
        macro_rules! fetch {
            ($c:expr) => {
                bind_all!(sqlx::query(sql), params)
                    .fetch_all(&mut *$c)
                    .await
                    .map_err(sql_err)?
            };
        }
        match self {
            Conn::Sqlite(c) => rows_as_cells(&fetch!(c), |r, i| cell_of(r, i, true)),
            Conn::Mysql(c) => rows_as_cells(&fetch!(c), |r, i| cell_of(r, i, false)),
        }
    }

    /// `cells` for the batch reader: on SQLite through SQLite's C API (`raw::Raw::cells`),
    /// which copies each value once instead of three times.
    pub async fn scan_cells(
        &mut self,
        sql: &str,
        params: &[P<'_>],
    ) -> Result<Vec<Vec<Cell>>, DbError> {
        match self {
            Conn::Sqlite(c) => raw::with_raw(c, |r| r.cells(sql, params)).await?,
            Conn::Mysql(_) => self.cells(sql, params).await,
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

    /// SQLite: opens a read transaction and takes its snapshot at once (a plain `BEGIN` takes
    /// it only at the first read). In WAL mode the connection then sees the database as it was
    /// at this moment until `rollback`, whatever another connection writes and commits.
    pub async fn begin_snapshot(&mut self) -> Result<(), DbError> {
        self.raw("BEGIN").await?;
        self.scalar("SELECT COUNT(*) FROM sqlite_master", &[])
            .await
            .map(|_| ())
    }

    /// SQLite: the connection's journal mode (`wal` when the file is in WAL mode; otherwise the
    /// connection's rollback mode, `delete` unless set).
    pub async fn journal_mode(&mut self) -> Result<String, DbError> {
        Ok(self
            .scalar("PRAGMA journal_mode", &[])
            .await?
            .unwrap_or_default()
            .to_ascii_lowercase())
    }

    /// SQLite: asks for a journal mode (`wal`, `delete`, ...) and returns the mode in force
    /// afterwards, which is the old one when SQLite could not switch.
    pub async fn set_journal_mode(&mut self, mode: &str) -> Result<String, DbError> {
        if !mode.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(DbError::Sql(format!("not a journal mode: {mode:?}")));
        }
        Ok(self
            .scalar(&format!("PRAGMA journal_mode = {mode}"), &[])
            .await?
            .unwrap_or_default()
            .to_ascii_lowercase())
    }

    /// SQLite: how long a statement waits for another connection's lock before it fails.
    pub async fn set_busy_timeout(&mut self, t: Duration) -> Result<(), DbError> {
        self.raw(&format!("PRAGMA busy_timeout = {}", t.as_millis()))
            .await
    }

    /// Closes the connection cleanly (SQLite: its locks and its WAL snapshot are released
    /// when this returns).
    pub async fn close(self) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Mysql(c) => c.close().await,
        }
        .map_err(sql_err)
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
