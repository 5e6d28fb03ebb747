//! `runs` and `runs show ID`: the journal's runs.

use super::Outcome;
use super::db::DbRequest;
use crate::cli::{RunsArgs, RunsCommand};
use crate::error::Result;
use crate::journal;
use crate::output::Output;

pub struct Request {
    pub db: DbRequest,
    /// `runs show ID`; None lists them all.
    pub show: Option<String>,
}

impl Request {
    pub fn from_args(a: RunsArgs) -> Result<Self> {
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            show: a.cmd.map(|RunsCommand::Show { run_id }| run_id),
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, _) = req.db.resolve(None, out).await?;
    let mut conn = target.connect(req.db.connect_timeout).await?;
    if !journal::check(&mut conn).await? {
        return Ok(Outcome::NoRuns);
    }
    Ok(match req.show {
        None => Outcome::Runs(journal::list_runs(&mut conn).await?),
        Some(id) => Outcome::Run(Box::new(journal::get_run(&mut conn, &id).await?)),
    })
}
