//! The runbook plan: every parameter of a whole migration (snapshot, sync, rewrite passes,
//! restart, CDN invalidation, verify) as one reviewable TOML file. `plan` writes it
//! (`choose.rs` decides the strategy from detected facts, pure), `run` reads it back. Data and
//! its checks only: no I/O but reading and writing the text.

pub mod choose;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The plan file's format version.
pub const PLAN_VERSION: u32 = 1;

/// The whole runbook. Unknown keys are refused (a typo must not silently drop a step's
/// setting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: u32,
    pub ghost: GhostPlan,
    #[serde(default)]
    pub aws: AwsPlan,
    pub snapshot: SnapshotPlan,
    pub sync: SyncPlan,
    pub rewrite: RewritePlan,
    #[serde(default)]
    pub restart: RestartPlan,
    pub cdn: CdnPlan,
    #[serde(default)]
    pub verify: VerifyPlan,
}

/// Which Ghost, which database, which site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GhostPlan {
    /// Detected when the plan was made (`migrations.currentVersion`); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Ghost's config.production.json (database, site URL, content path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    /// The database, when not from `config`; never with a password (use GHOST_MIGRATE_DB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_dir: Option<PathBuf>,
    /// `cdn-absolute` (rewrite to the CDN's absolute URLs) or `ghost-urls` (Ghost serves
    /// `__GHOST_URL__` values from the CDN through `urls.image|media|files`).
    pub strategy: String,
    /// With `ghost-urls`: the config Ghost must run with (JSON), shown for review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_snippet: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AwsPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_path_style: bool,
}

