//! `verify --http`: HEAD every distinct public URL with bounded concurrency and report what did
//! not answer 200 (S3 behind CloudFront answers 403 for a missing key without s3:ListBucket).

use super::HttpProblem;
use crate::error::{Error, Result};
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;

pub async fn check(urls: Vec<String>, concurrency: usize) -> Result<Vec<HttpProblem>> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| Error::Tls(format!("TLS set-up failed: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for url in urls {
        let client = client.clone();
        let permit = sem.clone().acquire_owned().await.expect("semaphore open");
        set.spawn(async move {
            let _permit = permit;
            let req = match hyper::Request::head(url.as_str()).body(Empty::<Bytes>::new()) {
                Ok(r) => r,
                Err(e) => {
                    return Some(HttpProblem {
                        url,
                        status: None,
                        error: Some(e.to_string()),
                    });
                }
            };
            match tokio::time::timeout(Duration::from_secs(20), client.request(req)).await {
                Ok(Ok(resp)) if resp.status().as_u16() == 200 => None,
                Ok(Ok(resp)) => Some(HttpProblem {
                    url,
                    status: Some(resp.status().as_u16()),
                    error: None,
                }),
                Ok(Err(e)) => Some(HttpProblem {
                    url,
                    status: None,
                    error: Some(crate::aws::chain(&e)),
                }),
                Err(_) => Some(HttpProblem {
                    url,
                    status: None,
                    error: Some("timed out after 20 s".into()),
                }),
            }
        });
    }
    let mut problems = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(Some(p)) = r {
            problems.push(p);
        }
    }
    problems.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(problems)
}
