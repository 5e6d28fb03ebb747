//! The rewriter: a `--from` -> `--to` mapping on top of the find-only `Finder`. It gives the
//! `--to` text that replaces each occurrence, in the spelling the occurrence used. An occurrence
//! that lies inside text already spelled like `--to` (a `--to` that contains `--from`, such as
//! an image proxy URL) is left alone, and so is one already spelled exactly like its
//! replacement, so a second run changes nothing. Pure string code: no SQL, no I/O, no printing.

use super::find::{ANY, Find, Finder, MatchOptions, Occurrence, Spellings, sep_at};
use super::form::{Form, FormCounts};
use super::prefix::{Prefix, PrefixError, Site};
use regex::Regex;
use std::borrow::Cow;
use std::ops::Deref;

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

fn escape_slashes(s: &str) -> String {
    s.replace('/', "\\/")
}

/// The compiled matcher for one `--from` -> `--to` rewrite.
#[derive(Debug, Clone)]
pub struct UrlMap {
    finder: Finder,
    /// Every spelling of `--to`, when `--to` itself contains a spelling of `--from`: an
    /// occurrence strictly inside one of these is output of an earlier run.
    protect: Option<Regex>,
    to: String,
    to_escaped: String,
    pub to_prefix: Prefix,
}

/// The find-only side (`from`, `needles`, `unresolved_ghost`, ...) is the `Finder`'s.
impl Deref for UrlMap {
    type Target = Finder;
    fn deref(&self) -> &Finder {
        &self.finder
    }
}

impl Find for UrlMap {
    fn find(&self, text: &str) -> Vec<Occurrence> {
        UrlMap::find(self, text)
    }
    fn candidates(&self, text: &str) -> Vec<usize> {
        self.finder.candidates(text)
    }
}

impl UrlMap {
    pub fn new(
        from: Prefix,
        to: Prefix,
        site: Option<&Site>,
        opts: &MatchOptions,
    ) -> Result<Self, PrefixError> {
        let finder = Finder::new(from, site, opts);
        let to_s = to.to_string();
        let mut map = UrlMap {
            finder,
            protect: None,
            to_escaped: escape_slashes(&to_s),
            to: to_s,
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
        if variants.iter().any(|v| {
            !map.finder
                .find_any_except(v, |m, f| map.is_replacement(m, f))
                .is_empty()
        }) {
            let tsp = Spellings::of(&map.to_prefix, site);
            map.protect = Some(tsp.regex(&[&ANY], false));
        }
        Ok(map)
    }

    /// Every occurrence of the from prefix in `text`, boundaries checked, in order.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        let mut out = self
            .finder
            .find_except(text, |m, form| self.is_replacement(m, form));
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

    fn is_replacement(&self, matched: &str, form: Form) -> bool {
        match form {
            Form::Encoded => encode_like(matched, &self.to) == matched,
            _ => matched == self.replacement(form),
        }
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
            out.push_str(&self.replacement_at(text, o));
            counts.add(o.form, 1);
            last = o.end;
        }
        out.push_str(&text[last..]);
        Some((out, counts))
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
