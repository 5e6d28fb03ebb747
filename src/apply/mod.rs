//! Applying: guarded UPDATEs keyed by the primary key, many rows per statement on MySQL and
//! one row per prepared statement on SQLite (`write_rows_raw`). Every changed
//! cell is guarded by what was read (the value itself on SQLite, its SHA-256 computed by the
//! server on MySQL), so a row edited by someone else since it was read aborts the whole
//! transaction. The caller owns the transaction.

use crate::db::raw::{self, Raw, Stmt};
use crate::db::{self, Conn, DbError, P};
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

/// SQLite: the same guarded writes, one row per statement on SQLite's C API
/// (`UPDATE t SET c = ?, … WHERE pk = ? AND c = ? AND …`, the guard being the value read),
/// each shape prepared once per call. Returns the index of the first row that no longer held
/// what was read (nothing after it is written; `conflict_error` names it), or None.
pub fn write_rows_raw(
    raw: &Raw,
    table: &str,
    pk: &str,
    rows: &[RowWrite<'_>],
) -> std::result::Result<Option<usize>, DbError> {
    let mut prepared: Vec<(Vec<&str>, Stmt<'_>)> = Vec::new();
    let mut params: Vec<P> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let shape: Vec<&str> = r.cells.iter().map(|c| c.column).collect();
        let k = match prepared.iter().position(|(s, _)| *s == shape) {
            Some(k) => k,
            None => {
                let sets: Vec<String> = shape
                    .iter()
                    .map(|c| format!("{} = ?", raw::quote(c)))
                    .collect();
                let guards: Vec<String> = shape
                    .iter()
                    .map(|c| format!(" AND {} = ?", raw::quote(c)))
                    .collect();
                let sql = format!(
                    "UPDATE {} SET {} WHERE {} = ?{}",
                    raw::quote(table),
                    sets.join(", "),
                    raw::quote(pk),
                    guards.concat()
                );
                prepared.push((shape, raw.prepare(&sql)?));
                prepared.len() - 1
            }
        };
        params.clear();
        params.extend(r.cells.iter().map(|c| P::S(c.new)));
        params.push(P::S(r.id));
        params.extend(r.cells.iter().map(|c| P::S(&c.guard)));
        if prepared[k].1.execute(&params)? != 1 {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The error for a row `write_rows_raw` found changed.
pub async fn conflict_error(conn: &mut Conn, table: &str, pk: &str, row: &RowWrite<'_>) -> Error {
    conflict(conn, table, pk, std::slice::from_ref(row)).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

    fn cell<'a>(column: &'a str, new: &'a str, guard: &'a str) -> CellWrite<'a> {
        CellWrite {
            column,
            new,
            guard: Cow::Borrowed(guard),
        }
    }

    /// On a real SQLite file: rows whose cells hold what was read are written, one per
    /// statement whatever their column sets; the first row that no longer does stops the run,
    /// unwritten, and is named by its index.
    #[tokio::test]
    async fn raw_writes_are_guarded_by_the_value_read() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true);
        let mut c = SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE \"po\"\"sts\" (id TEXT PRIMARY KEY, html TEXT, feature_image TEXT);
             INSERT INTO \"po\"\"sts\" VALUES ('a', 'old a', 'img a'), ('b', 'old b', 'img b'), ('c', 'old c', NULL);",
        )
        .execute(&mut c)
        .await
        .unwrap();
        let rows = vec![
            RowWrite {
                id: "a",
                cells: vec![
                    cell("html", "new a", "old a"),
                    cell("feature_image", "new img a", "img a"),
                ],
            },
            RowWrite {
                id: "b",
                cells: vec![cell("feature_image", "new img b", "img b")],
            },
            // Read as "old c!", so someone changed it since: not written, and nothing after it.
            RowWrite {
                id: "c",
                cells: vec![cell("html", "new c", "old c!")],
            },
            RowWrite {
                id: "a",
                cells: vec![cell("html", "never", "new a")],
            },
        ];
        let mut conn = Conn::Sqlite(c);
        let Conn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let failed = raw::with_raw(c, |r| write_rows_raw(r, "po\"sts", "id", &rows))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed, Some(2));
        let now = conn
            .rows(
                "SELECT id, html, feature_image FROM \"po\"\"sts\" ORDER BY id",
                &[],
            )
            .await
            .unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            now,
            vec![
                vec![s("a"), s("new a"), s("new img a")],
                vec![s("b"), s("old b"), s("new img b")],
                vec![s("c"), s("old c"), None],
            ]
        );
        let e = conflict_error(&mut conn, "po\"sts", "id", &rows[2]).await;
        assert!(e.to_string().contains("po\"sts id c (html)"), "{e}");
        // A statement SQLite refuses is an error, not a silent skip.
        let Conn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let bad = [RowWrite {
            id: "a",
            cells: vec![cell("no_such_column", "x", "y")],
        }];
        let e = raw::with_raw(c, |r| write_rows_raw(r, "po\"sts", "id", &bad))
            .await
            .unwrap()
            .unwrap_err();
        assert!(e.to_string().contains("no_such_column"), "{e}");
    }
}
