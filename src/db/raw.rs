//! SQLite's own C API on sqlx's connection, for the rewrite's hot loop only (batch reads, and
//! the apply's guarded UPDATEs and journal INSERTs): one-row statements prepared once per batch
//! and run many times, with values bound without a copy and rows copied once.
//! Through sqlx every statement is a message to the connection's worker thread and every bound
//! value is copied twice; a rewrite of 100,000 posts writes about 270,000 rows, so that cost is
//! most of the gap to a plain `UPDATE ... REPLACE()` (bench/RESULTS.md, 2026-12-06).
//!
//! `with_raw` holds sqlx's lock on the connection for as long as the closure runs: the worker
//! thread makes no call on the handle meanwhile, and the transaction sqlx began stays the one
//! these statements run in. The crate's unsafe code is in this file, apart from single `prctl`
//! and `setpriority` calls.

use super::{Cell, DbError, P, sql_err};
use libsqlite3_sys as ffi;
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

/// The raw connection, lent for one synchronous closure by `with_raw`.
pub struct Raw {
    db: NonNull<ffi::sqlite3>,
}

/// Runs `f` on the raw `sqlite3*` of `conn`, holding sqlx's lock on it (no `await` inside).
///
/// After the lock is released, a ping waits until sqlx's worker thread has taken the lock back
/// and is idle again. Without it, a `with_raw` started while the worker was still between
/// releasing and retaking the lock (its thread descheduled, which planning threads on a busy
/// 2-core machine make likely) could wait forever: 1 to 3 runs in 80 of the conformance test
/// hung under load, none in 1,040 with the ping. The wait for the lock is bounded too, so a hang
/// that gets past this is an error (the transaction is rolled back), never a stuck process.
pub async fn with_raw<R>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&Raw) -> R,
) -> Result<R, DbError> {
    let r = {
        let mut handle = tokio::time::timeout(LOCK_WAIT, conn.lock_handle())
            .await
            .map_err(|_| {
                DbError::Sql(format!(
                    "the SQLite connection was not handed over within {} s (a bug: please report it); the transaction is rolled back, nothing was written",
                    LOCK_WAIT.as_secs()
                ))
            })?
            .map_err(sql_err)?;
        let raw = Raw {
            db: handle.as_raw_handle(),
        };
        f(&raw)
    };
    conn.ping().await.map_err(sql_err)?;
    Ok(r)
}

/// How long `with_raw` waits for sqlx's worker to hand the connection over (it has nothing
/// else to do at that moment: each takes microseconds).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Quotes an SQLite identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

impl Raw {
    /// Prepares one statement (finalized when the `Stmt` is dropped).
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>, DbError> {
        let len = c_int::try_from(sql.len())
            .map_err(|_| DbError::Sql(format!("statement of {} bytes is too long", sql.len())))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: the handle is open and locked for us (`with_raw`); the text pointer and
        // length describe `sql`, which outlives the call.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db.as_ptr(),
                sql.as_ptr().cast::<c_char>(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        NonNull::new(stmt)
            .map(|s| Stmt { raw: self, s })
            .ok_or_else(|| DbError::Sql(format!("no statement in {sql:?}")))
    }

    /// Runs a query and returns every value as a `Cell`, as `Conn::cells` reads them: text
    /// (bytes that are not UTF-8 as `Binary`), BLOBs as `Binary`, numbers written out. The
    /// values are copied once, from SQLite's buffer into the `Cell`.
    pub fn cells(&self, sql: &str, params: &[P<'_>]) -> Result<Vec<Vec<Cell>>, DbError> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind(params)?;
        let s = stmt.s.as_ptr();
        let mut rows = Vec::new();
        let result = loop {
            // SAFETY: a prepared statement of this locked handle, its parameters bound to
            // `params`, which outlive the loop.
            match unsafe { ffi::sqlite3_step(s) } {
                ffi::SQLITE_ROW => {}
                ffi::SQLITE_DONE => break Ok(()),
                rc => break Err(self.error(rc)),
            }
            // SAFETY: as above, while the statement is on a row.
            let n = unsafe { ffi::sqlite3_column_count(s) };
            rows.push((0..n).map(|i| unsafe { column(s, i) }).collect());
        };
        stmt.clear();
        result.map(|()| rows)
    }

    /// The connection's last error, in the form sqlx gives it.
    fn error(&self, rc: c_int) -> DbError {
        // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the handle, valid
        // until the next call on it; it is copied at once.
        let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr())) };
        DbError::Sql(format!(
            "error returned from database: (code: {rc}) {}",
            msg.to_string_lossy()
        ))
    }
}

