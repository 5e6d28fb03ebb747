//! snapshot: RDS/Aurora through moto's RDS API on loopback (and a proxy that makes snapshots
//! take time, fail or vanish), and the SQLite backup under a concurrent write transaction.

use crate::common::{json, sqlite_copy, stderr};
use crate::rdsproxy::{self, Mode};
use crate::s3server::{Kind, Server, request, server};
use crate::sync::show;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One RDS Query API call to moto; returns the XML body (panics on HTTP errors).
fn rds(s: &Server, params: &[(&str, &str)]) -> String {
    let mut body = String::from("Version=2014-10-31");
    for (k, v) in params {
        body.push_str(&format!("&{k}={}", crate::s3server::enc(v)));
    }
    let (st, _, b) = request(
        "POST",
        &format!("{}/", s.endpoint),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "rds",
        body.as_bytes(),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&b).to_string();
    assert!(st == 200, "{params:?}: {st} {text}");
    text
}

struct Rds {
    s: Arc<Server>,
    cluster: String,
    member: String,
    plain: String,
    cache: tempfile::TempDir,
}

impl Rds {
    fn new() -> Rds {
        let s = server(Kind::Moto);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let tag = format!("{}x{n}", std::process::id());
        let cluster = format!("ghost-{tag}");
        let member = format!("ghost-{tag}-1");
        let plain = format!("plain-{tag}");
        rds(
            &s,
            &[
                ("Action", "CreateDBCluster"),
                ("DBClusterIdentifier", &cluster),
                ("Engine", "aurora-mysql"),
                ("MasterUsername", "admin"),
                ("MasterUserPassword", "secret123"),
            ],
        );
        rds(
            &s,
            &[
                ("Action", "CreateDBInstance"),
                ("DBInstanceIdentifier", &member),
                ("DBClusterIdentifier", &cluster),
                ("Engine", "aurora-mysql"),
                ("DBInstanceClass", "db.r6g.large"),
            ],
        );
        rds(
            &s,
            &[
                ("Action", "CreateDBInstance"),
                ("DBInstanceIdentifier", &plain),
                ("Engine", "mysql"),
                ("DBInstanceClass", "db.t3.micro"),
                ("AllocatedStorage", "20"),
                ("MasterUsername", "admin"),
                ("MasterUserPassword", "secret123"),
            ],
        );
        // moto reports a new cluster `creating` once; describing it settles it.
        rds(
            &s,
            &[
                ("Action", "DescribeDBClusters"),
                ("DBClusterIdentifier", &cluster),
            ],
        );
        Rds {
            s,
            cluster,
            member,
            plain,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, endpoint: &str) -> Command {
        let mut c = crate::common::bin();
        crate::sync::aws_env(&mut c, endpoint, self.cache.path());
        c
    }

    fn snap(&self, args: &[&str]) -> Output {
        let mut c = self.cmd(&self.s.endpoint.clone());
        c.arg("snapshot").args(args);
        show(c)
    }

    fn xml_field(xml: &str, field: &str) -> Vec<String> {
        xml.split(&format!("<{field}>"))
            .skip(1)
            .map(|p| p.split(&format!("</{field}>")).next().unwrap().to_string())
            .collect()
    }
}

#[test]
fn cluster_and_instance_snapshots_list_duplicates_and_refusals() {
    let r = Rds::new();
    // Cluster snapshot with a tag, waited for.
    let o = r.snap(&[
        "--cluster",
        &r.cluster,
        "--id",
        "before-cdn",
        "--tag",
        "team=blog",
        "--json",
        "--poll-interval",
        "0.2",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(j["status"], "available");
    assert_eq!(j["snapshot_id"], "before-cdn");
    assert!(
        j["arn"]
            .as_str()
            .unwrap()
            .ends_with(":cluster-snapshot:before-cdn")
    );
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBClusterSnapshots"),
            ("DBClusterSnapshotIdentifier", "before-cdn"),
        ],
    );
    assert_eq!(
        Rds::xml_field(&xml, "DBClusterIdentifier"),
        vec![r.cluster.clone()]
    );
    let keys = Rds::xml_field(&xml, "Key");
    assert!(
        keys.contains(&"team".to_string()) && keys.contains(&"created-by".to_string()),
        "{xml}"
    );

    // The default id names the cluster and the time, and is valid.
    let o = r.snap(&["--cluster", &r.cluster, "--json", "--no-wait"]);
    assert_eq!(o.status.code(), Some(0));
    let default_id = json(&o)["snapshot_id"].as_str().unwrap().to_string();
    assert!(
        default_id.starts_with(&format!("ghost-migrate-{}-", r.cluster)),
        "{default_id}"
    );

    // A snapshot not made by us is not listed.
    rds(
        &r.s,
        &[
            ("Action", "CreateDBClusterSnapshot"),
            ("DBClusterIdentifier", &r.cluster),
            ("DBClusterSnapshotIdentifier", "someone-else"),
        ],
    );
    let o = r.snap(&["--cluster", &r.cluster, "--list", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let mut ids: Vec<String> = json(&o)["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut want = vec!["before-cdn".to_string(), default_id.clone()];
    want.sort();
    assert_eq!(ids, want);

    // Duplicate id, missing cluster, Aurora member as --instance.
    let o = r.snap(&["--cluster", &r.cluster, "--id", "before-cdn"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already exists") && stderr(&o).contains("--id"),
        "{}",
        stderr(&o)
    );
    let o = r.snap(&["--cluster", "no-such-cluster"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no Aurora cluster \"no-such-cluster\""));
    let o = r.snap(&["--instance", &r.member]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("use --cluster {}", r.cluster)),
        "{}",
        stderr(&o)
    );

    // A plain RDS instance.
    let o = r.snap(&["--instance", &r.plain, "--id", "plain-before", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        json(&o)["arn"]
            .as_str()
            .unwrap()
            .ends_with(":snapshot:plain-before")
    );
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBSnapshots"),
            ("DBSnapshotIdentifier", "plain-before"),
        ],
    );
    assert_eq!(
        Rds::xml_field(&xml, "DBInstanceIdentifier"),
        vec![r.plain.clone()]
    );
}

#[test]
fn invalid_ids_and_tags_are_refused_before_any_call() {
    let r = Rds::new();
    // Port 9 on loopback: nothing listens, so any AWS call would fail differently.
    for (id, why) in [
        ("1abc", "start with a letter"),
        ("a--b", "two hyphens"),
        ("ends-", "end with a hyphen"),
        ("has_underscore", "letters, digits and hyphens"),
        (&"x".repeat(64) as &str, "1 to 63"),
    ] {
        let mut c = r.cmd("http://127.0.0.1:9");
        c.args(["snapshot", "--cluster", "c1", "--id", id]);
        let o = show(c);
        assert_eq!(o.status.code(), Some(2), "{id}");
        assert!(stderr(&o).contains(why), "{id}: {}", stderr(&o));
    }
    let mut c = r.cmd("http://127.0.0.1:9");
    c.args(["snapshot", "--cluster", "c1", "--tag", "novalue"]);
    let o = show(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("KEY=VALUE"));
    let mut c = r.cmd("http://127.0.0.1:9");
    c.args(["snapshot"]);
    let o = show(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to snapshot"));
    // No region.
    let mut c = r.cmd(&r.s.endpoint);
    c.env_remove("AWS_REGION")
        .args(["snapshot", "--cluster", &r.cluster]);
    let o = show(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS region"));
}

#[test]
fn discovers_the_cluster_from_the_database_host() {
    let r = Rds::new();
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBClusters"),
            ("DBClusterIdentifier", &r.cluster),
        ],
    );
    let writer = Rds::xml_field(&xml, "Endpoint")[0].clone();
    let reader = Rds::xml_field(&xml, "ReaderEndpoint")[0].clone();
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBInstances"),
            ("DBInstanceIdentifier", &r.member),
        ],
    );
    let member_host = Rds::xml_field(&xml, "Address")[0].clone();
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBInstances"),
            ("DBInstanceIdentifier", &r.plain),
        ],
    );
    let plain_host = Rds::xml_field(&xml, "Address")[0].clone();
    for (host, want) in [
        (
            writer.to_uppercase(),
            format!("Aurora cluster {}", r.cluster),
        ),
        (reader, format!("Aurora cluster {}", r.cluster)),
        (member_host, format!("Aurora cluster {}", r.cluster)),
        (plain_host, format!("RDS instance {}", r.plain)),
    ] {
        let db = format!("mysql://ghost:pw@{host}:3306/ghost");
        let o = r.snap(&["--db", &db, "--connect-timeout", "1", "--no-wait", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{host}");
        assert!(stderr(&o).contains(&want), "{host}: {}", stderr(&o));
        assert!(!stderr(&o).contains(":pw@"), "password leaked");
    }
    let o = r.snap(&[
        "--db",
        "mysql://ghost:pw@db.example.internal/ghost",
        "--no-wait",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has the endpoint db.example.internal"));
}

fn via_proxy(r: &Rds, mode: Mode, args: &[&str]) -> (Output, rdsproxy::Proxy, Instant) {
    let p = rdsproxy::start(&r.s.endpoint, mode);
    let mut c = r.cmd(&p.endpoint);
    c.arg("snapshot").args(args);
    let o = show(c);
    (o, p, Instant::now())
}

#[test]
fn waits_with_progress_until_available_within_one_poll() {
    let r = Rds::new();
    // Six polls while `creating`: enough for rising percentages, no more waiting than that.
    let poll = 0.2;
    let (o, p, end) = via_proxy(
        &r,
        Mode::Slow(Duration::from_millis(1200)),
        &[
            "--cluster",
            &r.cluster,
            "--id",
            "slow-1",
            "--poll-interval",
            "0.2",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    // Plain progress lines (stderr is not a terminal): rising percentages, then available.
    let pcts: Vec<u32> = err
        .lines()
        .filter(|l| l.starts_with("snapshot slow-1: creating "))
        .map(|l| {
            l.trim_end_matches('%')
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(pcts.len() >= 3, "{err}");
    assert!(pcts.windows(2).all(|w| w[0] < w[1]), "{pcts:?}");
    assert!(err.contains("snapshot slow-1: available 100%"), "{err}");
    assert!(stdout_has(&o, "available"));
    let avail_at = p.first_describe.lock().unwrap().unwrap() + Duration::from_millis(1200);
    let late = end.saturating_duration_since(avail_at).as_secs_f64();
    // Ends within one poll interval of `available` (plus process exit and HTTP slack).
    assert!(late <= poll + 0.5, "ended {late:.2}s after available");
}

fn stdout_has(o: &Output, s: &str) -> bool {
    String::from_utf8_lossy(&o.stdout).contains(s)
}

#[test]
fn failed_vanished_and_timed_out_snapshots_fail_clearly() {
    let r = Rds::new();
    let (o, _, _) = via_proxy(
        &r,
        Mode::Fail(Duration::from_millis(300)),
        &[
            "--cluster",
            &r.cluster,
            "--id",
            "fails-1",
            "--poll-interval",
            "0.1",
        ],
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("snapshot fails-1 ended as failed"),
        "{}",
        stderr(&o)
    );
    let (o, _, _) = via_proxy(
        &r,
        Mode::Vanish(Duration::from_millis(300)),
        &[
            "--instance",
            &r.plain,
            "--id",
            "vanish-1",
            "--poll-interval",
            "0.1",
        ],
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("snapshot vanish-1 disappeared"),
        "{}",
        stderr(&o)
    );
    let (o, _, _) = via_proxy(
        &r,
        Mode::Slow(Duration::from_secs(60)),
        &[
            "--cluster",
            &r.cluster,
            "--id",
            "slow-2",
            "--poll-interval",
            "0.2",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(4));
    let e = stderr(&o);
    assert!(
        e.contains("gave up waiting after 1 s") && e.contains("still creating"),
        "{e}"
    );
    assert!(
        e.contains(&format!("--cluster {} --id slow-2 --resume", r.cluster)),
        "{e}"
    );
    // --resume waits for the existing snapshot (moto has it available) instead of creating one.
    let o = r.snap(&[
        "--cluster",
        &r.cluster,
        "--id",
        "slow-2",
        "--resume",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["status"], "available");
}

#[test]
fn ctrl_c_stops_waiting_and_leaves_the_snapshot() {
    let r = Rds::new();
    let p = rdsproxy::start(&r.s.endpoint, Mode::Slow(Duration::from_secs(60)));
    let mut c = r.cmd(&p.endpoint);
    c.args([
        "snapshot",
        "--cluster",
        &r.cluster,
        "--id",
        "interrupted-1",
        "--poll-interval",
        "0.2",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let t = Instant::now();
    while p.first_describe.lock().unwrap().is_none() && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    eprintln!("{e}");
    assert_eq!(o.status.code(), Some(130));
    assert!(
        e.contains("snapshot interrupted-1 is still being made"),
        "{e}"
    );
    assert!(e.contains("--resume"), "{e}");
    // The snapshot exists in AWS.
    let xml = rds(
        &r.s,
        &[
            ("Action", "DescribeDBClusterSnapshots"),
            ("DBClusterSnapshotIdentifier", "interrupted-1"),
        ],
    );
    assert!(xml.contains("interrupted-1"));
}

#[test]
fn sqlite_backup_is_consistent_while_a_writer_holds_a_transaction() {
    let (dir, db) = sqlite_copy();
    // Give the database a journal (a rewrite) so the snapshot is recorded there.
    let o = crate::common::run(&crate::common::rewrite_args(&db, &["--yes", "--json"]));
    assert_eq!(o.status.code(), Some(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let target = ghost_migrate::db::Target::parse(&db).unwrap();
    let mut writer = rt.block_on(target.connect(Duration::from_secs(5))).unwrap();
    let before_title = crate::common::scalar(&db, "SELECT title FROM posts ORDER BY id LIMIT 1");
    rt.block_on(writer.begin_write()).unwrap();
    rt.block_on(writer.exec("UPDATE posts SET title = 'UNCOMMITTED'", &[]))
        .unwrap();

    let out = dir.path().join("backup.db");
    let o = crate::common::run(&[
        "snapshot",
        "--db",
        &db,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(j["integrity"], "ok");
    assert!(j["posts"].as_u64().unwrap() > 0);
    let b = out.to_str().unwrap();
    // The writer still holds the database, so the record waits in vain and the backup is kept.
    assert!(
        stderr(&o).contains("not recorded in the journal"),
        "{}",
        stderr(&o)
    );
    // The backup holds the committed state, not the open transaction's.
    assert_eq!(
        crate::common::scalar(b, "SELECT title FROM posts ORDER BY id LIMIT 1"),
        before_title
    );
    assert_eq!(
        crate::common::scalar(b, "SELECT COUNT(*) FROM posts WHERE title = 'UNCOMMITTED'")
            .as_deref(),
        Some("0")
    );
    rt.block_on(writer.rollback()).unwrap();
    drop(writer);
    // Byte-for-byte the same content as the source, table by table (the source has one more
    // journal row: the record of this snapshot).
    let mut src = crate::common::dump(&db);
    let mut bak = crate::common::dump(b);
    src.remove("ghost_migrate_runs");
    bak.remove("ghost_migrate_runs");
    assert!(src == bak, "backup differs from the source");
    // Once the writer is gone, a snapshot is recorded in the journal; it is not something to
    // roll back; --out never overwrites.
    let out2 = dir.path().join("backup2.db");
    let b2 = out2.to_str().unwrap();
    let o = crate::common::run(&["snapshot", "--db", &db, "--out", b2, "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(json(&o)["journal_run_id"].is_string());
    let o = crate::common::run(&["runs", "--db", &db, "--json"]);
    let runs = json(&o)["runs"].as_array().unwrap().clone();
    let snap = runs
        .iter()
        .find(|r| r["kind"] == "snapshot")
        .expect("snapshot run recorded");
    assert_eq!(snap["to"], b2);
    let o = crate::common::run(&[
        "rollback",
        snap["id"].as_str().unwrap(),
        "--db",
        &db,
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("records a snapshot"));
    let o = crate::common::run(&["snapshot", "--db", &db, "--out", b]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"));
}
