//! `run`: a plan file executed step by step (snapshot -> sync-images -> dry run -> confirm ->
//! apply -> restart -> invalidate -> verify). Each step is one of the other commands, run
//! in-process with the plan's parameters, and recorded in `ghost_migrate_runbook` before and
//! after it runs; a re-run of the same plan resumes after the last finished step. `--json`
//! prints one JSON event per line.

use super::Outcome;
use super::db::DbRequest;
use crate::cli::{AwsArgs, DbArgs, RewriteArgs, RunArgs, SnapshotArgs, SyncImagesArgs, VerifyArgs};
use crate::db::Target;
use crate::error::{Error, Result, exit};
use crate::output::Output;
use crate::plan::{Plan, RewritePass};
use crate::runbook::{self, RunbookReport, RunbookState, STEPS, Step, StepSummary};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Request {
    pub plan_path: PathBuf,
    pub aws: AwsArgs,
    pub yes: bool,
    pub dry_run: bool,
    pub from_step: Option<Step>,
    pub restart: bool,
    pub connect_timeout: u64,
}

impl Request {
    pub fn from_args(a: RunArgs) -> Result<Self> {
        Ok(Request {
            from_step: a.from_step.as_deref().map(Step::parse).transpose()?,
            plan_path: a.plan,
            aws: a.aws,
            yes: a.yes,
            dry_run: a.dry_run,
            restart: a.restart,
            connect_timeout: a.connect_timeout,
        })
    }
}

/// Everything a step needs: the plan, its resolved paths, the database and AWS settings.
struct Ctx<'a> {
    plan: Plan,
    plan_path: PathBuf,
    db: DbArgs,
    aws: AwsArgs,
    target: Target,
    timeout: Duration,
    out: &'a Output,
    yes: bool,
}

