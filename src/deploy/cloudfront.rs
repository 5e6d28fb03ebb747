//! Invalidating CloudFront's cached pages after a rewrite: which paths (`choose_paths`, pure)
//! and the invalidation itself (`invalidate`: CreateInvalidation, then GetInvalidation until
//! `Completed`).
//!
//! The path rule. CloudFront bills invalidations per path, a wildcard path counting as one (the
//! first 1,000 paths a month are free), and allows at most 3,000 paths, 15 of them wildcards, in
//! progress per distribution. A changed post or page is served at `/<slug>/`, and its image
//! also shows on the pages that list posts (home, `/page/N/`, tags, authors, RSS). So: when
//! settings changed (logo, icon, cover, navigation: on every page) or more than
//! `MAX_LISTED_PAGES` posts changed, `/*` (one path, everything fresh, the origin serves each
//! page once more); otherwise each changed post's path plus the listing pages, four of them
//! wildcards, at most `MAX_LISTED_PAGES + 5` paths.

use super::WaitOptions;
use crate::error::{Error, Result};
use crate::progress::{Cancel, Progress, Task};
use serde::Serialize;

/// Above this many changed posts and pages, `/*` is cheaper and simpler than listing them.
pub const MAX_LISTED_PAGES: usize = 20;

/// A post or page whose stored HTML changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedPage {
    pub slug: String,
    /// A page (`type = 'page'`) rather than a post: not on the listing pages.
    pub page: bool,
}

