//! Applying: one guarded UPDATE per changed row, keyed by the primary key and guarded by the
//! old value of every changed column, so a row edited by someone else since it was read aborts
//! the whole transaction. The caller owns the transaction.

use crate::db::{Conn, P};
use crate::error::{Error, Result};

/// A cell to write: column, the value read, the value to store.
pub struct CellWrite<'a> {
    pub column: &'a str,
    pub old: &'a str,
    pub new: &'a str,
}

/// Writes one row's changed cells; fails if the row no longer holds the values read.
pub async fn update_row(
    conn: &mut Conn,
    table: &str,
    pk: &str,
    id: &str,
    cells: &[CellWrite<'_>],
) -> Result<()> {
    let sets: Vec<String> = cells
        .iter()
        .map(|c| format!("{} = ?", conn.q(c.column)))
        .collect();
    // The primary key is unique under its own collation, so plain equality finds the row and
    // keeps the index; the old values are compared byte for byte.
    let mut guard = vec![format!("{} = ?", conn.q(pk))];
    guard.extend(cells.iter().map(|c| conn.binary_eq(&conn.q(c.column))));
    let sql = format!(
        "UPDATE {} SET {} WHERE {}",
        conn.q(table),
        sets.join(", "),
        guard.join(" AND ")
    );
    let mut params: Vec<P> = cells.iter().map(|c| P::S(c.new)).collect();
    params.push(P::S(id));
    params.extend(cells.iter().map(|c| P::S(c.old)));
    let n = conn.exec(&sql, &params).await?;
    if n != 1 {
        let cols: Vec<&str> = cells.iter().map(|c| c.column).collect();
        return Err(Error::Conflict(format!(
            "{table} id {id} ({}) changed while ghost-migrate was running; the transaction was rolled back and nothing was written. Stop Ghost (or freeze editing) and run again",
            cols.join(", ")
        )));
    }
    Ok(())
}
