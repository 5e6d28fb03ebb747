//! The find-only matcher: every stored spelling of one URL prefix in a string, boundaries
//! checked. `scan`, `verify` and the rewriter (`map.rs`, which adds a target on top) share it.
//! Pure string code: no SQL, no I/O, no printing.
//!
//! Boundaries are checked here, not by the database: the host matches case-insensitively and
//! only as a whole host (with the scheme's default port written out or not), the path is
//! case-sensitive and matches only at a path boundary. `/` and `:` may be spelled plainly, as
//! `\/` (JSON), as HTML character references (`&#47;`, `&#x2F;`, `&sol;`, `&#58;`, `&colon;`)
//! or as `\u002F`.

use super::form::Form;
use super::prefix::{GHOST_URL, Prefix, Site};
use regex::Regex;
use std::borrow::Cow;

/// Options that change what matches.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Only the scheme given in `--from` matches (no http/https/protocol-relative variants).
    pub exact_scheme: bool,
}

/// One matched occurrence in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub start: usize,
    pub end: usize,
    pub form: Form,
}

/// How `/` and `:` are spelled in one family of regex alternatives.
pub(crate) struct Seps {
    slash: &'static str,
    colon: &'static str,
}

pub(crate) const PLAIN: Seps = Seps {
    slash: "/",
    colon: ":",
};
pub(crate) const ESCAPED: Seps = Seps {
    slash: r"\\/",
    colon: ":",
};
/// Every spelling at once (used only when a text holds an encoded separator).
pub(crate) const ANY: Seps = Seps {
    slash: r"(?:/|\\/|&#0*47;|&#[xX]0*2[fF];|&sol;|\\u002[fF])",
    colon: r"(?::|&#0*58;|&#[xX]0*3[aA];|&colon;|\\u003[aA])",
};

/// Regex source for a literal, with `/` and `:` in the given spelling.
pub(crate) fn lit(s: &str, seps: &Seps) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let mut buf = [0u8; 4];
    for ch in s.chars() {
        match ch {
            '/' => out.push_str(seps.slash),
            ':' => out.push_str(seps.colon),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    out
}

/// The separator spelled at byte `i` of `s`, if any: (`/` or `:`, its length in bytes).
pub(crate) fn sep_at(s: &str, i: usize) -> Option<(char, usize)> {
    let b = s.as_bytes().get(i..)?;
    match *b.first()? {
        b'/' => Some(('/', 1)),
        b':' => Some((':', 1)),
        b'\\' => match b.get(1)? {
            b'/' => Some(('/', 2)),
            b'u' if b.len() >= 6 && b[2..6].iter().all(u8::is_ascii_hexdigit) => {
                match u32::from_str_radix(&s[i + 2..i + 6], 16).ok()? {
                    0x2f => Some(('/', 6)),
                    0x3a => Some((':', 6)),
                    _ => None,
                }
            }
            _ => None,
        },
        b'&' => {
            let end = b.iter().take(12).position(|&c| c == b';')?;
            let name = s.get(i + 1..i + end)?;
            let c = match name {
                "sol" => '/',
                "colon" => ':',
                n if n.starts_with('#') => {
                    let v = match n[1..].strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n[1..].parse::<u32>().ok()?,
                    };
                    char::from_u32(v)?
                }
                _ => return None,
            };
            matches!(c, '/' | ':').then_some((c, end + 1))
        }
        _ => None,
    }
}

/// The character spelled at byte `i` by a numeric character reference or a `\u` escape.
pub(crate) fn decode_char_at(s: &str, i: usize) -> Option<char> {
    let b = s.as_bytes().get(i..)?;
    if b.starts_with(b"\\u") && b.len() >= 6 && b[2..6].iter().all(u8::is_ascii_hexdigit) {
        return char::from_u32(u32::from_str_radix(&s[i + 2..i + 6], 16).ok()?);
    }
    if b.starts_with(b"&#") {
        let end = b.iter().take(12).position(|&c| c == b';')?;
        let n = s.get(i + 2..i + end)?;
        let v = match n.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => n.parse::<u32>().ok()?,
        };
        return char::from_u32(v);
    }
    let named = [
        ("&period;", '.'),
        ("&colon;", ':'),
        ("&sol;", '/'),
        ("&lowbar;", '_'),
    ];
    named
        .iter()
        .find(|(n, _)| b.starts_with(n.as_bytes()))
        .map(|(_, c)| *c)
}

