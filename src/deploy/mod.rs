//! After a rewrite, what serves the site must notice it: Ghost restarted (it caches settings;
//! on ECS a new deployment of its service, `ecs.rs`) and the CDN's cached pages invalidated
//! (direct database edits purge nothing; CloudFront, `cloudfront.rs`). Engines: they take a
//! `&dyn Progress` and a `Cancel`, print nothing, and return reports.

pub mod cloudfront;
pub mod ecs;

/// How often to poll and how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    pub poll: std::time::Duration,
    pub timeout: std::time::Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            poll: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(1800),
        }
    }
}

/// Sleeps `d` in short slices so that Ctrl-C is noticed; false when cancelled.
pub(crate) async fn sleep_unless_cancelled(
    d: std::time::Duration,
    cancel: &crate::progress::Cancel,
) -> bool {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end {
        if cancel.is_cancelled() {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100).min(d)).await;
    }
    !cancel.is_cancelled()
}