fn event(out: &Output, v: Value) {
    if out.json {
        out.println(&v.to_string());
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let text = std::fs::read_to_string(&req.plan_path).map_err(|e| {
        Error::usage(
            format!("cannot read plan {}: {e}", req.plan_path.display()),
            "write one with `ghost-migrate plan --out migration.toml`",
        )
    })?;
    let plan = Plan::parse(&text, &req.plan_path)?;
    let sha = crate::plan::digest(&text);
    let plan_path = std::path::absolute(&req.plan_path).unwrap_or(req.plan_path.clone());

    // The plan's AWS settings, each overridden by the same flag given to `run`.
    let aws = AwsArgs {
        profile: req.aws.profile.clone().or(plan.aws.profile.clone()),
        region: req.aws.region.clone().or(plan.aws.region.clone()),
        endpoint_url: req
            .aws
            .endpoint_url
            .clone()
            .or(plan.aws.endpoint_url.clone()),
        force_path_style: req.aws.force_path_style || plan.aws.force_path_style,
    };
    let db_value = plan.ghost.db.clone().or_else(|| {
        std::env::var("GHOST_MIGRATE_DB")
            .ok()
            .filter(|s| !s.is_empty())
    });
    let config = plan
        .ghost
        .config
        .as_ref()
        .map(|c| plan.resolve(&plan_path, c));
    if db_value.is_none() && config.is_none() {
        return Err(Error::usage(
            format!(
                "{}: the plan names no database ([ghost] db or config)",
                req.plan_path.display()
            ),
            "set GHOST_MIGRATE_DB (it may hold the password), or add db = \"...\" under [ghost]",
        ));
    }
    let db = DbArgs {
        db: db_value.map(|d| resolve_db(&plan, &plan_path, &d)),
        ghost_config: config,
        site_url: plan.ghost.site_url.clone(),
        connect_timeout: req.connect_timeout,
        iam_auth: false,
    };
    let dbreq = DbRequest::from_args(&db)?;
    let (target, _site) = dbreq.resolve(Some(&aws.settings()), out).await?;
    let timeout = Duration::from_secs(req.connect_timeout);
    {
        let (mut conn, _) = crate::ghost::open(&target, timeout).await?;
        if !req.dry_run {
            crate::journal::ensure(&mut conn).await?;
        }
    }
    let ctx = Ctx {
        plan,
        plan_path: plan_path.clone(),
        db,
        aws,
        target: target.clone(),
        timeout,
        out,
        yes: req.yes,
    };

    // Which run of the plan: resume the latest if it is this plan's and unfinished.
    let mut conn = target.connect(timeout).await?;
    let latest = runbook::latest(&mut conn).await?;
    let mut resumed = false;
    let existing = match latest {
        Some(st) if !st.done && !req.restart => {
            if st.plan_sha256 != sha {
                return Err(Error::usage(
                    format!(
                        "the plan file changed since run {} of {} started ({}): its SHA-256 was {}, it is now {}",
                        st.id,
                        st.plan_path,
                        st.started_at,
                        &st.plan_sha256[..12.min(st.plan_sha256.len())],
                        &sha[..12]
                    ),
                    "put the plan back as it was to resume, or pass --restart to start a new run of the changed plan",
                ));
            }
            resumed = true;
            Some(st)
        }
        Some(st) if st.done && st.plan_sha256 == sha && !req.restart && req.from_step.is_none() => {
            let steps = STEPS
                .iter()
                .map(|s| StepSummary {
                    step: *s,
                    status: "done before".into(),
                    detail: st
                        .row(*s)
                        .and_then(|r| r.detail.clone())
                        .unwrap_or(Value::Null),
                })
                .collect();
            out.notice(&format!(
                "run {} of this plan finished at {}; nothing to do (--restart runs it again)",
                st.id,
                st.steps
                    .last()
                    .and_then(|r| r.finished_at.clone())
                    .unwrap_or_default()
            ));
            return Ok(Outcome::Runbook(Box::new(
                summary(&ctx, &mut conn, &st, &sha, steps, true, false).await?,
            )));
        }
        Some(st) if req.from_step.is_some() && !req.restart && st.plan_sha256 == sha => {
            resumed = true;
            Some(st)
        }
        _ => None,
    };
    drop(conn);

    if req.dry_run {
        return dry_run(&ctx, existing, &sha, req.from_step).await;
    }

    let mut conn = target.connect(timeout).await?;
    let mut st = match existing {
        Some(st) => st,
        None => runbook::begin(&mut conn, &sha, &plan_path.display().to_string()).await?,
    };
    drop(conn);
    let start = req.from_step.or(st.next());
    event(
        out,
        json!({"event": "run_started", "runbook_id": st.id, "plan": plan_path, "plan_sha256": sha, "resumed": resumed, "from_step": start}),
    );
    if resumed && !out.json {
        out.notice(&format!(
            "resuming run {} of {} at step {}",
            st.id,
            plan_path.display(),
            start.map(Step::name).unwrap_or("(none left)")
        ));
    }
    let mut steps: Vec<StepSummary> = Vec::new();
    for step in STEPS {
        if start.is_none_or(|s| step < s) {
            steps.push(StepSummary {
                step,
                status: "done before".into(),
                detail: st
                    .row(step)
                    .and_then(|r| r.detail.clone())
                    .unwrap_or(Value::Null),
            });
            continue;
        }
        let params = ctx.params(step, &st);
        let mut conn = target.connect(timeout).await?;
        runbook::step_started(&mut conn, &st, step, &params).await?;
        drop(conn);
        let n = step.index() + 1;
        event(
            out,
            json!({"event": "step_started", "step": step, "index": n, "of": STEPS.len(), "params": params}),
        );
        if !out.json {
            out.println(&format!(
                "\n== step {n}/{}: {} ==",
                STEPS.len(),
                step.name()
            ));
        }
        crash_point(step, "before");
        let result = ctx.run_step(step, &st).await;
        crash_point(step, "after");
        let mut conn = target.connect(timeout).await?;
        match result {
            Ok((status, detail)) => {
                runbook::step_ended(&mut conn, &st, step, &status, &detail).await?;
                event(
                    out,
                    json!({"event": "step_finished", "step": step, "status": status, "result": detail}),
                );
                steps.push(StepSummary {
                    step,
                    status,
                    detail,
                });
            }
            Err(e) => {
                let detail =
                    json!({"error": e.to_string(), "hint": e.hint(), "exit_code": e.exit_code()});
                runbook::step_ended(&mut conn, &st, step, "failed", &detail).await?;
                event(
                    out,
                    json!({"event": "step_failed", "step": step, "error": e.to_string(), "exit_code": e.exit_code()}),
                );
                return Err(Error::Step {
                    step: step.name().to_string(),
                    source: Box::new(e),
                });
            }
        }
        st = runbook::load(&mut conn, &st.id).await?;
    }
    let mut conn = target.connect(timeout).await?;
    runbook::mark_done(&mut conn, &st).await?;
    let report = summary(&ctx, &mut conn, &st, &sha, steps, resumed, false).await?;
    Ok(Outcome::Runbook(Box::new(report)))
}

/// The tests' kill -9: `GHOST_MIGRATE_TEST_CRASH_AT=<step>:before|after` sends SIGKILL to this
/// process right after the step was recorded as started (before it does anything), or right
/// after it did its work and before it is recorded as finished: the two moments a resume must
/// handle. Debug builds (tests) only, like the README's other test-only hooks.
fn crash_point(step: Step, when: &str) {
    if cfg!(debug_assertions)
        && std::env::var("GHOST_MIGRATE_TEST_CRASH_AT")
            .is_ok_and(|v| v == format!("{}:{when}", step.name()))
    {
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// A relative SQLite path in the plan is relative to the plan file's folder.
fn resolve_db(plan: &Plan, plan_path: &Path, db: &str) -> String {
    if db.contains("://") || Path::new(db).is_absolute() {
        db.to_string()
    } else {
        plan.resolve(plan_path, Path::new(db)).display().to_string()
    }
}

/// `run --dry-run`: every step with its recorded state and what it would run.
async fn dry_run(
    ctx: &Ctx<'_>,
    existing: Option<RunbookState>,
    sha: &str,
    from: Option<Step>,
) -> Result<Outcome> {
    let start = from
        .or(existing.as_ref().and_then(RunbookState::next))
        .or(if existing.is_none() {
            Some(Step::Snapshot)
        } else {
            None
        });
    let empty = RunbookState {
        id: String::new(),
        plan_sha256: sha.to_string(),
        plan_path: String::new(),
        started_at: String::new(),
        done: false,
        steps: vec![],
    };
    let st = existing.clone().unwrap_or(empty);
    let steps = STEPS
        .iter()
        .map(|s| StepSummary {
            step: *s,
            status: if start.is_none_or(|x| *s < x) {
                "done before".into()
            } else {
                "pending".into()
            },
            detail: ctx.params(*s, &st),
        })
        .collect();
    let mut conn = ctx.target.connect(ctx.timeout).await?;
    Ok(Outcome::Runbook(Box::new(
        summary(ctx, &mut conn, &st, sha, steps, existing.is_some(), true).await?,
    )))
}

async fn summary(
    ctx: &Ctx<'_>,
    conn: &mut crate::db::Conn,
    st: &RunbookState,
    sha: &str,
    steps: Vec<StepSummary>,
    resumed: bool,
    dry_run: bool,
) -> Result<RunbookReport> {
    let runs = applied_runs(conn, st, &ctx.plan.rewrite.pass).await?;
    let db_flag = match (&ctx.db.db, &ctx.db.ghost_config) {
        (_, Some(c)) => format!("--ghost-config {}", c.display()),
        (Some(d), None) => format!("--db {}", crate::db::mask_url(d)),
        (None, None) => String::new(),
    };
    let snapshot = st
        .row(Step::Snapshot)
        .and_then(|r| r.detail.as_ref())
        .and_then(|d| {
            d.get("snapshot_id")
                .or_else(|| d.get("backup"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
    let changed = st
        .row(Step::Apply)
        .and_then(|r| r.detail.clone())
        .unwrap_or(Value::Null);
    Ok(RunbookReport {
        schema: crate::REPORT_SCHEMA,
        event: "summary",
        command: "run",
        plan: ctx.plan_path.display().to_string(),
        plan_sha256: sha.to_string(),
        runbook_id: (!st.id.is_empty()).then(|| st.id.clone()),
        resumed,
        dry_run,
        steps,
        rollback: runs
            .iter()
            .rev()
            .map(|r| format!("ghost-migrate rollback {r} {db_flag}"))
            .collect(),
        rewrite_runs: runs,
        snapshot,
        changed,
    })
}

/// The rewrite runs this run of the plan applied: journal runs of kind `rewrite` with a pass's
/// prefixes, started after the run began, still standing.
async fn applied_runs(
    conn: &mut crate::db::Conn,
    st: &RunbookState,
    passes: &[RewritePass],
) -> Result<Vec<String>> {
    if st.started_at.is_empty() || !crate::journal::check(conn).await? {
        return Ok(vec![]);
    }
    let mut ids = Vec::new();
    for p in passes {
        let rows = conn
            .rows(
                &format!(
                    "SELECT id FROM {} WHERE kind = 'rewrite' AND status = 'applied' AND rolled_back_by IS NULL AND started_at >= ? AND from_prefix = ? AND to_prefix = ? ORDER BY started_at",
                    crate::journal::RUNS
                ),
                &[
                    crate::db::P::S(&st.started_at),
                    crate::db::P::S(&p.from),
                    crate::db::P::S(&p.to),
                ],
            )
            .await?;
        ids.extend(rows.into_iter().filter_map(|r| r[0].clone()));
    }
    Ok(ids)
}

impl Ctx<'_> {
    fn content_dir(&self) -> Option<PathBuf> {
        self.plan
            .ghost
            .content_dir
            .as_ref()
            .map(|d| self.plan.resolve(&self.plan_path, d))
    }

    fn report_path(&self, n: usize) -> PathBuf {
        let p = self
            .plan
            .resolve(&self.plan_path, &self.plan.rewrite.report);
        if n == 0 {
            return p;
        }
        let stem = p.file_stem().unwrap_or_default().to_string_lossy();
        let name = match p.extension() {
            Some(e) => format!("{stem}-{}.{}", n + 1, e.to_string_lossy()),
            None => format!("{stem}-{}", n + 1),
        };
        p.with_file_name(name)
    }

    /// The SQLite backup's path for this run of the plan (fixed, so a resumed step finds it).
    fn backup_path(&self, st: &RunbookState) -> Option<PathBuf> {
        let Target::Sqlite { path } = &self.target else {
            return None;
        };
        Some(match &self.plan.snapshot.out {
            Some(o) => self.plan.resolve(&self.plan_path, o),
            None => {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                path.with_file_name(format!("{name}.{}.bak", st.id))
            }
        })
    }

    /// The RDS snapshot id for this run of the plan.
    fn snapshot_id(&self, st: &RunbookState) -> Option<String> {
        let src = self.plan.snapshot.id.as_deref()?;
        let suffix = st.id.trim_start_matches("rb-");
        let mut id = format!("ghost-migrate-{src}-{suffix}");
        id.truncate(63);
        Some(id.trim_end_matches('-').to_string())
    }

    /// What a step runs with, as recorded before it starts.
    fn params(&self, step: Step, st: &RunbookState) -> Value {
        let p = &self.plan;
        match step {
            Step::Snapshot => match p.snapshot.mode.as_str() {
                "skip" => json!({"mode": "skip"}),
                "sqlite" => json!({"mode": "sqlite", "backup": self.backup_path(st)}),
                m => {
                    json!({"mode": m, "source": p.snapshot.id, "snapshot_id": self.snapshot_id(st)})
                }
            },
            Step::SyncImages => json!({
                "bucket": p.sync.bucket, "prefix": p.sync.prefix, "content_dir": self.content_dir(),
                "dirs": p.sync.dirs, "variants": p.sync.variants, "variants_from": p.sync.variants_from,
                "concurrency": p.sync.concurrency,
            }),
            Step::DryRun => json!({
                "passes": p.rewrite.pass.iter().enumerate().map(|(i, x)| json!({"from": x.from, "to": x.to, "report": self.report_path(i)})).collect::<Vec<_>>(),
            }),
            Step::Confirm => json!({"yes": self.yes}),
            Step::Apply => json!({
                "passes": p.rewrite.pass.iter().map(|x| json!({"from": x.from, "to": x.to, "ghost_url_base": x.ghost_url_base})).collect::<Vec<_>>(),
                "skip_unsafe": p.rewrite.skip_unsafe,
            }),
            Step::Restart => json!({
                "ecs_cluster": p.restart.ecs_cluster, "ecs_service": p.restart.ecs_service, "command": p.restart.command,
            }),
            Step::Invalidate => {
                json!({"cloudfront_distribution_id": p.cdn.cloudfront_distribution_id})
            }
            Step::Verify => {
                json!({"bucket": p.sync.bucket, "prefix": p.sync.prefix, "cdn_url": p.cdn.url, "http": p.verify.http})
            }
        }
    }

    /// Draws a step's outcome (tables; nothing under --json, where the event carries it).
    fn show(&self, o: &Outcome) {
        if !self.out.json {
            crate::output::render::render(self.out, o);
        }
    }

    /// Runs one step; Ok((status, detail)) when it finished, an error when it did not.
    async fn run_step(&self, step: Step, st: &RunbookState) -> Result<(String, Value)> {
        let p = &self.plan;
        match step {
            Step::Snapshot => self.snapshot(st).await,
            Step::SyncImages => {
                let args = SyncImagesArgs {
                    aws: self.aws.clone(),
                    bucket: p.sync.bucket.clone(),
                    prefix: p.sync.prefix.clone(),
                    content_dir: self.content_dir(),
                    db: self.db.clone(),
                    variants: p.sync.variants,
                    variants_from: p.sync.variants_from.clone(),
                    cdn_url: p.sync.variants.then(|| p.cdn.url.clone()),
                    dirs: p.sync.dirs.clone(),
                    dry_run: false,
                    delete: false,
                    max_delete: 0,
                    concurrency: p.sync.concurrency,
                    cache_control: p
                        .sync
                        .cache_control
                        .clone()
                        .unwrap_or_else(|| "public, max-age=31536000, immutable".into()),
                    acl: None,
                    storage_class: None,
                    sse: None,
                    sse_kms_key_id: None,
                    rehash: false,
                };
                let o = super::sync_images::execute(
                    super::sync_images::Request::from_args(args)?,
                    self.out,
                )
                .await?;
                self.show(&o);
                finished(&o, "sync-images")
            }
            Step::DryRun => {
                // What the bucket holds now, for the report's reviewer: every object the
                // content references in the site's own forms (the sync step just ran).
                let pre = self.verify(None, false).await?;
                let Outcome::Verify(pre) = pre else {
                    unreachable!("verify returns a verify outcome")
                };
                let mut reports = Vec::new();
                for (i, pass) in p.rewrite.pass.iter().enumerate() {
                    let path = self.report_path(i);
                    let mut req = super::rewrite::Request::from_args(self.rewrite_args(
                        pass,
                        true,
                        Some(path.clone()),
                    ))?;
                    req.html_plan = Some(self.plan_lines(st));
                    req.html_verify = Some(pre.clone());
                    let o = super::rewrite::execute(req, self.out).await?;
                    self.show(&o);
                    let Outcome::Rewrite { report, .. } = &o else {
                        unreachable!("rewrite returns a rewrite outcome")
                    };
                    if !report.problems.is_empty() && !p.rewrite.skip_unsafe {
                        return Err(crate::rewrite::problems_error(report));
                    }
                    reports.push(json!({
                        "from": pass.from, "to": pass.to, "report": path,
                        "rows_changed": report.totals.rows_changed,
                        "cells_changed": report.totals.cells_changed,
                        "occurrences": report.totals.occurrences,
                        "problems": report.problems.len(),
                    }));
                }
                Ok((
                    "finished".into(),
                    json!({"passes": reports, "in_bucket_before": {"present": pre.present, "missing": pre.missing.len()}}),
                ))
            }
            Step::Confirm => self.confirm(st),
            Step::Apply => {
                if p.snapshot.mode != "skip" && !st.finished(Step::Snapshot) {
                    return Err(Error::usage(
                        "refusing to apply: the snapshot step of this run has not finished",
                        "run the plan from the snapshot step (ghost-migrate run PLAN --from-step snapshot), or set [snapshot] mode = \"skip\" if you have a backup of your own",
                    ));
                }
                if !st.finished(Step::Confirm) {
                    return Err(Error::usage(
                        "refusing to apply: the dry run was not confirmed in this run",
                        "run the plan from the dry-run step (--from-step dry-run)",
                    ));
                }
                let mut passes = Vec::new();
                for pass in &p.rewrite.pass {
                    let o = self.rewrite(pass, false, None).await?;
                    self.show(&o);
                    let Outcome::Rewrite { report, .. } = &o else {
                        unreachable!("rewrite returns a rewrite outcome")
                    };
                    let code = o.exit_code();
                    if code != exit::OK && code != exit::WARNINGS {
                        return Err(crate::rewrite::problems_error(report));
                    }
                    passes.push(json!({
                        "from": pass.from, "to": pass.to, "run_id": report.run_id,
                        "rows_changed": report.totals.rows_changed,
                        "cells_changed": report.totals.cells_changed,
                        "occurrences": report.totals.occurrences,
                        "settings_changed": report.settings_changed,
                        "skipped_unsafe": report.skipped_unsafe,
                    }));
                }
                Ok(("finished".into(), json!({"passes": passes})))
            }
            Step::Restart => self.restart().await,
            Step::Invalidate => self.invalidate(st).await,
            Step::Verify => {
                let o = self.verify(Some(p.cdn.url.clone()), p.verify.http).await?;
                self.show(&o);
                finished(&o, "verify")
            }
        }
    }

    async fn verify(&self, cdn_url: Option<String>, http: bool) -> Result<Outcome> {
        let p = &self.plan;
        let args = VerifyArgs {
            aws: self.aws.clone(),
            db: self.db.clone(),
            bucket: p.sync.bucket.clone(),
            prefix: p.sync.prefix.clone(),
            cdn_url,
            content_dir: self.content_dir(),
            http,
            concurrency: 16,
            orphans: false,
        };
        super::verify::execute(super::verify::Request::from_args(args)?, self.out).await
    }

    /// The plan as the HTML report's reviewer reads it.
    fn plan_lines(&self, st: &RunbookState) -> Vec<(String, String)> {
        let p = &self.plan;
        let mut v = vec![
            (
                "plan file".to_string(),
                self.plan_path.display().to_string(),
            ),
            ("plan SHA-256".into(), st.plan_sha256.clone()),
            ("run".into(), st.id.clone()),
            (
                "Ghost".into(),
                p.ghost.version.clone().unwrap_or_else(|| "unknown".into()),
            ),
            ("strategy".into(), p.ghost.strategy.clone()),
            (
                "snapshot".into(),
                match (&p.snapshot.mode[..], &p.snapshot.id) {
                    (m, Some(id)) => format!("{m} {id}"),
                    (m, None) => m.to_string(),
                },
            ),
            (
                "bucket".into(),
                format!("s3://{}/{}", p.sync.bucket, p.sync.prefix),
            ),
            ("CDN".into(), p.cdn.url.clone()),
        ];
        for (i, x) in p.rewrite.pass.iter().enumerate() {
            v.push((format!("pass {}", i + 1), format!("{} -> {}", x.from, x.to)));
        }
        v.push((
            "restart".into(),
            match (&p.restart.ecs_cluster, &p.restart.ecs_service) {
                (Some(c), Some(s)) => format!("ECS {c}/{s}: new deployment"),
                _ => p
                    .restart
                    .command
                    .clone()
                    .unwrap_or_else(|| "by hand".into()),
            },
        ));
        v.push((
            "CDN invalidation".into(),
            p.cdn
                .cloudfront_distribution_id
                .clone()
                .map(|d| format!("CloudFront {d}"))
                .unwrap_or_else(|| "none (by hand)".into()),
        ));
        if let Some(sn) = &p.ghost.config_snippet {
            v.push(("Ghost config".into(), sn.clone()));
        }
        v
    }

    fn rewrite_args(&self, pass: &RewritePass, dry: bool, report: Option<PathBuf>) -> RewriteArgs {
        RewriteArgs {
            db: self.db.clone(),
            from: pass.from.clone(),
            to: pass.to.clone(),
            dry_run: dry,
            yes: !dry,
            exact_scheme: false,
            all_text_columns: false,
            report,
            skip_unsafe: self.plan.rewrite.skip_unsafe,
            ghost_url_base: pass.ghost_url_base.clone(),
            samples: 3,
            batch_size: 200,
        }
    }

    async fn rewrite(
        &self,
        pass: &RewritePass,
        dry: bool,
        report: Option<PathBuf>,
    ) -> Result<Outcome> {
        let args = self.rewrite_args(pass, dry, report);
        super::rewrite::execute(super::rewrite::Request::from_args(args)?, self.out).await
    }

    async fn snapshot(&self, st: &RunbookState) -> Result<(String, Value)> {
        let p = &self.plan;
        let mode = p.snapshot.mode.as_str();
        if mode == "skip" {
            return Ok((
                "skipped".into(),
                json!({"mode": "skip", "note": "the plan says snapshot = skip: no snapshot taken by ghost-migrate"}),
            ));
        }
        let mut args = SnapshotArgs {
            aws: self.aws.clone(),
            db: self.db.clone(),
            cluster: None,
            instance: None,
            id: None,
            tags: vec![format!("ghost-migrate-runbook={}", st.id)],
            no_wait: false,
            poll_interval: 5.0,
            timeout: 3600,
            list: false,
            resume: false,
            out: None,
        };
        match mode {
            "sqlite" => {
                let path = self.backup_path(st).ok_or_else(|| {
                    Error::usage(
                        "[snapshot] mode = \"sqlite\" but the database is not SQLite",
                        "use mode = \"rds-cluster\" or \"rds-instance\" with id",
                    )
                })?;
                if path.is_file() {
                    // A backup is renamed into place only after its integrity check, so a
                    // file here is a complete one from this run, killed before it was recorded.
                    return Ok((
                        "finished".into(),
                        json!({"mode": "sqlite", "backup": path, "note": "made before the interruption, checked then"}),
                    ));
                }
                args.out = Some(path);
            }
            "rds-cluster" => args.cluster = p.snapshot.id.clone(),
            _ => args.instance = p.snapshot.id.clone(),
        }
        let rds = mode != "sqlite";
        if rds {
            args.id = self.snapshot_id(st);
            // Started before (killed while AWS made it): wait for that one.
            args.resume = st.row(Step::Snapshot).is_some();
        }
        let first =
            super::snapshot::execute(super::snapshot::Request::from_args(args)?, self.out).await;
        let o = match first {
            Err(e) if rds && st.row(Step::Snapshot).is_some() => {
                // `--resume` of a snapshot that was never created: create it now.
                let _ = e;
                let mut again = SnapshotArgs {
                    aws: self.aws.clone(),
                    db: self.db.clone(),
                    cluster: None,
                    instance: None,
                    id: self.snapshot_id(st),
                    tags: vec![format!("ghost-migrate-runbook={}", st.id)],
                    no_wait: false,
                    poll_interval: 5.0,
                    timeout: 3600,
                    list: false,
                    resume: false,
                    out: None,
                };
                if mode == "rds-cluster" {
                    again.cluster = p.snapshot.id.clone();
                } else {
                    again.instance = p.snapshot.id.clone();
                }
                super::snapshot::execute(super::snapshot::Request::from_args(again)?, self.out)
                    .await?
            }
            r => r?,
        };
        self.show(&o);
        match &o {
            Outcome::SqliteBackup(b) => Ok((
                "finished".into(),
                json!({"mode": "sqlite", "backup": b.backup, "bytes": b.bytes, "integrity": b.integrity}),
            )),
            Outcome::Snapshot(r) => Ok((
                "finished".into(),
                json!({"mode": mode, "snapshot_id": r.snapshot_id, "status": r.status}),
            )),
            other => Err(Error::StepOutcome {
                what: "the snapshot".into(),
                code: other.exit_code(),
            }),
        }
    }

    fn confirm(&self, st: &RunbookState) -> Result<(String, Value)> {
        let dry = st
            .row(Step::DryRun)
            .and_then(|r| r.detail.clone())
            .unwrap_or(Value::Null);
        let (mut occ, mut rows) = (0u64, 0u64);
        let mut reports = Vec::new();
        for x in dry["passes"].as_array().into_iter().flatten() {
            occ += x["occurrences"].as_u64().unwrap_or(0);
            rows += x["rows_changed"].as_u64().unwrap_or(0);
            if let Some(r) = x["report"].as_str() {
                reports.push(r.to_string());
            }
        }
        if self.yes {
            return Ok((
                "finished".into(),
                json!({"by": "--yes", "occurrences": occ, "rows": rows, "reports": reports}),
            ));
        }
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Error::usage(
                format!(
                    "refusing to apply without confirmation: stdin is not a terminal (review {})",
                    reports.join(", ")
                ),
                "run the same command with --yes once the report is approved; the run resumes here",
            ));
        }
        let q = format!(
            "Apply the rewrite: {occ} occurrence(s) in {rows} row(s) (report: {})?",
            reports.join(", ")
        );
        if self.out.confirm(&q) != Some(true) {
            return Err(Error::usage(
                "not confirmed; nothing was written",
                "run the plan again and answer y, or pass --yes",
            ));
        }
        Ok((
            "finished".into(),
            json!({"by": "interactive", "occurrences": occ, "rows": rows, "reports": reports}),
        ))
    }

    async fn restart(&self) -> Result<(String, Value)> {
        let r = &self.plan.restart;
        if let (Some(cluster), Some(service)) = (&r.ecs_cluster, &r.ecs_service) {
            return self.restart_ecs(cluster, service).await;
        }
        let cmd = r
            .command
            .clone()
            .unwrap_or_else(|| "restart Ghost (ghost restart, docker restart ghost, ...)".into());
        if self.yes {
            self.out.warn(&format!(
                "restart Ghost yourself now (it caches settings): {cmd}"
            ));
            return Ok((
                "manual".into(),
                json!({"command": cmd, "done_by": "operator (--yes: not waited for)"}),
            ));
        }
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Error::usage(
                format!(
                    "restart Ghost now ({cmd}); this step waits for a confirmation and stdin is not a terminal"
                ),
                "restart Ghost, then run the same command with --yes (the run resumes at this step)",
            ));
        }
        self.out.println(&format!("Restart Ghost now: {cmd}"));
        if self.out.confirm("Has Ghost been restarted?") != Some(true) {
            return Err(Error::usage(
                "Ghost's restart was not confirmed",
                "restart Ghost, then run the plan again: it resumes at the restart step",
            ));
        }
        Ok((
            "finished".into(),
            json!({"command": cmd, "done_by": "operator"}),
        ))
    }

    async fn restart_ecs(&self, cluster: &str, service: &str) -> Result<(String, Value)> {
        let a = crate::aws::Aws::load(&self.aws.settings()).await?;
        let cancel =
            super::cancel_on_ctrl_c(self.out, "stopping the wait; the ECS deployment goes on");
        let progress = crate::output::progress::Terminal::new(self.out);
        let r = crate::deploy::ecs::redeploy(
            &a.ecs(),
            cluster,
            service,
            &self.wait_options(),
            &progress,
            &cancel,
        )
        .await?;
        if r.state != "stable" {
            return Err(Error::Interrupted);
        }
        Ok((
            "finished".into(),
            serde_json::to_value(&r).expect("serializes"),
        ))
    }

    /// Poll interval and timeout of the ECS and CloudFront waits (debug builds only: tests
    /// shorten the poll with `GHOST_MIGRATE_POLL_MS`).
    fn wait_options(&self) -> crate::deploy::WaitOptions {
        let mut w = crate::deploy::WaitOptions::default();
        if let Some(ms) = cfg!(debug_assertions)
            .then(|| std::env::var("GHOST_MIGRATE_POLL_MS").ok())
            .flatten()
            .and_then(|v| v.parse().ok())
        {
            w.poll = Duration::from_millis(ms);
        }
        w
    }

    async fn invalidate(&self, st: &RunbookState) -> Result<(String, Value)> {
        let Some(dist) = &self.plan.cdn.cloudfront_distribution_id else {
            return Ok((
                "skipped".into(),
                json!({"note": "no cloudfront_distribution_id in the plan: purge the site's cached pages in your CDN yourself (direct database edits purge nothing)"}),
            ));
        };
        let mut conn = self.target.connect(self.timeout).await?;
        let runs = applied_runs(&mut conn, st, &self.plan.rewrite.pass).await?;
        let (pages, settings) = changed_pages(&mut conn, &runs).await?;
        drop(conn);
        let base = self
            .plan
            .ghost
            .site_url
            .as_deref()
            .and_then(|u| crate::url::Site::parse(u).ok())
            .map(|s| s.subdir.clone())
            .unwrap_or_default();
        let paths = crate::deploy::cloudfront::choose_paths(&base, &pages, settings);
        if paths.is_empty() {
            return Ok((
                "skipped".into(),
                json!({"note": "no post, page or setting changed: nothing to invalidate"}),
            ));
        }
        let a = crate::aws::Aws::load(&self.aws.settings()).await?;
        let cancel =
            super::cancel_on_ctrl_c(self.out, "stopping the wait; the invalidation goes on");
        let progress = crate::output::progress::Terminal::new(self.out);
        let r = crate::deploy::cloudfront::invalidate(
            &a.cloudfront(),
            dist,
            &paths,
            &format!("ghost-migrate-{}", st.id),
            &self.wait_options(),
            &progress,
            &cancel,
        )
        .await?;
        if r.status != "Completed" {
            return Err(Error::Interrupted);
        }
        Ok((
            "finished".into(),
            json!({"distribution_id": r.distribution_id, "invalidation_id": r.invalidation_id, "paths": r.paths, "status": r.status, "changed_pages": pages.len(), "settings_changed": settings}),
        ))
    }
}

/// The posts and pages whose cells the runs changed (slug, page or post), and whether a
/// setting (or another table shown on every page) did.
async fn changed_pages(
    conn: &mut crate::db::Conn,
    runs: &[String],
) -> Result<(Vec<crate::deploy::cloudfront::ChangedPage>, bool)> {
    use crate::db::P;
    let mut pages = Vec::new();
    let mut settings = false;
    for id in runs {
        let rows = conn
            .rows(
                &format!(
                    "SELECT DISTINCT table_name, row_id FROM {} WHERE run_id = ?",
                    crate::journal::CHANGES
                ),
                &[P::S(id)],
            )
            .await?;
        for r in rows {
            let table = r[0].clone().unwrap_or_default();
            let row = r[1].clone().unwrap_or_default();
            let sql = match table.as_str() {
                "posts" => "SELECT slug, type FROM posts WHERE id = ?",
                "posts_meta" => {
                    "SELECT p.slug, p.type FROM posts p JOIN posts_meta m ON m.post_id = p.id WHERE m.id = ?"
                }
                // Revisions and sent emails are not served as pages.
                "mobiledoc_revisions" | "post_revisions" | "emails" => continue,
                // Settings, tags, users, snippets, newsletters...: shown on many pages.
                _ => {
                    settings = true;
                    continue;
                }
            };
            if let Some(p) = conn.rows(sql, &[P::S(&row)]).await?.into_iter().next() {
                pages.push(crate::deploy::cloudfront::ChangedPage {
                    slug: p[0].clone().unwrap_or_default(),
                    page: p[1].as_deref() == Some("page"),
                });
            }
        }
    }
    pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    pages.dedup_by(|a, b| a.slug == b.slug);
    Ok((pages, settings))
}

/// A step's outcome: finished (exit 0, or 3 = done with warnings), else the step failed with
/// the exit code the command would have had.
fn finished(o: &Outcome, what: &str) -> Result<(String, Value)> {
    let doc = compact(o.document().unwrap_or(Value::Null));
    match o.exit_code() {
        exit::OK => Ok(("finished".into(), doc)),
        exit::WARNINGS => Ok(("finished".into(), doc)),
        code => Err(Error::StepOutcome {
            what: what.to_string(),
            code,
        }),
    }
}

/// A step's report as the runbook journal keeps it: the totals and what went wrong, not every
/// uploaded file (a large site's list would be megabytes in Ghost's database).
fn compact(doc: Value) -> Value {
    const KEEP: usize = 50;
    let Value::Object(mut m) = doc else {
        return doc;
    };
    let cut = |m: &mut serde_json::Map<String, Value>, key: &str| {
        if let Some(Value::Array(a)) = m.get_mut(key)
            && a.len() > KEEP
        {
            let n = a.len();
            a.truncate(KEEP);
            m.insert(format!("{key}_count"), json!(n));
        }
    };
    m.remove("uploads");
    m.remove("deletes");
    for k in ["failures", "missing", "http_problems", "warnings"] {
        cut(&mut m, k);
    }
    if let Some(Value::Object(v)) = m.get_mut("variants") {
        if let Some(Value::Array(made)) = v.remove("made") {
            v.insert("made_count".into(), json!(made.len()));
        }
        cut(v, "failed");
    }
    Value::Object(m)
}
