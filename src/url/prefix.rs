//! URL prefixes and the site: parsing and validating `--from`, `--to` and `--site-url` values.
//! Pure: no SQL, no I/O, no printing. (The tests below also exercise the matcher on top.)

use std::fmt;

/// Ghost's placeholder for "the site URL" in transform-ready values.
pub const GHOST_URL: &str = "__GHOST_URL__";

/// Why a `--from`, `--to` or `--site-url` value was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PrefixError {
    #[error("{flag} is empty")]
    Empty { flag: &'static str },
    #[error(
        "{flag} {value:?} is not a URL prefix: expected https://host/path/, //host/path/, /path/ or __GHOST_URL__/path/"
    )]
    NotAPrefix { flag: &'static str, value: String },
    #[error("{flag} {value:?} contains {ch:?}, which would need escaping in HTML or JSON")]
    BadChar {
        flag: &'static str,
        value: String,
        ch: char,
    },
    #[error(
        "{flag} {value:?} needs the site URL: pass --site-url https://your-site/ or --ghost-config"
    )]
    NeedsSite { flag: &'static str, value: String },
}

/// A parsed URL prefix in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefix {
    /// `https://host[:port]/path`, `http://...` or protocol-relative `//host/path` (scheme None).
    Absolute {
        scheme: Option<String>,
        host: String,
        port: Option<u16>,
        path: String,
    },
    /// `__GHOST_URL__/path`: the site's own URL, whatever it is.
    Ghost { path: String },
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prefix::Absolute {
                scheme,
                host,
                port,
                path,
            } => {
                if let Some(s) = scheme {
                    write!(f, "{s}:")?;
                }
                write!(f, "//{host}")?;
                if let Some(p) = port {
                    write!(f, ":{p}")?;
                }
                write!(f, "{path}")
            }
            Prefix::Ghost { path } => write!(f, "{GHOST_URL}{path}"),
        }
    }
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Characters a prefix may not contain: they would need escaping in HTML attributes or JSON strings,
/// or they end a URL.
fn forbidden(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`' | '&')
}

/// Parses `scheme://host[:port]/path` after the scheme (if any) has been split off.
fn parse_authority_path(
    flag: &'static str,
    value: &str,
    scheme: Option<String>,
    rest: &str,
) -> Result<Prefix, PrefixError> {
    let bad = || PrefixError::NotAPrefix {
        flag,
        value: value.to_string(),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if path.contains(['?', '#']) || authority.contains(['?', '#', '@']) {
        return Err(bad());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| bad())?)),
        None => (authority, None),
    };
    if host.is_empty()
        || !host.chars().all(is_host_char)
        || host.starts_with(['.', '-'])
        || host.ends_with('-')
    {
        return Err(bad());
    }
    // The scheme's default port written out is the same site: `https://host:443/` is stored
    // and matched as `https://host/` (whose matcher also accepts the written-out port).
    let port = match (scheme.as_deref(), port) {
        (Some("https"), Some(443)) | (Some("http"), Some(80)) => None,
        (_, p) => p,
    };
    Ok(Prefix::Absolute {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        path: path.to_string(),
    })
}

impl Prefix {
    /// Parses a `--from`/`--to`/`--site-url` value. Root-relative `/path/` needs the site URL.
    pub fn parse(
        flag: &'static str,
        value: &str,
        site: Option<&Prefix>,
    ) -> Result<Self, PrefixError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(PrefixError::Empty { flag });
        }
        if let Some(ch) = value.chars().find(|c| forbidden(*c)) {
            return Err(PrefixError::BadChar {
                flag,
                value: value.to_string(),
                ch,
            });
        }
        let bad = || PrefixError::NotAPrefix {
            flag,
            value: value.to_string(),
        };
        if let Some(rest) = value.strip_prefix(GHOST_URL) {
            if !(rest.is_empty() || rest.starts_with('/')) || rest.contains(['?', '#']) {
                return Err(bad());
            }
            let path = if rest.is_empty() { "/" } else { rest };
            return Ok(Prefix::Ghost {
                path: path.to_string(),
            });
        }
        if let Some(rest) = value.strip_prefix("//") {
            return parse_authority_path(flag, value, None, rest);
        }
        if let Some((scheme, rest)) = value.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(bad());
            }
            return parse_authority_path(flag, value, Some(scheme), rest);
        }
        if value.starts_with('/') {
            let Some(Prefix::Absolute {
                scheme, host, port, ..
            }) = site
            else {
                return Err(PrefixError::NeedsSite {
                    flag,
                    value: value.to_string(),
                });
            };
            if value.contains(['?', '#']) {
                return Err(bad());
            }
            return Ok(Prefix::Absolute {
                scheme: scheme.clone(),
                host: host.clone(),
                port: *port,
                path: value.to_string(),
            });
        }
        Err(bad())
    }

    pub fn path(&self) -> &str {
        match self {
            Prefix::Absolute { path, .. } | Prefix::Ghost { path } => path,
        }
    }
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The site URL (Ghost's `url`): scheme, host, port and subdirectory (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub host: String,
    pub port: Option<u16>,
    pub subdir: String,
    pub url: String,
}

