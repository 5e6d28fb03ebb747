//! `verify`: every referenced image/media/file URL has its object in the bucket (and, with
//! `--http`, answers on the public URL).

use super::Outcome;
use super::db::DbRequest;
use crate::aws;
use crate::cli::VerifyArgs;
use crate::error::Result;
use crate::journal;
use crate::output::Output;
use crate::verify::{self, VerifyRequest};

/// The checked flags; `verify.content_dir` is completed from the Ghost config in `execute`.
pub struct Request {
    pub db: DbRequest,
    pub aws: aws::Settings,
    pub verify: VerifyRequest,
}

impl Request {
    pub fn from_args(a: VerifyArgs) -> Result<Self> {
        let layout = crate::bucket::BucketLayout::new(&a.bucket, &a.prefix)?;
        Ok(Request {
            db: DbRequest::from_args(&a.db)?,
            aws: a.aws.settings(),
            verify: VerifyRequest {
                layout,
                cdn_url: a.cdn_url,
                content_dir: a.content_dir,
                http: a.http,
                concurrency: a.concurrency as usize,
                orphans: a.orphans,
            },
        })
    }
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, site) = req.db.resolve(Some(&req.aws), out).await?;
    let mut v = req.verify;
    if v.cdn_url.is_none() && site.is_none() {
        out.warn("no site URL: only __GHOST_URL__ values are checked; pass --site-url or --ghost-config to include absolute and relative ones");
    }
    v.content_dir = crate::bucket::optional_content_dir(
        v.content_dir.as_deref(),
        req.db.ghost_config.as_deref(),
    )?;
    let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
    let s3 = aws::Aws::load(&req.aws).await?.s3();
    let r = verify::run(&mut conn, &tables, target.display(), site.as_ref(), &v, &s3).await?;
    let status = if r.missing.is_empty() && r.http_problems.is_empty() {
        journal::StepStatus::Applied
    } else {
        journal::StepStatus::Failed
    };
    let detail = serde_json::to_value(&r).unwrap_or_default();
    super::record_step(
        &target,
        req.db.connect_timeout,
        "verify",
        detail,
        status,
        out,
    )
    .await;
    Ok(Outcome::Verify(r))
}
