//! `plan` and `run`: the whole migration as one journalled runbook, on a copy of the real Ghost
//! 5.130.6 fixture and its content, against a real S3 API (moto) on loopback.

use crate::common::{SITE, count_in, dump, json, scalar, sqlite_copy};
use crate::s3server::{Kind, keys};
use crate::sync::{Ctx, content, show};
use std::path::{Path, PathBuf};

/// A Ghost 5 site: the fixture database and content (with the theme's package.json), a moto
/// bucket, and a plan written next to them.
struct Site {
    ctx: Ctx,
    _c: tempfile::TempDir,
    root: PathBuf,
    _d: tempfile::TempDir,
    db: String,
    plan: PathBuf,
}

const CDN: &str = "https://cdn.example.com/content/";

impl Site {
    fn new() -> Site {
        let ctx = Ctx::new(Kind::Moto);
        let (c, root) = content();
        std::fs::create_dir_all(root.join("themes/casper")).unwrap();
        std::fs::write(
            root.join("themes/casper/package.json"),
            r#"{"name": "casper", "config": {"image_sizes": {"s": {"width": 300}}}}"#,
        )
        .unwrap();
        let (d, db) = sqlite_copy();
        let plan = root.join("migration.toml");
        Site {
            ctx,
            _c: c,
            root,
            _d: d,
            db,
            plan,
        }
    }

    fn plan(&self, extra: &[&str]) -> std::process::Output {
        let mut c = self.ctx.cmd();
        c.args(["plan", "--db", &self.db, "--site-url", SITE, "--bucket"])
            .arg(&self.ctx.bucket)
            .args(["--cdn-url", CDN, "--content-dir"])
            .arg(&self.root)
            .arg("--out")
            .arg(&self.plan)
            .args(extra);
        show(c)
    }

    fn run(&self, extra: &[&str], crash: Option<&str>) -> std::process::Output {
        let mut c = self.ctx.cmd();
        c.args(["run", "--json"]).arg(&self.plan).args(extra);
        if let Some(at) = crash {
            c.env("GHOST_MIGRATE_TEST_CRASH_AT", at);
        }
        show(c)
    }

    fn plan_text(&self) -> String {
        std::fs::read_to_string(&self.plan).unwrap()
    }
}

