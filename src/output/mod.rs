//! The one place bytes reach the terminal: results to stdout (tables or JSON), progress,
//! notices, hints and errors to stderr. Built once from the output flags.

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

pub mod html;
pub mod markdown;
pub mod progress;
pub mod render;
pub mod table;

/// When to colour: `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// The output flags, as plain values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    pub json: bool,
    pub quiet: bool,
    pub no_progress: bool,
    pub color: Color,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    progress: bool,
    no_progress: bool,
    color: bool,
}

impl Output {
    pub fn new(a: Settings) -> Self {
        let term_ok = std::env::var_os("NO_COLOR").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let color = match a.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => term_ok && std::io::stdout().is_terminal(),
        };
        Output {
            json: a.json,
            quiet: a.quiet,
            progress: !a.no_progress && !a.quiet && std::io::stderr().is_terminal(),
            no_progress: a.no_progress,
            color,
        }
    }

    /// Plain output for library callers and tests.
    pub fn plain() -> Self {
        Output {
            json: false,
            quiet: true,
            progress: false,
            no_progress: true,
            color: false,
        }
    }

    /// A result line on stdout (ignored when the pipe is closed).
    pub fn println(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
    }

    /// Bytes on stdout as they are (a completion script, a man page); a closed pipe is ignored.
    pub fn write_raw(&self, bytes: &[u8]) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(bytes).and_then(|()| o.flush());
    }

    /// A JSON document on stdout.
    pub fn print_json<T: serde::Serialize>(&self, v: &T) {
        let s = serde_json::to_string_pretty(v).expect("report types serialize");
        self.println(&s);
    }

    /// A notice on stderr (hidden by --quiet).
    pub fn notice(&self, s: &str) {
        if !self.quiet {
            eprintln!("{s}");
        }
    }

    pub fn warn(&self, s: &str) {
        eprintln!(
            "{} {s}",
            self.style(Style::new().yellow().bold(), "warning:")
        );
    }

    pub fn error(&self, msg: &str, hint: Option<&str>) {
        let label = self.style(Style::new().red().bold(), "error:");
        eprintln!("{label} {msg}");
        if let Some(h) = hint {
            eprintln!("hint: {h}");
        }
    }

    pub fn style(&self, st: Style, s: &str) -> String {
        if self.color {
            st.apply_to(s).to_string()
        } else {
            s.to_string()
        }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    /// A progress bar on stderr, hidden off a terminal, under --json, --quiet or --no-progress.
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress || self.json {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {what} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {{msg}}"
            ))
            .expect("static template"),
        );
        pb
    }

    /// True when progress should be written as plain lines (stderr is not a terminal, and
    /// neither --quiet, --json nor --no-progress asked for silence).
    pub fn plain_progress(&self) -> bool {
        !self.progress && !self.quiet && !self.json && !self.no_progress
    }

    /// A byte-counting progress bar (files in the message) for uploads.
    pub fn bytes_bar(&self, bytes: u64, files: u64) -> ProgressBar {
        if !self.progress || self.json || files == 0 {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} uploading [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
            )
            .expect("static template"),
        );
        pb.set_message(format!("0/{files} files"));
        pb
    }

    /// A spinner with a message, for waits of unknown length.
    pub fn spinner(&self, len: u64, template: &str) -> ProgressBar {
        if !self.progress || self.json {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        pb.set_style(ProgressStyle::with_template(template).expect("static template"));
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }

    /// Asks y/N on the terminal. Without a terminal, refuses (the caller names --yes).
    pub fn confirm(&self, question: &str) -> Option<bool> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() {
            return Some(false);
        }
        Some(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    }
}
