//! The URL-prefix matcher: finds every stored spelling of one `--from` prefix in a string and
//! replaces it with the `--to` spelling. Pure string code: no SQL, no I/O, no printing.
//!
//! Boundaries are checked here, not by the database: the host matches case-insensitively and
//! only as a whole host, the path is case-sensitive and matches only at a path boundary.

use regex::Regex;
use serde::Serialize;
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

    /// Site-independent key: (host:port or "", full path). A Ghost prefix is resolved against the
    /// site when one is known.
    fn canonical(&self, site: Option<&Site>) -> Option<(String, String)> {
        match self {
            Prefix::Absolute {
                host, port, path, ..
            } => Some((host_port(host, *port), path.clone())),
            Prefix::Ghost { path } => {
                site.map(|s| (s.host_port(), format!("{}{}", s.subdir, path)))
            }
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

/// How a matched occurrence was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Absolute,
    ProtocolRelative,
    GhostUrl,
    Relative,
    JsonEscaped,
}

impl Form {
    pub const ALL: [Form; 5] = [
        Form::Absolute,
        Form::GhostUrl,
        Form::Relative,
        Form::ProtocolRelative,
        Form::JsonEscaped,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Form::Absolute => "absolute",
            Form::ProtocolRelative => "protocol-relative",
            Form::GhostUrl => "__GHOST_URL__",
            Form::Relative => "relative",
            Form::JsonEscaped => "json-escaped",
        }
    }
}

/// Counts per stored form for one string or one column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FormCounts {
    pub absolute: u64,
    pub protocol_relative: u64,
    pub ghost_url: u64,
    pub relative: u64,
    pub json_escaped: u64,
}

impl FormCounts {
    pub fn add(&mut self, form: Form, n: u64) {
        match form {
            Form::Absolute => self.absolute += n,
            Form::ProtocolRelative => self.protocol_relative += n,
            Form::GhostUrl => self.ghost_url += n,
            Form::Relative => self.relative += n,
            Form::JsonEscaped => self.json_escaped += n,
        }
    }
    pub fn get(&self, form: Form) -> u64 {
        match form {
            Form::Absolute => self.absolute,
            Form::ProtocolRelative => self.protocol_relative,
            Form::GhostUrl => self.ghost_url,
            Form::Relative => self.relative,
            Form::JsonEscaped => self.json_escaped,
        }
    }
    pub fn merge(&mut self, other: &FormCounts) {
        for f in Form::ALL {
            self.add(f, other.get(f));
        }
    }
    pub fn total(&self) -> u64 {
        Form::ALL.iter().map(|f| self.get(*f)).sum()
    }
}

/// Options that change what matches.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Only the scheme given in `--from` matches (no http/https/protocol-relative variants).
    pub exact_scheme: bool,
}

/// The compiled matcher for one `--from` -> `--to` rewrite.
#[derive(Debug, Clone)]
pub struct UrlMap {
    re: Regex,
    /// Literal `__GHOST_URL__<path>` spellings that would match if the site URL were known.
    unresolved_ghost: Option<Regex>,
    to: String,
    to_escaped: String,
    /// Relative and `__GHOST_URL__` spellings are enabled (the from host is the site's).
    /// When `--to` extends `--from`, the text after a match that marks it as already rewritten.
    already: Option<String>,
    ends_with_slash: bool,
    /// The path part every spelling contains (the `__GHOST_URL__` tail when site forms apply).
    needle_path: String,
    needle_host: Option<String>,
    pub from: Prefix,
    pub to_prefix: Prefix,
    pub site_forms: bool,
}

/// One matched occurrence in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub start: usize,
    pub end: usize,
    pub form: Form,
}

/// An absolute spelling to match: optional scheme, host[:port], path.
type Spelling = (Option<String>, String, String);

fn escape_slashes(s: &str) -> String {
    s.replace('/', "\\/")
}

/// Regex source for a literal path in one encoding (`/` or `\/` separators).
fn path_re(path: &str, escaped: bool) -> String {
    let lit = regex::escape(path);
    if escaped {
        lit.replace('/', r"\\/")
    } else {
        lit
    }
}

