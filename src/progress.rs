//! What an engine says while it works, and how it is told to stop. Engines never print or
//! prompt: they take a `&dyn Progress` and a `Cancel` and return values. The terminal
//! implementation (indicatif bars, plain lines in CI logs) lives in `output::progress`;
//! `Silent` is for `--json`, tests and library callers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The shape of a phase of work, for the bar that shows it.
#[derive(Debug, Clone, Copy)]
pub enum Task<'a> {
    /// `total` things (tables, objects), named `label`.
    Items { label: &'a str, total: u64 },
    /// `total` bytes in `files` files (uploads).
    Bytes { total: u64, files: u64 },
    /// A percentage reported by someone else (an RDS snapshot), named `label`.
    Percent { label: &'a str },
}

/// Receives an engine's progress. Every method has a do-nothing default.
pub trait Progress: Send + Sync {
    /// A new phase begins (it replaces the previous one).
    fn start(&self, _task: Task<'_>) {}
    /// `n` more units done.
    fn inc(&self, _n: u64) {}
    /// The position, for `Percent` phases.
    fn set(&self, _pos: u64) {}
    /// A short message beside the bar (the table being read, files done).
    fn message(&self, _msg: &str) {}
    /// A status line worth keeping where no bar is drawn (a CI log): one per change.
    fn status(&self, _line: &str) {}
    /// Something the operator should read now (stderr; hidden by `--quiet`).
    fn notice(&self, _line: &str) {}
    /// The phase ended; its bar is cleared.
    fn finish(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Set by Ctrl-C; engines that stop gracefully (sync-images, snapshot waits) poll it.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
