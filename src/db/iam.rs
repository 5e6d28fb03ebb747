//! RDS IAM database authentication: the short-lived auth token (`aws rds
//! generate-db-auth-token`, boto3's `generate_db_auth_token`), a SigV4 presigned
//! `Action=connect&DBUser=...` URL for the `rds-db` service, valid 900 s, without its scheme.
//! It signs with credentials it is given (the standard AWS chain, loaded by the command
//! layer); the token is made just before each connection, so a long wait never outlives it.

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

/// How long a token may be used to open a connection (RDS's maximum, boto3's value).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// How a MySQL target authenticates.
#[derive(Debug, Clone)]
pub enum Iam {
    /// With the password (or none).
    Off,
    /// `?iam-auth=true` in `--db`: credentials not loaded yet (the command layer loads them).
    Wanted,
    /// With an IAM token made from these credentials before each connection.
    Ready(IamAuth),
}

impl Iam {
    /// Reads `iam-auth` from a `--db` URL's query.
    pub fn from_url_query(query: &str) -> Result<Iam, super::DbError> {
        let mut out = Iam::Off;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
            if k != "iam-auth" {
                continue;
            }
            out = match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "" => Iam::Wanted,
                "false" | "0" | "no" => Iam::Off,
                _ => {
                    return Err(super::DbError::Setting {
                        msg: format!("--db has iam-auth={v:?}"),
                        hint: "use iam-auth=true (or the --iam-auth flag)".into(),
                    });
                }
            };
        }
        Ok(out)
    }
}

/// Where IAM tokens come from: a region and a credentials provider of the standard chain.
#[derive(Debug, Clone)]
pub struct IamAuth {
    pub region: String,
    pub credentials: SharedCredentialsProvider,
}

/// Why no IAM auth token could be made.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(String);

impl From<&str> for TokenError {
    fn from(s: &str) -> Self {
        TokenError(s.to_string())
    }
}

impl IamAuth {
    /// A fresh token for `user` at `host:port` (credentials refreshed by the provider).
    pub async fn token(&self, host: &str, port: u16, user: &str) -> Result<String, TokenError> {
        let creds =
            self.credentials.provide_credentials().await.map_err(|e| {
                TokenError(format!("no AWS credentials for the IAM auth token: {e}"))
            })?;
        token(host, port, user, &self.region, &creds, now())
    }
}

/// The signing clock; debug builds take `GHOST_MIGRATE_TEST_NOW` (Unix seconds) so tests can
/// compare a token with a precomputed one.
fn now() -> SystemTime {
    if cfg!(debug_assertions)
        && let Some(secs) = std::env::var("GHOST_MIGRATE_TEST_NOW")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
    {
        return SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    }
    SystemTime::now()
}

/// Percent-encodes everything but RFC 3986 unreserved characters (as botocore does).
fn enc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The RDS IAM auth token for `user` at `host:port`, signed at `time`.
pub fn token(
    host: &str,
    port: u16,
    user: &str,
    region: &str,
    creds: &Credentials,
    time: SystemTime,
) -> Result<String, TokenError> {
    let base = format!("{host}:{port}/?Action=connect&DBUser={}", enc(user));
    let url = format!("https://{base}");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("rds-db")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| TokenError(e.to_string()))?
        .into();
    let host_header = format!("{host}:{port}");
    let req = SignableRequest::new(
        "GET",
        url.as_str(),
        std::iter::once(("host", host_header.as_str())),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| TokenError(format!("cannot sign for {host}:{port}: {e}")))?;
    let (instructions, _) = sign(req, &params)
        .map_err(|e| TokenError(format!("cannot sign for {host}:{port}: {e}")))?
        .into_parts();
    // botocore's order: the X-Amz-* parameters, the session token, then the signature.
    let mut out = base;
    let mut signature = None;
    for (name, value) in instructions.params() {
        if *name == "X-Amz-Signature" {
            signature = Some(value.to_string());
            continue;
        }
        out.push_str(&format!("&{name}={}", enc(value)));
    }
    let signature = signature.ok_or("the signer returned no signature")?;
    out.push_str(&format!("&X-Amz-Signature={signature}"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// host, port, user, region, access key, secret key, session token, boto3's token.
    type Case = (
        &'static str,
        u16,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
    );

    /// Produced by tools/iam-token-fixture.py (boto3 1.43.11), same inputs.
    const BOTO3_CASES: &[Case] = &[
        (
            "db.cluster-abc123.us-east-1.rds.amazonaws.com",
            3306,
            "ghost",
            "us-east-1",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            "db.cluster-abc123.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=ghost&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=aacbf1f358cd3e508f7626237ae0115a3dcbed0c35446c91c964baa6a337f7d4",
        ),
        (
            "ghost-db.c9akciq32.cn-north-1.rds.amazonaws.com.cn",
            3307,
            "ghost_iam+x@y",
            "cn-north-1",
            "ASIAEXAMPLE",
            "secret/with+chars=",
            Some("FwoGZXIvYXdzE//session+token/=="),
            "ghost-db.c9akciq32.cn-north-1.rds.amazonaws.com.cn:3307/?Action=connect&DBUser=ghost_iam%2Bx%40y&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260102%2Fcn-north-1%2Frds-db%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzE%2F%2Fsession%2Btoken%2F%3D%3D&X-Amz-Signature=152d687cffecb7234f1c843e762260774f3eeaf79fd44c71a1656d0b71808319",
        ),
    ];

    #[test]
    fn tokens_equal_boto3() {
        // 2026-01-02T03:04:05Z
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_323_045);
        for (host, port, user, region, ak, sk, st, want) in BOTO3_CASES {
            let creds = Credentials::new(*ak, *sk, st.map(str::to_string), None, "test");
            let got = token(host, *port, user, region, &creds, t).unwrap();
            assert_eq!(&got, want, "{host}");
        }
    }
}
