//! Command-line flags (clap derive) and their conversion into validated requests. Nothing below
//! this module sees clap types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Move a self-hosted Ghost site's images to S3/CDN: rewrite every URL column safely, with a
/// dry run, a journal and a byte-exact rollback.
#[derive(Debug, Parser)]
#[command(name = "ghost-migrate", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(subcommand)]
    pub cmd: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rewrite every URL under --from to --to, in every column where Ghost keeps URLs.
    Rewrite(RewriteArgs),
    /// List the runs recorded in the database's journal, or show one.
    Runs(RunsArgs),
    /// Undo one run: restore the old values where the cells still hold what the run wrote.
    Rollback(RollbackArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print one JSON document on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors (and the result for --json).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Hide progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Colour: auto (terminal, NO_COLOR unset, TERM not dumb), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// The Ghost database: a SQLite path, sqlite://PATH, or mysql://user:pass@host:3306/db[?ssl-mode=required].
    #[arg(long, global = true, env = "GHOST_MIGRATE_DB", hide_env_values = true)]
    pub db: Option<String>,
    /// Ghost's config.production.json: database connection and site URL (env overrides apply).
    #[arg(long, global = true, value_name = "PATH")]
    pub ghost_config: Option<PathBuf>,
    /// The site URL (Ghost's `url`), needed to match __GHOST_URL__ and root-relative values.
    #[arg(long, global = true, value_name = "URL")]
    pub site_url: Option<String>,
    /// Seconds to wait for the database server to answer.
    #[arg(long, global = true, default_value_t = 10, value_name = "SECS")]
    pub connect_timeout: u64,
}

#[derive(Debug, Args)]
pub struct RewriteArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The URL prefix to replace, e.g. https://blog.example.com/content/images/ or __GHOST_URL__/content/images/.
    #[arg(long)]
    pub from: String,
    /// The new prefix, e.g. https://cdn.example.com/content/images/ (or __GHOST_URL__/content/images/).
    #[arg(long)]
    pub to: String,
    /// Show what would change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Match only the scheme given in --from (no http/https/protocol-relative variants).
    #[arg(long)]
    pub exact_scheme: bool,
    /// Also rewrite text columns of tables the catalogue does not know.
    #[arg(long)]
    pub all_text_columns: bool,
    /// Write the report to FILE too (.json for JSON, anything else Markdown).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Sample diffs shown per column.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub samples: usize,
    /// Rows read per batch.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000), hide = true)]
    pub batch_size: u32,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub cmd: Option<RunsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Show one run with its per-column counts.
    Show {
        /// The run id, as `ghost-migrate runs` lists it.
        run_id: String,
    },
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The run to undo, as `ghost-migrate runs` lists it.
    pub run_id: String,
    /// List what would be restored and every conflict; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep cells edited since the run (conflicts) and restore the rest.
    #[arg(long)]
    pub skip_conflicts: bool,
}