/// The paths to invalidate under the site's path `base` (`/` or `/blog/`).
pub fn choose_paths(base: &str, pages: &[ChangedPage], settings_changed: bool) -> Vec<String> {
    let base = format!("/{}", base.trim_matches('/'));
    let base = if base == "/" { String::new() } else { base };
    if settings_changed || pages.len() > MAX_LISTED_PAGES {
        return vec![format!("{base}/*")];
    }
    if pages.is_empty() {
        return vec![];
    }
    let mut paths: Vec<String> = pages
        .iter()
        .map(|p| format!("{base}/{}/", encode(&p.slug)))
        .collect();
    if pages.iter().any(|p| !p.page) {
        for l in ["/", "/rss/", "/page/*", "/tag/*", "/author/*"] {
            paths.push(format!("{base}{l}"));
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// Percent-encodes what CloudFront wants encoded in a path (everything but unreserved
/// characters), byte by byte, so a non-ASCII slug matches the path the browser requested.
fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[derive(Debug, Clone, Serialize)]
pub struct InvalidationReport {
    pub distribution_id: String,
    pub invalidation_id: String,
    pub caller_reference: String,
    pub paths: Vec<String>,
    /// `Completed`, or the last status seen when waiting stopped.
    pub status: String,
    pub elapsed_ms: u64,
}

fn cf_error<E>(
    dist: &str,
    e: &aws_sdk_cloudfront::error::SdkError<E, aws_sdk_cloudfront::config::http::HttpResponse>,
) -> Error
where
    E: aws_sdk_cloudfront::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = crate::aws::service_code(e)
        .map(|(c, _)| c)
        .unwrap_or_default();
    let msg = format!(
        "CloudFront distribution {dist}: {}",
        crate::aws::describe(e)
    );
    match code.as_str() {
        "NoSuchDistribution" => Error::usage(
            msg,
            "check cloudfront_distribution_id in the plan (aws cloudfront list-distributions)",
        ),
        "AccessDenied" => Error::usage(
            msg,
            "the credentials need cloudfront:CreateInvalidation and cloudfront:GetInvalidation",
        ),
        "TooManyInvalidationsInProgress" => Error::Aws {
            msg,
            hint: Some("wait for the distribution's other invalidations to finish, then run the plan again".into()),
        },
        _ => Error::Aws {
            msg,
            hint: Some("check the distribution id and credentials; run the plan again to retry".into()),
        },
    }
}

/// Invalidates `paths` and waits until CloudFront says Completed. `caller_reference` must be
/// the same when a step is retried: CloudFront then returns the invalidation it already made
/// instead of making (and billing) another.
pub async fn invalidate(
    client: &aws_sdk_cloudfront::Client,
    distribution_id: &str,
    paths: &[String],
    caller_reference: &str,
    opts: &WaitOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<InvalidationReport> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let started = std::time::Instant::now();
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| Error::Aws {
                    msg: format!("invalidation paths: {e}"),
                    hint: None,
                })?,
        )
        .caller_reference(caller_reference)
        .build()
        .map_err(|e| Error::Aws {
            msg: format!("invalidation batch: {e}"),
            hint: None,
        })?;
    let out = client
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| cf_error(distribution_id, &e))?;
    let inv = out.invalidation().ok_or_else(|| Error::Aws {
        msg: format!("CloudFront distribution {distribution_id}: CreateInvalidation answered without an invalidation"),
        hint: None,
    })?;
    let id = inv.id().to_string();
    let mut status = inv.status().to_string();
    progress.start(Task::Percent {
        label: "CloudFront invalidation",
    });
    progress.status(&format!(
        "invalidation {id} of {} path(s) on {distribution_id}: {status}",
        paths.len()
    ));
    let report = |status: String| InvalidationReport {
        distribution_id: distribution_id.into(),
        invalidation_id: id.clone(),
        caller_reference: caller_reference.into(),
        paths: paths.to_vec(),
        status,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    loop {
        if status == "Completed" {
            progress.set(100);
            progress.finish();
            return Ok(report(status));
        }
        if started.elapsed() >= opts.timeout {
            progress.finish();
            return Err(Error::Aws {
                msg: format!("invalidation {id} on {distribution_id} not completed after {} s ({status})", opts.timeout.as_secs()),
                hint: Some("CloudFront goes on; run the plan again to wait for it (the same invalidation is found again)".into()),
            });
        }
        if !super::sleep_unless_cancelled(opts.poll, cancel).await {
            progress.finish();
            return Ok(report(format!("{status} (waiting stopped)")));
        }
        let g = client
            .get_invalidation()
            .distribution_id(distribution_id)
            .id(&id)
            .send()
            .await
            .map_err(|e| cf_error(distribution_id, &e))?;
        let now = g
            .invalidation()
            .map(|i| i.status().to_string())
            .unwrap_or_default();
        if now != status {
            progress.status(&format!("invalidation {id}: {now}"));
            status = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(slug: &str) -> ChangedPage {
        ChangedPage {
            slug: slug.into(),
            page: false,
        }
    }

    #[test]
    fn a_few_changed_posts_are_listed_with_the_listing_pages() {
        let p = choose_paths("/", &[post("hello"), post("café-ünïcode")], false);
        assert_eq!(
            p,
            [
                "/",
                "/author/*",
                "/caf%C3%A9-%C3%BCn%C3%AFcode/",
                "/hello/",
                "/page/*",
                "/rss/",
                "/tag/*"
            ]
        );
        let only_page = choose_paths(
            "/blog/",
            &[ChangedPage {
                slug: "about".into(),
                page: true,
            }],
            false,
        );
        assert_eq!(only_page, ["/blog/about/"]);
    }

    #[test]
    fn settings_or_many_posts_invalidate_everything() {
        assert_eq!(choose_paths("/", &[post("a")], true), ["/*"]);
        let many: Vec<ChangedPage> = (0..=MAX_LISTED_PAGES)
            .map(|i| post(&format!("p{i}")))
            .collect();
        assert_eq!(choose_paths("/blog", &many, false), ["/blog/*"]);
        let at_limit = &many[..MAX_LISTED_PAGES];
        let p = choose_paths("/", at_limit, false);
        assert_eq!(p.len(), MAX_LISTED_PAGES + 5);
        assert!(p.iter().filter(|x| x.contains('*')).count() <= 15);
        assert!(choose_paths("/", &[], false).is_empty());
    }
}
