//! The command layer: one module per subcommand. Each turns its clap arguments into a
//! `Request` (every check that needs no I/O happens there, unit-tested), then `execute`s it
//! against the engines and returns an `Outcome`. `output::render` draws an Outcome as a table
//! or JSON, and `Outcome::exit_code` is the one exit-code policy of the tool. Nothing below
//! this layer sees a clap type; engines get plain requests, a `Progress` and a `Cancel`.

pub mod db;
pub mod docs;
pub mod rewrite;
pub mod rollback;
pub mod runs;
pub mod scan;
pub mod snapshot;
pub mod sync_images;
pub mod verify;

use crate::error::exit;
use crate::inventory::Inventory;
use crate::journal::Run;
use crate::journal::rollback::RollbackReport;
use crate::output::Output;
use crate::progress::Cancel;
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
    /// `runs` on a database without a journal.
    NoRuns,
    Runs(Vec<Run>),
    Run(Box<Run>),
    Rollback(RollbackReport),
}

impl Outcome {
    /// The tool's exit-code policy, in one place (README: "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::SnapshotWaitStopped { .. } => exit::INTERRUPTED,
            Outcome::Sync(r) if r.interrupted => exit::INTERRUPTED,
            Outcome::Sync(r) if !r.failures.is_empty() => exit::FAILED,
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
            _ => exit::OK,
        }
    }
}

/// A `Cancel` set by Ctrl-C, for commands that stop gracefully (sync-images, snapshot); `what`
/// is said when it happens.
pub fn cancel_on_ctrl_c(out: &Output, what: &'static str) -> Cancel {
    let cancel = Cancel::new();
    let c = cancel.clone();
    let out = out.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
            out.warn(what);
        }
    });
    cancel
}

/// The command line as the journal records it: `--db` values masked.
pub fn recorded_args() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| crate::db::mask_url(&a))
        .collect();
    serde_json::to_string(&args).unwrap_or_default()
}
