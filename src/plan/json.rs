//! Proof that a rewritten JSON document (lexical, mobiledoc, settings JSON) changed only inside
//! string values: the old document parses, the two texts are byte-identical outside string
//! values, no key changed, every changed string value decodes to the same matcher's rewrite of
//! the decoded old string, and no unchanged escaped string hides a URL. One streaming pass over
//! both texts, no tree is built. `after` is the matcher's text-level rewrite of `before` (an
//! unchanged string without escapes is not matched again). Pure: no SQL, no I/O.

use super::url::UrlMap;
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// Why a JSON value cannot be rewritten safely.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonProofError {
    #[error("the stored JSON does not parse ({0})")]
    BeforeInvalid(String),
    #[error("the rewritten JSON does not parse ({0})")]
    AfterInvalid(String),
    #[error(
        "the rewrite would change JSON outside string values, or a URL spelled with \\u escapes"
    )]
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

/// The decoded value of a string token (quotes included); borrowed when it has no escapes.
fn decode(token: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    let inner = &token[1..token.len() - 1];
    if inner.contains('\\') {
        serde_json::from_str::<String>(token).map(Cow::Owned)
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

/// Checks `after` against `before` as described in the module docs.
pub fn prove(before: &str, after: &str, map: &UrlMap) -> Result<(), JsonProofError> {
    serde_json::from_str::<IgnoredAny>(before)
        .map_err(|e| JsonProofError::BeforeInvalid(e.to_string()))?;
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
        let old = || decode(sa).map_err(|e| JsonProofError::BeforeInvalid(e.to_string()));
        if sa == sb {
            // Unchanged. Without escapes the decoded string is the raw text, which the matcher
            // already saw unchanged in place; with escapes it may hide a URL the text-level
            // rewrite could not see (spelled with \u escapes): that one would be left behind.
            if !key && sa.contains('\\') && map.rewrite(&old()?).is_some() {
                return Err(JsonProofError::Mismatch);
            }
        } else {
            if key {
                return Err(JsonProofError::Mismatch);
            }
            let new = decode(sb).map_err(|e| JsonProofError::AfterInvalid(e.to_string()))?;
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
    use crate::plan::url::{MatchOptions, Prefix};

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
        // A URL spelled with \u escapes is rewritten by the decoded-level rewrite only: refused.
        let before = r#"{"a":"https:\u002f\u002fold.com\u002fcontent\u002fimages\u002fa.jpg"}"#;
        assert_eq!(prove(before, before, &m), Err(JsonProofError::Mismatch));
        // A change outside string values (a key) is refused.
        let b2 = r#"{"https://old.com/content/images/k":1}"#;
        let (a2, _) = m.rewrite(b2).unwrap();
        assert_eq!(prove(b2, &a2, &m), Err(JsonProofError::Mismatch));
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