/// Whether `text` spells a `/` or `:` as a character reference or `\u` escape (the slower
/// matcher that knows every spelling is needed).
pub(crate) fn has_encoded(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr2_iter(b'&', b'\\', b).any(|i| {
        let next = b.get(i + 1).copied();
        matches!(next, Some(b'#' | b's' | b'c' | b'u'))
            && sep_at(text, i).is_some_and(|(_, n)| n > 2)
    })
}

/// Whether `before` ends with an encoded `/` or `:` (so what follows is not at a URL start).
fn ends_with_encoded_sep(before: &str) -> bool {
    let from = before.len().saturating_sub(12);
    (from..before.len()).any(|i| {
        before.is_char_boundary(i)
            && sep_at(before, i).is_some_and(|(_, n)| n > 2 && i + n == before.len())
    })
}

/// Replaces the encoded separators in `m` by plain `/` and `:`.
pub(crate) fn decode_seps(m: &str) -> Cow<'_, str> {
    if !m.contains(['&', '\\']) {
        return Cow::Borrowed(m);
    }
    let mut out = String::with_capacity(m.len());
    let mut i = 0;
    while i < m.len() {
        if let Some((c, n)) = sep_at(m, i) {
            out.push(c);
            i += n;
        } else {
            let c = m[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    Cow::Owned(out)
}

/// The stored spellings of one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Spellings {
    /// Scheme (None: any or protocol-relative), host, port, full path on the host.
    pub(crate) abs: Option<(Option<String>, String, Option<u16>, String)>,
    /// The path after `__GHOST_URL__` when the prefix is the site's own (this also enables the
    /// root-relative spelling).
    pub(crate) ghost_path: Option<String>,
}

impl Spellings {
    pub(crate) fn of(p: &Prefix, site: Option<&Site>) -> Self {
        match p {
            Prefix::Absolute {
                scheme,
                host,
                port,
                path,
            } => {
                let ghost = site
                    .filter(|s| s.host == *host && s.port == *port)
                    .and_then(|s| path.strip_prefix(s.subdir.as_str()))
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                    .map(str::to_string);
                Spellings {
                    abs: Some((scheme.clone(), host.clone(), *port, path.clone())),
                    ghost_path: ghost,
                }
            }
            Prefix::Ghost { path } => Spellings {
                abs: site.map(|s| {
                    (
                        None,
                        s.host.clone(),
                        s.port,
                        format!("{}{}", s.subdir, path),
                    )
                }),
                ghost_path: Some(path.clone()),
            },
        }
    }

    fn alternatives(&self, seps: &Seps, exact_scheme: bool, out: &mut Vec<String>) {
        if let Some((scheme, host, port, path)) = &self.abs {
            let scheme_re = match (exact_scheme, scheme) {
                (true, Some(s)) => format!("(?i:{s}){}", seps.colon),
                (true, None) => String::new(),
                (false, _) => format!("(?:(?i:https?){})?", seps.colon),
            };
            // A scheme's default port may be written out: the same site for Ghost.
            let port_re = match port {
                Some(p) => format!("{}{p}", seps.colon),
                None => format!("(?:{}(?:80|443))?", seps.colon),
            };
            out.push(format!(
                "{scheme_re}{s}{s}(?i:{}){port_re}{}",
                regex::escape(host),
                lit(path, seps),
                s = seps.slash
            ));
        }
        if let Some(gp) = &self.ghost_path {
            out.push(format!("{GHOST_URL}{}", lit(gp, seps)));
            // Root-relative spelling: the full path on the site, never just "/".
            if let Some((_, _, _, path)) = &self.abs
                && !path.trim_end_matches('/').is_empty()
            {
                out.push(lit(path, seps));
            }
        }
    }

    pub(crate) fn regex(&self, families: &[&Seps], exact_scheme: bool) -> Regex {
        let mut alts = Vec::new();
        for f in families {
            self.alternatives(f, exact_scheme, &mut alts);
        }
        Regex::new(&alts.join("|")).expect("matcher regex is built from escaped literals")
    }
}

/// (base form, reported form) of a matched text.
fn classify(m: &str, any: bool) -> (Form, Form) {
    let plain = if any {
        decode_seps(m)
    } else {
        Cow::Borrowed(m)
    };
    let base = if plain.starts_with(GHOST_URL) {
        Form::GhostUrl
    } else if plain
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("http"))
    {
        Form::Absolute
    } else if plain.starts_with("//") || plain.starts_with("\\/\\/") {
        Form::ProtocolRelative
    } else {
        Form::Relative
    };
    let form = if any && plain.len() != m.len() && (m.contains('&') || m.contains("\\u")) {
        Form::Encoded
    } else if m.contains("\\/") {
        Form::JsonEscaped
    } else {
        base
    };
    (base, form)
}