/// A prepared statement of `Raw`.
pub struct Stmt<'r> {
    raw: &'r Raw,
    s: NonNull<ffi::sqlite3_stmt>,
}

impl Stmt<'_> {
    /// Binds `params` (without copying them), runs the statement to its end and returns the
    /// rows it changed. The bindings are cleared before returning, so no pointer into
    /// `params` outlives the call.
    pub fn execute(&mut self, params: &[P<'_>]) -> Result<u64, DbError> {
        let s = self.s.as_ptr();
        let result = self.bind(params).and_then(|()| {
            // SAFETY: a prepared statement of this locked handle.
            match unsafe { ffi::sqlite3_step(s) } {
                ffi::SQLITE_DONE => {
                    // SAFETY: as above.
                    Ok(unsafe { ffi::sqlite3_changes64(self.raw.db.as_ptr()) } as u64)
                }
                ffi::SQLITE_ROW => Err(DbError::Sql("a write statement returned rows".into())),
                rc => Err(self.raw.error(rc)),
            }
        });
        self.clear();
        result
    }

    /// Binds `params` without copying them: the caller must `clear` before they go out of
    /// scope.
    fn bind(&mut self, params: &[P<'_>]) -> Result<(), DbError> {
        let s = self.s.as_ptr();
        let mut result = Ok(());
        for (i, p) in params.iter().enumerate() {
            let i = (i + 1) as c_int;
            // SAFETY: SQLITE_STATIC binds borrow the bytes until the statement is reset and
            // its bindings cleared, both done below before `params` can go out of scope.
            let rc = unsafe {
                match *p {
                    P::S(v) | P::OptS(Some(v)) => ffi::sqlite3_bind_text64(
                        s,
                        i,
                        v.as_ptr().cast::<c_char>(),
                        v.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    P::OptB(Some(b)) => ffi::sqlite3_bind_blob64(
                        s,
                        i,
                        b.as_ptr().cast(),
                        b.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                    P::OptS(None) | P::OptB(None) => ffi::sqlite3_bind_null(s, i),
                    P::I(n) => ffi::sqlite3_bind_int64(s, i, n),
                }
            };
            if rc != ffi::SQLITE_OK {
                result = Err(self.raw.error(rc));
                break;
            }
        }
        result
    }

    /// Resets the statement and drops its bindings.
    fn clear(&mut self) {
        // SAFETY: a prepared statement of this locked handle; reset's return repeats the
        // last step's error, already taken by the caller.
        unsafe {
            ffi::sqlite3_reset(self.s.as_ptr());
            ffi::sqlite3_clear_bindings(self.s.as_ptr());
        }
    }
}

/// Column `i` of the row `s` is on.
///
/// # Safety
/// `s` is a statement of a locked handle, positioned on a row, and `i` one of its columns.
unsafe fn column(s: *mut ffi::sqlite3_stmt, i: c_int) -> Cell {
    // SAFETY: the caller's contract; the pointer from sqlite3_column_blob / _text is valid
    // for sqlite3_column_bytes bytes until the next step, and is copied before.
    unsafe {
        let bytes = |p: *const u8| {
            let n = ffi::sqlite3_column_bytes(s, i) as usize;
            if p.is_null() || n == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(p, n).to_vec()
            }
        };
        match ffi::sqlite3_column_type(s, i) {
            ffi::SQLITE_NULL => Cell::Null,
            ffi::SQLITE_TEXT => match String::from_utf8(bytes(ffi::sqlite3_column_text(s, i))) {
                Ok(t) => Cell::Text(t),
                Err(e) => Cell::binary(e.into_bytes()),
            },
            ffi::SQLITE_BLOB => Cell::binary(bytes(ffi::sqlite3_column_blob(s, i).cast())),
            ffi::SQLITE_INTEGER => Cell::Text(ffi::sqlite3_column_int64(s, i).to_string()),
            // A REAL: SQLite's own text form of it.
            _ => Cell::Text(
                String::from_utf8_lossy(&bytes(ffi::sqlite3_column_text(s, i))).into_owned(),
            ),
        }
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, here; the handle is still locked (`Stmt` borrows `Raw`).
        unsafe {
            ffi::sqlite3_finalize(self.s.as_ptr());
        }
    }
}
