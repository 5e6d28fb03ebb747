//! The runbook's steps and their state in the journal (`ghost_migrate_runbook`): which run of
//! which plan file (by SHA-256) is under way, which steps started, finished or failed. A step
//! row is written `started`, with the parameters it runs with, before the step does anything,
//! and `finished`/`failed` after, so a run killed at any moment resumes at the first step that
//! did not finish. No printing; `cmd::run` drives the steps.

use crate::db::{Conn, P};
use crate::error::{Error, Result};
use serde::Serialize;

pub const TABLE: &str = "ghost_migrate_runbook";

/// The steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Snapshot,
    SyncImages,
    DryRun,
    Confirm,
    Apply,
    Restart,
    Invalidate,
    Verify,
}

pub const STEPS: [Step; 8] = [
    Step::Snapshot,
    Step::SyncImages,
    Step::DryRun,
    Step::Confirm,
    Step::Apply,
    Step::Restart,
    Step::Invalidate,
    Step::Verify,
];

/// The row that marks a whole run of the plan finished.
pub const DONE: &str = "done";

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Snapshot => "snapshot",
            Step::SyncImages => "sync-images",
            Step::DryRun => "dry-run",
            Step::Confirm => "confirm",
            Step::Apply => "apply",
            Step::Restart => "restart",
            Step::Invalidate => "invalidate",
            Step::Verify => "verify",
        }
    }

    pub fn parse(s: &str) -> Result<Step> {
        STEPS.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            Error::usage(
                format!("--from-step {s:?} is not a step"),
                format!("use one of: {}", STEPS.map(Step::name).join(", ")),
            )
        })
    }

    pub fn index(self) -> usize {
        STEPS
            .iter()
            .position(|x| *x == self)
            .expect("every step is listed")
    }
}

/// A step's recorded state.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub step: String,
    /// `started`, `finished`, `failed` or `skipped`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// One run of a plan file as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookState {
    pub id: String,
    pub plan_sha256: String,
    pub plan_path: String,
    pub started_at: String,
    pub done: bool,
    pub steps: Vec<StepRow>,
}

impl RunbookState {
    pub fn row(&self, step: Step) -> Option<&StepRow> {
        self.steps.iter().find(|r| r.step == step.name())
    }

    pub fn finished(&self, step: Step) -> bool {
        self.row(step)
            .is_some_and(|r| r.status == "finished" || r.status == "skipped")
    }

    /// The first step that has not finished (None: all have).
    pub fn next(&self) -> Option<Step> {
        STEPS.into_iter().find(|s| !self.finished(*s))
    }
}

/// The latest run of any plan recorded in this database (None without a journal or a run).
pub async fn latest(conn: &mut Conn) -> Result<Option<RunbookState>> {
    if !crate::journal::check(conn).await? {
        return Ok(None);
    }
    let Some(id) = conn
        .scalar(
            &format!(
                "SELECT runbook_id FROM {TABLE} WHERE seq = 0 ORDER BY started_at DESC, runbook_id DESC LIMIT 1"
            ),
            &[],
        )
        .await
        .map_err(damaged)?
    else {
        return Ok(None);
    };
    load(conn, &id).await.map(Some)
}

fn damaged(e: crate::db::DbError) -> Error {
    Error::Journal(format!("the runbook journal is damaged ({e})"))
}

pub async fn load(conn: &mut Conn, id: &str) -> Result<RunbookState> {
    let rows = conn
        .rows(
            &format!(
                "SELECT step, status, plan_sha256, plan_path, started_at, finished_at, detail FROM {TABLE} WHERE runbook_id = ? ORDER BY seq"
            ),
            &[P::S(id)],
        )
        .await
        .map_err(damaged)?;
    let mut st = RunbookState {
        id: id.to_string(),
        plan_sha256: String::new(),
        plan_path: String::new(),
        started_at: String::new(),
        done: false,
        steps: Vec::new(),
    };
    for r in rows {
        let s = |i: usize| r[i].clone().unwrap_or_default();
        if s(0) == "plan" {
            st.plan_sha256 = s(2);
            st.plan_path = s(3);
            st.started_at = s(4);
            continue;
        }
        if s(0) == DONE {
            st.done = true;
            continue;
        }
        st.steps.push(StepRow {
            step: s(0),
            status: s(1),
            started_at: s(4),
            finished_at: r[5].clone(),
            detail: r[6].as_deref().and_then(|d| serde_json::from_str(d).ok()),
        });
    }
    Ok(st)
}

