//! The URL-prefix matcher: finds every stored spelling of one `--from` prefix in a string and
//! gives the `--to` text that replaces it. Pure string code: no SQL, no I/O, no printing.
//!
//! Boundaries are checked here, not by the database: the host matches case-insensitively and
//! only as a whole host (with the scheme's default port written out or not), the path is
//! case-sensitive and matches only at a path boundary. `/` and `:` may be spelled plainly, as
//! `\/` (JSON), as HTML character references (`&#47;`, `&#x2F;`, `&sol;`, `&#58;`, `&colon;`)
//! or as `\u002F`; a replacement is written in the spelling the occurrence used. An occurrence
//! that lies inside text already spelled like `--to` (a `--to` that contains `--from`, such as
//! an image proxy URL) is left alone, so a second run changes nothing.

use super::form::Form;
use super::url::{GHOST_URL, Prefix, PrefixError, Site};
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
struct Seps {
    slash: &'static str,
    colon: &'static str,
}

const PLAIN: Seps = Seps {
    slash: "/",
    colon: ":",
};
const ESCAPED: Seps = Seps {
    slash: r"\\/",
    colon: ":",
};
/// Every spelling at once (used only when a text holds an encoded separator).
const ANY: Seps = Seps {
    slash: r"(?:/|\\/|&#0*47;|&#[xX]0*2[fF];|&sol;|\\u002[fF])",
    colon: r"(?::|&#0*58;|&#[xX]0*3[aA];|&colon;|\\u003[aA])",
};

