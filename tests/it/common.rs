//! Shared test helpers: the built binary, fixture databases (SQLite copies and fresh MariaDB
//! databases loaded from the bundled dump), and byte-exact dumps of every Ghost table.

use ghost_migrate::db::{Conn, Engine, Target, schema};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const SITE: &str = "http://127.0.0.1:2368";
pub const FROM: &str = "http://127.0.0.1:2368/content/images/";
pub const TO: &str = "https://cdn.example.com/content/images/";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ghost-migrate"));
    c.env_remove("GHOST_MIGRATE_DB").env("NO_COLOR", "1");
    c
}

/// Runs the binary and returns its output, printing it for failing tests.
pub fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("run ghost-migrate");
    eprintln!(
        "$ ghost-migrate {}\nexit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("stdout is one JSON document")
}

/// A copy of the Ghost 5.130.6 SQLite fixture in a temp dir.
pub fn sqlite_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ghost.db");
    std::fs::copy(fixtures().join("ghost-5.130.6.sqlite.db"), &p).unwrap();
    let s = p.to_str().unwrap().to_string();
    (dir, s)
}

static N: AtomicUsize = AtomicUsize::new(0);

pub fn mysql_base() -> String {
    std::env::var("GHOST_MIGRATE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_string())
}

/// A uniquely named MariaDB database loaded with the Ghost fixture; dropped on drop.
pub struct MyDb {
    pub name: String,
    pub url: String,
}

fn mariadb_cli(args: &[&str], stdin: Option<&Path>) -> std::process::Output {
    let base = mysql_base();
    let u = url_parts(&base);
    let mut c = Command::new("mariadb");
    c.args(["-h", &u.0, "-P", &u.1, "-u", &u.2]);
    if !u.3.is_empty() {
        c.arg(format!("-p{}", u.3));
    }
    c.args(args);
    if let Some(f) = stdin {
        c.stdin(std::fs::File::open(f).unwrap());
    }
    c.output().expect("the mariadb client is installed")
}

fn url_parts(base: &str) -> (String, String, String, String) {
    let rest = base.trim_start_matches("mysql://");
    let (cred, hostport) = rest.split_once('@').unwrap_or(("root", rest));
    let (user, pass) = cred.split_once(':').unwrap_or((cred, ""));
    let hostport = hostport.trim_end_matches('/');
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    (host.into(), port.into(), user.into(), pass.into())
}

impl MyDb {
    /// None when no MariaDB answers and CI is not set: the test is skipped, and says so on the
    /// terminal (not in captured output); panics under CI.
    pub fn new() -> Option<MyDb> {
        static REACHABLE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
        let probe = REACHABLE.get_or_init(|| {
            let (host, port, user, pass) = url_parts(&mysql_base());
            let mut c = Command::new("mariadb");
            c.args(["-h", &host, "-P", &port, "-u", &user, "-e", "SELECT 1"]);
            if !pass.is_empty() {
                c.arg(format!("-p{pass}"));
            }
            match c.output() {
                Ok(o) if o.status.success() => Ok(()),
                Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
                Err(e) => Err(format!("no mariadb client: {e}")),
            }
        });
        if let Err(why) = probe {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "MariaDB is not reachable at {} under CI: {why}",
                    mysql_base()
                );
            }
            crate::tools::say(&format!(
                "SKIPPED {}: no MariaDB at {} ({why}); start one or set GHOST_MIGRATE_TEST_MYSQL_URL",
                std::thread::current().name().unwrap_or("a test"),
                mysql_base()
            ));
            return None;
        }
        let name = format!(
            "gm_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let o = mariadb_cli(&["-e", &format!("CREATE DATABASE {name}")], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = mariadb_cli(&[&name], Some(&fixtures().join("ghost-5.130.6-mysql.sql")));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Some(MyDb {
            url: format!("{}/{}", mysql_base().trim_end_matches('/'), name),
            name,
        })
    }

    pub fn sql(&self, sql: &str) {
        let o = mariadb_cli(&[&self.name, "-e", sql], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping database {} for inspection", self.name);
            return;
        }
        let _ = mariadb_cli(
            &["-e", &format!("DROP DATABASE IF EXISTS {}", self.name)],
            None,
        );
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn connect(db: &str) -> Conn {
    Target::parse(db)
        .unwrap()
        .connect(Duration::from_secs(10))
        .await
        .unwrap()
}

/// table -> rows (each cell hex-encoded, ordered by primary key): a byte-exact image of every
/// Ghost table (ghost-migrate's own tables excluded).
pub type Dump = BTreeMap<String, Vec<Vec<Option<String>>>>;

pub fn dump(db: &str) -> Dump {
    rt().block_on(async {
        let mut c = connect(db).await;
        let tables = schema::discover(&mut c).await.unwrap();
        let mut out = Dump::new();
        for t in tables.values() {
            if t.name.starts_with("ghost_migrate_") {
                continue;
            }
            let cols: Vec<String> = t
                .all_columns
                .iter()
                .map(|x| match c.engine() {
                    Engine::Sqlite => format!("HEX({})", c.q(x)),
                    Engine::Mysql => format!("HEX(CAST({} AS BINARY))", c.q(x)),
                })
                .collect();
            let order = match &t.pk {
                Some(pk) => c.q(pk),
                None => (1..=cols.len())
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {order}",
                cols.join(", "),
                c.q(&t.name)
            );
            out.insert(t.name.clone(), c.rows(&sql, &[]).await.unwrap());
        }
        // Closed, not dropped: a SQLite connection left open for a moment on a file in WAL mode
        // would keep the next command from switching it back.
        c.close().await.unwrap();
        out
    })
}

pub fn unhex(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|h| String::from_utf8(hex::decode(h).unwrap()).unwrap_or_default())
}

