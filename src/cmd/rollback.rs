//! `rollback RUN_ID`: preview, confirm, restore (the same protocol as `rewrite`).

use super::Outcome;
use super::db::DbRequest;
use crate::cli::RollbackArgs;
use crate::error::{Error, Result};
use crate::journal::rollback::{self, RollbackRequest};
use crate::output::Output;

pub struct Request {
    pub db: DbRequest,
    pub run_id: String,
    pub dry_run: bool,
    pub yes: bool,
    pub skip_conflicts: bool,
}

impl Request {
    pub fn from_args(a: RollbackArgs) -> Result<Self> {
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            run_id: a.run_id,
            dry_run: a.dry_run,
            yes: a.yes,
            skip_conflicts: a.skip_conflicts,
        })
    }

    /// Whether the operator must confirm on the terminal.
    fn asks(&self) -> bool {
        !self.dry_run && !self.yes
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, _) = req.db.resolve(None, out).await?;
    if req.asks() && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::usage(
            "refusing to write without confirmation: stdin is not a terminal",
            "add --yes to roll back, or --dry-run to preview",
        ));
    }
    let (mut conn, _) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let mut r = RollbackRequest {
        run_id: &req.run_id,
        dry_run: true,
        skip_conflicts: req.skip_conflicts,
        args: super::recorded_args(),
    };
    if req.asks() {
        let preview = rollback::rollback(&mut conn, &r).await?;
        crate::output::table::print_rollback(out, &preview);
        let q = format!(
            "Restore {} cell(s) of run {}?",
            preview.restorable, req.run_id
        );
        if out.confirm(&q) != Some(true) {
            return Err(Error::usage(
                "not confirmed; nothing was written",
                "answer y, or pass --yes",
            ));
        }
    }
    r.dry_run = req.dry_run;
    Ok(Outcome::Rollback(rollback::rollback(&mut conn, &r).await?))
}
