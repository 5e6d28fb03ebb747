//! Rollback: restores the journalled old values of one run in one transaction, but only where a
//! cell still holds exactly what the run wrote (SHA-256 compare). Anything else is a conflict.
//! A rollback is itself a run, so it can be rolled back.

use super::{CHANGES, Entry, Run, Writer};
use crate::apply::{self, CellWrite};
use crate::db::schema::{self, Table};
use crate::db::{Conn, P};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub table: String,
    pub column: String,
    pub id: String,
    /// "Title (slug)" of the post the cell belongs to, where there is one.
    pub post: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub schema: u32,
    pub command: &'static str,
    pub dry_run: bool,
    pub run_id: String,
    pub restorable: u64,
    pub conflicts: Vec<Conflict>,
    pub new_run_id: Option<String>,
    pub settings_changed: bool,
}

async fn post_label(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    table: &str,
    id: &str,
) -> Option<String> {
    let t = tables.get(table)?;
    let pk = t.pk.as_deref()?;
    let (sql, key) = if t.has_column("title") && t.has_column("slug") {
        (
            format!(
                "SELECT title, slug FROM {} WHERE {} = ?",
                conn.q(table),
                conn.q(pk)
            ),
            id.to_string(),
        )
    } else if t.has_column("post_id") {
        let post_id = conn
            .scalar(
                &format!(
                    "SELECT post_id FROM {} WHERE {} = ?",
                    conn.q(table),
                    conn.q(pk)
                ),
                &[P::S(id)],
            )
            .await
            .ok()??;
        (
            "SELECT title, slug FROM posts WHERE id = ?".to_string(),
            post_id,
        )
    } else {
        return None;
    };
    let row = conn
        .rows(&sql, &[P::S(&key)])
        .await
        .ok()?
        .into_iter()
        .next()?;
    Some(format!(
        "{} ({})",
        row[0].as_deref().unwrap_or(""),
        row[1].as_deref().unwrap_or("")
    ))
}

struct Journalled {
    seq: i64,
    table: String,
    row_id: String,
    column: String,
    old: Option<String>,
    new_sha: String,
}

fn damaged(e: impl std::fmt::Display) -> Error {
    Error::Journal(format!("the journal is damaged ({e}); nothing was written"))
}

async fn read_changes(conn: &mut Conn, run_id: &str, after: i64) -> Result<Vec<Journalled>> {
    let rows = conn
        .rows(
            &format!(
                "SELECT seq, table_name, row_id, column_name, old_value, new_sha256, HEX(old_zlib) FROM {CHANGES} WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT 200"
            ),
            &[P::S(run_id), P::I(after)],
        )
        .await
        .map_err(damaged)?;
    rows.into_iter()
        .map(|r| {
            Ok(Journalled {
                seq: r[0]
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| damaged("bad seq"))?,
                table: r[1].clone().ok_or_else(|| damaged("missing table_name"))?,
                row_id: r[2].clone().ok_or_else(|| damaged("missing row_id"))?,
                column: r[3].clone().ok_or_else(|| damaged("missing column_name"))?,
                old: match (&r[4], &r[6]) {
                    (Some(text), _) => Some(text.clone()),
                    (None, Some(z)) => Some(
                        hex::decode(z)
                            .map_err(damaged)
                            .and_then(|b| super::compress::uncompress(&b).map_err(damaged))?,
                    ),
                    (None, None) => None,
                },
                new_sha: r[5].clone().ok_or_else(|| damaged("missing new_sha256"))?,
            })
        })
        .collect()
}

/// Checks that a run can be rolled back here, before anything is written.
async fn preflight(conn: &mut Conn, run: &Run) -> Result<()> {
    if run.status != "applied" {
        return Err(Error::Journal(format!(
            "run {} is {}, not applied; it cannot be rolled back",
            run.id, run.status
        )));
    }
    if let Some(by) = &run.rolled_back_by {
        return Err(Error::usage(
            format!("run {} was already rolled back by run {by}", run.id),
            format!("to redo it, roll back the rollback: ghost-migrate rollback {by}"),
        ));
    }
    let here = super::db_identity(conn).await?;
    if run.db_identity != here {
        return Err(Error::Journal(format!(
            "run {} was recorded in another Ghost database (db_hash {:?}, this one is {:?}); the journal tables were copied here, refusing to touch this database",
            run.id, run.db_identity, here
        )));
    }
    let n = conn
        .scalar(
            &format!("SELECT COUNT(*) FROM {CHANGES} WHERE run_id = ?"),
            &[P::S(&run.id)],
        )
        .await
        .map_err(damaged)?
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    if n != run.cells_changed {
        return Err(damaged(format!(
            "run {} records {} changed cells but the journal holds {n}",
            run.id, run.cells_changed
        )));
    }
    Ok(())
}

pub struct RollbackRequest<'a> {
    pub run_id: &'a str,
    pub dry_run: bool,
    pub skip_conflicts: bool,
    pub args: String,
}

