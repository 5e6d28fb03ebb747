//! `--variants-from URL`: asks a running Ghost for a variant, so the bytes are exactly what
//! that Ghost serves (sharp, its own quality settings, AVIF). Ghost makes the variant on the
//! first request and answers it; for a size it does not know it redirects to the original,
//! which is followed (same server only).

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// A client for one Ghost origin.
pub struct Origin {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// `http://ghost:2368` or `http://ghost:2368/blog` (no trailing '/').
    base: String,
}

/// What Ghost answered.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Ghost redirected to the original (a size or format it does not make).
    pub redirected: bool,
}

impl Origin {
    pub fn new(base: &str) -> Result<Origin, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("TLS set-up failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Origin {
            client: Client::builder(TokioExecutor::new()).build(https),
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// GETs `<base>/content/<rel>` (rel percent-encoded as a URL path), following redirects
    /// that stay on the origin.
    pub async fn fetch(&self, rel: &str) -> Result<Fetched, String> {
        let mut url = format!("{}/content/{}", self.base, encode_path(rel));
        let mut redirected = false;
        for _ in 0..4 {
            let req = hyper::Request::get(url.as_str())
                .body(Empty::<Bytes>::new())
                .map_err(|e| format!("bad URL {url}: {e}"))?;
            let resp = tokio::time::timeout(Duration::from_secs(60), self.client.request(req))
                .await
                .map_err(|_| format!("GET {url}: no answer in 60 s"))?
                .map_err(|e| format!("GET {url}: {}", crate::aws::chain(&e)))?;
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp
                    .headers()
                    .get(hyper::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("GET {url}: {status} without a Location"))?;
                url = self
                    .same_origin(loc)
                    .ok_or_else(|| format!("GET {url}: redirected off the origin to {loc}"))?;
                redirected = true;
                continue;
            }
            if !status.is_success() {
                return Err(format!("GET {url}: HTTP {}", status.as_u16()));
            }
            let content_type = resp
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?
                .to_bytes()
                .to_vec();
            return Ok(Fetched {
                bytes,
                content_type,
                redirected,
            });
        }
        Err(format!("GET {url}: too many redirects"))
    }

    /// A Location on this origin, made absolute; None for another host.
    fn same_origin(&self, loc: &str) -> Option<String> {
        if loc.starts_with('/') && !loc.starts_with("//") {
            let host_end = self
                .base
                .find("://")
                .map(|i| i + 3)
                .and_then(|i| self.base[i..].find('/').map(|j| i + j))
                .unwrap_or(self.base.len());
            return Some(format!("{}{loc}", &self.base[..host_end]));
        }
        let origin_of = |u: &str| {
            let i = u.find("://")? + 3;
            let end = u[i..].find('/').map_or(u.len(), |j| i + j);
            Some(u[..end].to_ascii_lowercase())
        };
        (origin_of(loc)? == origin_of(&self.base)?).then(|| loc.to_string())
    }
}

/// Percent-encodes what a URL path cannot hold as is (space, '%', '?', '#', non-ASCII).
fn encode_path(rel: &str) -> String {
    let mut out = String::with_capacity(rel.len());
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_and_redirects_stay_home() {
        assert_eq!(encode_path("images/a b%.jpg"), "images/a%20b%25.jpg");
        assert_eq!(encode_path("images/é.jpg"), "images/%C3%A9.jpg");
        let o = Origin::new("http://127.0.0.1:2368/blog/").unwrap();
        assert_eq!(
            o.same_origin("/blog/content/images/a.jpg").as_deref(),
            Some("http://127.0.0.1:2368/blog/content/images/a.jpg")
        );
        assert_eq!(
            o.same_origin("http://127.0.0.1:2368/x").as_deref(),
            Some("http://127.0.0.1:2368/x")
        );
        assert_eq!(o.same_origin("https://evil.example/x"), None);
        assert_eq!(o.same_origin("//evil.example/x"), None);
    }
}
