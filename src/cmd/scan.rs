//! `scan`: every URL in the database, grouped by host and path root, with rewrite suggestions.

use super::Outcome;
use super::db::DbRequest;
use crate::cli::ScanArgs;
use crate::error::Result;
use crate::output::Output;

pub struct Request {
    pub db: DbRequest,
    pub all_text_columns: bool,
    pub examples: usize,
}

impl Request {
    pub fn from_args(a: ScanArgs) -> Result<Self> {
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            all_text_columns: a.all_text_columns,
            examples: a.examples,
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, site) = req.db.resolve(None, out).await?;
    let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let inv = crate::inventory::inventory(
        &mut conn,
        &tables,
        target.display(),
        site.as_ref(),
        req.all_text_columns,
        req.examples,
    )
    .await?;
    Ok(Outcome::Scan(inv))
}
