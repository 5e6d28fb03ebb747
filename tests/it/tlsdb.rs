//! A second MariaDB server for the TLS tests, started by the tests themselves on a free
//! loopback port with its own data directory (`mariadb-install-db`), TLS on and
//! `require_secure_transport`, so a connection that succeeds is an encrypted one. Certificates
//! are made with `openssl`: a private CA, a server certificate for 127.0.0.1, localhost and
//! [`RDS_NAME`], and a second, unrelated CA. The machine's own MariaDB is never touched. One
//! server is shared by the tests running at the same time and stopped with the last handle; a
//! watchdog stops it if the test process dies.

use crate::common::fixtures;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// An RDS-style name the server certificate also carries (reached through the debug-only
/// `GHOST_MIGRATE_TEST_MYSQL_SOCKET` hook).
pub const RDS_NAME: &str = "ghost.cluster-test.us-east-1.rds.amazonaws.com";

pub struct TlsDb {
    pub port: u16,
    pub socket: PathBuf,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    child: Child,
    watchdog: Child,
    /// Certificates, data directory and log; removed after the server stops.
    _dir: tempfile::TempDir,
}

impl Drop for TlsDb {
    fn drop(&mut self) {
        // Exactly the processes we started.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

static SERVER: Mutex<Weak<TlsDb>> = Mutex::new(Weak::new());
static DBS: AtomicUsize = AtomicUsize::new(0);

fn sh(cmd: &mut Command) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn openssl(dir: &Path, args: &[&str]) {
    sh(Command::new("openssl").current_dir(dir).args(args));
}

/// A CA named `name` (name.pem, name.key) in `dir`.
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=ghost-migrate test {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

fn make_certs(dir: &Path) {
    make_ca(dir, "ca");
    make_ca(dir, "other-ca");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        format!(
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{RDS_NAME}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ],
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mariadbd() -> PathBuf {
    ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("mariadbd"))
}

fn start() -> TlsDb {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certs(d);
    let data = d.join("data");
    sh(Command::new("mariadb-install-db")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--user=root",
        ]));
    let port = free_port();
    let socket = d.join("mysqld.sock");
    let log = d.join("server.log");
    let child = Command::new(mariadbd())
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(["--user=root", "--bind-address=127.0.0.1", "--skip-log-bin"])
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
        .arg(format!("--log-error={}", log.display()))
        .arg(format!("--ssl-ca={}", d.join("ca.pem").display()))
        .arg(format!("--ssl-cert={}", d.join("server.pem").display()))
        .arg(format!("--ssl-key={}", d.join("server.key").display()))
        .args([
            "--require-secure-transport=ON",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--skip-name-resolve",
            "--max-connections=50",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start mariadbd (install mariadb-server): {e}"));
    let watchdog = Command::new("sh")
        .args([
            "-c",
            &format!(
                "while kill -0 {me} 2>/dev/null && kill -0 {srv} 2>/dev/null; do sleep 1; done; kill -9 {srv} 2>/dev/null",
                me = std::process::id(),
                srv = child.id()
            ),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start watchdog");
    let server = TlsDb {
        port,
        socket,
        ca: d.join("ca.pem"),
        other_ca: d.join("other-ca.pem"),
        child,
        watchdog,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.cli(&["-e", "SELECT 1"]).status.success() {
        if Instant::now() > deadline {
            panic!(
                "test MariaDB did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Accounts reachable over TCP from 127.0.0.1 (root@localhost is the socket's).
    server.sql(
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;",
    );
    server
}

/// The shared TLS server, started if none runs.
pub fn server() -> Arc<TlsDb> {
    let mut g = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = g.upgrade() {
        return s;
    }
    let s = Arc::new(start());
    *g = Arc::downgrade(&s);
    s
}

impl TlsDb {
    /// The mariadb client over the server's Unix socket (allowed by require_secure_transport).
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new("mariadb")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-uroot", "--batch", "--skip-column-names"])
            .args(args)
            .output()
            .expect("the mariadb client is installed")
    }

    pub fn sql(&self, sql: &str) -> String {
        let o = self.cli(&["-e", sql]);
        assert!(
            o.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// A new database loaded with the Ghost fixture.
    pub fn ghost_db(&self) -> String {
        let name = format!(
            "gm_tls_{}_{}",
            std::process::id(),
            DBS.fetch_add(1, Ordering::SeqCst)
        );
        self.sql(&format!("CREATE DATABASE {name}"));
        let o = Command::new("mariadb")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-uroot", &name])
            .stdin(std::fs::File::open(fixtures().join("ghost-5.130.6-mysql.sql")).unwrap())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        name
    }

    /// A fingerprint of a database: its tables and the checksum of each.
    pub fn fingerprint(&self, db: &str) -> String {
        let tables = self.sql(&format!(
            "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = '{db}'"
        ));
        let sums = self.sql(&format!(
            "CHECKSUM TABLE {}",
            tables
                .split(',')
                .map(|t| format!("{db}.{t}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        format!("{tables}\n{sums}")
    }
}
