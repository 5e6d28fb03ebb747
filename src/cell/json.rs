//! URLs inside JSON documents (lexical, mobiledoc, settings JSON): matched on the decoded string
//! values, rewritten there, and written back in the cell's own escaping style, so the document
//! differs only inside the rewritten URLs. Then a proof that this holds: the old document parses,
//! the two texts are byte-identical outside string values, no key changed, every changed string
//! value decodes to the matcher's rewrite of the decoded old string, and no unchanged string
//! hides an occurrence. One streaming pass over the text, no tree is built. Pure: no SQL, no I/O.

use crate::url::Form;
use crate::url::find::Find;
use crate::url::{Occurrence, UrlMap};
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// Why a JSON value cannot be rewritten safely.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonProofError {
    #[error("the stored JSON does not parse ({0})")]
    BeforeInvalid(String),
    #[error("the rewritten JSON does not parse ({0})")]
    AfterInvalid(String),
    #[error("a JSON key (not a value) holds the old URL prefix")]
    UrlInKey,
    #[error("the rewrite would change JSON outside the rewritten URLs")]
    Mismatch,
}

/// Whether a value looks like a JSON document (object or array) rather than a plain string.
pub fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// The index just past the closing quote of the string token opening at `at`, if it is closed.
fn string_end(b: &[u8], at: usize) -> Option<usize> {
    let mut k = at + 1;
    loop {
        k += memchr::memchr2(b'"', b'\\', b.get(k..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        k += 2; // a backslash escapes the next byte
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let h = b.get(..4)?;
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

/// A JSON string token that does not decode (a bad escape), with what is wrong.
#[derive(Debug)]
struct BadString(String);

impl From<BadString> for String {
    fn from(b: BadString) -> String {
        b.0
    }
}

/// A string token's inner text decoded, with the raw offset of every decoded byte (and one
/// past the end): decoded byte `k` came from the escape or character at raw offset `offs[k]`.
fn decode_mapped(inner: &str) -> Result<(String, Vec<u32>), BadString> {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut offs = Vec::with_capacity(inner.len() + 1);
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            let j = memchr::memchr(b'\\', &b[i..]).map_or(b.len(), |k| i + k);
            out.push_str(&inner[i..j]);
            offs.extend(i as u32..j as u32);
            i = j;
            continue;
        }
        let start = i;
        let bad = || BadString(format!("a bad escape at byte {start} of a string"));
        let c = match b.get(i + 1).ok_or_else(bad)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(&b[i + 2..]).ok_or_else(bad)?;
                let lo = (b.get(i + 6..i + 8) == Some(b"\\u"))
                    .then(|| hex4(&b[i + 8..]))
                    .flatten()
                    .filter(|lo| (0xDC00..0xE000).contains(lo));
                match (hi, lo) {
                    (0xD800..0xDC00, Some(lo)) => {
                        i += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            .ok_or_else(bad)?
                    }
                    // A lone surrogate (JSON.stringify writes one for half an emoji): JSON
                    // allows it, Rust strings cannot hold it. It reads as U+FFFD here and is
                    // never rewritten: edits keep the stored bytes outside URLs.
                    (0xD800..0xE000, _) => '\u{FFFD}',
                    _ => char::from_u32(hi).ok_or_else(bad)?,
                }
            }
            _ => return Err(bad()),
        };
        i += if b[start + 1] == b'u' { 6 } else { 2 };
        out.push(c);
        offs.extend(std::iter::repeat_n(start as u32, c.len_utf8()));
    }
    offs.push(b.len() as u32);
    Ok((out, offs))
}

/// The decoded value of a string token (quotes included); borrowed when it has no escapes.
fn decode(token: &str) -> Result<Cow<'_, str>, BadString> {
    let inner = &token[1..token.len() - 1];
    if inner.contains('\\') {
        decode_mapped(inner).map(|(s, _)| Cow::Owned(s))
    } else {
        Ok(Cow::Borrowed(inner))
    }
}

fn is_key(b: &[u8], end: usize) -> bool {
    b[end..]
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b':')
}

/// One occurrence found in a decoded string value, located in the stored text.
pub struct JsonHit<'a> {
    /// The decoded string value it was found in.
    pub decoded: &'a str,
    pub occ: &'a Occurrence,
    /// Its span in the stored document.
    pub raw_start: usize,
    pub raw_end: usize,
    /// How the stored document spells a `/` there (`/`, `\/`, `\u002F`).
    pub slash: &'a str,
    /// Whether the string writes non-ASCII characters as `\u` escapes.
    pub ascii_only: bool,
}

impl JsonHit<'_> {
    /// The stored form: `JsonEscaped` when the document escapes the slashes of this URL.
    pub fn form(&self) -> Form {
        if self.slash != "/" && self.occ.form != Form::Encoded {
            Form::JsonEscaped
        } else {
            self.occ.form
        }
    }
}

