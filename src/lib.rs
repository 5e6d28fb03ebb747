//! ghost-migrate: move a self-hosted Ghost site's images to S3/CDN safely.
//!
//! `run` is the only dispatch: clap arguments -> the command's `Request` -> `execute` ->
//! `Outcome` -> `output::render` and an exit code. ARCHITECTURE.md maps the modules.

pub mod apply;
pub mod aws;
pub mod bucket;
pub mod cell;
pub mod cli;
pub mod cmd;
pub mod db;
pub mod deploy;
pub mod error;
pub mod ghost;
pub mod inventory;
pub mod journal;
pub mod outcome;
pub mod output;
pub mod plan;
pub mod progress;
pub mod reader;
pub mod redirects;
pub mod refs;
pub mod rewrite;
pub mod runbook;
pub mod snapshot;
pub mod sync;
pub mod url;
pub mod variants;
pub mod verify;

/// The version of every JSON document the commands print (`"schema": 1`).
pub const REPORT_SCHEMA: u32 = 1;

use cli::{Cli, Command};
use error::Result;
use outcome::Outcome;
use output::Output;

/// Runs one command: builds its request from the flags, executes it, draws the outcome and
/// returns the exit code.
pub async fn run(cli: Cli, out: &Output) -> Result<u8> {
    let outcome: Outcome = match cli.cmd {
        Command::Completions { shell } => cmd::docs::completions(shell),
        Command::Man { dir } => cmd::docs::man(dir)?,
        Command::SyncImages(a) => {
            cmd::sync_images::execute(cmd::sync_images::Request::from_args(a)?, out).await?
        }
        Command::Snapshot(a) => {
            cmd::snapshot::execute(cmd::snapshot::Request::from_args(a)?, out).await?
        }
        Command::Scan(a) => cmd::scan::execute(cmd::scan::Request::from_args(a)?, out).await?,
        Command::Verify(a) => {
            cmd::verify::execute(cmd::verify::Request::from_args(a)?, out).await?
        }
        Command::Rewrite(a) => {
            cmd::rewrite::execute(cmd::rewrite::Request::from_args(a)?, out).await?
        }
        Command::Redirects(a) => {
            cmd::redirects::execute(cmd::redirects::Request::from_args(a)?, out).await?
        }
        Command::Plan(a) => cmd::plan::execute(cmd::plan::Request::from_args(a)?, out).await?,
        Command::Run(a) => cmd::run::execute(cmd::run::Request::from_args(a)?, out).await?,
        Command::Runs(a) => cmd::runs::execute(cmd::runs::Request::from_args(a)?, out).await?,
        Command::Rollback(a) => {
            cmd::rollback::execute(cmd::rollback::Request::from_args(a)?, out).await?
        }
    };
    output::render::render(out, &outcome);
    Ok(outcome.exit_code())
}
