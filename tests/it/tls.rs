//! TLS and IAM authentication against a real MariaDB with TLS that the tests start themselves
//! (tlsdb.rs): verified connections succeed with the right CA and fail, with exit 2 and
//! nothing written, with a wrong CA or a wrong host name; RDS names verify by default; Ghost's
//! `ssl` settings connect; an IAM auth token is the password.

use crate::common::{FROM, SITE, TO, bin, stderr};
use crate::tlsdb::{RDS_NAME, TlsDb, server};
use std::process::Output;

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.args(args)
        .env("AWS_CONFIG_FILE", "/nonexistent/gm-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gm-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("GHOST_MIGRATE_TEST_MYSQL_SOCKET");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run ghost-migrate");
    eprintln!(
        "$ {env:?} ghost-migrate {}\nexit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scan(db: &str, env: &[(&str, &str)]) -> Output {
    run_env(&["scan", "--json", "--db", db, "--site-url", SITE], env)
}

fn rewrite(db: &str, env: &[(&str, &str)]) -> Output {
    run_env(
        &[
            "rewrite",
            "--db",
            db,
            "--site-url",
            SITE,
            "--from",
            FROM,
            "--to",
            TO,
            "--yes",
        ],
        env,
    )
}

fn url(s: &TlsDb, host: &str, db: &str, query: &str) -> String {
    let port = if host == RDS_NAME || host.ends_with(".example.com") {
        3306
    } else {
        s.port
    };
    format!("mysql://root@{host}:{port}/{db}?{query}")
}

/// Sends a connection to `host` through the server's socket (debug-only hook): TLS still checks `host`.
fn via_socket(s: &TlsDb) -> (&'static str, String) {
    (
        "GHOST_MIGRATE_TEST_MYSQL_SOCKET",
        s.socket.display().to_string(),
    )
}

#[test]
fn verify_identity_with_the_right_ca_connects() {
    let s = server();
    let db = s.ghost_db();
    let ca = s.ca.display().to_string();
    for host in ["127.0.0.1", "localhost"] {
        let o = scan(
            &url(
                &s,
                host,
                &db,
                &format!("ssl-mode=verify_identity&ssl-ca={ca}"),
            ),
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{host}");
    }
    // ssl-ca alone verifies the chain too; and a rewrite goes through over TLS.
    let o = rewrite(&url(&s, "127.0.0.1", &db, &format!("ssl-ca={ca}")), &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        s.sql(&format!("SELECT COUNT(*) FROM {db}.ghost_migrate_runs")),
        "1"
    );
}

#[test]
fn a_wrong_ca_fails_with_exit_2_and_writes_nothing() {
    let s = server();
    let db = s.ghost_db();
    let before = s.fingerprint(&db);
    let other = s.other_ca.display().to_string();
    for query in [
        format!("ssl-mode=verify_identity&ssl-ca={other}"),
        format!("ssl-mode=verify_ca&ssl-ca={other}"),
        format!("ssl-ca={other}"),
        // No CA at all: the public roots do not know the private CA either.
        "ssl-mode=verify_ca".to_string(),
    ] {
        let o = rewrite(&url(&s, "127.0.0.1", &db, &query), &[]);
        assert_eq!(o.status.code(), Some(2), "{query}");
        let e = stderr(&o);
        assert!(
            e.contains("cannot connect to mysql://root@127.0.0.1"),
            "{e}"
        );
        assert!(e.contains("TLS"), "{e}");
        assert!(e.contains("not signed by a trusted CA"), "{e}");
        assert!(e.contains("ssl-ca"), "{e}");
    }
    assert_eq!(s.fingerprint(&db), before);
}

#[test]
fn a_wrong_host_name_fails_with_exit_2_and_writes_nothing() {
    let s = server();
    let db = s.ghost_db();
    let before = s.fingerprint(&db);
    let ca = s.ca.display().to_string();
    let sock = via_socket(&s);
    let env = [(sock.0, sock.1.as_str())];
    // The certificate names 127.0.0.1, localhost and RDS_NAME, not this name.
    let q = format!("ssl-mode=verify_identity&ssl-ca={ca}");
    let o = rewrite(&url(&s, "db.example.com", &db, &q), &env);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("TLS"), "{e}");
    assert!(e.contains("does not name this host"), "{e}");
    assert_eq!(s.fingerprint(&db), before);
    // Encrypted but unverified, the same name connects: the failure was the certificate's name.
    // (ssl-mode=verify_ca checks the name too in this build: sqlx 0.8.6 with rustls 0.23.24+,
    // sqlx issue 3793; README says so.)
    let o = scan(&url(&s, "db.example.com", &db, "ssl-mode=required"), &env);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn rds_names_verify_by_default_and_lowering_is_explicit() {
    let s = server();
    let db = s.ghost_db();
    let before = s.fingerprint(&db);
    let sock = via_socket(&s);
    let env = [(sock.0, sock.1.as_str())];
    // No ssl-mode: verify_identity with Amazon's CAs, which did not sign the test certificate.
    let o = rewrite(&url(&s, RDS_NAME, &db, ""), &env);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("not signed by an Amazon RDS CA"), "{e}");
    assert_eq!(s.fingerprint(&db), before);
    // With the CA that did sign it, the same default (host name included) connects.
    let ca = s.ca.display().to_string();
    let o = scan(&url(&s, RDS_NAME, &db, &format!("ssl-ca={ca}")), &env);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // ssl-mode=required lowers it, with a warning.
    let o = scan(&url(&s, RDS_NAME, &db, "ssl-mode=required"), &env);
    assert_eq!(o.status.code(), Some(0));
    let e = stderr(&o);
    assert!(e.contains("warning: TLS to RDS endpoint"), "{e}");
    assert!(e.contains("lowered to required by ssl-mode in --db"), "{e}");
}

