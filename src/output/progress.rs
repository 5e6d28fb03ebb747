//! The terminal's `Progress`: indicatif bars on stderr when it is a terminal, plain status
//! lines in a CI log, nothing under `--json`, `--quiet` or `--no-progress`.

use super::Output;
use crate::progress::{Progress, Task};
use indicatif::ProgressBar;
use std::sync::Mutex;

pub struct Terminal {
    out: Output,
    bar: Mutex<ProgressBar>,
}

impl Terminal {
    pub fn new(out: &Output) -> Self {
        Terminal {
            out: out.clone(),
            bar: Mutex::new(ProgressBar::hidden()),
        }
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(b) = self.bar.lock() {
            f(&b);
        }
    }
}

impl Progress for Terminal {
    fn start(&self, task: Task<'_>) {
        let pb = match task {
            Task::Items { label, total } => self.out.bar(total, label),
            Task::Bytes { total, files } => self.out.bytes_bar(total, files),
            Task::Percent { label } => self.out.spinner(
                100,
                &format!("{{spinner}} {label} [{{elapsed_precise}}] {{bar:30}} {{pos}}% {{msg}}"),
            ),
        };
        if let Ok(mut b) = self.bar.lock() {
            b.finish_and_clear();
            *b = pb;
        }
    }
    fn inc(&self, n: u64) {
        self.with(|b| b.inc(n));
    }
    fn set(&self, pos: u64) {
        self.with(|b| b.set_position(pos));
    }
    fn message(&self, msg: &str) {
        self.with(|b| b.set_message(msg.to_string()));
    }
    fn status(&self, line: &str) {
        if self.out.plain_progress() {
            self.out.notice(line);
        }
    }
    fn notice(&self, line: &str) {
        self.out.notice(line);
    }
    fn finish(&self) {
        self.with(|b| b.finish_and_clear());
    }
}
