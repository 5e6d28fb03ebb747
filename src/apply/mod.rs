//! Applying: guarded UPDATEs keyed by the primary key, many rows per statement. Every changed
//! cell is guarded by what was read (the value itself on SQLite, its SHA-256 computed by the
//! server on MySQL), so a row edited by someone else since it was read aborts the whole
//! transaction. The caller owns the transaction.

use crate::db::{self, Conn, P};
use crate::error::{Error, Result};
use std::borrow::Cow;

/// A cell to write: column, the value to store, and the guard value of what was read
/// (`db::guard_value`).
pub struct CellWrite<'a> {
    pub column: &'a str,
    pub new: &'a str,
    pub guard: Cow<'a, str>,
}

/// One row's changed cells.
pub struct RowWrite<'a> {
    pub id: &'a str,
    pub cells: Vec<CellWrite<'a>>,
}

impl RowWrite<'_> {
    fn bytes(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.new.len() + c.guard.len())
            .sum::<usize>()
            + self.id.len()
    }
}

/// Writes the rows' changed cells; fails if any row no longer holds the values read.
pub async fn write_rows(
    conn: &mut Conn,
    table: &str,
    pk: &str,
    rows: &[RowWrite<'_>],
) -> Result<()> {
    for chunk in db::chunks(rows, db::MAX_ROWS, db::MAX_BYTES, RowWrite::bytes) {
        write_chunk(conn, table, pk, chunk).await?;
    }
    Ok(())
}

/// Writes one row's changed cells.
pub async fn update_row(
    conn: &mut Conn,
    table: &str,
    pk: &str,
    id: &str,
    cells: Vec<CellWrite<'_>>,
) -> Result<()> {
    write_chunk(conn, table, pk, &[RowWrite { id, cells }]).await
}

/// One statement:
/// `UPDATE t SET c = CASE pk WHEN ? THEN ? … ELSE c END, …
///  WHERE pk IN (?, …) AND CASE pk WHEN ? THEN guard(c) = ? AND … END`.
async fn write_chunk(conn: &mut Conn, table: &str, pk: &str, rows: &[RowWrite<'_>]) -> Result<()> {
    let qpk = conn.q(pk);
    let mut columns: Vec<&str> = Vec::new();
    for c in rows.iter().flat_map(|r| &r.cells) {
        if !columns.contains(&c.column) {
            columns.push(c.column);
        }
    }
    let mut params: Vec<P> = Vec::new();
    let mut sets = Vec::new();
    for col in &columns {
        let qc = conn.q(col);
        let mut case = format!("{qc} = CASE {qpk}");
        for r in rows {
            if let Some(c) = r.cells.iter().find(|c| c.column == *col) {
                case.push_str(" WHEN ? THEN ?");
                params.extend([P::S(r.id), P::S(c.new)]);
            }
        }
        case.push_str(&format!(" ELSE {qc} END"));
        sets.push(case);
    }
    params.extend(rows.iter().map(|r| P::S(r.id)));
    let mut guard = format!("CASE {qpk}");
    for r in rows {
        let conds: Vec<String> = r
            .cells
            .iter()
            .map(|c| format!("{} = ?", conn.guard(&conn.q(c.column))))
            .collect();
        guard.push_str(&format!(" WHEN ? THEN {}", conds.join(" AND ")));
        params.push(P::S(r.id));
        params.extend(r.cells.iter().map(|c| P::S(&c.guard)));
    }
    guard.push_str(" ELSE 0 END");
    let sql = format!(
        "UPDATE {} SET {} WHERE {qpk} IN ({}) AND {guard}",
        conn.q(table),
        sets.join(", "),
        vec!["?"; rows.len()].join(", ")
    );
    let n = conn.exec_once(&sql, &params).await?;
    if n as usize != rows.len() {
        return Err(conflict(conn, table, pk, rows).await);
    }
    Ok(())
}

/// Names the rows that no longer held what was read (the others were written and now hold
/// their new value).
async fn conflict(conn: &mut Conn, table: &str, pk: &str, rows: &[RowWrite<'_>]) -> Error {
    let mut changed = Vec::new();
    for r in rows {
        let cols: Vec<String> = r.cells.iter().map(|c| conn.q(c.column)).collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ?",
            cols.join(", "),
            conn.q(table),
            conn.q(pk)
        );
        let now = conn.rows(&sql, &[P::S(r.id)]).await.ok();
        let current = now.as_ref().and_then(|v| v.first());
        let differs: Vec<&str> = r
            .cells
            .iter()
            .enumerate()
            .filter(|(k, c)| current.and_then(|row| row[*k].as_deref()) != Some(c.new))
            .map(|(_, c)| c.column)
            .collect();
        if !differs.is_empty() {
            changed.push(format!("{table} id {} ({})", r.id, differs.join(", ")));
        }
    }
    let which = if changed.is_empty() {
        format!("a row of {table}")
    } else {
        changed.join("; ")
    };
    Error::Conflict(format!(
        "{which} changed while ghost-migrate was running; the transaction was rolled back and nothing was written. Stop Ghost (or freeze editing) and run again"
    ))
}