/// Writes (replaces) one row of a run; `seq` orders them (0 = the plan row).
#[allow(clippy::too_many_arguments)]
async fn put(
    conn: &mut Conn,
    id: &str,
    seq: i64,
    step: &str,
    status: &str,
    sha: &str,
    path: &str,
    started_at: &str,
    finished_at: Option<&str>,
    detail: Option<&serde_json::Value>,
) -> Result<()> {
    let detail = detail.map(|d| d.to_string());
    conn.exec(
        &format!("DELETE FROM {TABLE} WHERE runbook_id = ? AND step = ?"),
        &[P::S(id), P::S(step)],
    )
    .await?;
    conn.exec(
        &format!(
            "INSERT INTO {TABLE} (runbook_id, seq, step, status, plan_sha256, plan_path, started_at, finished_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        &[
            P::S(id),
            P::I(seq),
            P::S(step),
            P::S(status),
            P::S(sha),
            P::S(path),
            P::S(started_at),
            P::OptS(finished_at),
            P::OptS(detail.as_deref()),
        ],
    )
    .await?;
    Ok(())
}

/// Records a new run of the plan (`sha`, `path`) and returns its state.
pub async fn begin(conn: &mut Conn, sha: &str, path: &str) -> Result<RunbookState> {
    let id = crate::journal::new_run_id().replacen("gm-", "rb-", 1);
    let now = crate::journal::now();
    put(conn, &id, 0, "plan", "started", sha, path, &now, None, None).await?;
    load(conn, &id).await
}

pub async fn step_started(
    conn: &mut Conn,
    st: &RunbookState,
    step: Step,
    detail: &serde_json::Value,
) -> Result<()> {
    put(
        conn,
        &st.id,
        step.index() as i64 + 1,
        step.name(),
        "started",
        &st.plan_sha256,
        &st.plan_path,
        &crate::journal::now(),
        None,
        Some(detail),
    )
    .await
}

/// `status`: `finished`, `failed` or `skipped`.
pub async fn step_ended(
    conn: &mut Conn,
    st: &RunbookState,
    step: Step,
    status: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let started = st
        .row(step)
        .map(|r| r.started_at.clone())
        .unwrap_or_else(crate::journal::now);
    put(
        conn,
        &st.id,
        step.index() as i64 + 1,
        step.name(),
        status,
        &st.plan_sha256,
        &st.plan_path,
        &started,
        Some(&crate::journal::now()),
        Some(detail),
    )
    .await
}

pub async fn mark_done(conn: &mut Conn, st: &RunbookState) -> Result<()> {
    let now = crate::journal::now();
    put(
        conn,
        &st.id,
        100,
        DONE,
        "finished",
        &st.plan_sha256,
        &st.plan_path,
        &now,
        Some(&now),
        None,
    )
    .await
}

/// One step as the summary shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    pub step: Step,
    /// `finished`, `skipped`, `manual`, `failed`, `done before` (resumed past it), `pending`
    /// (dry run) or `not run` (a step before it failed).
    pub status: String,
    pub detail: serde_json::Value,
}

/// What `run` shows at the end.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookReport {
    pub schema: u32,
    pub event: &'static str,
    pub command: &'static str,
    pub plan: String,
    pub plan_sha256: String,
    pub runbook_id: Option<String>,
    pub resumed: bool,
    pub dry_run: bool,
    pub steps: Vec<StepSummary>,
    /// The rewrite runs applied (journal ids), to roll back with `ghost-migrate rollback`.
    pub rewrite_runs: Vec<String>,
    pub rollback: Vec<String>,
    pub snapshot: Option<String>,
    pub changed: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_order() {
        for s in STEPS {
            assert_eq!(Step::parse(s.name()).unwrap(), s);
        }
        let e = Step::parse("deploy").unwrap_err();
        assert!(e.to_string().contains("not a step"), "{e}");
        assert!(Step::Snapshot < Step::Apply && Step::Apply < Step::Verify);
    }

    #[test]
    fn next_is_the_first_unfinished_step() {
        let row = |s: Step, status: &str| StepRow {
            step: s.name().into(),
            status: status.into(),
            started_at: String::new(),
            finished_at: None,
            detail: None,
        };
        let mut st = RunbookState {
            id: "rb".into(),
            plan_sha256: String::new(),
            plan_path: String::new(),
            started_at: String::new(),
            done: false,
            steps: vec![],
        };
        assert_eq!(st.next(), Some(Step::Snapshot));
        st.steps = vec![
            row(Step::Snapshot, "finished"),
            row(Step::SyncImages, "started"),
        ];
        assert_eq!(st.next(), Some(Step::SyncImages));
        st.steps[1].status = "finished".into();
        st.steps.push(row(Step::DryRun, "failed"));
        assert_eq!(st.next(), Some(Step::DryRun));
    }
}