/// Every text cell of the dump, decoded, with its table.
pub fn all_text(d: &Dump) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (t, rows) in d {
        for r in rows {
            for c in r {
                if let Some(s) = unhex(c) {
                    v.push((t.clone(), s));
                }
            }
        }
    }
    v
}

pub fn count_in(d: &Dump, needle: &str) -> usize {
    all_text(d)
        .iter()
        .map(|(_, s)| s.matches(needle).count())
        .sum()
}

/// Scalar query through the library connection.
pub fn scalar(db: &str, sql: &str) -> Option<String> {
    rt().block_on(async {
        let mut c = connect(db).await;
        let v = c.scalar(sql, &[]).await.unwrap();
        c.close().await.unwrap();
        v
    })
}

/// The first column of every row of a query.
pub fn rows(db: &str, sql: &str) -> Vec<String> {
    rt().block_on(async {
        let mut c = connect(db).await;
        let v = c.rows(sql, &[]).await.unwrap();
        c.close().await.unwrap();
        v.into_iter().filter_map(|r| r[0].clone()).collect()
    })
}

pub fn exec(db: &str, sql: &str) {
    rt().block_on(async {
        let mut c = connect(db).await;
        c.raw(sql).await.unwrap();
        c.close().await.unwrap();
    })
}

/// How many rows differ between two dumps of the same tables.
pub fn rows_differing(a: &Dump, b: &Dump) -> usize {
    a.iter()
        .map(|(t, rows)| rows.iter().zip(&b[t]).filter(|(x, y)| x != y).count())
        .sum()
}

/// `rewrite --db DB --site-url SITE --from FROM --to TO` plus `extra`: the fixture's main job.
pub fn rewrite_args<'a>(db: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "rewrite",
        "--db",
        db,
        "--site-url",
        SITE,
        "--from",
        FROM,
        "--to",
        TO,
    ];
    v.extend_from_slice(extra);
    v
}

/// A loopback HTTP/1.1 server (keep-alive, one thread per connection) that answers every
/// request with `answer(method, path)`, a whole response (text or bytes); returns
/// `http://127.0.0.1:PORT`.
pub fn loopback_http<F, R>(answer: F) -> String
where
    F: Fn(&str, &str) -> R + Send + Sync + 'static,
    R: AsRef<[u8]>,
{
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut w = c.try_clone().unwrap();
                let mut r = BufReader::new(c);
                loop {
                    let mut first = String::new();
                    if r.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                            break;
                        }
                    }
                    let mut parts = first.split_whitespace();
                    let method = parts.next().unwrap_or("GET").to_string();
                    let path = parts.next().unwrap_or("/").to_string();
                    if w.write_all(answer(&method, &path).as_ref()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}