pub async fn rollback(conn: &mut Conn, req: &RollbackRequest<'_>) -> Result<RollbackReport> {
    if !super::check(conn).await? {
        return Err(Error::usage(
            "this database has no ghost-migrate journal, so there is no run to roll back",
            "check --db / --ghost-config",
        ));
    }
    let run = super::get_run(conn, req.run_id).await?;
    if run.kind == "snapshot" {
        return Err(Error::usage(
            format!(
                "run {} records a snapshot, not a rewrite: there is nothing to roll back",
                run.id
            ),
            "restore an RDS snapshot with `aws rds restore-db-cluster-from-snapshot`, or copy a SQLite backup over the stopped database",
        ));
    }
    if run.kind != "rewrite" && run.kind != "rollback" {
        return Err(Error::usage(
            format!(
                "run {} records a {} step, which changed no cell of the database: there is nothing to roll back",
                run.id, run.kind
            ),
            "roll back a rewrite (list the runs with `ghost-migrate runs`)",
        ));
    }
    preflight(conn, &run).await?;
    let tables = schema::discover(conn).await?;
    let mut report = RollbackReport {
        schema: crate::REPORT_SCHEMA,
        command: "rollback",
        dry_run: req.dry_run,
        run_id: run.id.clone(),
        restorable: 0,
        conflicts: Vec::new(),
        new_run_id: None,
        settings_changed: false,
    };
    let new_run = Run {
        from: run.to.clone(),
        to: run.from.clone(),
        db_identity: run.db_identity.clone(),
        rolls_back: Some(run.id.clone()),
        ..Run::new("rollback", req.args.clone(), None)
    };
    if !req.dry_run {
        conn.begin_write().await?;
    }
    let res = restore_all(conn, &tables, &run, &new_run, req, &mut report).await;
    if req.dry_run {
        return res.map(|_| report);
    }
    match res {
        Ok(()) if !report.conflicts.is_empty() && !req.skip_conflicts => {
            conn.rollback().await?;
            let mut msg = format!(
                "{} cell(s) changed since run {}; nothing was written:",
                report.conflicts.len(),
                run.id
            );
            for c in report.conflicts.iter().take(20) {
                msg.push_str(&format!(
                    "\n  {}.{} id {}{}: {}",
                    c.table,
                    c.column,
                    c.id,
                    c.post
                        .as_ref()
                        .map(|p| format!(" [{p}]"))
                        .unwrap_or_default(),
                    c.reason
                ));
            }
            msg.push_str("\nhint: --skip-conflicts keeps those newer edits and restores the rest");
            Err(Error::Refused(msg))
        }
        Ok(()) => {
            conn.commit().await?;
            report.new_run_id = Some(new_run.id.clone());
            Ok(report)
        }
        Err(e) => {
            let _ = conn.rollback().await;
            Err(e)
        }
    }
}

async fn restore_all(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    run: &Run,
    new_run: &Run,
    req: &RollbackRequest<'_>,
    report: &mut RollbackReport,
) -> Result<()> {
    let mut writer = Writer::new(new_run.id.clone());
    if !req.dry_run {
        super::begin_run(conn, new_run).await?;
    }
    let mut rows = std::collections::BTreeSet::new();
    let mut last = 0;
    loop {
        let batch = read_changes(conn, &run.id, last).await?;
        let Some(l) = batch.last() else { break };
        last = l.seq;
        for j in batch {
            let conflict = |reason: &str| Conflict {
                table: j.table.clone(),
                column: j.column.clone(),
                id: j.row_id.clone(),
                post: None,
                reason: reason.to_string(),
            };
            let Some(pk) = tables
                .get(&j.table)
                .filter(|t| t.has_column(&j.column))
                .and_then(|t| t.pk.clone())
            else {
                report
                    .conflicts
                    .push(conflict("the table or column no longer exists"));
                continue;
            };
            let Some(old) = j.old.as_deref() else {
                return Err(damaged(format!("change {} has no old value", j.seq)));
            };
            let sql = format!(
                "SELECT {} FROM {} WHERE {} = ?",
                conn.q(&j.column),
                conn.q(&j.table),
                conn.q(&pk)
            );
            let found = conn.rows(&sql, &[P::S(&j.row_id)]).await?;
            let current = match found.into_iter().next() {
                None => {
                    report
                        .conflicts
                        .push(conflict("the row was deleted since the run"));
                    continue;
                }
                Some(r) => r.into_iter().next().flatten(),
            };
            let Some(current) = current.filter(|c| super::sha256_hex(c) == j.new_sha) else {
                let mut c = conflict("the cell was edited since the run");
                c.post = post_label(conn, tables, &j.table, &j.row_id).await;
                report.conflicts.push(c);
                continue;
            };
            report.restorable += 1;
            if j.table == "settings" || j.table == "custom_theme_settings" {
                report.settings_changed = true;
            }
            if req.dry_run {
                continue;
            }
            let guard = crate::db::guard_value(conn.engine(), &current).into_owned();
            apply::update_row(
                conn,
                &j.table,
                &pk,
                &j.row_id,
                vec![CellWrite {
                    column: &j.column,
                    new: old,
                    guard: guard.into(),
                }],
            )
            .await?;
            rows.insert((j.table.clone(), j.row_id.clone()));
            writer
                .write(
                    conn,
                    &[Entry {
                        table: &j.table,
                        row_id: &j.row_id,
                        column: &j.column,
                        old: &current,
                        old_zlib: super::compress::compress(&current).as_deref(),
                        new_sha256: &super::sha256_hex(old),
                    }],
                )
                .await?;
        }
    }
    if req.dry_run {
        return Ok(());
    }
    super::finish_run(
        conn,
        &new_run.id,
        rows.len() as u64,
        report.restorable,
        0,
        &serde_json::json!([]),
    )
    .await?;
    conn.exec(
        &format!("UPDATE {} SET rolled_back_by = ? WHERE id = ?", super::RUNS),
        &[P::S(&new_run.id), P::S(&run.id)],
    )
    .await?;
    // Undoing a rollback re-applies the run it undid, which can then be rolled back again.
    if let Some(original) = &run.rolls_back {
        conn.exec(
            &format!(
                "UPDATE {} SET rolled_back_by = NULL WHERE id = ?",
                super::RUNS
            ),
            &[P::S(original)],
        )
        .await?;
    }
    Ok(())
}
