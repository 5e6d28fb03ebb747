//! `verify`: every referenced image/media/file URL has its object in the bucket (and, with
//! `--http`, answers on the public URL).

use super::Outcome;
use super::db::DbRequest;
use crate::aws;
use crate::cli::VerifyArgs;
use crate::error::Result;
use crate::output::Output;
use crate::verify::{self, VerifyRequest};
use std::path::PathBuf;

pub struct Request {
    pub db: DbRequest,
    pub aws: aws::Settings,
    pub bucket: String,
    pub prefix: String,
    pub cdn_url: Option<String>,
    pub content_dir: Option<PathBuf>,
    pub http: bool,
    pub concurrency: usize,
}

impl Request {
    pub fn from_args(a: VerifyArgs) -> Result<Self> {
        crate::sync::check_bucket(&a.bucket)?;
        Ok(Request {
            prefix: crate::sync::normalize_prefix(&a.prefix)?,
            db: DbRequest::from_args(&a.db)?,
            aws: a.aws.settings(),
            bucket: a.bucket,
            cdn_url: a.cdn_url,
            content_dir: a.content_dir,
            http: a.http,
            concurrency: a.concurrency as usize,
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, site) = req.db.resolve(Some(&req.aws), out).await?;
    if req.cdn_url.is_none() && site.is_none() {
        out.warn("no site URL: only __GHOST_URL__ values are checked; pass --site-url or --ghost-config to include absolute and relative ones");
    }
    let content_dir = match req.content_dir {
        Some(d) => Some(d),
        None => req.db.config()?.and_then(|c| c.content_path),
    };
    let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let s3 = aws::Aws::load(&req.aws).await?.s3();
    let v = VerifyRequest {
        bucket: req.bucket,
        prefix: req.prefix,
        cdn_url: req.cdn_url,
        content_dir,
        http: req.http,
        concurrency: req.concurrency,
    };
    let r = verify::run(&mut conn, &tables, target.display(), site.as_ref(), &v, &s3).await?;
    Ok(Outcome::Verify(r))
}
