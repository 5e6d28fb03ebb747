//! An `Outcome` on stdout: its JSON document under `--json`, else its table. The one place a
//! finished command is drawn.

use super::{Output, table};
use crate::cmd::Outcome;

pub fn render(out: &Output, outcome: &Outcome) {
    match outcome {
        Outcome::Raw(bytes) => out.write_raw(bytes),
        Outcome::Paths(paths) => {
            for p in paths {
                out.println(p);
            }
        }
        Outcome::SqliteBackup(b) if out.json => out.print_json(b),
        Outcome::SqliteBackup(b) => out.println(&format!(
            "SQLite backup written and checked (integrity_check: {}).\nsource: {}\nbackup: {}\nsize:   {} ({} posts)\ntime:   {:.1} s",
            b.integrity,
            b.source,
            b.backup,
            indicatif::HumanBytes(b.bytes),
            b.posts,
            b.elapsed_ms as f64 / 1000.0
        )),
        Outcome::Snapshot(r) if out.json => out.print_json(r),
        Outcome::Snapshot(r) => table::print_snapshot(out, r),
        Outcome::SnapshotWaitStopped { report, source } => {
            out.warn(&format!(
                "stopped waiting: snapshot {} is still being made by AWS ({}, {}%)",
                report.snapshot_id,
                report.status,
                report.percent_progress.unwrap_or(0)
            ));
            out.notice(&crate::snapshot::resume_hint(source, &report.snapshot_id));
            if out.json {
                out.print_json(report);
            }
        }
        Outcome::Snapshots { source, items } if out.json => out.print_json(
            &serde_json::json!({"schema": crate::REPORT_SCHEMA, "source": source, "snapshots": items}),
        ),
        Outcome::Snapshots { source, items } => table::print_snapshots(out, source, items),
        Outcome::Sync(r) if out.json => out.print_json(r),
        Outcome::Sync(r) => table::print_sync(out, r),
        Outcome::Scan(i) if out.json => out.print_json(i),
        Outcome::Scan(i) => table::print_scan(out, i),
        Outcome::Verify(r) if out.json => out.print_json(r),
        Outcome::Verify(r) => table::print_verify(out, r),
        Outcome::Rewrite { report, .. } if out.json => out.print_json(report),
        // The interactive preview was drawn before the question.
        Outcome::Rewrite { shown: true, .. } => {}
        Outcome::Rewrite { report, .. } => table::print_rewrite(out, report),
        Outcome::NoRuns if out.json => {
            out.print_json(&serde_json::json!({"schema": crate::REPORT_SCHEMA, "runs": []}))
        }
        Outcome::NoRuns => out.println("No runs recorded in this database."),
        Outcome::Runs(runs) if out.json => {
            out.print_json(&serde_json::json!({"schema": crate::REPORT_SCHEMA, "runs": runs}))
        }
        Outcome::Runs(runs) => table::print_runs(out, runs),
        Outcome::Run(run) if out.json => {
            out.print_json(&serde_json::json!({"schema": crate::REPORT_SCHEMA, "run": run}))
        }
        Outcome::Run(run) => table::print_run(out, run),
        Outcome::Rollback(r) if out.json => out.print_json(r),
        Outcome::Rollback(r) => table::print_rollback(out, r),
    }
}
