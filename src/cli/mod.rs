//! Command-line flags (clap derive), and their flag groups as plain settings. `cmd/` turns
//! them into checked requests; nothing below the command layer sees a clap type.

pub mod docs;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--version`: the crate version and, when built from a git checkout, the commit and its date
/// (build.rs), e.g. `0.1.0 (3fa2c1d 2026-12-05)`; only `0.1.0` from a tarball.
pub const VERSION: &str = env!("GHOST_MIGRATE_VERSION");

/// Move a self-hosted Ghost site's images to S3/CDN: rewrite every URL column safely, with a
/// dry run, a journal and a byte-exact rollback.
#[derive(Debug, Parser)]
#[command(name = "ghost-migrate", version = VERSION, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(subcommand)]
    pub cmd: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take a restorable copy of the database first: an RDS/Aurora snapshot, or a SQLite backup.
    Snapshot(SnapshotArgs),
    /// Upload content/images (and media, files) to S3, skipping objects whose bytes are identical.
    SyncImages(SyncImagesArgs),
    /// Inventory every URL the database holds: hosts, path roots, stored forms, columns.
    Scan(ScanArgs),
    /// Check that every image, media and file URL the database references exists in the bucket.
    Verify(VerifyArgs),
    /// Rewrite every URL under --from to --to, in every column where Ghost keeps URLs.
    Rewrite(RewriteArgs),
    /// Write redirect rules that send the old hosts' /content/images|media|files/ URLs to the
    /// CDN (for newsletters already sent and links elsewhere): Ghost, nginx or CloudFront.
    Redirects(RedirectsArgs),
    /// Read-only: detect the Ghost version, storage set-up, URL inventory and bucket, choose
    /// the strategy and write the whole migration as a reviewable TOML runbook.
    Plan(PlanArgs),
    /// Execute a plan file: snapshot, sync, dry run, confirm, apply, restart, CDN
    /// invalidation, verify; each step journalled, a re-run resumes after the last finished one.
    Run(RunArgs),
    /// List the runs recorded in the database's journal, or show one.
    Runs(RunsArgs),
    /// Undo one run: restore the old values where the cells still hold what the run wrote.
    Rollback(RollbackArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions {
        #[arg(value_enum)]
        shell: docs::Shell,
    },
    /// Print the man page (roff) on stdout, or write every page into --dir.
    Man {
        /// Write ghost-migrate.1 and one page per subcommand into this directory instead,
        /// e.g. ~/.local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

impl OutputArgs {
    pub fn settings(&self) -> crate::output::Settings {
        crate::output::Settings {
            json: self.json,
            quiet: self.quiet,
            no_progress: self.no_progress,
            color: match self.color {
                ColorChoice::Auto => crate::output::Color::Auto,
                ColorChoice::Always => crate::output::Color::Always,
                ColorChoice::Never => crate::output::Color::Never,
            },
        }
    }
}

impl AwsArgs {
    pub fn settings(&self) -> crate::aws::Settings {
        crate::aws::Settings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            force_path_style: self.force_path_style,
        }
    }
}

impl Command {
    /// Commands that handle Ctrl-C themselves (settle uploads, keep a snapshot being made);
    /// the others are dropped at once, which rolls back their open transaction.
    pub fn handles_interrupt(&self) -> bool {
        matches!(self, Command::SyncImages(_) | Command::Snapshot(_))
    }
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
    /// The Ghost database: a SQLite path, sqlite://PATH, or mysql://user:pass@host:3306/db[?ssl-mode=..&ssl-ca=PATH&iam-auth=true].
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
    /// RDS/Aurora: log in with an IAM auth token from the AWS credential chain instead of a
    /// password (same as ?iam-auth=true in --db).
    #[arg(long, global = true)]
    pub iam_auth: bool,
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
    /// Write the report to FILE too: .json for JSON, .html/.htm for one self-contained page
    /// listing every changed row with its old and new images side by side, anything else
    /// Markdown.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Apply every safe change and leave the cells that cannot be rewritten safely as they
    /// are (listed in the report; exit 3), instead of refusing the whole run.
    #[arg(long)]
    pub skip_unsafe: bool,
    /// With --to __GHOST_URL__/...: what __GHOST_URL__ stands for in the columns where Ghost
    /// does not expand it (code injection, captions, revisions, emails...), where the absolute
    /// URL is written instead. Default: urls.image|media|files from --ghost-config, else the
    /// site URL.
    #[arg(long, value_name = "URL")]
    pub ghost_url_base: Option<String>,
    /// Sample diffs shown per column.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub samples: usize,
    /// At most this many rows per batch (a batch holds about 4 MB of values).
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

#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// AWS profile from ~/.aws/config (default: the standard chain: AWS_* env, profile, SSO, ECS task role, IMDS).
    #[arg(long, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Endpoint of an S3/RDS-compatible API (MinIO, SeaweedFS, moto); implies path-style S3 addressing.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Use path-style S3 URLs (endpoint/bucket/key) even without --endpoint-url.
    #[arg(long)]
    pub force_path_style: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CannedAcl {
    Private,
    PublicRead,
    BucketOwnerFullControl,
    BucketOwnerRead,
    AuthenticatedRead,
}

/// Server-side encryption of uploaded objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sse {
    /// S3-managed keys (SSE-S3).
    #[value(name = "AES256")]
    Aes256,
    /// AWS KMS keys (SSE-KMS); the key from --sse-kms-key-id, else the account's aws/s3 key.
    #[value(name = "aws:kms")]
    AwsKms,
}

#[derive(Debug, Args)]
pub struct SyncImagesArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The bucket to upload to.
    #[arg(long, env = "GHOST_MIGRATE_BUCKET")]
    pub bucket: String,
    /// Key prefix in the bucket; content/images/a.jpg becomes <prefix>images/a.jpg.
    #[arg(long, default_value = "content/")]
    pub prefix: String,
    /// Ghost's content directory (default: paths.contentPath from --ghost-config, else ./content).
    #[arg(long, value_name = "PATH")]
    pub content_dir: Option<PathBuf>,
    /// The database (--ghost-config also finds the content directory and records the sync in
    /// the journal; --variants reads which images the content references).
    #[command(flatten)]
    pub db: DbArgs,
    /// Also make the responsive variants (images/size/...) that stored URLs name or the active
    /// theme declares for referenced images, and upload those the bucket lacks. Needs the
    /// database (--ghost-config, or --db with --site-url).
    #[arg(long)]
    pub variants: bool,
    /// With --variants: ask this running Ghost for each missing variant instead of resizing
    /// locally, e.g. http://127.0.0.1:2368 (Ghost makes exactly what it would serve).
    #[arg(long, value_name = "URL", requires = "variants")]
    pub variants_from: Option<String>,
    /// With --variants: also count references already rewritten to this CDN base, as verify
    /// --cdn-url takes it, e.g. https://cdn.example.com/content/.
    #[arg(long, value_name = "URL", requires = "variants")]
    pub cdn_url: Option<String>,
    /// Which directories of the content directory to sync.
    #[arg(long, value_delimiter = ',', default_value = "images,media,files")]
    pub dirs: Vec<String>,
    /// List what would be uploaded or deleted, and why; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete bucket objects under the synced directories that have no local file.
    #[arg(long)]
    pub delete: bool,
    /// Refuse to delete more than N objects.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_delete: u64,
    /// Uploads in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub concurrency: u16,
    /// Cache-Control sent with every object.
    #[arg(long, default_value = "public, max-age=31536000, immutable")]
    pub cache_control: String,
    /// Canned ACL (default: none; buckets with "bucket owner enforced" refuse ACLs).
    #[arg(long, value_enum)]
    pub acl: Option<CannedAcl>,
    /// Storage class, e.g. STANDARD, INTELLIGENT_TIERING, STANDARD_IA.
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// Server-side encryption for every uploaded object (for buckets whose policy requires it).
    #[arg(long, value_enum, value_name = "ALGORITHM")]
    pub sse: Option<Sse>,
    /// The KMS key for --sse aws:kms: key id, alias/NAME or ARN (default: the aws/s3 key).
    #[arg(long, value_name = "ID")]
    pub sse_kms_key_id: Option<String>,
    /// Hash every file again instead of trusting the local hash cache.
    #[arg(long)]
    pub rehash: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// The Aurora cluster to snapshot.
    #[arg(long, conflicts_with = "instance", value_name = "ID")]
    pub cluster: Option<String>,
    /// The RDS instance to snapshot (not an Aurora cluster member: use --cluster).
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// Snapshot id (default: ghost-migrate-<cluster>-<UTC yyyymmdd-hhmmss>).
    #[arg(long, value_name = "SNAPSHOT_ID")]
    pub id: Option<String>,
    /// Tag the snapshot (repeatable); a tag naming the tool is always added.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Return right after the snapshot is created, without waiting for it to be available.
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds between status polls while waiting.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub poll_interval: f64,
    /// Give up waiting after this many seconds (the snapshot goes on being made).
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub timeout: u64,
    /// List the snapshots this tool made of the cluster or instance.
    #[arg(long)]
    pub list: bool,
    /// Wait for the existing snapshot --id (after Ctrl-C or --timeout) instead of creating one.
    #[arg(long, requires = "id")]
    pub resume: bool,
    /// SQLite: where to write the backup (default: next to the database).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Also scan text columns of tables the catalogue does not know.
    #[arg(long)]
    pub all_text_columns: bool,
    /// Example post slugs shown per group.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub examples: usize,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// The bucket the images were synced to.
    #[arg(long, env = "GHOST_MIGRATE_BUCKET")]
    pub bucket: String,
    /// Key prefix in the bucket (as given to sync-images).
    #[arg(long, default_value = "content/")]
    pub prefix: String,
    /// The CDN URL the content now points at (after a rewrite), e.g. https://cdn.example.com/content/.
    #[arg(long, value_name = "URL")]
    pub cdn_url: Option<String>,
    /// Ghost's content directory, to tell "not synced yet" from "the file is gone".
    #[arg(long, value_name = "PATH")]
    pub content_dir: Option<PathBuf>,
    /// Also request every distinct public URL (HEAD) and report non-200 answers.
    #[arg(long)]
    pub http: bool,
    /// HEAD requests in flight at once with --http.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Also list bucket objects (and, with --content-dir, local files) that nothing in the
    /// database references; read-only, never deletes.
    #[arg(long)]
    pub orphans: bool,
}

/// `redirects --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedirectFormat {
    /// Ghost's redirects file (Admin: Settings -> Labs -> Redirects); YAML unless --out ends
    /// in .json or --syntax json.
    Ghost,
    /// Rules to include in each old host's nginx server {} block.
    Nginx,
    /// A CloudFront Function (cloudfront-js-2.0, viewer request) for the old host's distribution.
    CloudfrontFunction,
}