/// Regex source for a literal, with `/` and `:` in the given spelling.
fn lit(s: &str, seps: &Seps) -> String {
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
fn decode_char_at(s: &str, i: usize) -> Option<char> {
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
fn has_encoded(text: &str) -> bool {
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
fn decode_seps(m: &str) -> Cow<'_, str> {
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

/// `to` with its `/` and `:` spelled as the first encoded separators of `m` spell them.
fn encode_like(m: &str, to: &str) -> String {
    let (mut slash, mut colon) = (None, None);
    let mut i = 0;
    while i < m.len() {
        match sep_at(m, i) {
            Some((c, n)) => {
                if n > 1 {
                    let sp = &m[i..i + n];
                    // Mixed `\/` and character references: the reference, which HTML
                    // decodes (a browser reads `\` as another `/`).
                    if c == '/' && (slash.is_none() || slash == Some("\\/")) {
                        slash = Some(sp);
                    } else if c == ':' && colon.is_none() {
                        colon = Some(sp);
                    }
                }
                i += n;
            }
            None => i += m[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    let mut out = String::with_capacity(to.len() * 2);
    for ch in to.chars() {
        match ch {
            '/' => out.push_str(slash.unwrap_or("/")),
            ':' => out.push_str(colon.unwrap_or(":")),
            c => out.push(c),
        }
    }
    out
}

/// The stored spellings of one prefix.
#[derive(Debug, Clone)]
struct Spellings {
    /// Scheme (None: any or protocol-relative), host, port, full path on the host.
    abs: Option<(Option<String>, String, Option<u16>, String)>,
    /// The path after `__GHOST_URL__` when the prefix is the site's own (this also enables the
    /// root-relative spelling).
    ghost_path: Option<String>,
}

impl Spellings {
    fn of(p: &Prefix, site: Option<&Site>) -> Self {
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

    fn regex(&self, families: &[&Seps], exact_scheme: bool) -> Regex {
        let mut alts = Vec::new();
        for f in families {
            self.alternatives(f, exact_scheme, &mut alts);
        }
        Regex::new(&alts.join("|")).expect("matcher regex is built from escaped literals")
    }
}

/// The compiled matcher for one `--from` -> `--to` rewrite.
#[derive(Debug, Clone)]
pub struct UrlMap {
    /// Plain and `\/` spellings (the fast path).
    re: Regex,
    /// Every spelling, for texts that hold an encoded separator.
    any_re: Regex,
    /// Literal `__GHOST_URL__<path>` spellings that would match if the site URL were known.
    unresolved_ghost: Option<Regex>,
    /// Root-relative `<path>` without the site's subdirectory (subdirectory sites only).
    outside_subdir: Option<Regex>,
    /// Every spelling of `--to`, when `--to` itself contains a spelling of `--from`: an
    /// occurrence strictly inside one of these is output of an earlier run.
    protect: Option<Regex>,
    to: String,
    to_escaped: String,
    ends_with_slash: bool,
    /// The from host, when its port is implicit (for the default-port check).
    default_port_host: Option<String>,
    /// The path part every spelling contains (the `__GHOST_URL__` tail when site forms apply).
    needle_path: String,
    needle_host: Option<String>,
    pub from: Prefix,
    pub to_prefix: Prefix,
    pub site_forms: bool,
}

fn escape_slashes(s: &str) -> String {
    s.replace('/', "\\/")
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

impl UrlMap {
    pub fn new(
        from: Prefix,
        to: Prefix,
        site: Option<&Site>,
        opts: &MatchOptions,
    ) -> Result<Self, PrefixError> {
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
        let to_s = to.to_string();
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
        let mut map = UrlMap {
            needle_path,
            needle_host,
            re,
            any_re,
            unresolved_ghost,
            outside_subdir,
            protect: None,
            to_escaped: escape_slashes(&to_s),
            to: to_s,
            ends_with_slash: from.path().ends_with('/'),
            default_port_host,
            site_forms: sp.ghost_path.is_some(),
            from,
            to_prefix: to,
        };
        // Nesting guard: if any spelling of --to contains an occurrence of --from, protect
        // every spelling of --to.
        let mut variants = vec![map.to.clone(), map.to_escaped.clone()];
        if let Prefix::Absolute { .. } = &map.to_prefix {
            let bare = map.to.split_once("//").map_or(map.to.as_str(), |x| x.1);
            for scheme in ["http://", "https://", "//"] {
                variants.push(format!("{scheme}{bare}"));
            }
        }
        if variants
            .iter()
            .any(|v| !map.scan(&map.any_re, v, true).is_empty())
        {
            let tsp = Spellings::of(&map.to_prefix, site);
            map.protect = Some(tsp.regex(&[&ANY], false));
        }
        Ok(map)
    }

    /// Every occurrence of the from prefix in `text`, boundaries checked, in order.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        let any = has_encoded(text);
        let mut out = self.scan(if any { &self.any_re } else { &self.re }, text, any);
        if !out.is_empty()
            && let Some(p) = &self.protect
        {
            // A --to without a trailing '/' protects only up to a path boundary
            // (`https://example.com/blog` does not cover `/blogging.png`).
            let bounded = self.to.ends_with('/');
            let spans: Vec<(usize, usize)> = p
                .find_iter(text)
                .filter(|m| {
                    bounded
                        || !text[m.end()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || "-_.~%:@+".contains(c))
                })
                .map(|m| (m.start(), m.end()))
                .collect();
            out.retain(|o| {
                !spans
                    .iter()
                    .any(|&(s, e)| s <= o.start && o.end <= e && (s, e) != (o.start, o.end))
            });
        }
        out
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

    fn scan(&self, re: &Regex, text: &str, any: bool) -> Vec<Occurrence> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(m) = re.find_at(text, at) {
            let (s, e) = (m.start(), m.end());
            let matched = m.as_str();
            let (base, form) = classify(matched, any);
            if self.accept(text, s, e, base, matched) && !self.is_replacement(matched, form) {
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

    fn is_replacement(&self, matched: &str, form: Form) -> bool {
        match form {
            Form::Encoded => encode_like(matched, &self.to) == matched,
            _ => matched == self.replacement(form),
        }
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

    /// Rewrites every occurrence. Returns None when nothing matched.
    pub fn rewrite(&self, text: &str) -> Option<(String, super::form::FormCounts)> {
        let occ = self.find(text);
        if occ.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len() + occ.len() * 32);
        let mut counts = super::form::FormCounts::default();
        let mut last = 0;
        for o in &occ {
            out.push_str(&text[last..o.start]);
            out.push_str(&self.replacement_at(text, o));
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

    /// The text that replaces an occurrence of this form (not `Encoded`: see `replacement_at`).
    pub fn replacement(&self, form: Form) -> &str {
        if form == Form::JsonEscaped {
            &self.to_escaped
        } else {
            &self.to
        }
    }

    /// The text that replaces occurrence `o` of `text`, in the spelling the occurrence used.
    pub fn replacement_at(&self, text: &str, o: &Occurrence) -> Cow<'_, str> {
        match o.form {
            Form::Encoded => Cow::Owned(encode_like(&text[o.start..o.end], &self.to)),
            f => Cow::Borrowed(self.replacement(f)),
        }
    }

    pub fn to_str(&self) -> &str {
        &self.to
    }
}