impl UrlMap {
    pub fn new(
        from: Prefix,
        to: Prefix,
        site: Option<&Site>,
        opts: &MatchOptions,
    ) -> Result<Self, PrefixError> {
        // Resolve the from prefix to the spellings it can have in the database.
        let (abs, ghost_path): (Option<Spelling>, Option<String>) = match &from {
            Prefix::Absolute {
                scheme,
                host,
                port,
                path,
            } => {
                let hp = host_port(host, *port);
                let ghost = site.and_then(|s| {
                    (s.host_port() == hp)
                        .then(|| path.strip_prefix(&s.subdir))
                        .flatten()
                        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                        .map(|rest| rest.to_string())
                });
                (Some((scheme.clone(), hp, path.clone())), ghost)
            }
            Prefix::Ghost { path } => {
                let abs = site.map(|s| (None, s.host_port(), format!("{}{}", s.subdir, path)));
                (abs, Some(path.clone()))
            }
        };
        let mut alts = Vec::new();
        for escaped in [false, true] {
            let slash = if escaped { r"\\/" } else { "/" };
            if let Some((scheme, hp, path)) = &abs {
                let scheme_re = match (opts.exact_scheme, scheme) {
                    (true, Some(s)) => format!("(?i:{s}):"),
                    (true, None) => String::new(),
                    (false, _) => "(?:(?i:https?):)?".to_string(),
                };
                alts.push(format!(
                    "{scheme_re}{slash}{slash}(?i:{}){}",
                    regex::escape(hp),
                    path_re(path, escaped)
                ));
            }
            if let Some(gp) = &ghost_path {
                alts.push(format!("{}{}", GHOST_URL, path_re(gp, escaped)));
                // Root-relative spelling: the full path on the site, never just "/".
                if let Some((_, _, path)) = &abs
                    && !path.trim_end_matches('/').is_empty()
                {
                    alts.push(path_re(path, escaped));
                }
            }
        }
        let re = Regex::new(&alts.join("|")).expect("matcher regex is built from escaped literals");
        let unresolved_ghost = match (&from, site) {
            (Prefix::Absolute { path, .. }, None) => Some(
                Regex::new(&format!(
                    "{GHOST_URL}(?:{}|{})",
                    path_re(path, false),
                    path_re(path, true)
                ))
                .expect("escaped literal"),
            ),
            _ => None,
        };
        let to_s = to.to_string();
        // Idempotence: if --to extends --from, an occurrence followed by the extension is
        // already rewritten.
        let already = match (from.canonical(site), to.canonical(site)) {
            (Some((fh, fp)), Some((th, tp))) if fh == th && tp.starts_with(&fp) && tp != fp => {
                Some(tp[fp.len()..].to_string())
            }
            _ => None,
        };
        let needle_path = ghost_path
            .clone()
            .unwrap_or_else(|| from.path().to_string());
        let needle_host = abs.as_ref().map(|(_, hp, _)| hp.clone());
        Ok(UrlMap {
            needle_path,
            needle_host,
            re,
            unresolved_ghost,
            to_escaped: escape_slashes(&to_s),
            to: to_s,
            already,
            ends_with_slash: from.path().ends_with('/'),
            site_forms: ghost_path.is_some(),
            from,
            to_prefix: to,
        })
    }

    /// Every occurrence of the from prefix in `text`, boundaries checked, in order.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(m) = self.re.find_at(text, at) {
            let (s, e) = (m.start(), m.end());
            let matched = m.as_str();
            let escaped = matched.contains("\\/");
            let form = classify(matched);
            let form_out = if escaped { Form::JsonEscaped } else { form };
            // An occurrence already spelled exactly as the replacement is not a change.
            if matched != self.replacement(form_out) && self.accept(bytes, s, e, form, escaped) {
                out.push(Occurrence {
                    start: s,
                    end: e,
                    form: if escaped { Form::JsonEscaped } else { form },
                });
                at = e;
            } else {
                at = s + text[s..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    fn accept(&self, b: &[u8], s: usize, e: usize, form: Form, escaped: bool) -> bool {
        let prev = if s == 0 { None } else { Some(b[s - 1]) };
        let ok_prev = match form {
            Form::Absolute => {
                !prev.is_some_and(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c))
            }
            Form::ProtocolRelative => {
                !prev.is_some_and(|c| c.is_ascii_alphanumeric() || b"+.-:/\\".contains(&c))
            }
            Form::GhostUrl | Form::JsonEscaped => true,
            Form::Relative => match prev {
                None => true,
                Some(c) => c.is_ascii_whitespace() || b"\"'(,=>[{;".contains(&c),
            },
        };
        if !ok_prev {
            return false;
        }
        if !self.ends_with_slash
            && let Some(&next) = b.get(e)
            && (next.is_ascii_alphanumeric() || b"-_.~%:@+".contains(&next) || next >= 0x80)
        {
            return false;
        }
        if let Some(ext) = &self.already {
            let rest = &b[e..];
            let ext = if escaped {
                escape_slashes(ext)
            } else {
                ext.clone()
            };
            if rest.starts_with(ext.as_bytes()) {
                return false;
            }
        }
        true
    }

    /// Rewrites every occurrence. Returns None when nothing matched.
    pub fn rewrite(&self, text: &str) -> Option<(String, FormCounts)> {
        let occ = self.find(text);
        if occ.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len() + occ.len() * 32);
        let mut counts = FormCounts::default();
        let mut last = 0;
        for o in &occ {
            out.push_str(&text[last..o.start]);
            out.push_str(self.replacement(o.form));
            counts.add(o.form, 1);
            last = o.end;
        }
        out.push_str(&text[last..]);
        Some((out, counts))
    }

    /// Occurrences of `__GHOST_URL__<from path>` that were not matched because the site URL is
    /// unknown.
    pub fn unresolved_ghost(&self, text: &str) -> u64 {
        self.unresolved_ghost
            .as_ref()
            .map_or(0, |re| re.find_iter(text).count() as u64)
    }

    /// Literal needles for a server-side pre-filter: every matching value contains at least one
    /// of them. A `true` flag means the needle must be searched in the lower-cased value.
    pub fn needles(&self) -> Vec<(String, bool)> {
        let core = self.needle_path.trim_start_matches('/');
        if core.len() >= 2 {
            return vec![(core.to_string(), false), (escape_slashes(core), false)];
        }
        let mut v = vec![(GHOST_URL.to_string(), false)];
        if let Some(h) = &self.needle_host {
            v.push((h.clone(), true));
        }
        v
    }

    /// The text that replaces an occurrence of this form.
    pub fn replacement(&self, form: Form) -> &str {
        if form == Form::JsonEscaped {
            &self.to_escaped
        } else {
            &self.to
        }
    }

    pub fn to_str(&self) -> &str {
        &self.to
    }
}

fn classify(m: &str) -> Form {
    if m.starts_with(GHOST_URL) {
        return Form::GhostUrl;
    }
    let lower = m.get(..6).unwrap_or(m).to_ascii_lowercase();
    if lower.starts_with("http") {
        Form::Absolute
    } else if m.starts_with("//") || m.starts_with("\\/\\/") {
        Form::ProtocolRelative
    } else {
        Form::Relative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
