//! An `Outcome` on stdout: its JSON document under `--json`, else its table. The one place a
//! finished command is drawn.

use super::{Output, table};
use crate::outcome::Outcome;

pub fn render(out: &Output, outcome: &Outcome) {
    if let Outcome::SnapshotWaitStopped { report, source } = outcome {
        out.warn(&format!(
            "stopped waiting: snapshot {} is still being made by AWS ({}, {}%)",
            report.snapshot_id,
            report.status,
            report.percent_progress.unwrap_or(0)
        ));
        out.notice(&crate::snapshot::resume_hint(source, &report.snapshot_id));
    }
    // `run --json` streams JSON lines: its summary is one line too.
    if out.json
        && let Outcome::Runbook(r) = outcome
    {
        out.println(&serde_json::to_string(r).expect("report types serialize"));
        return;
    }
    if out.json
        && let Some(doc) = outcome.document()
    {
        out.print_json(&doc);
        return;
    }
    match outcome {
        Outcome::Raw(bytes) => out.write_raw(bytes),
        Outcome::Paths(paths) => {
            for p in paths {
                out.println(p);
            }
        }
        Outcome::SqliteBackup(b) => out.println(&format!(
            "SQLite backup written and checked (integrity_check: {}).\nsource: {}\nbackup: {}\nsize:   {} ({} posts)\ntime:   {:.1} s",
            b.integrity,
            b.source,
            b.backup,
            indicatif::HumanBytes(b.bytes),
            b.posts,
            b.elapsed_ms as f64 / 1000.0
        )),
        Outcome::Snapshot(r) => table::print_snapshot(out, r),
        // Said above; the table is for a finished snapshot.
        Outcome::SnapshotWaitStopped { .. } => {}
        Outcome::Snapshots { source, items } => table::print_snapshots(out, source, items),
        Outcome::Sync(r) => table::print_sync(out, r),
        Outcome::Scan(i) => table::print_scan(out, i),
        Outcome::Verify(r) => table::print_verify(out, r),
        // The interactive preview was drawn before the question.
        Outcome::Rewrite { shown: true, .. } => {}
        Outcome::Rewrite { report, .. } => table::print_rewrite(out, report),
        Outcome::Redirects(r) => table::print_redirects(out, r),
        Outcome::NoRuns => out.println("No runs recorded in this database."),
        Outcome::Runs(runs) => table::print_runs(out, runs),
        Outcome::Run(run) => table::print_run(out, run),
        Outcome::Rollback(r) => table::print_rollback(out, r),
        Outcome::Plan(r) => table::print_plan(out, r),
        Outcome::Runbook(r) => table::print_runbook(out, r),
    }
}
