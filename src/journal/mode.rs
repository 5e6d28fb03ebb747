//! SQLite only: the journal mode of the file while an apply runs in WAL mode.
//!
//! An apply reads on a second, read-only connection while the first one writes; in rollback
//! (`delete`) mode that reader is locked out from the writer's first cache spill until its
//! commit, in WAL mode it keeps its snapshot. So `to_wal` records the mode the file has in
//! `ghost_migrate_journal_mode` (committed, in that mode) and then switches to WAL; `back`
//! switches back and deletes the record. A record found at start is what a run left when it
//! could not switch back (killed, or another connection held the file): `restore` puts the
//! recorded mode back before anything else is done.

use super::table_exists;
use crate::db::{Conn, Engine, P};
use crate::error::{Error, Result};
use std::time::Duration;

pub const TABLE: &str = "ghost_migrate_journal_mode";

/// How long the switch to WAL waits for another connection's lock before the apply gives up on
/// WAL and reads and writes on one connection.
const SWITCH_WAIT: Duration = Duration::from_secs(2);
/// The busy timeout connections have otherwise (`Target::connect`).
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// What `to_wal` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wal {
    /// The file was in `original` mode and is now in WAL mode; `back` restores `original`.
    Switched { original: String },
    /// The file was in WAL mode already (its owner chose it): nothing to restore.
    Already,
    /// The file could not be switched (why): it stays as it was.
    Unavailable(String),
}

/// Restores the journal mode a run recorded and could not put back. Some(mode) when a record
/// was found and the mode restored; an error when the record is there and the mode cannot be
/// restored now (another connection holds the file in WAL mode).
pub async fn restore(conn: &mut Conn) -> Result<Option<String>> {
    if conn.engine() != Engine::Sqlite || !table_exists(conn, TABLE).await? {
        return Ok(None);
    }
    let Some(mode) = conn
        .scalar(&format!("SELECT mode FROM {TABLE} WHERE id = 1"), &[])
        .await?
    else {
        return Ok(None);
    };
    set_back(conn, &mode, 1).await?;
    Ok(Some(mode))
}

/// Records the file's journal mode and switches it to WAL. Never fails for a switch that is not
/// possible (another connection holds a lock, a mode that is not a rollback journal):
/// `Wal::Unavailable` says why, and nothing is left recorded.
pub async fn to_wal(conn: &mut Conn) -> Result<Wal> {
    if conn.engine() != Engine::Sqlite {
        return Ok(Wal::Unavailable("not a SQLite database".into()));
    }
    if let Err(e) = restore(conn).await {
        return Ok(Wal::Unavailable(e.to_string()));
    }
    let original = conn.journal_mode().await?;
    if original == "wal" {
        return Ok(Wal::Already);
    }
    if !matches!(original.as_str(), "delete" | "truncate" | "persist") {
        return Ok(Wal::Unavailable(format!(
            "the database's journal mode is {original}"
        )));
    }
    conn.set_busy_timeout(SWITCH_WAIT).await?;
    let switched = async {
        conn.exec(
            &format!(
                "INSERT OR REPLACE INTO {TABLE} (id, mode, switched_at, pid) VALUES (1, ?, ?, ?)"
            ),
            &[
                P::S(&original),
                P::S(&super::now()),
                P::I(std::process::id() as i64),
            ],
        )
        .await?;
        let now = conn.set_journal_mode("wal").await?;
        if now != "wal" {
            return Err(Error::Journal(format!(
                "SQLite kept journal mode {now} instead of switching to WAL"
            )));
        }
        Ok(())
    }
    .await;
    let result = match switched {
        Ok(()) => Wal::Switched { original },
        Err(e) => {
            // Still in the original mode: the record is not needed (if it cannot be deleted,
            // restoring it later is a no-op).
            let _ = conn
                .exec(&format!("DELETE FROM {TABLE} WHERE id = 1"), &[])
                .await;
            Wal::Unavailable(e.to_string())
        }
    };
    conn.set_busy_timeout(BUSY_WAIT).await?;
    Ok(result)
}

/// Switches the file back to `original` and deletes the record. Every other connection must be
/// closed (leaving WAL mode needs the file to itself); it retries for a moment, then fails and
/// leaves the record for the next command.
pub async fn back(conn: &mut Conn, original: &str) -> Result<()> {
    set_back(conn, original, 20).await
}

async fn set_back(conn: &mut Conn, mode: &str, attempts: u32) -> Result<()> {
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match conn.set_journal_mode(mode).await {
            Ok(now) if now == mode => {
                conn.exec(&format!("DELETE FROM {TABLE} WHERE id = 1"), &[])
                    .await?;
                return Ok(());
            }
            Ok(now) => last = format!("it is still {now}"),
            Err(e) => last = e.to_string(),
        }
    }
    Err(Error::Journal(format!(
        "cannot put the database back in journal mode {mode} ({last}): another connection holds it (Ghost, or a ghost-migrate still applying); the next ghost-migrate command restores it"
    )))
}
