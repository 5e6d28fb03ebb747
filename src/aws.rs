//! The one AWS client factory (S3 and RDS) over the standard credential and region chain, and
//! the checks that turn "no region" / "no credentials" into clear errors before any call.
//! It builds clients; it never decides what to upload or snapshot.

use crate::error::{Error, Result};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::time::Duration;

/// The AWS flags, as plain values: `--profile`, `--region`, `--endpoint-url`,
/// `--force-path-style`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub force_path_style: bool,
}

/// A loaded AWS configuration with a known region and working credentials.
pub struct Aws {
    pub config: aws_config::SdkConfig,
    pub path_style: bool,
}

impl Aws {
    /// Loads profile/region/endpoint, then proves a region and credentials exist.
    pub async fn load(a: &Settings) -> Result<Aws> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(200)),
            );
        if let Some(p) = &a.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &a.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &a.endpoint_url {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(Error::usage(
                    format!("--endpoint-url {e:?} is not an http(s) URL"),
                    "give the full URL, e.g. --endpoint-url http://127.0.0.1:9000",
                ));
            }
            loader = loader.endpoint_url(e);
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(Error::usage(
                "no AWS region configured",
                "pass --region eu-west-1, set AWS_REGION, or set region in the profile (~/.aws/config)",
            ));
        }
        let Some(creds) = config.credentials_provider() else {
            return Err(no_credentials("no credentials provider"));
        };
        match tokio::time::timeout(Duration::from_secs(30), creds.provide_credentials()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(no_credentials(&crate::aws::chain(&e))),
            Err(_) => {
                return Err(no_credentials(
                    "timed out after 30 s looking for credentials",
                ));
            }
        }
        Ok(Aws {
            config,
            path_style: a.force_path_style || a.endpoint_url.is_some(),
        })
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(self.path_style)
            // We send Content-MD5 ourselves on every PUT and part, which every S3 server verifies;
            // the SDK's streaming CRC trailers are refused by some S3-compatible servers.
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.config)
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.config)
    }

    /// CloudFront is global: its API is signed for us-east-1 whatever the profile's region.
    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        let conf = aws_sdk_cloudfront::config::Builder::from(&self.config)
            .region(aws_sdk_cloudfront::config::Region::new("us-east-1"))
            .build();
        aws_sdk_cloudfront::Client::from_conf(conf)
    }

    pub fn region(&self) -> String {
        self.config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }
}

fn no_credentials(detail: &str) -> Error {
    Error::usage(
        format!("no AWS credentials found ({detail})"),
        "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile (run `aws sso login` for SSO profiles), or run where a task/instance role is attached",
    )
}

/// An error and its sources on one line ("a: b: c").
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

type HttpResponse = aws_sdk_s3::config::http::HttpResponse;

/// The service's error code and message of an SDK error, when the service answered.
pub fn service_code<E>(e: &aws_sdk_s3::error::SdkError<E, HttpResponse>) -> Option<(String, String)>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    match e {
        aws_sdk_s3::error::SdkError::ServiceError(se) => {
            let m = se.err();
            let status = se.raw().status().as_u16();
            let code = m
                .code()
                .map_or_else(|| format!("HTTP {status}"), str::to_string);
            // Without a parsed message, show the start of the body (non-AWS servers, proxies).
            let msg = match m.message() {
                Some(x) => x.to_string(),
                None => se
                    .raw()
                    .body()
                    .bytes()
                    .map(|b| {
                        String::from_utf8_lossy(&b[..b.len().min(300)])
                            .trim()
                            .to_string()
                    })
                    .unwrap_or_default(),
            };
            Some((code, msg))
        }
        _ => None,
    }
}

/// A one-line description of an SDK error: the service's code and message, or the transport chain.
pub fn describe<E>(e: &aws_sdk_s3::error::SdkError<E, HttpResponse>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match service_code(e) {
        Some((code, msg)) if msg.is_empty() => code,
        Some((code, msg)) => format!("{code}: {msg}"),
        None => chain(e),
    }
}