/// `mode`: `sqlite` (a checked backup file), `rds-cluster`, `rds-instance` (with `id`), or
/// `skip` (the operator took responsibility; the only way to apply without a snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPlan {
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncPlan {
    pub bucket: String,
    pub prefix: String,
    pub dirs: Vec<String>,
    pub variants: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants_from: Option<String>,
    pub concurrency: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewritePlan {
    /// The dry run's report (`.html`, `.md` or `.json`); pass N > 1 adds `-N` before the
    /// extension. Relative to the plan file's folder.
    pub report: PathBuf,
    #[serde(default)]
    pub skip_unsafe: bool,
    /// The rewrite passes, applied in order, each one journalled transaction.
    #[serde(default)]
    pub pass: Vec<RewritePass>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewritePass {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ghost_url_base: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RestartPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_service: Option<String>,
    /// Without ECS: the command the operator runs (shown, then confirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdnPlan {
    /// The CDN base of the content root, as `verify --cdn-url` takes it.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront_distribution_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VerifyPlan {
    /// Also request every public URL (HEAD) through the CDN.
    #[serde(default)]
    pub http: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What `snapshot.mode` may say.
pub const SNAPSHOT_MODES: [&str; 4] = ["sqlite", "rds-cluster", "rds-instance", "skip"];
/// What `ghost.strategy` may say.
pub const STRATEGIES: [&str; 2] = ["cdn-absolute", "ghost-urls"];

impl Plan {
    /// Parses and checks a plan file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Plan> {
        let plan: Plan = toml::from_str(text).map_err(|e| {
            Error::usage(
                format!("{} is not a valid plan: {}", path.display(), e.message()),
                format!(
                    "fix the file (line {}), or write a new one with `ghost-migrate plan`",
                    e.span()
                        .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                        .unwrap_or(1)
                ),
            )
        })?;
        plan.check(path)?;
        Ok(plan)
    }

    /// The checks serde cannot express: known modes, ids where a mode needs one, valid bucket
    /// and prefix, at least one rewrite pass.
    pub fn check(&self, path: &Path) -> Result<()> {
        let bad = |what: String, fix: &str| {
            Err(Error::usage(
                format!("{}: {what}", path.display()),
                fix.to_string(),
            ))
        };
        if self.version != PLAN_VERSION {
            return bad(
                format!(
                    "plan version {} is not the version this ghost-migrate reads ({PLAN_VERSION})",
                    self.version
                ),
                "write a new plan with this version's `ghost-migrate plan`",
            );
        }
        if !STRATEGIES.contains(&self.ghost.strategy.as_str()) {
            return bad(
                format!("ghost.strategy {:?} is unknown", self.ghost.strategy),
                "use \"cdn-absolute\" or \"ghost-urls\"",
            );
        }
        if self.ghost.config.is_none() && self.ghost.db.is_none() {
            // The database may come from GHOST_MIGRATE_DB at run time; checked there.
        }
        if !SNAPSHOT_MODES.contains(&self.snapshot.mode.as_str()) {
            return bad(
                format!("snapshot.mode {:?} is unknown", self.snapshot.mode),
                "use \"sqlite\", \"rds-cluster\", \"rds-instance\" or \"skip\"",
            );
        }
        if self.snapshot.mode.starts_with("rds-") && self.snapshot.id.is_none() {
            return bad(
                format!(
                    "snapshot.mode {:?} needs snapshot.id (the cluster or instance)",
                    self.snapshot.mode
                ),
                "add id = \"my-cluster\" under [snapshot]",
            );
        }
        crate::bucket::BucketLayout::new(&self.sync.bucket, &self.sync.prefix)?;
        if !(1..=512).contains(&self.sync.concurrency) {
            return bad(
                format!("sync.concurrency {} is out of range", self.sync.concurrency),
                "use 1 to 512 (16 is the default)",
            );
        }
        if self.rewrite.pass.is_empty() {
            return bad(
                "the plan has no [[rewrite.pass]]".into(),
                "add one (from = \"https://blog.example.com/content/\", to = \"https://cdn.example.com/content/\")",
            );
        }
        match (&self.restart.ecs_cluster, &self.restart.ecs_service) {
            (Some(_), None) | (None, Some(_)) => {
                return bad(
                    "restart needs both ecs_cluster and ecs_service, or neither".into(),
                    "add the missing one, or remove both to restart by hand",
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// The plan as TOML, with a comment above each section saying what it is for, `notes`
    /// (why this strategy, what was detected) at the top.
    pub fn to_toml(&self, notes: &[String]) -> String {
        let body = toml::to_string(self).expect("a plan serializes");
        let mut out = String::new();
        out.push_str(&format!(
            "# ghost-migrate runbook plan, written by `ghost-migrate plan` {} on {}.\n\
             # Review it, commit it if you like, then: ghost-migrate run <this file>\n\
             # Relative paths are relative to this file's folder. Changing this file after a run\n\
             # started makes `run` refuse to resume (use --restart to start over).\n",
            crate::cli::VERSION,
            crate::journal::now()
        ));
        for n in notes {
            for (i, line) in wrap(n, 92).into_iter().enumerate() {
                out.push_str(if i == 0 { "# - " } else { "#   " });
                out.push_str(&line);
                out.push('\n');
            }
        }
        out.push('\n');
        for line in body.lines() {
            if let Some(c) = section_comment(line) {
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
                out.push_str(c);
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// A path of the plan, relative paths taken against the plan file's folder.
    pub fn resolve(&self, plan_path: &Path, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            plan_path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }
}

fn section_comment(line: &str) -> Option<&'static str> {
    Some(match line.trim() {
        "[ghost]" => "# The Ghost in front of us, and how its URLs will be served.",
        "[aws]" => "# AWS credentials come from the standard chain; these only narrow it.",
        "[snapshot]" => {
            "# Step 1. A restorable copy before anything changes (mode = \"skip\" only if you have one)."
        }
        "[sync]" => {
            "# Step 2. Upload the content directory (and the responsive variants) to the bucket."
        }
        "[rewrite]" => {
            "# Steps 3-5. Dry run (report), confirmation, then each pass in one journalled transaction."
        }
        "[[rewrite.pass]]" => "# A rewrite pass: every stored form of `from` becomes `to`.",
        "[restart]" => {
            "# Step 6. Ghost caches settings: restart it (ECS: a new deployment; else by hand)."
        }
        "[cdn]" => {
            "# Step 7. The CDN base, and CloudFront's cached pages invalidated (direct DB edits purge nothing)."
        }
        "[verify]" => "# Step 8. Every referenced image, media file and file exists under the CDN.",
        _ => return None,
    })
}

/// Splits `s` into lines of at most `width` characters at spaces.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in s.split_whitespace() {
        let cur = lines.last_mut().expect("one line at least");
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(w.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
    }
    lines
}

/// SHA-256 of the plan file's bytes: what a run records, so that a changed plan is noticed.
pub fn digest(text: &str) -> String {
    crate::journal::sha256_hex(text)
}

/// What `plan` shows: the chosen plan, why, what needs a look, and where it was written.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    pub schema: u32,
    pub command: &'static str,
    pub written_to: Option<String>,
    pub strategy: String,
    pub reasons: Vec<String>,
    pub findings: Vec<choose::Finding>,
    pub plan: Plan,
    /// The plan file's text (also what is printed without --out).
    #[serde(skip)]
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Plan {
        Plan {
            version: PLAN_VERSION,
            ghost: GhostPlan {
                version: Some("5.130".into()),
                config: None,
                db: Some("/var/lib/ghost/content/data/ghost.db".into()),
                site_url: Some("https://blog.example.com".into()),
                content_dir: Some("/var/lib/ghost/content".into()),
                strategy: "cdn-absolute".into(),
                config_snippet: None,
            },
            aws: AwsPlan::default(),
            snapshot: SnapshotPlan {
                mode: "sqlite".into(),
                id: None,
                out: None,
            },
            sync: SyncPlan {
                bucket: "my-bucket".into(),
                prefix: "content/".into(),
                dirs: vec!["images".into(), "media".into(), "files".into()],
                variants: true,
                variants_from: None,
                concurrency: 16,
                cache_control: None,
            },
            rewrite: RewritePlan {
                report: "migration-report.html".into(),
                skip_unsafe: false,
                pass: vec![RewritePass {
                    from: "https://blog.example.com/content/".into(),
                    to: "https://cdn.example.com/content/".into(),
                    ghost_url_base: None,
                }],
            },
            restart: RestartPlan::default(),
            cdn: CdnPlan {
                url: "https://cdn.example.com/content/".into(),
                cloudfront_distribution_id: Some("E123".into()),
            },
            verify: VerifyPlan::default(),
        }
    }

    #[test]
    fn a_written_plan_reads_back_the_same() {
        let p = sample();
        let text = p.to_toml(&["why: Ghost 5 cannot serve __GHOST_URL__ from a CDN".into()]);
        assert!(text.contains("# Step 1."), "{text}");
        assert!(text.contains("[[rewrite.pass]]"), "{text}");
        let back = Plan::parse(&text, Path::new("m.toml")).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn bad_plans_are_refused_with_the_fix() {
        let good = sample().to_toml(&[]);
        for (from, to, needle) in [
            (
                "mode = \"sqlite\"",
                "mode = \"lvm\"",
                "snapshot.mode \"lvm\" is unknown",
            ),
            (
                "mode = \"sqlite\"",
                "mode = \"rds-cluster\"",
                "needs snapshot.id",
            ),
            ("bucket = \"my-bucket\"", "bucket = \"My_Bucket\"", "bucket"),
            ("concurrency = 16", "concurrency = 0", "out of range"),
            (
                "strategy = \"cdn-absolute\"",
                "strategy = \"magic\"",
                "unknown",
            ),
            (
                "variants = true",
                "variants = true\nvariantz = 1",
                "unknown field",
            ),
            ("version = 1", "version = 2", "plan version 2"),
        ] {
            assert!(good.contains(from), "{from}");
            let text = good.replacen(from, to, 1);
            let e = Plan::parse(&text, Path::new("m.toml")).unwrap_err();
            assert!(e.to_string().contains(needle), "{to}: {e}");
            assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        }
        let no_pass = good.split("[[rewrite.pass]]").next().unwrap().to_string()
            + &good[good.find("[restart]").or(good.find("[cdn]")).unwrap()..];
        let e = Plan::parse(&no_pass, Path::new("m.toml")).unwrap_err();
        assert!(e.to_string().contains("no [[rewrite.pass]]"), "{e}");
    }
}