/// The compiled find-only matcher for one prefix.
#[derive(Debug, Clone)]
pub struct Finder {
    /// Plain and `\/` spellings (the fast path).
    re: Regex,
    /// Every spelling, for texts that hold an encoded separator.
    any_re: Regex,
    /// Literal `__GHOST_URL__<path>` spellings that would match if the site URL were known.
    unresolved_ghost: Option<Regex>,
    /// Root-relative `<path>` without the site's subdirectory (subdirectory sites only).
    outside_subdir: Option<Regex>,
    ends_with_slash: bool,
    /// The from host, when its port is implicit (for the default-port check).
    default_port_host: Option<String>,
    /// The path part every spelling contains (the `__GHOST_URL__` tail when site forms apply).
    needle_path: String,
    needle_host: Option<String>,
    pub from: Prefix,
    /// Whether the site's own forms (`__GHOST_URL__`, root-relative) are matched too.
    pub site_forms: bool,
}

/// What the JSON walk and the cell helpers need of a matcher: the find-only `Finder` and the
/// rewriting `UrlMap` both answer it.
pub trait Find {
    /// Every occurrence in `text`, boundaries checked, in order.
    fn find(&self, text: &str) -> Vec<Occurrence>;
    /// Start offsets of raw matches, boundaries not checked (see `Finder::candidates`).
    fn candidates(&self, text: &str) -> Vec<usize>;
}

impl Find for Finder {
    fn find(&self, text: &str) -> Vec<Occurrence> {
        Finder::find(self, text)
    }
    fn candidates(&self, text: &str) -> Vec<usize> {
        Finder::candidates(self, text)
    }
}