impl Site {
    pub fn parse(value: &str) -> Result<Self, PrefixError> {
        match Prefix::parse("--site-url", value, None)? {
            Prefix::Absolute {
                scheme: Some(_),
                host,
                port,
                path,
            } => Ok(Site {
                host,
                port,
                subdir: path.trim_end_matches('/').to_string(),
                url: value.trim().to_string(),
            }),
            _ => Err(PrefixError::NotAPrefix {
                flag: "--site-url",
                value: value.to_string(),
            }),
        }
    }
    /// `host` or `host:port`, as URLs spell it.
    pub fn host_port(&self) -> String {
        host_port(&self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{Form, MatchOptions, UrlMap};

    fn map(from: &str, to: &str, site: Option<&str>) -> UrlMap {
        let site = site.map(|s| Site::parse(s).unwrap());
        let sp = site.as_ref().map(|s| Prefix::Absolute {
            scheme: None,
            host: s.host.clone(),
            port: s.port,
            path: s.subdir.clone(),
        });
        let f = Prefix::parse("--from", from, sp.as_ref()).unwrap();
        let t = Prefix::parse("--to", to, sp.as_ref()).unwrap();
        UrlMap::new(f, t, site.as_ref(), &MatchOptions::default()).unwrap()
    }

    fn rw(m: &UrlMap, s: &str) -> String {
        m.rewrite(s)
            .map(|(x, _)| x)
            .unwrap_or_else(|| s.to_string())
    }

    const FROM: &str = "https://blog.example.com/content/images/";
    const TO: &str = "https://cdn.example.com/content/images/";

    #[test]
    fn look_alike_hosts_never_match() {
        let m = map(FROM, TO, None);
        for s in [
            "https://blog.example.com.evil.net/content/images/a.jpg",
            "https://notblog.example.com/content/images/a.jpg",
            "https://blog.example.community/content/images/a.jpg",
            "https://blog.example.com:8080/content/images/a.jpg",
            "https://xblog.example.com/content/images/a.jpg",
            "ftp://blog.example.com/content/images/a.jpg",
            "https://blog.example.com/content/Images/a.jpg",
            "https://blog.example.com/content/images-archive/a.jpg",
            "https://other.com/content/images/a.jpg",
            "https://user@blog.example.com/content/images/a.jpg",
        ] {
            assert_eq!(rw(&m, s), s, "{s} must not match");
        }
    }

    #[test]
    fn scheme_variants_and_case() {
        let m = map(FROM, TO, None);
        for s in [
            "https://blog.example.com/content/images/a.jpg",
            "http://blog.example.com/content/images/a.jpg",
            "//blog.example.com/content/images/a.jpg",
            "HTTPS://Blog.Example.COM/content/images/a.jpg",
        ] {
            assert_eq!(
                rw(&m, s),
                "https://cdn.example.com/content/images/a.jpg",
                "{s}"
            );
        }
        let exact = UrlMap::new(
            Prefix::parse("--from", FROM, None).unwrap(),
            Prefix::parse("--to", TO, None).unwrap(),
            None,
            &MatchOptions { exact_scheme: true },
        )
        .unwrap();
        assert_eq!(
            rw(&exact, "http://blog.example.com/content/images/a.jpg"),
            "http://blog.example.com/content/images/a.jpg"
        );
    }

    #[test]
    fn path_boundary_without_trailing_slash() {
        let m = map(
            "https://blog.example.com/content/images",
            "https://cdn.example.com/img",
            None,
        );
        assert_eq!(
            rw(&m, "https://blog.example.com/content/images-archive/a.jpg"),
            "https://blog.example.com/content/images-archive/a.jpg"
        );
        assert_eq!(
            rw(&m, "x https://blog.example.com/content/images/a.jpg y"),
            "x https://cdn.example.com/img/a.jpg y"
        );
        assert_eq!(
            rw(&m, "\"https://blog.example.com/content/images\""),
            "\"https://cdn.example.com/img\""
        );
    }

    #[test]
    fn host_only_prefix_respects_host_boundary() {
        let m = map("https://old.com", "https://new.com", None);
        assert_eq!(
            rw(&m, "https://old.com.evil.net/x"),
            "https://old.com.evil.net/x"
        );
        assert_eq!(rw(&m, "https://old.com:8080/x"), "https://old.com:8080/x");
        assert_eq!(rw(&m, "see https://old.com."), "see https://old.com.");
        assert_eq!(rw(&m, "https://old.com/x"), "https://new.com/x");
        assert_eq!(
            rw(&m, "<a href=\"https://old.com\">"),
            "<a href=\"https://new.com\">"
        );
    }

    #[test]
    fn json_escaped_and_html_contexts() {
        let m = map(FROM, TO, None);
        assert_eq!(
            rw(
                &m,
                r#"{"src":"https:\/\/blog.example.com\/content\/images\/a.jpg"}"#
            ),
            r#"{"src":"https:\/\/cdn.example.com\/content\/images\/a.jpg"}"#
        );
        let html = r#"<img src="https://blog.example.com/content/images/a.jpg" srcset="https://blog.example.com/content/images/size/w600/a.jpg 600w, https://blog.example.com/content/images/a.jpg 1000w" style="background:url('//blog.example.com/content/images/b.jpg')">"#;
        let out = rw(&m, html);
        assert!(!out.contains("blog.example.com"), "{out}");
        assert!(out.contains("https://cdn.example.com/content/images/size/w600/a.jpg 600w"));
        let occ = m.find(html);
        assert_eq!(occ.len(), 4);
        assert_eq!(occ[3].form, Form::ProtocolRelative);
    }

    #[test]
    fn ghost_url_and_relative_need_site() {
        let no_site = map(FROM, TO, None);
        let s =
            r#"<img src="__GHOST_URL__/content/images/a.jpg"><img src="/content/images/b.jpg">"#;
        assert_eq!(rw(&no_site, s), s);
        assert_eq!(no_site.unresolved_ghost(s), 1);
        let m = map(FROM, TO, Some("https://blog.example.com/"));
        assert_eq!(
            rw(&m, s),
            r#"<img src="https://cdn.example.com/content/images/a.jpg"><img src="https://cdn.example.com/content/images/b.jpg">"#
        );
        let forms: Vec<Form> = m.find(s).iter().map(|o| o.form).collect();
        assert_eq!(forms, vec![Form::GhostUrl, Form::Relative]);
        // Relative only at a URL start, never inside another host's URL or a longer path.
        for keep in [
            "https://other.com/content/images/a.jpg",
            "/blog/content/images/a.jpg",
            "x/content/images/a.jpg",
        ] {
            assert_eq!(rw(&m, keep), keep);
        }
    }

    #[test]
    fn subdirectory_site() {
        let m = map(
            "https://ex.com/blog/content/images/",
            "https://cdn.ex.com/content/images/",
            Some("https://ex.com/blog"),
        );
        assert_eq!(
            rw(
                &m,
                "__GHOST_URL__/content/images/a.jpg /blog/content/images/b.jpg"
            ),
            "https://cdn.ex.com/content/images/a.jpg https://cdn.ex.com/content/images/b.jpg"
        );
        assert_eq!(rw(&m, "/content/images/c.jpg"), "/content/images/c.jpg");
    }

    #[test]
    fn ghost_url_as_from_and_as_to() {
        let m = map(
            "__GHOST_URL__/content/images/",
            "https://cdn.example.com/content/images/",
            None,
        );
        assert_eq!(
            rw(&m, "__GHOST_URL__/content/images/a.jpg"),
            "https://cdn.example.com/content/images/a.jpg"
        );
        let back = map(
            "https://blog.example.com/content/images/",
            "__GHOST_URL__/content/images/",
            Some("https://blog.example.com"),
        );
        assert_eq!(
            rw(
                &back,
                "https://blog.example.com/content/images/a.jpg __GHOST_URL__/content/images/b.jpg"
            ),
            "__GHOST_URL__/content/images/a.jpg __GHOST_URL__/content/images/b.jpg"
        );
        // Normalising to the portable form is idempotent.
        assert!(back.rewrite("__GHOST_URL__/content/images/b.jpg").is_none());
    }

    #[test]
    fn to_extending_from_is_idempotent() {
        let m = map("https://a.com/", "https://a.com/cdn/", None);
        let once = rw(&m, "https://a.com/x.jpg and https://a.com/cdn/y.jpg");
        assert_eq!(once, "https://a.com/cdn/x.jpg and https://a.com/cdn/y.jpg");
        assert!(m.rewrite(&once).is_none());
    }

    #[test]
    fn bad_prefixes_are_refused() {
        for (v, want_err) in [
            ("", true),
            ("blog.example.com/content", true),
            ("ftp://x.com/", true),
            ("https://x.com/a b", true),
            ("https://x.com/\"", true),
            ("https://x.com/?q=1", true),
            ("https:///content", true),
            ("/content/images/", true),
            ("https://x.com/content/images/", false),
            ("//x.com/content/", false),
            ("__GHOST_URL__/content/images/", false),
        ] {
            assert_eq!(Prefix::parse("--from", v, None).is_err(), want_err, "{v:?}");
        }
    }
}
