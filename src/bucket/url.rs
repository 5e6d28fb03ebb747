//! URLs <-> paths relative to the content directory: a site URL path (`/content/<root>/...`)
//! or what follows a CDN base serving the bucket prefix, percent-decoded into the local
//! relative path that is also the key below the prefix; and a CDN base <-> its public URLs.

use super::ROOTS;
use crate::error::{Error, Result};
use crate::url::Prefix;

/// Decodes `%XX` escapes; anything else, an incomplete or non-hex escape included, is kept as
/// is. Bytes that do not decode to UTF-8 leave the whole input unchanged. `+` is not a space
/// (this is a URL path, not a form).
pub fn percent_decode(s: &str) -> String {
    let hex = |c: &u8| (*c as char).to_digit(16).map(|d| d as u8);
    let mut parts = s.split('%');
    let mut out = parts.next().unwrap_or_default().as_bytes().to_vec();
    for part in parts {
        let b = part.as_bytes();
        match (b.first().and_then(hex), b.get(1).and_then(hex)) {
            (Some(h), Some(l)) => {
                out.push(h * 16 + l);
                out.extend_from_slice(&b[2..]);
            }
            _ => {
                out.push(b'%');
                out.extend_from_slice(b);
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// `/content/images/2024/a%20b.jpg` -> `images/2024/a b.jpg`; `None` outside
/// `/content/<root>/` or when nothing follows the root.
pub fn rel_of_site_path(path: &str) -> Option<String> {
    let inner = path.strip_prefix("/content/")?;
    let root = ROOTS
        .iter()
        .find(|r| inner.strip_prefix(**r).is_some_and(|t| t.starts_with('/')))?;
    let rest = &inner[root.len() + 1..];
    if rest.is_empty() {
        return None;
    }
    Some(format!("{root}/{}", percent_decode(rest)))
}

/// What follows a CDN base (`images/a%20b.jpg`) -> `images/a b.jpg`; `None` when empty.
pub fn rel_of_cdn_tail(tail: &str) -> Option<String> {
    let rel = percent_decode(tail);
    (!rel.is_empty()).then_some(rel)
}

/// A public base URL serving the bucket prefix (`--cdn-url`): its URLs are the base followed
/// by the key below the prefix, as stored (still percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdnBase {
    base: String,
}

impl CdnBase {
    /// `cdn` as given and the path it was parsed to: the base keeps one trailing '/' when the
    /// path has one (`https://cdn.example.com/content//` -> `https://cdn.example.com/content/`).
    pub fn new(cdn: &str, path: &str) -> Self {
        CdnBase {
            base: format!(
                "{}{}",
                cdn.trim_end_matches('/'),
                if path.ends_with('/') { "/" } else { "" }
            ),
        }
    }

    /// Parses a `--cdn-url` value the way `verify` reads it: an absolute URL prefix (the CDN
    /// base of the content root, e.g. `https://cdn.example.com/content/`), refused (exit 2)
    /// otherwise. Also returns the parsed prefix (scheme, host, port, path).
    pub fn parse(cdn: &str) -> Result<(Self, Prefix)> {
        let from = Prefix::parse("--cdn-url", cdn, None)?;
        let Prefix::Absolute { path, .. } = &from else {
            return Err(Error::usage(
                format!("--cdn-url {cdn:?} must be an absolute URL"),
                "give the CDN prefix, e.g. --cdn-url https://cdn.example.com/content/",
            ));
        };
        Ok((CdnBase::new(cdn.trim(), path), from))
    }

    /// The base every public URL starts with, as given (one trailing '/' when it has one).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The public URL of what follows the base (`images/a.jpg`).
    pub fn url(&self, tail: &str) -> String {
        format!("{}{tail}", self.base)
    }

    /// What follows the base in `url`; `None` when `url` is not under it.
    pub fn tail<'a>(&self, url: &'a str) -> Option<&'a str> {
        url.strip_prefix(self.base.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        for (raw, want) in [
            ("a%20b.jpg", "a b.jpg"),
            ("%C3%A9t%C3%A9", "été"),
            ("%2f%2F", "//"),
            ("a+b", "a+b"),
            ("100%", "100%"),
            ("%4", "%4"),
            ("%zz", "%zz"),
            ("%+1", "%+1"),
            ("%aé", "%aé"),
            ("%é", "%é"),
            ("%FF.jpg", "%FF.jpg"),
            ("%%41", "%A"),
            ("%", "%"),
            ("a%", "a%"),
            ("ok%20%FF", "ok%20%FF"),
            ("", ""),
        ] {
            assert_eq!(percent_decode(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn site_paths() {
        assert_eq!(
            rel_of_site_path("/content/images/size/w600/a.jpg").as_deref(),
            Some("images/size/w600/a.jpg")
        );
        assert_eq!(
            rel_of_site_path("/content/media/%41.mp4").as_deref(),
            Some("media/A.mp4")
        );
        assert_eq!(rel_of_site_path("/content/files/").as_deref(), None);
        assert_eq!(rel_of_site_path("/content/").as_deref(), None);
        assert_eq!(rel_of_site_path("/content/images%2Fa.jpg"), None);
    }

    #[test]
    fn cdn_bases() {
        let c = CdnBase::new("https://cdn.example.com/content/", "/content/");
        assert_eq!(
            c.url("images/a.jpg"),
            "https://cdn.example.com/content/images/a.jpg"
        );
        assert_eq!(
            c.tail("https://cdn.example.com/content/images/a.jpg"),
            Some("images/a.jpg")
        );
        let c = CdnBase::new("https://cdn.example.com/content//", "/content/");
        assert_eq!(c.url("x"), "https://cdn.example.com/content/x");
        let c = CdnBase::new("https://cdn.example.com/c", "/c");
        assert_eq!(
            c.url("/images/a.jpg"),
            "https://cdn.example.com/c/images/a.jpg"
        );
        assert_eq!(c.tail("https://cdn.example.com/images/a.jpg"), None);
        assert_eq!(rel_of_cdn_tail("images/%20"), Some("images/ ".into()));
        assert_eq!(rel_of_cdn_tail(""), None);
    }
}
