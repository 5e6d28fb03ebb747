//! The cell-level rewrite engine: turns one stored cell into a `Change` (or nothing), checking
//! JSON integrity and the column's length limit. Pure: no SQL, no I/O, no printing.

pub mod json;

pub use crate::db::schema::Limit;
use crate::ghost::columns::CellKind;
use crate::url::find::Find;
use crate::url::{Form, FormCounts, UrlMap};
use json::JsonProofError;

/// One column the reader reads, with what the catalogue and the schema say of it.
#[derive(Debug, Clone)]
pub struct ColumnMeta {
    pub name: String,
    pub kind: CellKind,
    pub limit: Option<Limit>,
}

/// One rewrite inside a cell, in the stored text's byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    /// The stored text that replaces `start..end`.
    pub with: String,
    pub form: Form,
}

/// One occurrence found in a cell (for inventories): where, in which form, and the rest of the
/// URL after the prefix, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub form: Form,
    pub tail: String,
}

/// One cell to change.
#[derive(Debug, Clone)]
pub struct Change {
    pub column: String,
    pub before: String,
    pub after: String,
    pub counts: FormCounts,
    /// The first edit (for sample diffs).
    pub first: Edit,
    /// Every edit, in order (the URL pairs an HTML report lists; the rewrite engine drops them
    /// when no report lists rows).
    pub edits: Vec<Edit>,
}

/// A cell the engine refuses to rewrite. Nothing is written while any exists, unless the run
/// skips unsafe cells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub table: String,
    pub column: String,
    pub id: String,
    pub reason: String,
    /// The post the cell belongs to, when it belongs to one (filled in after planning).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

