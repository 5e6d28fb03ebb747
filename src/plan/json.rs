//! Proof that a rewritten JSON document (lexical, mobiledoc, settings JSON) changed only inside
//! string values: both versions parse, and the new one equals the old one with every decoded
//! string value rewritten by the same matcher. Pure: no SQL, no I/O.

use super::url::UrlMap;
use serde_json::Value;

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

fn rewrite_strings(v: &mut Value, map: &UrlMap) {
    match v {
        Value::String(s) => {
            if let Some((new, _)) = map.rewrite(s) {
                *s = new;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_strings(x, map)),
        Value::Object(o) => o.values_mut().for_each(|x| rewrite_strings(x, map)),
        _ => {}
    }
}

/// Checks `after` against `before` as described in the module docs.
pub fn prove(before: &str, after: &str, map: &UrlMap) -> Result<(), JsonProofError> {
    let mut expected: Value =
        serde_json::from_str(before).map_err(|e| JsonProofError::BeforeInvalid(e.to_string()))?;
    let got: Value =
        serde_json::from_str(after).map_err(|e| JsonProofError::AfterInvalid(e.to_string()))?;
    rewrite_strings(&mut expected, map);
    if expected != got || !same_key_order(&expected, &got) {
        return Err(JsonProofError::Mismatch);
    }
    Ok(())
}

fn same_key_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same_key_order(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_key_order(p, q))
        }
        _ => true,
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
}
