//! The rewrite report: what a rewrite found or did, per column, with sample diffs. Data only;
//! the human rendering (table, markdown) lives in `output`, JSON is serde.

use crate::cell::Edit;
use crate::cell::Problem;
use crate::ghost::columns::CellKind;
use crate::url::FormCounts;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub id: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub table: String,
    pub column: String,
    pub kind: CellKind,
    /// Rows the server-side pre-filter returned and the matcher examined.
    pub rows_scanned: u64,
    pub rows_changed: u64,
    pub occurrences: u64,
    pub forms: FormCounts,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnknownColumn {
    pub table: String,
    pub column: String,
    pub rows: u64,
    pub occurrences: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub rows_changed: u64,
    pub cells_changed: u64,
    pub occurrences: u64,
    pub forms: FormCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub command: &'static str,
    pub dry_run: bool,
    pub database: String,
    pub engine: crate::db::Engine,
    pub from: String,
    pub to: String,
    pub site_url: Option<String>,
    pub run_id: Option<String>,
    pub totals: Totals,
    pub columns: Vec<ColumnReport>,
    /// Cells the engine refuses to rewrite (nothing is written while any exists).
    pub problems: Vec<Problem>,
    /// Text columns outside the catalogue that hold the old prefix.
    pub unknown_columns: Vec<UnknownColumn>,
    /// `__GHOST_URL__<path>` values not matched because the site URL is unknown.
    pub unresolved_ghost_url: u64,
    /// With a `__GHOST_URL__` target: columns where Ghost does not expand the placeholder, so
    /// the absolute prefix (`absolute_to`) was written there instead.
    pub absolute_to: Option<String>,
    pub absolute_instead: Vec<UnknownColumn>,
    /// Root-relative values without the site's subdirectory, left alone (subdirectory sites).
    pub outside_subdir: u64,
    /// Problem cells left alone by `--skip-unsafe` (applied runs only).
    pub skipped_unsafe: u64,
    pub settings_changed: bool,
    pub warnings: Vec<String>,
    pub timings: Timings,
    /// Every changed row with its URL pairs, up to a cap (`rewrite --report x.html` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_rows: Option<super::rows::ChangedRows>,
}

/// Where the time went, in milliseconds (apply: guarded UPDATEs and journal INSERTs separately;
/// `total_ms` is the pass over the tables, `finish_ms` what comes after it: the commit and, on
/// SQLite, putting the file back in its journal mode, which copies the WAL into it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub total_ms: u64,
    pub update_ms: u64,
    pub journal_ms: u64,
    pub finish_ms: u64,
}

impl Report {
    pub fn column_mut(&mut self, table: &str, column: &str, kind: CellKind) -> &mut ColumnReport {
        let i = match self
            .columns
            .iter()
            .position(|c| c.table == table && c.column == column)
        {
            Some(i) => i,
            None => {
                self.columns.push(ColumnReport {
                    table: table.to_string(),
                    column: column.to_string(),
                    kind,
                    rows_scanned: 0,
                    rows_changed: 0,
                    occurrences: 0,
                    forms: FormCounts::default(),
                    samples: Vec::new(),
                });
                self.columns.len() - 1
            }
        };
        &mut self.columns[i]
    }
}

const CONTEXT: usize = 40;

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// A before/after snippet around the first occurrence, with some context.
pub fn sample(id: &str, before: &str, first: &Edit) -> Sample {
    let replacement = first.with.as_str();
    let a = floor_char(before, first.start.saturating_sub(CONTEXT));
    let b = ceil_char(before, (first.end + CONTEXT).min(before.len()));
    let pre = if a > 0 { "…" } else { "" };
    let post = if b < before.len() { "…" } else { "" };
    let left = &before[a..first.start];
    let right = &before[first.end..b];
    Sample {
        id: id.to_string(),
        before: format!(
            "{pre}{left}{}{right}{post}",
            &before[first.start..first.end]
        ),
        after: format!("{pre}{left}{replacement}{right}{post}"),
    }
}