/// `table.column id ID (post SLUG): reason`, as reports and refusals list a problem.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} id {}", self.table, self.column, self.id)?;
        if let Some(s) = &self.slug {
            write!(f, " (post {s})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Whether a cell of this kind holding `value` is matched as a JSON document.
fn as_json(kind: CellKind, value: &str) -> bool {
    kind.is_json_document() || (kind == CellKind::MaybeJson && json::looks_like_json(value))
}

/// The rest of a URL after `end`: up to a quote, space, bracket, comma, `?` or `#`.
pub fn url_tail(text: &str, end: usize) -> String {
    let b = text.as_bytes();
    let mut i = end;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && b.get(i + 1) == Some(&b'/') {
            i += 2;
            continue;
        }
        if c.is_ascii_whitespace()
            || matches!(
                c,
                b'"' | b'\'' | b'<' | b'>' | b'(' | b')' | b'\\' | b',' | b'?' | b'#'
            )
        {
            break;
        }
        i += 1;
    }
    text[end..i].replace("\\/", "/")
}

fn text_edits(map: &UrlMap, text: &str) -> Vec<Edit> {
    map.find(text)
        .into_iter()
        .map(|o| Edit {
            with: map.replacement_at(text, &o).into_owned(),
            start: o.start,
            end: o.end,
            form: o.form,
        })
        .collect()
}

/// Every rewrite the map makes in one cell. JSON documents are matched on their decoded string
/// values. Errors: a JSON document that must parse does not (and may hold the prefix), or a
/// JSON key holds it.
pub fn cell_edits(map: &UrlMap, kind: CellKind, text: &str) -> Result<Vec<Edit>, JsonProofError> {
    edits_of(map, kind, text).map(|(e, _)| e)
}

/// `cell_edits`, and whether the edits were made in a JSON document that parsed.
fn edits_of(map: &UrlMap, kind: CellKind, text: &str) -> Result<(Vec<Edit>, bool), JsonProofError> {
    if !as_json(kind, text) {
        return Ok((text_edits(map, text), false));
    }
    let mut edits = Vec::new();
    let r = json::visit(map, text, |h| {
        let with = map.replacement_at(h.decoded, h.occ);
        edits.push(Edit {
            start: h.raw_start,
            end: h.raw_end,
            with: json::encode_str(&with, h.slash, h.ascii_only),
            form: h.form(),
        })
    });
    match r {
        // `visit` parses the document before it reports any occurrence.
        Ok(()) => Ok((edits, true)),
        // A plain-text value that merely starts with '{' and is not JSON stays text.
        Err(JsonProofError::BeforeInvalid(_)) if !kind.is_json_document() => {
            Ok((text_edits(map, text), false))
        }
        // A broken document without the prefix is not ours to judge.
        Err(JsonProofError::BeforeInvalid(_)) if map.find(text).is_empty() => {
            Ok((Vec::new(), false))
        }
        Err(e) => Err(e),
    }
}

/// Every occurrence in one cell, as `cell_edits` sees them, with the decoded URL tail. A JSON
/// document that does not parse is searched as text.
pub fn cell_hits<M: Find>(map: &M, kind: CellKind, text: &str) -> Vec<Hit> {
    let as_text = |text: &str| {
        map.find(text)
            .into_iter()
            .map(|o| Hit {
                tail: url_tail(text, o.end),
                start: o.start,
                end: o.end,
                form: o.form,
            })
            .collect()
    };
    if !as_json(kind, text) {
        return as_text(text);
    }
    let mut hits = Vec::new();
    match json::visit(map, text, |h| {
        hits.push(Hit {
            tail: url_tail(h.decoded, h.occ.end),
            start: h.raw_start,
            end: h.raw_end,
            form: h.form(),
        })
    }) {
        Ok(()) => hits,
        Err(_) => as_text(text),
    }
}

/// `text` with the edits (in order, not overlapping) applied.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let extra: usize = edits.iter().map(|e| e.with.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut last = 0;
    for e in edits {
        out.push_str(&text[last..e.start]);
        out.push_str(&e.with);
        last = e.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Plans one cell. `Ok(None)`: nothing to change.
pub fn rewrite_cell(
    map: &UrlMap,
    table: &str,
    col: &ColumnMeta,
    id: &str,
    value: String,
) -> Result<Option<Change>, Problem> {
    let problem = |reason: String| Problem {
        table: table.to_string(),
        column: col.name.clone(),
        id: id.to_string(),
        reason,
        slug: None,
    };
    let (edits, parsed) = edits_of(map, col.kind, &value).map_err(|e| problem(e.to_string()))?;
    let Some(first) = edits.first().cloned() else {
        return Ok(None);
    };
    let after = apply_edits(&value, &edits);
    if after == value {
        return Ok(None);
    }
    if parsed {
        json::prove_strings(&value, &after, map).map_err(|e| problem(e.to_string()))?;
    }
    if let Some(limit) = col.limit
        && let Some(len) = limit.exceeded_by(&after)
    {
        return Err(problem(format!(
            "the new value is {len} long, over the column's limit of {}",
            limit.describe()
        )));
    }
    let mut counts = FormCounts::default();
    for e in &edits {
        counts.add(e.form, 1);
    }
    Ok(Some(Change {
        column: col.name.clone(),
        before: value,
        after,
        counts,
        first,
        edits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{MatchOptions, Prefix, Site};

    const SITE: &str = "https://blog.example.com";
    const FROM: &str = "https://blog.example.com/content/images/";
    const TO: &str = "https://cdn.example.com/content/images/";

    fn map_to(to: &str) -> UrlMap {
        let site = Site::parse(SITE).unwrap();
        let sp = Prefix::Absolute {
            scheme: None,
            host: site.host.clone(),
            port: None,
            path: String::new(),
        };
        UrlMap::new(
            Prefix::parse("--from", FROM, Some(&sp)).unwrap(),
            Prefix::parse("--to", to, Some(&sp)).unwrap(),
            Some(&site),
            &MatchOptions::default(),
        )
        .unwrap()
    }

    fn col(kind: CellKind) -> ColumnMeta {
        ColumnMeta {
            name: "c".into(),
            kind,
            limit: None,
        }
    }

    /// Plans a cell, and checks the plan is idempotent: planning the output changes nothing.
    fn once(map: &UrlMap, kind: CellKind, v: &str) -> Option<String> {
        let out = rewrite_cell(map, "t", &col(kind), "1", v.to_string())
            .unwrap_or_else(|p| panic!("refused {v}: {}", p.reason))
            .map(|c| c.after);
        if let Some(o) = &out {
            let again = rewrite_cell(map, "t", &col(kind), "1", o.clone()).unwrap();
            assert!(
                again.is_none(),
                "second run changed {o:?} to {:?}",
                again.map(|c| c.after)
            );
        }
        out
    }

    /// The decoded string values of a JSON document, in order.
    fn strings(doc: &str) -> Vec<String> {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => out.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&serde_json::from_str(doc).unwrap(), &mut out);
        out
    }

    #[test]
    fn urls_after_json_escapes_are_rewritten_in_the_cells_own_escaping() {
        let m = map_to(TO);
        for (before, want) in [
            // Pretty-printed srcset in an HTML card: entries separated by \n\t.
            (
                r#"{"root":{"children":[{"type":"html","html":"<img srcset=\"https://blog.example.com/content/images/size/w600/a.jpg 600w,\n\thttps://blog.example.com/content/images/a.jpg 1000w\">"}]}}"#,
                r#"{"root":{"children":[{"type":"html","html":"<img srcset=\"https://cdn.example.com/content/images/size/w600/a.jpg 600w,\n\thttps://cdn.example.com/content/images/a.jpg 1000w\">"}]}}"#,
            ),
            // A markdown card line that starts with a bare URL.
            (
                r#"{"cards":[["markdown",{"markdown":"Photo:\nhttp://blog.example.com/content/images/a.jpg"}]]}"#,
                r#"{"cards":[["markdown",{"markdown":"Photo:\nhttps://cdn.example.com/content/images/a.jpg"}]]}"#,
            ),
            // A code line after \t, and a \u201c quote (its escapes kept).
            (
                r#"{"code":"x\thttps://blog.example.com/content/images/a.jpg","t":"\u201chttps://blog.example.com/content/images/b.jpg\u201d"}"#,
                r#"{"code":"x\thttps://cdn.example.com/content/images/a.jpg","t":"\u201chttps://cdn.example.com/content/images/b.jpg\u201d"}"#,
            ),
            // Double-escaped JSON-LD inside an HTML card.
            (
                r#"{"html":"<script>{\"image\":\"http:\\/\\/blog.example.com\\/content\\/images\\/a.jpg\"}</script>"}"#,
                r#"{"html":"<script>{\"image\":\"https:\\/\\/cdn.example.com\\/content\\/images\\/a.jpg\"}</script>"}"#,
            ),
            // Slashes written \u002F and \/ by other encoders.
            (
                r#"{"src":"https:\u002F\u002Fblog.example.com\u002Fcontent\u002Fimages\u002Fa.jpg"}"#,
                r#"{"src":"https:\u002F\u002Fcdn.example.com\u002Fcontent\u002Fimages\u002Fa.jpg"}"#,
            ),
            (
                r#"{"src":"https:\/\/blog.example.com\/content\/images\/a.jpg", "n": [1, 2]}"#,
                r#"{"src":"https:\/\/cdn.example.com\/content\/images\/a.jpg", "n": [1, 2]}"#,
            ),
            // The site's own forms after an escape.
            (
                r#"{"m":"a\n/content/images/a.jpg\n__GHOST_URL__/content/images/b.jpg"}"#,
                r#"{"m":"a\nhttps://cdn.example.com/content/images/a.jpg\nhttps://cdn.example.com/content/images/b.jpg"}"#,
            ),
        ] {
            for kind in [CellKind::Lexical, CellKind::Mobiledoc, CellKind::MaybeJson] {
                let got = once(&m, kind, before).expect(before);
                assert_eq!(got, want, "{before}");
                // Decoded: every string is the text-level rewrite of the old one.
                let (old, new) = (strings(before), strings(&got));
                for (o, n) in old.iter().zip(&new) {
                    assert_eq!(&m.rewrite(o).map(|x| x.0).unwrap_or(o.clone()), n);
                }
            }
        }
    }

    #[test]
    fn scan_hits_equal_plan_edits() {
        let m = map_to(TO);
        let doc = r#"{"a":"x\nhttps://blog.example.com/content/images/a.jpg?w=1","b":"https:\u002F\u002Fblog.example.com\u002Fcontent\u002Fimages\u002Fb%20c.jpg"}"#;
        let edits = cell_edits(&m, CellKind::Lexical, doc).unwrap();
        let hits = cell_hits(&m, CellKind::Lexical, doc);
        assert_eq!(edits.len(), 2);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].tail, "a.jpg");
        assert_eq!(hits[1].tail, "b%20c.jpg");
        assert_eq!(hits[1].form, Form::JsonEscaped);
        for (e, h) in edits.iter().zip(&hits) {
            assert_eq!((e.start, e.end, e.form), (h.start, h.end, h.form));
        }
    }

    #[test]
    fn a_url_in_a_json_key_or_a_broken_document_is_a_problem() {
        let m = map_to(TO);
        let c = col(CellKind::Lexical);
        let key = r#"{"https://blog.example.com/content/images/a.jpg":1}"#;
        assert!(rewrite_cell(&m, "t", &c, "1", key.into()).is_err());
        let broken = r#"{"src":"https://blog.example.com/content/images/a.jpg""#;
        let p = rewrite_cell(&m, "t", &c, "1", broken.into()).unwrap_err();
        assert!(p.reason.contains("does not parse"), "{}", p.reason);
        // Broken but without the prefix: not ours to judge.
        assert!(
            rewrite_cell(&m, "t", &c, "1", "{\"a\":\"\\u12".into())
                .unwrap()
                .is_none()
        );
        // A settings value that merely starts with '{' stays text.
        let t = "{not json} https://blog.example.com/content/images/a.jpg";
        assert_eq!(
            once(&m, CellKind::MaybeJson, t).unwrap(),
            "{not json} https://cdn.example.com/content/images/a.jpg"
        );
    }

    /// Decodes the character references and escapes the matcher knows for `/` and `:`.
    fn decode_entities(s: &str) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < s.len() {
            match crate::url::find::sep_at(s, i) {
                Some((c, n)) => {
                    out.push(c);
                    i += n;
                }
                None => {
                    let c = s[i..].chars().next().unwrap();
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
        out
    }

    #[test]
    fn entity_encoded_urls_are_rewritten_in_the_same_style_never_half() {
        let m = map_to(TO);
        for (before, want) in [
            (
                "<a href=\"http&#58;//blog.example.com/content/images/b.jpg\">",
                "<a href=\"https&#58;//cdn.example.com/content/images/b.jpg\">",
            ),
            (
                "<a href=\"https&colon;//blog.example.com/content/images/b.jpg\">",
                "<a href=\"https&colon;//cdn.example.com/content/images/b.jpg\">",
            ),
            (
                "<img src=\"https:&#x2F;&#x2F;blog.example.com&#x2F;content&#x2F;images&#x2F;b.jpg\">",
                "<img src=\"https:&#x2F;&#x2F;cdn.example.com&#x2F;content&#x2F;images&#x2F;b.jpg\">",
            ),
            (
                "<img src=\"&#47;content&#47;images&#47;b.jpg\">",
                "<img src=\"https:&#47;&#47;cdn.example.com&#47;content&#47;images&#47;b.jpg\">",
            ),
            (
                "<img src=\"https://blog.example.com/content/images/b.jpg?a=1&amp;b=2\">",
                "<img src=\"https://cdn.example.com/content/images/b.jpg?a=1&amp;b=2\">",
            ),
            (
                "x https:\\u002F\\u002Fblog.example.com\\u002Fcontent\\u002Fimages\\u002Fb.jpg",
                "x https:\\u002F\\u002Fcdn.example.com\\u002Fcontent\\u002Fimages\\u002Fb.jpg",
            ),
        ] {
            for kind in [CellKind::Html, CellKind::Text] {
                let got = once(&m, kind, before).expect(before);
                assert_eq!(got, want);
                assert_eq!(
                    decode_entities(&got),
                    m.rewrite(&decode_entities(before)).unwrap().0
                );
            }
        }
        // Not URL starts: another scheme spelled with an entity; a path inside another URL.
        for keep in [
            "foo&#58;//blog.example.com/content/images/b.jpg",
            "https://other.com&#47;content&#47;images/b.jpg",
            "a&#47;content/images/b.jpg",
        ] {
            assert_eq!(once(&m, CellKind::Html, keep), None, "{keep}");
        }
    }

    #[test]
    fn no_to_nests_on_a_second_run() {
        let tos = [
            TO,
            "https://cdn.example.com/cdn-cgi/image/f=auto/https://blog.example.com/content/images/",
            "https://img.example.net/p/https://blog.example.com/content/images/x/",
            "https://blog.example.com/content/images/cdn/",
            "//blog.example.com/content/images/v2/",
            "http://blog.example.com/content/images/",
            "https://cdn.example.com/x/blog.example.com/content/images/",
            "__GHOST_URL__/content/images/",
            "__GHOST_URL__/content/images/archive/",
        ];
        let inputs = [
            "<img src=\"https://blog.example.com/content/images/a.jpg\" srcset=\"//blog.example.com/content/images/size/w600/a.jpg 600w, /content/images/a.jpg 1000w\">",
            "__GHOST_URL__/content/images/a.jpg http://BLOG.example.com/content/images/b.jpg",
            "http&#58;//blog.example.com/content/images/b.jpg",
            "<img src=\"http:&#x2F;&#x2F;blog.example.com&#x2F;content&#x2F;images&#x2F;b.jpg\">",
        ];
        let json = r#"{"a":"https:\/\/blog.example.com\/content\/images\/a.jpg","b":"x\n/content/images/c.jpg"}"#;
        for to in tos {
            let m = map_to(to);
            for i in inputs {
                let out = once(&m, CellKind::Html, i);
                // Every old spelling is gone: the output holds the prefix only inside --to.
                if let Some(o) = out {
                    assert!(m.find(&o).is_empty(), "{to}: {o}");
                }
                // A third run too.
            }
            once(&m, CellKind::Lexical, json);
        }
    }

    #[test]
    fn default_ports_are_the_site() {
        let m = map_to(TO);
        for (v, hit) in [
            ("http://blog.example.com:80/content/images/a.jpg", true),
            ("https://blog.example.com:443/content/images/a.jpg", true),
            ("//blog.example.com:443/content/images/a.jpg", true),
            ("https://blog.example.com:80/content/images/a.jpg", false),
            ("http://blog.example.com:443/content/images/a.jpg", false),
            ("https://blog.example.com:8080/content/images/a.jpg", false),
            ("https://blog.example.com:4430/content/images/a.jpg", false),
        ] {
            let got = once(&m, CellKind::Url, v);
            assert_eq!(got.is_some(), hit, "{v}");
            if let Some(g) = got {
                assert_eq!(g, "https://cdn.example.com/content/images/a.jpg");
            }
        }
    }
}
