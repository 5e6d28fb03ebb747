//! What ghost-migrate knows about Ghost itself: its configuration file and where it keeps URLs.

pub mod columns;
pub mod config;
pub mod ssl;

use crate::db::schema::{self, Table};
use crate::db::{Conn, Target};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::time::Duration;

/// Connects and checks that this is a Ghost database; returns the connection and its schema.
pub async fn open(target: &Target, timeout: Duration) -> Result<(Conn, BTreeMap<String, Table>)> {
    let mut conn = target.connect(timeout).await?;
    let tables = schema::discover(&mut conn).await?;
    if !tables.contains_key("posts") {
        return Err(Error::usage(
            format!(
                "{} is not a Ghost database (it has no posts table)",
                target.display()
            ),
            "point --db or --ghost-config at Ghost's own database",
        ));
    }
    Ok((conn, tables))
}

/// The active theme's folder name (`settings.active_theme`); None when unset.
pub async fn active_theme(conn: &mut Conn) -> Result<Option<String>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = 'active_theme'",
        conn.q("value"),
        conn.q("settings"),
        conn.q("key")
    );
    let rows = conn.rows(&sql, &[]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

/// The id of the settings row `key` (settings are rows keyed by `key`); None when absent.
pub async fn setting_id(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = ?",
        conn.q("id"),
        conn.q("settings"),
        conn.q("key")
    );
    let rows = conn.rows(&sql, &[crate::db::P::S(key)]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}