impl Finder {
    pub fn new(from: Prefix, site: Option<&Site>, opts: &MatchOptions) -> Self {
        let sp = Spellings::of(&from, site);
        let re = sp.regex(&[&PLAIN, &ESCAPED], opts.exact_scheme);
        let any_re = sp.regex(&[&ANY], opts.exact_scheme);
        let unresolved_ghost = match (&from, site) {
            (Prefix::Absolute { path, .. }, None) => Some(
                Regex::new(&format!(
                    "{GHOST_URL}(?:{}|{})",
                    lit(path, &PLAIN),
                    lit(path, &ESCAPED)
                ))
                .expect("escaped literal"),
            ),
            _ => None,
        };
        let outside_subdir = match (site, &sp.ghost_path) {
            (Some(s), Some(gp)) if !s.subdir.is_empty() && !gp.trim_end_matches('/').is_empty() => {
                Some(
                    Regex::new(&format!(r#"(?:^|[\s"'(,=>\[{{;]){}"#, lit(gp, &PLAIN)))
                        .expect("escaped literal"),
                )
            }
            _ => None,
        };
        let needle_path = sp
            .ghost_path
            .clone()
            .unwrap_or_else(|| from.path().to_string());
        let needle_host = sp.abs.as_ref().map(|(_, h, p, _)| match p {
            Some(p) => format!("{h}:{p}"),
            None => h.clone(),
        });
        let default_port_host = sp
            .abs
            .as_ref()
            .filter(|(_, _, p, _)| p.is_none())
            .map(|(_, h, _, _)| h.clone());
        Finder {
            needle_path,
            needle_host,
            re,
            any_re,
            unresolved_ghost,
            outside_subdir,
            ends_with_slash: from.path().ends_with('/'),
            default_port_host,
            site_forms: sp.ghost_path.is_some(),
            from,
        }
    }

    /// Every occurrence of the prefix in `text`, boundaries checked, in order.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        self.find_except(text, |_, _| false)
    }

    /// `find`, where a match `reject(matched text, form)` refuses is not an occurrence (the
    /// search goes on inside it, as for any refused match).
    pub fn find_except(&self, text: &str, reject: impl Fn(&str, Form) -> bool) -> Vec<Occurrence> {
        let any = has_encoded(text);
        self.scan(if any { &self.any_re } else { &self.re }, text, any, reject)
    }

    /// `find_except` by the matcher that knows every spelling.
    pub(crate) fn find_any_except(
        &self,
        text: &str,
        reject: impl Fn(&str, Form) -> bool,
    ) -> Vec<Occurrence> {
        self.scan(&self.any_re, text, true, reject)
    }

    /// Start offsets of raw regex matches, boundaries not checked: every occurrence `find`
    /// could report in any decoding of `text` that keeps URL characters lies in one of them
    /// (used to skip JSON strings that cannot match).
    pub fn candidates(&self, text: &str) -> Vec<usize> {
        // Separators spelled both ways in one URL (`https:\/\/host/path`) need the matcher
        // that knows every spelling.
        let re = if has_encoded(text) || memchr::memmem::find(text.as_bytes(), b"\\/").is_some() {
            &self.any_re
        } else {
            &self.re
        };
        re.find_iter(text).map(|m| m.start()).collect()
    }

    fn scan(
        &self,
        re: &Regex,
        text: &str,
        any: bool,
        reject: impl Fn(&str, Form) -> bool,
    ) -> Vec<Occurrence> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(m) = re.find_at(text, at) {
            let (s, e) = (m.start(), m.end());
            let matched = m.as_str();
            let (base, form) = classify(matched, any);
            if self.accept(text, s, e, base, matched) && !reject(matched, form) {
                out.push(Occurrence {
                    start: s,
                    end: e,
                    form,
                });
                at = e;
            } else {
                at = s + text[s..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    fn accept(&self, text: &str, s: usize, e: usize, base: Form, matched: &str) -> bool {
        let b = text.as_bytes();
        let prev = if s == 0 { None } else { Some(b[s - 1]) };
        // An encoded `/` or `:` right before: inside another URL, never a URL start.
        let after_encoded = prev == Some(b';') && ends_with_encoded_sep(&text[..s]);
        let ok_prev = match base {
            // Not inside another URL's path (an archive or proxy link keeps pointing where
            // it points): url-utils leaves those alone too.
            Form::Absolute => {
                !(prev.is_some_and(|c| c.is_ascii_alphanumeric() || b"+.-/@~_!$*".contains(&c))
                    || after_encoded)
            }
            Form::ProtocolRelative => {
                !(prev.is_some_and(|c| c.is_ascii_alphanumeric() || b"+.-:/\\".contains(&c))
                    || after_encoded)
            }
            Form::Relative => {
                (match prev {
                    None => true,
                    Some(c) => c.is_ascii_whitespace() || b"\"'(,=>[{;<`".contains(&c),
                }) && !after_encoded
            }
            _ => true,
        };
        if !ok_prev {
            return false;
        }
        if !self.ends_with_slash {
            let url_char = |c: char| c.is_alphanumeric() || "-_.~%:@+".contains(c);
            // The next character, decoded if it is a character reference or `\u` escape.
            let next = match b.get(e) {
                Some(b'&' | b'\\') => decode_char_at(text, e),
                Some(_) => text[e..].chars().next(),
                None => None,
            };
            if next.is_some_and(url_char) {
                return false;
            }
        }
        // A written-out port is the site only when it is the scheme's default.
        if let Some(h) = &self.default_port_host
            && matches!(base, Form::Absolute | Form::ProtocolRelative)
        {
            let lower = decode_seps(matched).to_ascii_lowercase();
            if let Some(i) = lower.find(&format!("{h}:")) {
                let port: String = lower[i + h.len() + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let https = lower.starts_with("https");
                let http = lower.starts_with("http") && !https;
                if (port == "80" && https) || (port == "443" && http) {
                    return false;
                }
            }
        }
        true
    }

    /// Occurrences of `__GHOST_URL__<from path>` that were not matched because the site URL is
    /// unknown.
    pub fn unresolved_ghost(&self, text: &str) -> u64 {
        self.unresolved_ghost
            .as_ref()
            .map_or(0, |re| re.find_iter(text).count() as u64)
    }

    /// Root-relative occurrences of the prefix's path without the site's subdirectory, left
    /// alone (a browser resolves them outside the Ghost site; Ghost's own save files them under
    /// it): counted for the report.
    pub fn outside_subdir(&self, text: &str) -> u64 {
        self.outside_subdir
            .as_ref()
            .map_or(0, |re| re.find_iter(text).count() as u64)
    }

    /// Literal needles for a server-side pre-filter: every value the matcher (and the JSON
    /// decoding in front of it) can match contains at least one of them. A `true` flag means
    /// the needle must be searched in the lower-cased value. The path needle is a segment
    /// without `/` or `:`, so every spelling of the separators keeps it; `\u00` keeps JSON
    /// documents whose strings use `\u` escapes (decoded before matching).
    pub fn needles(&self) -> Vec<(String, bool)> {
        let seg = self
            .needle_path
            .split('/')
            .filter(|s| s.len() >= 3 && !s.contains([':', '&', '\\', ';']))
            .max_by_key(|s| s.len());
        let mut v = match seg {
            Some(seg) => vec![(seg.to_string(), false)],
            None => {
                let mut v = vec![(GHOST_URL.to_string(), false)];
                if let Some(h) = &self.needle_host {
                    v.push((h.clone(), true));
                }
                v
            }
        };
        v.push(("\\u00".to_string(), false));
        v
    }
}