/// The JSON lines `run --json` printed.
fn events(o: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn summary(o: &std::process::Output) -> serde_json::Value {
    events(o)
        .into_iter()
        .rfind(|e| e["event"] == "summary")
        .expect("a summary line")
}

fn applied_rewrites(db: &str) -> usize {
    scalar(
        db,
        "SELECT COUNT(*) FROM ghost_migrate_runs WHERE kind = 'rewrite' AND status = 'applied'",
    )
    .unwrap()
    .parse()
    .unwrap()
}

const OLD: &str = "127.0.0.1:2368/content/";

#[test]
fn a_plan_for_ghost_5_then_one_run_migrates_and_verifies_clean() {
    let s = Site::new();
    let o = s.plan(&[]);
    assert_eq!(o.status.code(), Some(0), "no blocker on this fixture");
    let text = s.plan_text();
    for want in [
        "version = \"5.130\"",
        "strategy = \"cdn-absolute\"",
        "mode = \"sqlite\"",
        "variants = true",
        "from = \"http://127.0.0.1:2368/content/\"",
        "to = \"https://cdn.example.com/content/\"",
        "size/ variant(s) are referenced but absent",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    // plan is read-only: no journal in Ghost's database, nothing in the bucket.
    assert_eq!(
        scalar(
            &s.db,
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'ghost_migrate_%'"
        ),
        Some("0".into())
    );
    assert!(keys(&s.ctx.s, &s.ctx.bucket).is_empty());
    let before = count_in(&dump(&s.db), OLD);
    assert!(before > 50, "{before}");

    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    let ev = events(&o);
    let finished: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        finished,
        [
            "snapshot",
            "sync-images",
            "dry-run",
            "confirm",
            "apply",
            "restart",
            "invalidate",
            "verify"
        ]
    );
    let step = |name: &str| {
        ev.iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(step("restart")["status"], "manual");
    assert_eq!(step("invalidate")["status"], "skipped");
    assert_eq!(step("verify")["result"]["missing"], serde_json::json!([]));
    let sum = summary(&o);
    let backup = sum["snapshot"].as_str().unwrap();
    assert!(Path::new(backup).is_file(), "{backup}");
    assert_eq!(sum["rewrite_runs"].as_array().unwrap().len(), 1, "{sum}");
    let rb = sum["rollback"][0].as_str().unwrap();
    assert!(rb.starts_with("ghost-migrate rollback gm-"), "{rb}");
    // The report of the dry run is where the plan said.
    // The dry run's HTML report carries the plan and what the bucket held before the apply.
    let html = std::fs::read_to_string(s.root.join("migration-report.html")).unwrap();
    for want in [
        "<h2 id=\"runbook\">Runbook plan</h2>",
        "plan SHA-256",
        "cdn-absolute",
        "<h2 id=\"verify\">Verify</h2>",
        "https://cdn.example.com/content/images/",
    ] {
        assert!(html.contains(want), "{want}");
    }
    // Every old URL is gone; none nested.
    let d = dump(&s.db);
    assert_eq!(count_in(&d, OLD), 0);
    assert_eq!(count_in(&d, "cdn.example.com/content/https"), 0);
    assert!(count_in(&d, "https://cdn.example.com/content/images/") > 50);
    let uploaded = keys(&s.ctx.s, &s.ctx.bucket).len();
    assert!(uploaded > 150, "{uploaded}");

    // The same command again: finished before, nothing runs, nothing changes.
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !events(&o).iter().any(|e| e["event"] == "step_started"),
        "{:?}",
        events(&o)
    );
    assert_eq!(applied_rewrites(&s.db), 1);
}

#[test]
fn kill_9_in_every_step_then_the_same_command_finishes_with_nothing_done_twice() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    let steps = [
        "snapshot",
        "sync-images",
        "dry-run",
        "confirm",
        "apply",
        "restart",
        "invalidate",
        "verify",
    ];
    // Killed right after each step did its work, before it was recorded; then (next command)
    // resumed, which redoes that step and is killed after the next one.
    let mut objects_after_sync = None;
    for st in steps {
        let o = s.run(&["--yes"], Some(&format!("{st}:after")));
        assert_eq!(o.status.code(), None, "{st}: killed by SIGKILL");
        if st == "sync-images" {
            objects_after_sync = Some(keys(&s.ctx.s, &s.ctx.bucket));
        }
        if st == "apply" {
            // Committed, not recorded: the database is consistent already.
            assert_eq!(count_in(&dump(&s.db), OLD), 0);
            assert_eq!(applied_rewrites(&s.db), 1);
        }
    }
    // And once killed before a step did anything.
    let o = s.run(&["--yes", "--from-step", "verify"], Some("verify:before"));
    assert_eq!(o.status.code(), None);
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    let sum = summary(&o);
    assert_eq!(sum["resumed"], true);
    // Nothing rewritten twice: one applied rewrite run; nothing uploaded twice: the resumed
    // sync found every object in place.
    assert_eq!(applied_rewrites(&s.db), 1);
    assert_eq!(sum["rewrite_runs"].as_array().unwrap().len(), 1);
    assert_eq!(Some(keys(&s.ctx.s, &s.ctx.bucket)), objects_after_sync);
    let runbook_syncs: Vec<String> = crate::common::rows(
        &s.db,
        "SELECT detail FROM ghost_migrate_runbook WHERE step = 'sync-images'",
    );
    assert_eq!(runbook_syncs.len(), 1);
    let detail: serde_json::Value = serde_json::from_str(&runbook_syncs[0]).unwrap();
    assert_eq!(detail["totals"]["uploaded"], 0, "{detail}");
    // One backup file for the run.
    let baks = std::fs::read_dir(Path::new(&s.db).parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".bak")
        })
        .count();
    assert_eq!(baks, 1);
    let d = dump(&s.db);
    assert_eq!(count_in(&d, OLD), 0);
    assert_eq!(count_in(&d, "cdn.example.com/content/https"), 0);
}

