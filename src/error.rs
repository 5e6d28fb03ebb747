//! The tool's error type and the one place errors become exit codes.

use crate::db::DbError;
use crate::url::PrefixError;

/// Stable exit codes (documented in README.md).
pub mod exit {
    /// Done (a dry run that printed its plan included).
    pub const OK: u8 = 0;
    /// A check found something (`verify` misses; rollback dry run with conflicts).
    pub const FOUND: u8 = 1;
    /// Usage or input error; nothing was written.
    pub const USAGE: u8 = 2;
    /// Done with warnings (conflicts skipped by `--skip-conflicts`).
    pub const WARNINGS: u8 = 3;
    /// Failed (database, AWS, I/O); the database is unchanged.
    pub const FAILED: u8 = 4;
    /// Interrupted by Ctrl-C; nothing was committed.
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or input values: exit 2, nothing read or written.
    #[error("{msg}")]
    Usage { msg: String, hint: Option<String> },
    #[error(transparent)]
    Prefix(#[from] PrefixError),
    /// The rewrite found cells it refuses to rewrite: exit 2, nothing written.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A row changed between read and write: exit 4, transaction rolled back.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Journal(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A SQLite backup could not be written or failed its check: exit 4, nothing kept.
    #[error("{0}")]
    Backup(String),
    /// A worker task (hashing, planning, uploading) died: exit 4, nothing committed.
    #[error("{0}")]
    Worker(String),
    /// TLS could not be set up for an HTTPS client: exit 4.
    #[error("{0}")]
    Tls(String),
    #[error("interrupted: nothing was committed, the database is unchanged")]
    Interrupted,
    /// An AWS call failed (S3, RDS): exit 4.
    #[error("{msg}")]
    Aws { msg: String, hint: Option<String> },
    /// A step of `run` failed: its own error and exit code; the run resumes at that step.
    #[error("step {step} failed: {source}")]
    Step { step: String, source: Box<Error> },
    /// A step of `run` ended with a result that is not clean (verify found missing objects,
    /// uploads failed): the exit code the command itself would have had.
    #[error("{what} did not finish cleanly (exit {code}); its report is above")]
    StepOutcome { what: String, code: u8 },
}

impl Error {
    pub fn usage(msg: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            msg: msg.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage { .. } | Error::Prefix(_) | Error::Refused(_) => exit::USAGE,
            Error::Db(
                DbError::BadUrl(_)
                | DbError::NoSuchFile(_)
                | DbError::Connect { .. }
                | DbError::Setting { .. }
                | DbError::Tls { .. },
            ) => exit::USAGE,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Step { source, .. } => source.exit_code(),
            Error::StepOutcome { code, .. } => *code,
            _ => exit::FAILED,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. } | Error::Aws { hint, .. } => hint.clone(),
            Error::Prefix(PrefixError::NeedsSite { .. }) => None,
            Error::Prefix(_) => Some(
                "give a URL prefix such as https://blog.example.com/content/images/".to_string(),
            ),
            Error::Db(DbError::Setting { hint, .. } | DbError::Tls { hint, .. }) => {
                Some(hint.clone())
            }
            Error::Db(DbError::Connect { .. }) => Some(
                "check --db, GHOST_MIGRATE_DB or --ghost-config (host, port, user, password), or raise --connect-timeout"
                    .to_string(),
            ),
            Error::Db(DbError::BadUrl(_)) => Some(
                "use a SQLite path, sqlite:///path/ghost.db, or mysql://user:pass@host:3306/ghost"
                    .to_string(),
            ),
            Error::Step { step, source } => Some(match source.hint() {
                Some(h) => format!("{h}; then run the plan again: it resumes at the {step} step"),
                None => format!("fix the cause, then run the plan again: it resumes at the {step} step"),
            }),
            Error::StepOutcome { .. } => Some(
                "fix what the report names, then run the plan again: it resumes at this step".into(),
            ),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Worker(format!("a worker task failed: {e}"))
    }
}
