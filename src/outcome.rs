//! What a finished command has to show, its JSON document, and the exit code that goes with
//! it: the one exit-code policy of the tool. Commands (`cmd/`) produce an Outcome and
//! `output::render` draws it; `output` never depends on `cmd`.

use crate::error::exit;
use crate::inventory::Inventory;
use crate::journal::Run;
use crate::journal::rollback::RollbackReport;
use crate::redirects::RedirectsReport;
use crate::rewrite::report::Report;
use crate::snapshot::sqlite::SqliteBackup;
use crate::snapshot::{SnapshotListItem, SnapshotReport, Source};
use crate::sync::report::SyncReport;
use crate::verify::VerifyReport;

/// What a finished command has to show. Every variant but `Raw`/`Paths` serialises as the
/// command's JSON document.
pub enum Outcome {
    /// Bytes for stdout as they are (a completion script, a man page).
    Raw(Vec<u8>),
    /// Files written (man pages), one path a line.
    Paths(Vec<String>),
    SqliteBackup(SqliteBackup),
    Snapshot(SnapshotReport),
    /// Ctrl-C ended the wait; AWS goes on making the snapshot.
    SnapshotWaitStopped {
        report: SnapshotReport,
        source: Source,
    },
    Snapshots {
        source: Source,
        items: Vec<SnapshotListItem>,
    },
    Sync(SyncReport),
    Scan(Inventory),
    Verify(VerifyReport),
    Rewrite {
        report: Report,
        /// The interactive preview was already drawn (and nothing was applied after it).
        shown: bool,
        /// `--skip-unsafe` was given on a real run: problems mean "done with warnings".
        skip_unsafe_applied: bool,
    },
    /// `redirects`: the generated rules (on stdout, or written to `--out`).
    Redirects(RedirectsReport),
    /// `runs` on a database without a journal.
    NoRuns,
    Runs(Vec<Run>),
    Run(Box<Run>),
    Rollback(RollbackReport),
    /// `plan`: the chosen runbook, why, and what needs a look.
    Plan(Box<crate::plan::PlanReport>),
    /// `run`: the steps and how each ended, the rollback commands, the snapshot.
    Runbook(Box<crate::runbook::RunbookReport>),
}

impl Outcome {
    /// The command's JSON document (`--json`); None for raw output.
    pub fn document(&self) -> Option<serde_json::Value> {
        use serde_json::{json, to_value};
        let schema = crate::REPORT_SCHEMA;
        let v = match self {
            Outcome::Raw(_) | Outcome::Paths(_) => return None,
            Outcome::SqliteBackup(b) => to_value(b),
            Outcome::Snapshot(r) | Outcome::SnapshotWaitStopped { report: r, .. } => to_value(r),
            Outcome::Snapshots { source, items } => {
                Ok(json!({"schema": schema, "source": source, "snapshots": items}))
            }
            Outcome::Sync(r) => to_value(r),
            Outcome::Scan(i) => to_value(i),
            Outcome::Verify(r) => to_value(r),
            Outcome::Rewrite { report, .. } => to_value(report),
            Outcome::Redirects(r) => to_value(r),
            Outcome::NoRuns => Ok(json!({"schema": schema, "runs": []})),
            Outcome::Runs(runs) => Ok(json!({"schema": schema, "runs": runs})),
            Outcome::Run(run) => Ok(json!({"schema": schema, "run": run})),
            Outcome::Rollback(r) => to_value(r),
            Outcome::Plan(r) => to_value(r),
            Outcome::Runbook(r) => to_value(r),
        };
        Some(v.expect("report types serialize"))
    }

    /// The tool's exit-code policy, in one place (README: "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::SnapshotWaitStopped { .. } => exit::INTERRUPTED,
            Outcome::Sync(r) if r.interrupted => exit::INTERRUPTED,
            Outcome::Sync(r) if !r.failures.is_empty() => exit::FAILED,
            Outcome::Sync(r) if r.variants.as_ref().is_some_and(|v| !v.failed.is_empty()) => {
                exit::FAILED
            }
            Outcome::Sync(r) if !r.warnings.is_empty() => exit::WARNINGS,
            Outcome::Verify(r) if !(r.missing.is_empty() && r.http_problems.is_empty()) => {
                exit::FOUND
            }
            Outcome::Rewrite { report, .. } if report.problems.is_empty() => exit::OK,
            Outcome::Rewrite {
                skip_unsafe_applied: true,
                ..
            } => exit::WARNINGS,
            Outcome::Rewrite { .. } => exit::USAGE,
            Outcome::Rollback(r) => match (r.conflicts.is_empty(), r.dry_run) {
                (true, _) => exit::OK,
                (false, true) => exit::FOUND,
                (false, false) => exit::WARNINGS,
            },
            Outcome::Plan(r) if r.findings.iter().any(|f| f.severity == "blocker") => exit::FOUND,
            _ => exit::OK,
        }
    }
}