fn ghost_config(dir: &std::path::Path, name: &str, conn: serde_json::Value) -> String {
    let p = dir.join(name);
    let cfg = serde_json::json!({
        "url": SITE,
        "database": {"client": "mysql", "connection": conn},
    });
    std::fs::write(&p, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    p.display().to_string()
}

#[test]
fn ghost_config_ssl_settings_connect_with_mysql2s_verification() {
    let s = server();
    let db = s.ghost_db();
    let dir = tempfile::tempdir().unwrap();
    let ca = std::fs::read_to_string(&s.ca).unwrap();
    let other = std::fs::read_to_string(&s.other_ca).unwrap();
    let conn = |ssl: serde_json::Value| {
        serde_json::json!({"host": "127.0.0.1", "port": s.port, "user": "root",
            "password": "", "database": db, "ssl": ssl})
    };
    let scan_cfg =
        |cfg: &str, env: &[(&str, &str)]| run_env(&["scan", "--json", "--ghost-config", cfg], env);
    // An ssl object with the right ca connects ("password": "" is no password).
    let good = ghost_config(dir.path(), "good.json", conn(serde_json::json!({"ca": ca})));
    assert_eq!(scan_cfg(&good, &[]).status.code(), Some(0));
    let named = ghost_config(
        dir.path(),
        "named.json",
        conn(serde_json::json!({"ca": [other.clone(), ca.clone()], "verifyIdentity": true})),
    );
    assert_eq!(scan_cfg(&named, &[]).status.code(), Some(0));
    // A wrong ca is refused, as mysql2 refuses it.
    let bad = ghost_config(
        dir.path(),
        "bad.json",
        conn(serde_json::json!({"ca": other})),
    );
    let o = scan_cfg(&bad, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("database.connection.ssl.ca"),
        "{}",
        stderr(&o)
    );
    // ...unless rejectUnauthorized is the boolean false (mysql2 verifies nothing then).
    let lax = ghost_config(
        dir.path(),
        "lax.json",
        conn(serde_json::json!({"ca": other, "rejectUnauthorized": false})),
    );
    assert_eq!(scan_cfg(&lax, &[]).status.code(), Some(0));
    // Ghost's environment overrides: database__connection__ssl__ca replaces the file's ca.
    let o = scan_cfg(&bad, &[("database__connection__ssl__ca", &ca)]);
    assert_eq!(o.status.code(), Some(0));
    // ... and the string "false" does not turn verification off (it does not in mysql2).
    let o = scan_cfg(
        &bad,
        &[("database__connection__ssl__rejectUnauthorized", "false")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the string \"false\""),
        "{}",
        stderr(&o)
    );
    // Unmappable keys are named.
    let odd = ghost_config(
        dir.path(),
        "odd.json",
        conn(serde_json::json!({"ca": ca, "ciphers": "HIGH"})),
    );
    let o = scan_cfg(&odd, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("database.connection.ssl.ciphers has no equivalent"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_empty_ghost_password_is_no_password() {
    let s = server();
    let db = s.ghost_db();
    let dir = tempfile::tempdir().unwrap();
    let ca = std::fs::read_to_string(&s.ca).unwrap();
    // root@127.0.0.1 has no password: an empty one sent as a password would be refused.
    let cfg = ghost_config(
        dir.path(),
        "config.development.json",
        serde_json::json!({"host": "127.0.0.1", "port": s.port, "user": "root",
            "password": "", "database": db, "ssl": {"ca": ca}}),
    );
    let o = run_env(&["runs", "--ghost-config", &cfg], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("Access denied"), "{}", stderr(&o));
}

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-01-02T03:04:05Z
const NOW: u64 = 1_767_323_045;

#[test]
fn iam_auth_token_is_the_password() {
    let s = server();
    let db = s.ghost_db();
    // The library's token is tested equal to boto3's (src/db/iam.rs); the server is given it
    // as the account's password, so only a client sending that token logs in.
    let creds = aws_credential_types::Credentials::new(AK, SK, None, None, "test");
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(NOW);
    let token =
        ghost_migrate::db::iam::token(RDS_NAME, 3306, "gm_iam", "us-east-1", &creds, at).unwrap();
    assert!(token.starts_with(&format!("{RDS_NAME}:3306/?Action=connect&DBUser=gm_iam&")));
    s.sql(&format!(
        "CREATE USER IF NOT EXISTS 'gm_iam'@'localhost' IDENTIFIED BY '{token}'; GRANT ALL ON {db}.* TO 'gm_iam'@'localhost';"
    ));
    let ca = s.ca.display().to_string();
    let sock = via_socket(&s);
    let now = NOW.to_string();
    let env = [
        (sock.0, sock.1.as_str()),
        ("GHOST_MIGRATE_TEST_NOW", now.as_str()),
        ("AWS_ACCESS_KEY_ID", AK),
        ("AWS_SECRET_ACCESS_KEY", SK),
    ];
    let iam_url = format!("mysql://gm_iam@{RDS_NAME}:3306/{db}?ssl-ca={ca}");
    let o = scan(&format!("{iam_url}&iam-auth=true"), &env);
    assert_eq!(o.status.code(), Some(0));
    let o = run_env(
        &[
            "scan",
            "--json",
            "--iam-auth",
            "--db",
            &iam_url,
            "--site-url",
            SITE,
        ],
        &env,
    );
    assert_eq!(o.status.code(), Some(0));
    // A token signed a second later is another password: refused.
    let later = (NOW + 1).to_string();
    let mut env2 = env;
    env2[1].1 = later.as_str();
    let o = scan(&format!("{iam_url}&iam-auth=true"), &env2);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Access denied"), "{}", stderr(&o));
    // No credentials: a clear error before connecting.
    let o = scan(&format!("{iam_url}&iam-auth=true"), &env[..2]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS credentials"), "{}", stderr(&o));
    // A token never crosses without TLS.
    let o = scan(&format!("{iam_url}&iam-auth=true&ssl-mode=preferred"), &env);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("clear-text password"), "{}", stderr(&o));
}