/// Calls `f` for every occurrence of the map's prefix in the string values of `doc`. Strings
/// that cannot hold one are skipped without decoding. Errors: the document does not parse
/// (checked only when it might hold an occurrence), or a key holds one.
pub fn visit<M: Find>(
    map: &M,
    doc: &str,
    mut f: impl FnMut(JsonHit<'_>),
) -> Result<(), JsonProofError> {
    let b = doc.as_bytes();
    // `\u` escapes and escaped backslashes can hide an occurrence from the raw regex: then every
    // string with an escape is decoded and searched.
    let slow =
        memchr::memmem::find(b, b"\\u").is_some() || memchr::memmem::find(b, b"\\\\").is_some();
    let cands = map.candidates(doc);
    if !slow && cands.is_empty() {
        return Ok(());
    }
    serde_json::from_str::<IgnoredAny>(doc)
        .map_err(|e| JsonProofError::BeforeInvalid(e.to_string()))?;
    let (mut i, mut ci) = (0, 0);
    while let Some(k) = memchr::memchr(b'"', &b[i..]) {
        let s = i + k;
        let e = string_end(b, s).ok_or(JsonProofError::Mismatch)?;
        i = e;
        while ci < cands.len() && cands[ci] < s {
            ci += 1;
        }
        let inner = &doc[s + 1..e - 1];
        let escaped = inner.contains('\\');
        if !(ci < cands.len() && cands[ci] < e || slow && escaped) {
            continue;
        }
        let (decoded, offs) = if escaped {
            let (d, o) =
                decode_mapped(inner).map_err(|e| JsonProofError::BeforeInvalid(e.into()))?;
            (Cow::Owned(d), Some(o))
        } else {
            (Cow::Borrowed(inner), None)
        };
        let occ = map.find(&decoded);
        if occ.is_empty() {
            continue;
        }
        if is_key(b, e) {
            return Err(JsonProofError::UrlInKey);
        }
        let raw = |k: usize| s + 1 + offs.as_ref().map_or(k, |o| o[k] as usize);
        let ascii_only = escaped && {
            let mut it = inner.match_indices("\\u");
            it.any(|(p, _)| hex4(&inner.as_bytes()[p + 2..]).is_some_and(|v| v >= 0x80))
        };
        for o in &occ {
            let slash = match decoded[o.start..o.end].find('/') {
                Some(d) => {
                    let k = o.start + d;
                    &doc[raw(k)..raw(k + 1)]
                }
                None => "/",
            };
            f(JsonHit {
                decoded: &decoded,
                occ: o,
                raw_start: raw(o.start),
                raw_end: raw(o.end),
                slash,
                ascii_only,
            });
        }
    }
    Ok(())
}

/// `s` as the inside of a JSON string, with `/` spelled `slash` and non-ASCII as `\u` escapes
/// when `ascii_only`.
pub fn encode_str(s: &str, slash: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str(slash),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (ascii_only && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Checks `after` against `before` as described in the module docs; `before` must parse.
pub fn prove(before: &str, after: &str, map: &UrlMap) -> Result<(), JsonProofError> {
    serde_json::from_str::<IgnoredAny>(before)
        .map_err(|e| JsonProofError::BeforeInvalid(e.to_string()))?;
    prove_strings(before, after, map)
}

/// `prove` for a `before` already known to parse.
pub fn prove_strings(before: &str, after: &str, map: &UrlMap) -> Result<(), JsonProofError> {
    let (a, b) = (before.as_bytes(), after.as_bytes());
    let unclosed = || JsonProofError::AfterInvalid("a string is not closed".into());
    let (mut i, mut j) = (0, 0);
    loop {
        // Outside strings the two texts must agree byte for byte: skip the common run.
        let run = a[i..]
            .iter()
            .zip(&b[j..])
            .take_while(|(x, y)| x == y && **x != b'"')
            .count();
        i += run;
        j += run;
        match (a.get(i), b.get(j)) {
            (None, None) => return Ok(()),
            (Some(b'"'), Some(b'"')) => {}
            _ => return Err(JsonProofError::Mismatch),
        }
        // `before` parsed, so its string is closed.
        let ei = string_end(a, i).ok_or(JsonProofError::Mismatch)?;
        let ej = string_end(b, j).ok_or_else(unclosed)?;
        let (sa, sb) = (&before[i..ei], &after[j..ej]);
        let key = is_key(a, ei);
        let old = || decode(sa).map_err(|e| JsonProofError::BeforeInvalid(e.into()));
        if sa == sb {
            // Unchanged. Without escapes the decoded string is the raw text, which the matcher
            // saw unchanged in place; with escapes, it must hold no occurrence either.
            if !key && sa.contains('\\') && !map.find(&old()?).is_empty() {
                return Err(JsonProofError::Mismatch);
            }
        } else {
            if key {
                return Err(JsonProofError::UrlInKey);
            }
            let new = decode(sb).map_err(|e| JsonProofError::AfterInvalid(e.into()))?;
            match map.rewrite(&old()?) {
                Some((expected, _)) if expected == *new => {}
                _ => return Err(JsonProofError::Mismatch),
            }
        }
        i = ei;
        j = ej;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{MatchOptions, Prefix};

    fn map() -> UrlMap {
        UrlMap::new(
            Prefix::parse("--from", "https://old.com/content/images/", None).unwrap(),
            Prefix::parse("--to", "https://cdn.com/content/images/", None).unwrap(),
            None,
            &MatchOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn proves_string_only_changes() {
        let m = map();
        let before = r#"{"root":{"children":[{"type":"image","src":"https://old.com/content/images/a.jpg","caption":"<a href=\"https:\/\/old.com\/content\/images\/b.jpg\">b</a>"}]}}"#;
        let (after, _) = m.rewrite(before).unwrap();
        prove(before, &after, &m).unwrap();
        assert!(after.contains(r#"https:\/\/cdn.com\/content\/images\/b.jpg"#));
    }

    #[test]
    fn refuses_broken_or_unicode_escaped() {
        let m = map();
        assert!(matches!(
            prove("{", "{}", &m),
            Err(JsonProofError::BeforeInvalid(_))
        ));
        // A URL spelled with \u escapes left unchanged: the proof sees it in the decoded value.
        let before = r#"{"a":"https:\u002f\u002fold.com\u002fcontent\u002fimages\u002fa.jpg"}"#;
        assert_eq!(prove(before, before, &m), Err(JsonProofError::Mismatch));
        // A change outside string values (a key) is refused.
        let b2 = r#"{"https://old.com/content/images/k":1}"#;
        let (a2, _) = m.rewrite(b2).unwrap();
        assert_eq!(prove(b2, &a2, &m), Err(JsonProofError::UrlInKey));
    }

    #[test]
    fn refuses_changes_outside_strings_and_broken_output() {
        let m = map();
        let before = r#"{"a": "https://old.com/content/images/x.jpg", "n": [1, 2]}"#;
        let (good, _) = m.rewrite(before).unwrap();
        prove(before, &good, &m).unwrap();
        // Same strings, other structure: a number, whitespace, a dropped element.
        for bad in [
            good.replace("[1, 2]", "[1, 3]"),
            good.replace("\"n\": ", "\"n\":"),
            good.replace(", 2]", "]"),
        ] {
            assert_eq!(
                prove(before, &bad, &m),
                Err(JsonProofError::Mismatch),
                "{bad}"
            );
        }
        // A string value changed otherwise than by the matcher.
        let other = good.replace("x.jpg", "y.jpg");
        assert_eq!(prove(before, &other, &m), Err(JsonProofError::Mismatch));
        // An unchanged value that still holds a URL (escaped, so the text-level pass missed it).
        let b3 = r#"{"a":"https:\/\/old.com\/content\/images\/a.jpg"}"#;
        assert_eq!(prove(b3, b3, &m), Err(JsonProofError::Mismatch));
        // Truncated output.
        let cut = &good[..good.len() - 30];
        assert!(prove(before, cut, &m).is_err());
        assert!(matches!(
            prove(r#"{"a":"x"}"#, r#"{"a":"x"#, &m),
            Err(JsonProofError::AfterInvalid(_))
        ));
        // Escapes inside a changed string decode before comparing.
        let b4 = r#"{"h":"<img src=\"https://old.com/content/images/q.jpg\">\n"}"#;
        let (a4, _) = m.rewrite(b4).unwrap();
        prove(b4, &a4, &m).unwrap();
    }

    #[test]
    fn agrees_with_a_tree_comparison_on_the_lexical_fixture() {
        let m = UrlMap::new(
            Prefix::parse("--from", "https://main.ghost.org/content/", None).unwrap(),
            Prefix::parse("--to", "https://cdn.com/content/", None).unwrap(),
            None,
            &MatchOptions::default(),
        )
        .unwrap();
        // Ghost's own lexical test document with every card type (pretty-printed).
        let doc = include_str!("../../fixtures/lexical-golden-post.json");
        let (after, counts) = m.rewrite(doc).unwrap();
        assert_eq!(counts.total(), 5);
        prove(doc, &after, &m).unwrap();
        // The same documents compared as trees: only string values differ, each as the matcher
        // rewrites it.
        fn walk(a: &serde_json::Value, b: &serde_json::Value, m: &UrlMap) {
            use serde_json::Value::*;
            match (a, b) {
                (String(x), String(y)) => {
                    assert_eq!(m.rewrite(x).map(|r| r.0).as_deref().unwrap_or(x), y)
                }
                (Array(x), Array(y)) => x.iter().zip(y).for_each(|(p, q)| walk(p, q, m)),
                (Object(x), Object(y)) => {
                    assert!(x.keys().eq(y.keys()));
                    x.values().zip(y.values()).for_each(|(p, q)| walk(p, q, m));
                }
                _ => assert_eq!(a, b),
            }
        }
        walk(
            &serde_json::from_str(doc).unwrap(),
            &serde_json::from_str(&after).unwrap(),
            &m,
        );
    }
}