#[test]
fn a_failing_step_stops_the_run_and_a_changed_plan_is_refused() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    let good = s.plan_text();
    // A bucket that does not exist: sync fails, nothing after it runs.
    std::fs::write(
        &s.plan,
        good.replace(
            &format!("bucket = \"{}\"", s.ctx.bucket),
            "bucket = \"no-such-bucket-gm\"",
        ),
    )
    .unwrap();
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(2), "{}", crate::common::stderr(&o));
    let err = crate::common::stderr(&o);
    assert!(err.contains("step sync-images failed"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    let ev = events(&o);
    assert!(
        ev.iter()
            .any(|e| e["event"] == "step_failed" && e["step"] == "sync-images")
    );
    assert!(
        !ev.iter()
            .any(|e| e["event"] == "step_started" && e["step"] == "dry-run")
    );
    assert_eq!(applied_rewrites(&s.db), 0);
    assert!(count_in(&dump(&s.db), OLD) > 50, "nothing rewritten");

    // Fixing the plan changes it: refused, named, until --restart.
    std::fs::write(&s.plan, &good).unwrap();
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::common::stderr(&o);
    assert!(err.contains("the plan file changed since run rb-"), "{err}");
    assert!(err.contains("--restart"), "{err}");
    assert_eq!(applied_rewrites(&s.db), 0);
    let o = s.run(&["--yes", "--restart"], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(count_in(&dump(&s.db), OLD), 0);
}

#[test]
fn apply_is_refused_without_a_finished_snapshot_or_confirmation() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    // Jumping to the apply of a fresh run: no snapshot in this run.
    let o = s.run(&["--yes", "--from-step", "apply"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::common::stderr(&o);
    assert!(
        err.contains("the snapshot step of this run has not finished"),
        "{err}"
    );
    assert_eq!(applied_rewrites(&s.db), 0);
    // Without --yes and without a terminal, the confirm step stops before the apply.
    let o = s.run(&["--restart"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::common::stderr(&o);
    assert!(
        err.contains("refusing to apply without confirmation"),
        "{err}"
    );
    assert!(err.contains("migration-report.html"), "{err}");
    assert_eq!(applied_rewrites(&s.db), 0);
    // --dry-run shows where it would resume, and runs nothing.
    let mut c = s.ctx.cmd();
    c.args(["run", "--dry-run"]).arg(&s.plan);
    let o = show(c);
    assert_eq!(o.status.code(), Some(0));
    let out = crate::common::stdout(&o);
    assert!(out.contains("confirm") && out.contains("pending"), "{out}");
    assert_eq!(applied_rewrites(&s.db), 0);
    // Approved: the same command with --yes resumes at the confirmation.
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    let started: Vec<String> = events(&o)
        .iter()
        .filter(|e| e["event"] == "step_started")
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(started[0], "confirm", "{started:?}");
    assert_eq!(applied_rewrites(&s.db), 1);
}

#[test]
fn a_plan_for_a_ghost_6_config_keeps_portable_urls() {
    let s = Site::new();
    // Ghost 6.65's database (the fixture's, with its version) and a config as an ECS task
    // would have it, with an S3 adapter and urls.image set the way the docs show it.
    crate::common::exec(
        &s.db,
        "UPDATE migrations SET currentVersion = '6.65' WHERE id = (SELECT MAX(id) FROM migrations)",
    );
    let cfg = s.root.join("config.production.json");
    std::fs::write(
        &cfg,
        serde_json::json!({
            "url": SITE,
            "database": {"client": "sqlite3", "connection": {"filename": s.db}},
            "paths": {"contentPath": s.root},
            "urls": {"image": "https://cdn.example.com/content/images"},
            "storage": {"active": "s3", "s3": {"bucket": s.ctx.bucket, "pathPrefix": "uploads/", "assetHost": "https://assets.example.com"}}
        })
        .to_string(),
    )
    .unwrap();
    let mut c = s.ctx.cmd();
    c.args(["plan", "--json", "--ghost-config"])
        .arg(&cfg)
        .args(["--bucket", &s.ctx.bucket, "--cdn-url", CDN, "--out"])
        .arg(&s.plan);
    let o = show(c);
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(j["strategy"], "ghost-urls");
    let pass = &j["plan"]["rewrite"]["pass"][0];
    assert_eq!(pass["to"], "__GHOST_URL__/content/");
    assert_eq!(pass["ghost_url_base"], "https://cdn.example.com");
    let findings = j["findings"].to_string();
    assert!(
        findings.contains("the plan needs https://cdn.example.com"),
        "{findings}"
    );
    assert!(findings.contains("two layouts in one bucket"), "{findings}");
    let text = s.plan_text();
    assert!(text.contains("config = "), "{text}");
    assert!(
        !text.contains("db = "),
        "the config names the database: {text}"
    );
    let snippet = j["plan"]["ghost"]["config_snippet"].as_str().unwrap();
    assert!(
        snippet.contains("\"image\": \"https://cdn.example.com\""),
        "{snippet}"
    );
    assert!(text.contains("config_snippet = "), "{text}");
}

#[test]
fn bad_plan_files_are_refused_before_anything_runs() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    let good = s.plan_text();
    for (from, to, needle) in [
        (
            "mode = \"sqlite\"",
            "mode = \"zfs\"",
            "snapshot.mode \"zfs\" is unknown",
        ),
        ("\nvariants = true", "\nvariants = \"yes\"", "invalid type"),
        ("[sync]", "[sink]\n[sync]", "unknown field"),
    ] {
        std::fs::write(&s.plan, good.replacen(from, to, 1)).unwrap();
        let o = s.run(&["--yes"], None);
        assert_eq!(o.status.code(), Some(2), "{to}");
        let err = crate::common::stderr(&o);
        assert!(err.contains(needle), "{to}: {err}");
    }
    assert_eq!(
        scalar(
            &s.db,
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'ghost_migrate_%'"
        ),
        Some("0".into()),
        "nothing written to Ghost's database"
    );
    assert!(keys(&s.ctx.s, &s.ctx.bucket).is_empty());
}

#[test]
fn on_mariadb_a_plan_needs_a_snapshot_decision_then_runs_through() {
    let Some(my) = crate::common::MyDb::new() else {
        return;
    };
    let s = Site::new();
    let plan_on = |extra: &[&str]| {
        let mut c = s.ctx.cmd();
        c.args(["plan", "--db", &my.url, "--site-url", SITE, "--bucket"])
            .arg(&s.ctx.bucket)
            .args(["--cdn-url", CDN, "--content-dir"])
            .arg(&s.root)
            .arg("--out")
            .arg(&s.plan)
            .args(extra);
        show(c)
    };
    // 127.0.0.1 is no RDS endpoint: the plan will not guess whether a snapshot exists.
    let o = plan_on(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("--snapshot skip"));
    assert!(!s.plan.exists());
    let o = plan_on(&["--snapshot", "skip"]);
    assert_eq!(o.status.code(), Some(0));
    let text = s.plan_text();
    assert!(text.contains("mode = \"skip\""), "{text}");
    assert!(count_in(&dump(&my.url), OLD) > 50);
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    let ev = events(&o);
    let snap = ev
        .iter()
        .find(|e| e["event"] == "step_finished" && e["step"] == "snapshot")
        .unwrap();
    assert_eq!(snap["status"], "skipped");
    let d = dump(&my.url);
    assert_eq!(count_in(&d, OLD), 0);
    assert!(count_in(&d, "https://cdn.example.com/content/images/") > 50);
    assert_eq!(summary(&o)["rewrite_runs"].as_array().unwrap().len(), 1);
}

#[test]
fn a_failed_snapshot_stops_the_run_before_anything_is_uploaded_or_rewritten() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    // An Aurora cluster moto does not have.
    let text = s.plan_text().replace(
        "mode = \"sqlite\"",
        "mode = \"rds-cluster\"\nid = \"no-such-cluster\"",
    );
    std::fs::write(&s.plan, text).unwrap();
    let o = s.run(&["--yes"], None);
    assert_ne!(o.status.code(), Some(0));
    let err = crate::common::stderr(&o);
    assert!(err.contains("step snapshot failed"), "{err}");
    assert!(err.contains("no-such-cluster"), "{err}");
    let ev = events(&o);
    assert!(
        ev.iter()
            .any(|e| e["event"] == "step_failed" && e["step"] == "snapshot")
    );
    assert!(
        !ev.iter()
            .any(|e| e["event"] == "step_started" && e["step"] != "snapshot")
    );
    assert!(keys(&s.ctx.s, &s.ctx.bucket).is_empty(), "nothing uploaded");
    assert_eq!(applied_rewrites(&s.db), 0);
    let status = crate::common::rows(
        &s.db,
        "SELECT status FROM ghost_migrate_runbook WHERE step = 'snapshot'",
    );
    assert_eq!(status, ["failed"]);
}

#[test]
fn kill_9_while_the_sync_uploads_then_the_same_command_finishes() {
    let s = Site::new();
    assert_eq!(s.plan(&[]).status.code(), Some(0));
    let mut c = s.ctx.cmd();
    c.args(["run", "--yes", "--json"])
        .arg(&s.plan)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    // Killed as soon as the first objects are in the bucket, in the middle of the step.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut seen = 0;
    while std::time::Instant::now() < deadline {
        seen = keys(&s.ctx.s, &s.ctx.bucket).len();
        if seen > 0 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    let st = child.wait().unwrap();
    assert!(seen > 0, "the sync had started");
    if st.code().is_none() {
        let started = crate::common::rows(
            &s.db,
            "SELECT status FROM ghost_migrate_runbook WHERE step = 'sync-images'",
        );
        assert_eq!(started, ["started"], "killed inside the step");
    }
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(summary(&o)["resumed"], true);
    let sync = events(&o)
        .into_iter()
        .find(|e| e["event"] == "step_finished" && e["step"] == "sync-images")
        .unwrap();
    let t = &sync["result"]["totals"];
    assert_eq!(
        t["identical"].as_u64().unwrap() + t["uploaded"].as_u64().unwrap(),
        t["local_files"].as_u64().unwrap(),
        "{t}"
    );
    assert!(
        t["identical"].as_u64().unwrap() > 0,
        "what was uploaded is not sent again: {t}"
    );
    assert_eq!(count_in(&dump(&s.db), OLD), 0);
    assert_eq!(applied_rewrites(&s.db), 1);
}

/// AWS clients on the test's moto, with the test's credentials given directly (never put in
/// this process's environment, which every server the tests start would inherit).
fn aws_on(ctx: &Ctx) -> ghost_migrate::aws::Aws {
    let config = crate::common::rt().block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                        aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .build_https(),
            )
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&ctx.s.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load(),
    );
    ghost_migrate::aws::Aws {
        config,
        path_style: true,
    }
}

/// An ECS cluster with a Ghost service (no tasks: moto runs none) and a CloudFront
/// distribution, named uniquely for this test.
fn ecs_and_cloudfront(
    a: &ghost_migrate::aws::Aws,
    tag: &str,
    bucket: &str,
) -> (String, String, String) {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let cluster = format!("gm-{tag}");
    let service = "ghost".to_string();
    crate::common::rt().block_on(async {
        let ecs = a.ecs();
        ecs.create_cluster()
            .cluster_name(&cluster)
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family("ghost")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("ghost")
                    .image("ghost:5")
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .cluster(&cluster)
            .service_name(&service)
            .task_definition("ghost")
            .desired_count(0)
            .send()
            .await
            .unwrap();
        let origin = Origin::builder()
            .id("site")
            .domain_name(format!("{bucket}.s3.amazonaws.com"))
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .unwrap();
        let cfg = DistributionConfig::builder()
            .caller_reference(format!("gm-{tag}"))
            .comment("ghost-migrate test")
            .enabled(true)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("site")
                    .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let d = a
            .cloudfront()
            .create_distribution()
            .distribution_config(cfg)
            .send()
            .await
            .unwrap();
        (cluster, service, d.distribution().unwrap().id().to_string())
    })
}

#[test]
fn restart_on_ecs_and_a_cloudfront_invalidation_on_moto() {
    let s = Site::new();
    let a = aws_on(&s.ctx);
    let (cluster, service, dist) = ecs_and_cloudfront(&a, &s.ctx.bucket, &s.ctx.bucket);
    let before = crate::common::rt().block_on(async {
        let d = a
            .ecs()
            .describe_services()
            .cluster(&cluster)
            .services(&service)
            .send()
            .await
            .unwrap();
        d.services()[0].deployments()[0].id().unwrap().to_string()
    });
    let o = s.plan(&[
        "--ecs-cluster",
        &cluster,
        "--ecs-service",
        &service,
        "--cloudfront-distribution-id",
        &dist,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = s.plan_text();
    assert!(
        text.contains(&format!("ecs_cluster = \"{cluster}\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!("cloudfront_distribution_id = \"{dist}\"")),
        "{text}"
    );
    let mut c = s.ctx.cmd();
    c.args(["run", "--json", "--yes"])
        .arg(&s.plan)
        .env("GHOST_MIGRATE_POLL_MS", "100");
    let o = show(c);
    assert_eq!(o.status.code(), Some(0));
    let ev = events(&o);
    let step = |name: &str| {
        ev.iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == name)
            .unwrap()
            .clone()
    };
    // Ghost restarted: a new deployment of its service, waited for until stable.
    let r = step("restart");
    assert_eq!(r["status"], "finished", "{r}");
    assert_eq!(r["result"]["state"], "stable");
    let new_id = r["result"]["deployment_id"].as_str().unwrap().to_string();
    assert_ne!(new_id, before);
    let now = crate::common::rt().block_on(async {
        let d = a
            .ecs()
            .describe_services()
            .cluster(&cluster)
            .services(&service)
            .send()
            .await
            .unwrap();
        d.services()[0].deployments()[0].id().unwrap().to_string()
    });
    assert_eq!(now, new_id);
    // The fixture's rewrite changes settings (logo, icon, cover): every page, so `/*`.
    let i = step("invalidate");
    assert_eq!(i["status"], "finished", "{i}");
    assert_eq!(i["result"]["paths"], serde_json::json!(["/*"]));
    assert_eq!(i["result"]["settings_changed"], true);
    let id = i["result"]["invalidation_id"].as_str().unwrap().to_string();
    let (status, paths, refs) = crate::common::rt().block_on(async {
        let g = a
            .cloudfront()
            .get_invalidation()
            .distribution_id(&dist)
            .id(&id)
            .send()
            .await
            .unwrap();
        let inv = g.invalidation().unwrap().clone();
        let batch = inv.invalidation_batch().unwrap();
        (
            inv.status().to_string(),
            batch.paths().unwrap().items().to_vec(),
            batch.caller_reference().to_string(),
        )
    });
    assert_eq!(status, "Completed");
    assert_eq!(paths, ["/*"]);
    assert!(refs.starts_with("ghost-migrate-rb-"), "{refs}");
}

#[test]
fn a_missing_ecs_service_fails_the_restart_step_with_the_fix() {
    let s = Site::new();
    let a = aws_on(&s.ctx);
    let (cluster, _, _) = ecs_and_cloudfront(&a, &format!("{}-x", s.ctx.bucket), &s.ctx.bucket);
    assert_eq!(
        s.plan(&[
            "--ecs-cluster",
            &cluster,
            "--ecs-service",
            "no-such-service"
        ])
        .status
        .code(),
        Some(0)
    );
    let o = s.run(&["--yes"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::common::stderr(&o);
    assert!(err.contains("step restart failed"), "{err}");
    assert!(err.contains("no-such-service"), "{err}");
    assert!(err.contains("ecs_service"), "{err}");
    // The apply before it stands; nothing after it ran.
    assert_eq!(applied_rewrites(&s.db), 1);
    assert!(
        !events(&o)
            .iter()
            .any(|e| e["event"] == "step_started" && e["step"] == "verify")
    );
}
