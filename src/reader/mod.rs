//! The database batch reader: which columns to read (catalogue ∩ live schema), and reading
//! their rows in bounded batches by keyset pagination on the primary key, with a server-side pre-filter so only rows
//! that can match leave the database. Read-only.

use crate::cell::ColumnMeta;
use crate::db::schema::Table;
use crate::db::{Cell, Conn, DbError, P};
use crate::ghost::columns::{self, CellKind};
use std::collections::BTreeMap;

/// One table to read: its primary key and the columns of interest.
#[derive(Debug, Clone)]
pub struct TableScan {
    pub table: String,
    pub pk: String,
    pub columns: Vec<ColumnMeta>,
    /// False for columns found only by `--all-text-columns` / the unknown-column probe.
    pub catalogued: bool,
    /// A column read along with each row that decides how Ghost treats its URL columns
    /// (`settings.key`); not rewritten.
    pub context: Option<String>,
}

/// What to read: catalogued columns present in the schema, and the other text columns.
#[derive(Debug, Default)]
pub struct Scope {
    pub known: Vec<TableScan>,
    pub unknown: Vec<TableScan>,
    /// Catalogued tables that cannot be scanned (no single-column primary key).
    pub skipped: Vec<String>,
}

/// Builds the scope from the live schema.
pub fn scope(tables: &BTreeMap<String, Table>) -> Scope {
    let mut s = Scope::default();
    for t in tables.values() {
        if columns::is_own_table(&t.name) {
            continue;
        }
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for c in &t.text_columns {
            if Some(c.name.as_str()) == t.pk.as_deref() {
                continue;
            }
            match columns::kind_of(&t.name, &c.name) {
                Some(kind) => known.push(ColumnMeta {
                    name: c.name.clone(),
                    kind,
                    limit: c.limit,
                }),
                None => unknown.push(ColumnMeta {
                    name: c.name.clone(),
                    kind: CellKind::MaybeJson,
                    limit: c.limit,
                }),
            }
        }
        let Some(pk) = t.pk.clone() else {
            if !known.is_empty() {
                s.skipped.push(t.name.clone());
            }
            continue;
        };
        for (cols, dest, catalogued) in [
            (known, &mut s.known, true),
            (unknown, &mut s.unknown, false),
        ] {
            if !cols.is_empty() {
                let context = columns::context_column(&t.name)
                    .filter(|c| catalogued && t.all_columns.iter().any(|x| x == c))
                    .map(str::to_string);
                dest.push(TableScan {
                    table: t.name.clone(),
                    pk: pk.clone(),
                    columns: cols,
                    catalogued,
                    context,
                });
            }
        }
    }
    s
}

/// A row as read: primary key, one value per scanned column, and the context value.
#[derive(Debug, Clone)]
pub struct ScannedRow {
    pub id: String,
    pub values: Vec<Cell>,
    pub context: Option<String>,
}

/// About how many bytes of values one batch holds: the row count adapts to the rows' size, so
/// memory stays flat whether posts are 5 KB or 500 KB.
pub const BATCH_BYTES: usize = 4 << 20;

/// Keyset-paginated reader of one table.
pub struct Batches<'a> {
    scan: &'a TableScan,
    needles: &'a [(String, bool)],
    last: Option<String>,
    /// Rows asked for next, at most `max`.
    size: u32,
    max: u32,
    done: bool,
}

impl<'a> Batches<'a> {
    pub fn new(scan: &'a TableScan, needles: &'a [(String, bool)], size: u32) -> Self {
        let size = size.max(1);
        Batches {
            scan,
            needles,
            last: None,
            size: size.min(16),
            max: size,
            done: false,
        }
    }

    /// The next batch, or None at the end of the table.
    pub async fn next(&mut self, conn: &mut Conn) -> Result<Option<Vec<ScannedRow>>, DbError> {
        if self.done {
            return Ok(None);
        }
        let pk = conn.q(&self.scan.pk);
        let cols: Vec<String> = self.scan.columns.iter().map(|c| conn.q(&c.name)).collect();
        let context = match &self.scan.context {
            Some(c) => format!(", {}", conn.q(c)),
            None => String::new(),
        };
        let mut filter = Vec::new();
        let mut params: Vec<P> = Vec::new();
        if let Some(last) = &self.last {
            params.push(P::S(last));
        }
        for c in &cols {
            for (needle, lower) in self.needles {
                filter.push(conn.contains(c, *lower));
                params.push(P::S(needle));
            }
        }
        let sql = format!(
            "SELECT {pk}, {}{context} FROM {} WHERE {} ({}) ORDER BY {pk} LIMIT {}",
            cols.join(", "),
            conn.q(&self.scan.table),
            if self.last.is_some() {
                format!("{pk} > ? AND")
            } else {
                String::new()
            },
            filter.join(" OR "),
            self.size
        );
        let rows = conn.scan_cells(&sql, &params).await?;
        if (rows.len() as u32) < self.size {
            self.done = true;
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let bytes: usize = rows
            .iter()
            .flatten()
            .map(|c| match c {
                Cell::Null => 0,
                Cell::Text(s) => s.len(),
                Cell::Binary { len, .. } => *len,
            })
            .sum();
        let per_row = bytes / rows.len() + 1;
        let has_context = self.scan.context.is_some();
        let out: Vec<ScannedRow> = rows
            .into_iter()
            .map(|mut r| {
                let text = |c: Cell| match c {
                    Cell::Text(s) => Some(s),
                    Cell::Binary { lossy, .. } => Some(lossy),
                    Cell::Null => None,
                };
                let id = text(r.remove(0)).unwrap_or_default();
                let context = if has_context {
                    r.pop().and_then(text)
                } else {
                    None
                };
                ScannedRow {
                    id,
                    values: r,
                    context,
                }
            })
            .collect();
        self.last = out.last().map(|r| r.id.clone());
        self.size = ((BATCH_BYTES / per_row) as u32).clamp(1, self.max);
        Ok(Some(out))
    }
}