/// `redirects --syntax`: which of Ghost's two redirects file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GhostSyntax {
    /// redirects.yaml (Ghost 4 and later).
    Yaml,
    /// redirects.json.
    Json,
}

#[derive(Debug, Args)]
pub struct RedirectsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The CDN URL of the content root, as verify takes it: /content/images/a.jpg goes to
    /// <URL>images/a.jpg, e.g. https://cdn.example.com/content/.
    #[arg(long, value_name = "URL")]
    pub cdn_url: Option<String>,
    /// What to write: ghost (Ghost's redirects file), nginx (a server {} include) or
    /// cloudfront-function.
    #[arg(long, value_enum)]
    pub format: Option<RedirectFormat>,
    /// An old host to redirect from, in addition to those the database holds (repeatable):
    /// old.example.com, or https://example.com/blog/ for a site in a subdirectory. With --host
    /// (or --site-url) and no database, works offline.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Write the rules to FILE instead of stdout (refuses to replace an existing file without
    /// --force). For --format ghost, FILE.json writes Ghost's JSON format.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,
    /// --format ghost: yaml (redirects.yaml, Ghost 4+; default) or json (redirects.json).
    #[arg(long, value_enum)]
    pub syntax: Option<GhostSyntax>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The bucket the content goes to.
    #[arg(long, env = "GHOST_MIGRATE_BUCKET")]
    pub bucket: String,
    /// Key prefix in the bucket (as sync-images takes it).
    #[arg(long, default_value = "content/")]
    pub prefix: String,
    /// The CDN URL of the content root, e.g. https://cdn.example.com/content/.
    #[arg(long, value_name = "URL")]
    pub cdn_url: String,
    /// Ghost's content directory (default: paths.contentPath from --ghost-config).
    #[arg(long, value_name = "PATH")]
    pub content_dir: Option<PathBuf>,
    /// Override the chosen strategy: cdn-absolute or ghost-urls.
    #[arg(long, value_name = "STRATEGY")]
    pub strategy: Option<String>,
    /// Snapshot mode: sqlite, rds-cluster, rds-instance or skip (default: from the database).
    #[arg(long, value_name = "MODE")]
    pub snapshot: Option<String>,
    /// The Aurora cluster or RDS instance to snapshot (default: from an RDS endpoint host).
    #[arg(long, value_name = "ID")]
    pub snapshot_id: Option<String>,
    /// The ECS cluster running Ghost (restart by a new deployment).
    #[arg(long, value_name = "NAME")]
    pub ecs_cluster: Option<String>,
    /// The ECS service running Ghost.
    #[arg(long, value_name = "NAME")]
    pub ecs_service: Option<String>,
    /// The CloudFront distribution in front of the site (its cached pages are invalidated).
    #[arg(long, value_name = "ID")]
    pub cloudfront_distribution_id: Option<String>,
    /// Make missing size/ variants by asking this running Ghost (default: resize locally).
    #[arg(long, value_name = "URL")]
    pub variants_from: Option<String>,
    /// Where the dry run's report goes (.html, .md or .json), relative to the plan file.
    #[arg(long, value_name = "FILE", default_value = "migration-report.html")]
    pub report: PathBuf,
    /// Write the plan to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan file `ghost-migrate plan` wrote.
    pub plan: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Apply without asking, and mark a manual restart as manual instead of waiting.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show each step with its state (done, pending) and what it will run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start at this step (snapshot, sync-images, dry-run, confirm, apply, restart,
    /// invalidate, verify) instead of after the last finished one.
    #[arg(long, value_name = "STEP")]
    pub from_step: Option<String>,
    /// Start a new run of the plan even though one is recorded (a changed plan file, or a
    /// finished run to repeat).
    #[arg(long)]
    pub restart: bool,
    /// Seconds to wait for the database server to answer.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub connect_timeout: u64,
}
