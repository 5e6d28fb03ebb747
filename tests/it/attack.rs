#![allow(clippy::needless_range_loop, clippy::explicit_auto_deref)]
//! Attacks on the URL matcher (`rewrite_cell` / `cell_edits` through the public API).
//!
//! Every test states the behaviour the README promises (or that a browser/Ghost implies) and
//! fails when the matcher does otherwise. Grouped by severity: silent misses, corruption,
//! over-matches, non-idempotence, needless refusals; then guards that pass today and a
//! seeded, time-bounded fuzz loop (`ATTACK_SEED`, `ATTACK_SECS`, default 8 s).

use ghost_migrate::cell::{ColumnMeta, cell_edits, rewrite_cell};
use ghost_migrate::ghost::columns::CellKind;
use ghost_migrate::url::{MatchOptions, Prefix, Site, UrlMap};

const SITE: &str = "https://blog.example.com";
const FROM: &str = "https://blog.example.com/content/images/";
const TO: &str = "https://cdn.example.com/content/images/";

fn map(from: &str, to: &str, site: Option<&str>) -> UrlMap {
    let site = site.map(|s| Site::parse(s).unwrap());
    let sp = site.as_ref().map(|s| Prefix::Absolute {
        scheme: None,
        host: s.host.clone(),
        port: s.port,
        path: s.subdir.clone(),
    });
    UrlMap::new(
        Prefix::parse("--from", from, sp.as_ref()).unwrap(),
        Prefix::parse("--to", to, sp.as_ref()).unwrap(),
        site.as_ref(),
        &MatchOptions::default(),
    )
    .unwrap()
}

fn std_map() -> UrlMap {
    map(FROM, TO, Some(SITE))
}

fn plan(m: &UrlMap, kind: CellKind, v: &str) -> Result<Option<String>, String> {
    let col = ColumnMeta {
        name: "c".into(),
        kind,
        limit: None,
    };
    rewrite_cell(m, "t", &col, "1", v.to_string())
        .map(|c| c.map(|c| c.after))
        .map_err(|p| p.reason)
}

/// Collects every failing case of a test, then fails once with all of them.
#[derive(Default)]
struct Failures(Vec<String>);
impl Failures {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
    fn done(self) {
        assert!(
            self.0.is_empty(),
            "{} failing case(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// The decoded string values of a JSON document, in document order.
fn decoded(doc: &str) -> Vec<String> {
    json_strings(doc).unwrap_or_else(|| panic!("not JSON: {doc}"))
}

// =============================================================================================
// 1. Silent misses
// =============================================================================================

/// A lone UTF-16 surrogate escape (`\ud83d`: an emoji cut in half by an excerpt/alt-text
/// truncation; `JSON.stringify` writes it that way) anywhere in a JSON document makes
/// `decode_mapped` fail although serde_json (and JSON.parse, and Ghost) accept the document.
/// `cell_edits` then falls back to "broken document without the prefix" -> no edits, so every
/// URL that is only visible after JSON decoding (after `\n`, `\t`, `\u201c`) is silently left.
#[test]
fn miss_lone_surrogate_anywhere_hides_decoded_urls() {
    let m = std_map();
    let mut f = Failures::default();
    for (before, want) in [
        (
            r#"{"alt":"\ud83d","m":"caption\nhttps://blog.example.com/content/images/a.jpg"}"#,
            r#"{"alt":"\ud83d","m":"caption\nhttps://cdn.example.com/content/images/a.jpg"}"#,
        ),
        (
            r#"{"alt":"\udc00 x","m":"a\n/content/images/a.jpg"}"#,
            r#"{"alt":"\udc00 x","m":"a\nhttps://cdn.example.com/content/images/a.jpg"}"#,
        ),
        (
            r#"{"t":"\ud83d\u201chttps://blog.example.com/content/images/b.jpg\u201d"}"#,
            r#"{"t":"\ud83d\u201chttps://cdn.example.com/content/images/b.jpg\u201d"}"#,
        ),
        (
            r#"{"root":{"children":[{"type":"html","html":"<img srcset=\"https://blog.example.com/content/images/size/w600/a.jpg 600w,\n\thttps://blog.example.com/content/images/a.jpg 1000w\">"},{"type":"paragraph","text":"\ud83d"}]}}"#,
            r#"{"root":{"children":[{"type":"html","html":"<img srcset=\"https://cdn.example.com/content/images/size/w600/a.jpg 600w,\n\thttps://cdn.example.com/content/images/a.jpg 1000w\">"},{"type":"paragraph","text":"\ud83d"}]}}"#,
        ),
    ] {
        for kind in [CellKind::Lexical, CellKind::Mobiledoc, CellKind::MaybeJson] {
            let got = plan(&m, kind, before);
            f.check(
                got.as_ref().is_ok_and(|g| g.as_deref() == Some(want)),
                || format!("{kind:?} {before}\n    got {got:?}"),
            );
        }
    }
    f.done();
}

/// A JSON string that escapes some slashes and not others decodes to a plain URL, but the
/// raw pre-filter (`candidates`) only knows all-plain or all-`\/` spellings, and the slow path
/// is taken only for `\u` / `\\`: the string is never decoded. Alone in the document: silent
/// miss (with another URL present the proof refuses the cell instead).
#[test]
fn miss_json_string_with_mixed_slash_escaping() {
    let mut f = Failures::default();
    let site = std_map();
    let no_site = map(
        "https://old-cdn.example.net/content/images/",
        "https://cdn.example.com/content/images/",
        None,
    );
    for (m, before, want) in [
        (
            &site,
            r#"{"src":"https://blog.example.com/content\/images\/a.jpg"}"#,
            "https://cdn.example.com/content/images/a.jpg",
        ),
        (
            &site,
            r#"{"src":"https:\/\/blog.example.com\/content/images\/a.jpg"}"#,
            "https://cdn.example.com/content/images/a.jpg",
        ),
        (
            &no_site,
            r#"{"src":"https:\/\/old-cdn.example.net/content/images/a.jpg"}"#,
            "https://cdn.example.com/content/images/a.jpg",
        ),
        (
            &no_site,
            r#"{"version":"0.3.1","markups":[["a",["href","https:\/\/old-cdn.example.net/content/images/a.jpg"]]]}"#,
            "https://cdn.example.com/content/images/a.jpg",
        ),
    ] {
        for kind in [CellKind::Lexical, CellKind::Mobiledoc, CellKind::MaybeJson] {
            let got = plan(m, kind, before);
            let ok = matches!(&got, Ok(Some(a)) if decoded(a).iter().any(|s| s == want));
            f.check(ok, || format!("{kind:?} {before}\n    got {got:?}"));
        }
    }
    // With a second, ordinary URL in the document the proof notices and refuses the cell.
    let two = r#"{"src":"https:\/\/old-cdn.example.net/content/images/a.jpg","b":"https://old-cdn.example.net/content/images/b.jpg"}"#;
    let got = plan(&no_site, CellKind::Lexical, two);
    f.check(got.as_ref().is_ok_and(|g| g.is_some()), || {
        format!("Lexical {two}\n    got {got:?} (needless refusal caused by the same gap)")
    });
    f.done();
}

/// The site URL or `--from` written with the scheme's default port (`:443`, `:80`) is the
/// same site (README: "the scheme's default port written out ... is the same site"), but the
/// ports are compared literally: the `__GHOST_URL__` and root-relative forms (what Ghost 5
/// stores for every uploaded image) are silently left, and a `--from` with `:443` stops
/// matching the URLs written without the port.
#[test]
fn miss_default_port_written_in_site_or_from() {
    let cell = r#"<img src="https://blog.example.com/content/images/a.jpg"><img src="/content/images/b.jpg"><img src="__GHOST_URL__/content/images/c.jpg">"#;
    let want = r#"<img src="https://cdn.example.com/content/images/a.jpg"><img src="https://cdn.example.com/content/images/b.jpg"><img src="https://cdn.example.com/content/images/c.jpg">"#;
    let mut f = Failures::default();
    for (from, site) in [
        (FROM, "https://blog.example.com:443/"),
        (
            "https://blog.example.com:443/content/images/",
            "https://blog.example.com/",
        ),
        (
            "https://blog.example.com:443/content/images/",
            "https://blog.example.com:443/",
        ),
        (
            "__GHOST_URL__/content/images/",
            "https://blog.example.com:443/",
        ),
    ] {
        let m = map(from, TO, Some(site));
        let got = plan(&m, CellKind::Html, cell);
        f.check(got == Ok(Some(want.to_string())), || {
            format!("--from {from} --site-url {site}\n    got {got:?}")
        });
    }
    let m = map(
        "http://blog.example.com:80/content/images/",
        TO,
        Some("http://blog.example.com/"),
    );
    let got = plan(
        &m,
        CellKind::Html,
        &cell.replace("https://blog", "http://blog"),
    );
    f.check(got == Ok(Some(want.to_string())), || {
        format!("--from http://blog.example.com:80/content/images/\n    got {got:?}")
    });
    f.done();
}

/// Markdown (mobiledoc/lexical markdown cards, rendered by markdown-it) allows a link
/// destination in angle brackets (needed for file names with spaces) and a reference
/// definition without a space after the colon. The root-relative form there is not accepted
/// (`<` and `:` are not in the Relative prev-char set), so the card keeps the old URL and the
/// next re-render of `html` brings it back. An inline code span is not rewritten either,
/// although the README says code is.
#[test]
#[ignore = "open: a root-relative URL right after `]:` in a markdown reference is not matched (`<` and backtick are)"]
fn miss_markdown_destinations() {
    let m = std_map();
    let mut f = Failures::default();
    for md in [
        "![x](</content/images/my photo.jpg>)",
        "![x](</content/images/a.jpg> \"title\")",
        "[1]: </content/images/a.jpg>",
        "[1]:/content/images/a.jpg",
        "see `/content/images/a.jpg`",
    ] {
        let doc = serde_json::json!({"version":"0.3.1","cards":[["markdown",{"markdown": md}]]})
            .to_string();
        for (kind, v) in [(CellKind::Mobiledoc, doc.as_str()), (CellKind::Text, md)] {
            let got = plan(&m, kind, v);
            let ok = matches!(&got, Ok(Some(a)) if a.contains("https://cdn.example.com/content/images/"));
            f.check(ok, || format!("{kind:?} {v}\n    got {got:?}"));
        }
    }
    f.done();
}

/// The nesting guard (`protect`) drops an occurrence strictly inside any raw match of a
/// `--to` spelling, without a boundary check. With `--from https://example.com --to
/// https://example.com/blog` (a site moved into a subdirectory), every URL whose path merely
/// starts with `/blog` (`/blogging.png`, `/blog.jpg`) is silently left on the old layout.
#[test]
fn miss_protect_without_boundary() {
    let mut f = Failures::default();
    let m = map("https://example.com", "https://example.com/blog", None);
    for (v, want) in [
        (
            "<img src=\"https://example.com/blogging.png\">",
            "<img src=\"https://example.com/blog/blogging.png\">",
        ),
        (
            "<img src=\"https://example.com/blog.jpg\">",
            "<img src=\"https://example.com/blog/blog.jpg\">",
        ),
    ] {
        let got = plan(&m, CellKind::Html, v);
        f.check(got == Ok(Some(want.to_string())), || {
            format!("{v}\n    got {got:?}")
        });
    }
    // Control: a real /blog/ URL (output of a run) stays, and an unrelated one is rewritten.
    assert_eq!(
        plan(&m, CellKind::Html, "https://example.com/blog/x.jpg"),
        Ok(None)
    );
    assert_eq!(
        plan(&m, CellKind::Html, "https://example.com/x.jpg"),
        Ok(Some("https://example.com/blog/x.jpg".into()))
    );
    f.done();
}

/// JSON inside a JS string inside HTML (`JSON.parse("{\"img\":\"https:\\/\\/...\"}")`): after
/// the HTML (or the lexical document) is decoded once, the slashes are `\\/`, a spelling the
/// matcher does not know. Found neither in an `html` column nor in a lexical html card.
#[test]
#[ignore = "open: JSON inside a JS string inside HTML (triple escaping) is not decoded"]
fn miss_json_in_js_string_triple_escaping() {
    let m = std_map();
    let mut f = Failures::default();
    let html = r#"<script>var cfg = JSON.parse("{\"img\":\"https:\\/\\/blog.example.com\\/content\\/images\\/a.jpg\"}");</script>"#;
    let lexical =
        serde_json::json!({"root":{"children":[{"type":"html","html": html}]}}).to_string();
    for (kind, v) in [
        (CellKind::Html, html.to_string()),
        (CellKind::Lexical, lexical),
    ] {
        let got = plan(&m, kind, &v);
        let ok = matches!(&got, Ok(Some(a)) if a.contains("cdn.example.com"));
        f.check(ok, || format!("{kind:?} {v}\n    got {got:?}"));
    }
    f.done();
}

/// Spellings a browser (WHATWG URL parser + HTML attribute decoding) resolves to the old
/// prefix but the matcher does not know. Less common in stored data; listed so each is a
/// conscious decision.
#[test]
#[ignore = "open: trailing-dot hosts, one/three slashes, backslashes, references without `;`, encoded host letters, whitespace inside URLs and IDN spellings are not matched (browser-only spellings, not written by Ghost)"]
fn miss_browser_equivalent_spellings() {
    let m = std_map();
    let mut f = Failures::default();
    for src in [
        // trailing dot (FQDN) host
        "https://blog.example.com./content/images/a.jpg",
        // one or three slashes after a special scheme
        "https:/blog.example.com/content/images/a.jpg",
        "https:///blog.example.com/content/images/a.jpg",
        // backslashes are slashes in special URLs
        "https:\\\\blog.example.com\\content\\images\\a.jpg",
        "\\content\\images\\a.jpg",
        // numeric references without the semicolon are decoded in attributes
        "https:&#47&#47blog.example.com&#47content&#47images&#47a.jpg",
        // any character may be a reference; hosts are percent-decoded
        "https://&#98;log.example.com/content/images/a.jpg",
        "https://bl%6Fg.example.com/content/images/a.jpg",
        // tab and newline are removed from URLs
        "https://blog.example.com/content/\n\timages/a.jpg",
        // IDN: --from can only be punycode; the Unicode spelling resolves to the same host
    ] {
        let v = format!("<img src=\"{src}\">");
        let got = plan(&m, CellKind::Html, &v);
        f.check(!matches!(got, Ok(None)), || format!("{v}\n    got {got:?}"));
    }
    let idn = map("https://xn--bcher-kva.example/content/images/", TO, None);
    let v = "<img src=\"https://bücher.example/content/images/a.jpg\">";
    let got = plan(&idn, CellKind::Html, v);
    f.check(!matches!(got, Ok(None)), || {
        format!("--from xn--bcher-kva.example {v}\n    got {got:?}")
    });
    f.done();
}

// =============================================================================================
// 2. Corruption
// =============================================================================================

/// `encode_like` writes every `/` of `--to` in the first non-plain slash spelling of the
/// occurrence. When that is `\/` (and the rest of the URL uses `&#47;`), the host part is fine
/// but the path becomes `\/content\/images\/...`: in an HTML attribute a browser reads `\` as
/// `/`, so the path changes from `/content/images/a.jpg` to `//content//images//a.jpg`.
#[test]
fn corrupt_mixed_json_and_entity_slashes_in_html() {
    let m = std_map();
    let v = r#"<img src="https:\/\/blog.example.com&#47;content&#47;images&#47;a.jpg">"#;
    let got = plan(&m, CellKind::Html, v).unwrap().unwrap();
    assert!(
        !got.contains(r"\/content"),
        "the path's separators changed spelling: {v} -> {got}"
    );
}

// =============================================================================================
// 3. Over-matches
// =============================================================================================

/// README: "Not matched: a site URL inside another URL's path". Only an alphanumeric or
/// `+.-/` right before the scheme is treated as "inside": every other path character is not.
/// The root-relative form after `,` `;` `=` in another URL and `__GHOST_URL__` anywhere are
/// accepted too.
#[test]
#[ignore = "deliberate: `; , = ' ( ) :` are URL starts in HTML, CSS and markdown, so a site URL after them inside another URL is rewritten"]
fn overmatch_prefix_inside_another_urls_path() {
    let m = std_map();
    let mut f = Failures::default();
    for c in [
        ":", "@", "~", "_", "!", "$", "*", ";", ",", "=", "'", "(", ")",
    ] {
        let v = format!(
            "https://web.archive.org/web/2020{c}https://blog.example.com/content/images/a.jpg"
        );
        let got = plan(&m, CellKind::Text, &v);
        f.check(got == Ok(None), || format!("{v}\n    got {got:?}"));
    }
    for v in [
        "https://evil.net/x;/content/images/a.jpg",
        "https://evil.net/x,/content/images/a.jpg",
        "https://evil.net/a=/content/images/a.jpg",
        "https://other.example/_next/image?url=/content/images/a.jpg&w=640",
        "https://evil.net/__GHOST_URL__/content/images/a.jpg",
    ] {
        let got = plan(&m, CellKind::Text, v);
        f.check(got == Ok(None), || format!("{v}\n    got {got:?}"));
    }
    f.done();
}

/// README: "`https://host:80/` does not" match. The default-port check looks for `host:` in
/// the matched text, so a port colon spelled `&#58;`, `&colon;` or `\u003A` bypasses it.
#[test]
fn overmatch_wrong_default_port_with_encoded_colon() {
    let m = std_map();
    let mut f = Failures::default();
    for v in [
        "<img src=\"https://blog.example.com&#58;80/content/images/a.jpg\">",
        "<img src=\"https://blog.example.com&colon;80/content/images/a.jpg\">",
        "<img src=\"http://blog.example.com&#x3A;443/content/images/a.jpg\">",
        "<script>x=\"https:\\u002F\\u002Fblog.example.com\\u003A80\\u002Fcontent\\u002Fimages\\u002Fa.jpg\"</script>",
    ] {
        let got = plan(&m, CellKind::Html, v);
        f.check(got == Ok(None), || format!("{v}\n    got {got:?}"));
    }
    // Control: the plain spelling is refused as documented.
    assert_eq!(
        plan(
            &m,
            CellKind::Html,
            "https://blog.example.com:80/content/images/a.jpg"
        ),
        Ok(None)
    );
    f.done();
}

/// With a `--from` that does not end in `/`, the boundary check looks at the next raw byte;
/// `&` is accepted, so an entity-encoded host or path continuation matches: `old.com&#46;evil.net`
/// (host old.com.evil.net) and `/content/images&#45;archive/` (images-archive).
#[test]
fn overmatch_entity_encoded_continuation_without_trailing_slash() {
    let mut f = Failures::default();
    let host = map("https://old.com", "https://new.com", None);
    let v = "<img src=\"https://old.com&#46;evil.net/x.jpg\">";
    let got = plan(&host, CellKind::Html, v);
    f.check(got == Ok(None), || {
        format!("--from https://old.com {v}\n    got {got:?}")
    });
    let path = map(
        "https://blog.example.com/content/images",
        "https://cdn.example.com/img",
        None,
    );
    let v = "<img src=\"https://blog.example.com/content/images&#45;archive/x.jpg\">";
    let got = plan(&path, CellKind::Html, v);
    f.check(got == Ok(None), || {
        format!("--from .../content/images {v}\n    got {got:?}")
    });
    f.done();
}

// =============================================================================================
// 4. Non-idempotence
// =============================================================================================

/// README: "a second run changes 0 cells for every --to". A `--to` that is a prefix of
/// `--from` on the same host (flattening a directory) re-matches its own output whenever the
/// tail starts like the from path again.
#[test]
#[ignore = "the command refuses a --to that is a prefix of --from (rewrite::parse_prefixes); the library map alone is not idempotent there"]
fn nonidempotent_to_is_a_prefix_of_from() {
    let mut f = Failures::default();
    for (from, to, v) in [
        (
            "https://a.com/img/",
            "https://a.com/",
            "https://a.com/img/img/x.jpg",
        ),
        (
            FROM,
            "https://blog.example.com/content/",
            "https://blog.example.com/content/images/images/x.jpg",
        ),
        (
            FROM,
            "https://blog.example.com/",
            "/content/images/content/images/x.jpg",
        ),
    ] {
        let m = map(from, to, Some(SITE));
        let once = plan(&m, CellKind::Html, v).unwrap().unwrap();
        let twice = plan(&m, CellKind::Html, &once);
        f.check(twice == Ok(None), || {
            format!("--from {from} --to {to}: {v} -> {once} -> {twice:?}")
        });
    }
    f.done();
}

// =============================================================================================
// 5. Needless refusals
// =============================================================================================

/// A lone surrogate escape is valid JSON text (RFC 8259 grammar; JSON.parse, serde_json's
/// own validation accept it), yet a lexical document holding one next to a raw-visible URL is
/// refused as "the stored JSON does not parse".
#[test]
fn refusal_lone_surrogate_next_to_a_url() {
    let m = std_map();
    let mut f = Failures::default();
    for v in [
        r#"{"a":"/content/images/a.jpg\ud800"}"#,
        r#"{"a":"https://blog.example.com/content/images/a.jpg","alt":"\ud83d"}"#,
    ] {
        for kind in [CellKind::Lexical, CellKind::Mobiledoc, CellKind::MaybeJson] {
            let got = plan(&m, kind, v);
            f.check(got.as_ref().is_ok_and(|g| g.is_some()), || {
                format!("{kind:?} {v}\n    got {got:?}")
            });
        }
    }
    f.done();
}

/// Internationalised site URLs: `--site-url`/`--from` refuse a Unicode host outright (and
/// `--ghost-config` with such a `url` fails), although Ghost runs on them.
#[test]
#[ignore = "open: Unicode (IDN) hosts in --from/--site-url are refused; give the punycode form"]
fn refusal_unicode_host() {
    let mut f = Failures::default();
    for s in ["https://bücher.example", "https://bücher.example/"] {
        let r = Site::parse(s);
        f.check(r.is_ok(), || format!("--site-url {s}: {r:?}"));
    }
    let r = Prefix::parse("--from", "https://bücher.example/content/images/", None);
    f.check(r.is_ok(), || {
        format!("--from https://bücher.example/content/images/: {r:?}")
    });
    f.done();
}

// =============================================================================================
// Guards that pass today
// =============================================================================================

/// Truncated escapes, references and multi-byte characters around the separators: no panic,
/// and a changed value is stable on a second and third run.
#[test]
fn guard_no_panic_on_truncated_escapes() {
    let m = std_map();
    let bits = [
        "&",
        "&#",
        "&#4",
        "&#47",
        "&#x",
        "&#x2F",
        "&sol",
        "&colon",
        "\\",
        "\\u",
        "\\u00",
        "\\u002",
        "&é",
        "&#é;",
        "\\ué",
        "é&#47;",
        "&#47;é",
        "\\/",
        "\\u002Fé",
        "&#99999999999;",
        "&#x110000;",
        "&#xD800;",
        "😀&#58;",
        "&#58;😀",
    ];
    for s in bits {
        for t in [
            s.to_string(),
            format!("/content/images/a.jpg{s}"),
            format!("{s}/content/images/a.jpg"),
            format!("https://blog.example.com{s}content/images/a.jpg"),
            format!("https{s}//blog.example.com/content/images/a.jpg"),
        ] {
            for kind in [
                CellKind::Html,
                CellKind::Text,
                CellKind::Url,
                CellKind::MaybeJson,
            ] {
                if let Ok(Some(o)) = plan(&m, kind, &t) {
                    assert_eq!(plan(&m, kind, &o), Ok(None), "{kind:?} {t:?} -> {o:?}");
                }
            }
        }
    }
    for doc in [
        "{\"a\":\"\\u\"}",
        "{\"a\":\"x\\ud800\"}",
        "{\"a\":\"\\ud800\\u0041/content/images/a.jpg\"}",
        "{\"a\":\"/content/images/a.jpg\\",
        "\u{feff}{\"a\":\"/content/images/a.jpg\"}",
        "[\"/content/images/a.jpg\", \"\\u0000\"]",
    ] {
        for kind in [CellKind::Lexical, CellKind::Mobiledoc, CellKind::MaybeJson] {
            let _ = plan(&m, kind, doc);
        }
    }
}

/// Idempotence for `--to` values that contain, extend or re-spell `--from`, over every stored
/// spelling, in text and JSON cells.
#[test]
fn guard_idempotent_for_tos_containing_from() {
    let tos = [
        TO,
        "https://blog.example.com/content/images/cdn/",
        "https://cdn.example.com/p/https://blog.example.com/content/images/",
        "https://cdn.example.com/f=auto,https://blog.example.com/content/images/",
        "https://cdn.example.com/x;/content/images/",
        "http://blog.example.com/content/images/",
        "//blog.example.com/content/images/",
        "//blog.example.com/content/images/v2/",
        "__GHOST_URL__/content/images/",
        "__GHOST_URL__/content/images/archive/",
        "https://blog.example.com/content/images/content/images/",
    ];
    let inputs = [
        "https://blog.example.com/content/images/a.jpg",
        "HTTP://BLOG.example.com:80/content/images/a.jpg",
        "https:&#47;&#47;blog.example.com/content/images/a.jpg",
        "https://blog.example.com&#47;content/images/a.jpg",
        "/content/images/a.jpg",
        "&#47;content/images/a.jpg",
        "https:\\/\\/blog.example.com/content/images/a.jpg x &#47;",
        "https:\\/\\/blog.example.com\\/content\\/images\\/a.jpg",
        "https&#58;\\/\\/blog.example.com\\/content\\/images\\/a.jpg",
        "https:\\u002F\\u002Fblog.example.com\\u002Fcontent\\u002Fimages\\u002Fa.jpg",
        "__GHOST_URL__/content/images/a.jpg, //blog.example.com/content/images/b.jpg 2x",
    ];
    for to in tos {
        let m = map(FROM, to, Some(SITE));
        for i in inputs {
            let json = serde_json::json!({"a": i, "b": format!("x\n{i}")}).to_string();
            for (kind, v) in [(CellKind::Html, i.to_string()), (CellKind::Lexical, json)] {
                if let Ok(Some(o)) = plan(&m, kind, &v) {
                    assert_eq!(
                        plan(&m, kind, &o),
                        Ok(None),
                        "--to {to} {kind:?} {v} -> {o}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz: seeded, time-bounded.

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Decodes the separator spellings the README lists (and `\/`), for comparing spans.
fn decode_seps(s: &str) -> String {
    let mut out = s.to_string();
    for (a, b) in [
        ("&#x2F;", "/"),
        ("&#x2f;", "/"),
        ("&#X2F;", "/"),
        ("&#X2f;", "/"),
        ("&#47;", "/"),
        ("&sol;", "/"),
        ("\\u002F", "/"),
        ("\\u002f", "/"),
        ("\\/", "/"),
        ("&#58;", ":"),
        ("&#x3A;", ":"),
        ("&#x3a;", ":"),
        ("&colon;", ":"),
        ("\\u003A", ":"),
        ("\\u003a", ":"),
    ] {
        out = out.replace(a, b);
    }
    out
}

const FRAGS: &[&str] = &[
    "&#47;",
    "&#x2F;",
    "&#X2f;",
    "&sol;",
    "&#58;",
    "&colon;",
    "\\/",
    "\\\\/",
    "\\u002F",
    "\\u002f",
    "\\u003A",
    "\"",
    "\\",
    "é",
    "😀",
    "\u{a0}",
    "&",
    "&#",
    ";",
    "\\u",
    "\\ud83d",
    ":",
    "/",
    "//",
    " ",
    "\n",
    ",",
    "=",
    "(",
    "'",
    "<",
    ">",
    "https:",
    "http:",
    "HTTPS:",
    "blog.example.com",
    "BLOG.example.COM",
    "/content/images/",
    "content/images/",
    "/content/",
    "images/",
    "__GHOST_URL__",
    "https://blog.example.com/content/images/",
    "//blog.example.com/content/images/",
    "https:\\/\\/blog.example.com\\/content\\/images\\/",
    "https&#58;//blog.example.com&#47;content&#47;images&#47;",
    ":443",
    ":80",
    ":8080",
    "a.jpg",
    "x",
    ".",
    "-",
    "@",
    "?",
    "#",
    "%2F",
    "cdn/",
    "cdn.example.com",
    "https://cdn.example.com/content/images/",
    "&quot;",
    "url(",
    ")",
    "src=\"",
    "srcset=\"",
    "1x,",
    "https://blog.example.com/",
    "\t",
    "\r\n",
    "\u{0}",
    "\\n",
    "\\\"",
];

fn random_text(r: &mut Rng) -> String {
    let n = 1 + r.below(14);
    let mut s = String::new();
    for _ in 0..n {
        let f = *r.pick(FRAGS);
        if r.below(6) == 0 && f.len() > 2 {
            // a partial fragment (at a char boundary)
            let cut = r.below(f.len());
            let cut = (0..=cut).rev().find(|&c| f.is_char_boundary(c)).unwrap();
            s.push_str(&f[..cut]);
        } else {
            s.push_str(f);
        }
    }
    s
}

/// The JSON string literal for `s`, in one of several valid encodings.
fn json_lit(s: &str, style: usize, r: &mut Rng) -> String {
    let base = serde_json::to_string(s).unwrap();
    match style {
        0 => base,
        // every '/' escaped
        1 => base.replace('/', "\\/"),
        // some '/' escaped
        2 => {
            let mut out = String::new();
            for c in base.chars() {
                if c == '/' && r.below(2) == 0 {
                    out.push_str("\\/");
                } else {
                    out.push(c);
                }
            }
            out
        }
        // non-ASCII and some ASCII letters/slashes as \u escapes
        _ => {
            let inner = &base[1..base.len() - 1];
            let mut out = String::from("\"");
            let mut it = inner.chars().peekable();
            while let Some(c) = it.next() {
                if c == '\\' {
                    out.push(c);
                    if let Some(n) = it.next() {
                        out.push(n);
                        if n == 'u' {
                            for _ in 0..4 {
                                out.push(it.next().unwrap());
                            }
                        }
                    }
                } else if !c.is_ascii() || (matches!(c, '/' | 'h' | ':' | 'c') && r.below(3) == 0) {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                } else {
                    out.push(c);
                }
            }
            out.push('"');
            out
        }
    }
}

fn json_strings(doc: &str) -> Option<Vec<String>> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let v: serde_json::Value = serde_json::from_str(doc).ok()?;
    let mut out = Vec::new();
    walk(&v, &mut out);
    Some(out)
}

struct Fuzz {
    failures: std::collections::BTreeMap<String, String>,
}
impl Fuzz {
    fn fail(&mut self, class: &str, detail: String) {
        let n = self
            .failures
            .keys()
            .filter(|k| k.starts_with(class))
            .count();
        if n < 6 {
            self.failures.insert(format!("{class} #{n}"), detail);
        }
    }
}

fn plan_catch(m: &UrlMap, kind: CellKind, v: &str) -> Result<Result<Option<String>, String>, ()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| plan(m, kind, v))).map_err(|_| ())
}

fn check_text(fz: &mut Fuzz, name: &str, m: &UrlMap, kind: CellKind, v: &str) {
    let r = match plan_catch(m, kind, v) {
        Err(()) => return fz.fail("panic", format!("{name} {kind:?} {v:?}")),
        Ok(r) => r,
    };
    let Ok(Some(after)) = r else { return };
    // Edits: on char boundaries, each replacing a spelling of --from by a spelling of --to.
    let edits = cell_edits(m, kind, v).unwrap();
    let to = m.to_str().to_string();
    for e in &edits {
        let with = decode_seps(&e.with);
        if with != to {
            fz.fail(
                "edit-not-to",
                format!(
                    "{name} {kind:?} {v:?}: {:?} -> {:?}",
                    &v[e.start..e.end],
                    e.with
                ),
            );
        }
    }
    // Idempotence, twice.
    match plan_catch(m, kind, &after) {
        Err(()) => fz.fail("panic", format!("{name} {kind:?} second run of {after:?}")),
        Ok(Ok(None)) => {}
        Ok(other) => fz.fail(
            "non-idempotent",
            format!("{name} {kind:?} {v:?}\n      1st {after:?}\n      2nd {other:?}"),
        ),
    }
}

const STYLE_NAMES: [&str; 5] = [
    "plain",
    "all-slashes-escaped",
    "some-slashes-escaped",
    "u-escapes",
    "plain+lone-surrogate-elsewhere",
];

fn check_json(
    fz: &mut Fuzz,
    name: &str,
    m: &UrlMap,
    kind: CellKind,
    strings: &[String],
    r: &mut Rng,
) {
    let expected: Vec<String> = strings
        .iter()
        .map(|s| m.rewrite(s).map(|x| x.0).unwrap_or_else(|| s.clone()))
        .collect();
    let mut outcomes: Vec<(String, String)> = Vec::new();
    for style in 0..5 {
        let lit_style = if style == 4 { 0 } else { style };
        let extra = if style == 4 {
            ",\"alt\":\"cut emoji \\ud83d\""
        } else {
            ""
        };
        let doc = format!(
            "{{\"a\":{},\"b\":[{}],\"n\":1{extra}}}",
            json_lit(&strings[0], lit_style, r),
            json_lit(&strings[1], lit_style, r)
        );
        let res = match plan_catch(m, kind, &doc) {
            Err(()) => {
                fz.fail("panic", format!("{name} {kind:?} {doc:?}"));
                continue;
            }
            Ok(x) => x,
        };
        let sname = STYLE_NAMES[style];
        let outcome = match &res {
            Err(e) => format!("refused: {e}"),
            Ok(None) => {
                if expected != strings {
                    fz.fail(
                        &format!("json-silent-miss[{sname}]"),
                        format!("{name} {kind:?}: {doc}\n      left as is; the decoded text-level rewrite gives {expected:?}"),
                    );
                }
                "unchanged".into()
            }
            Ok(Some(after)) => {
                if style != 4 {
                    match json_strings(after) {
                        None => fz.fail("json-corrupt", format!("{name} {kind:?} {doc:?} -> {after:?} does not parse")),
                        Some(got) if got != expected => fz.fail(
                            "json-wrong",
                            format!("{name} {kind:?} {doc:?}\n      -> {after:?}\n      expected decoded {expected:?}"),
                        ),
                        _ => {}
                    }
                }
                match plan_catch(m, kind, after) {
                    Ok(Ok(None)) => {}
                    other => fz.fail(
                        "non-idempotent",
                        format!(
                            "{name} {kind:?} {doc:?}\n      1st {after:?}\n      2nd {other:?}"
                        ),
                    ),
                }
                "changed".into()
            }
        };
        outcomes.push((doc, outcome));
    }
    let first = outcomes[0].1.clone();
    for (style, (doc, o)) in outcomes.iter().enumerate() {
        if *o != first && !(o == "unchanged" && expected != strings) {
            fz.fail(
                &format!("json-outcome-differs[{}]", STYLE_NAMES[style]),
                format!("{name} {kind:?} plain encoding: {first}; {doc}: {o}"),
            );
        }
    }
}

/// Decodes numeric/named references for `/` and `:` as a browser would in an attribute.
const ENT_SLASH: &[&str] = &["/", "&#47;", "&#x2F;", "&#x2f;", "&sol;", "&#047;"];
const ENT_COLON: &[&str] = &[":", "&#58;", "&#x3A;", "&colon;"];

fn check_html_spellings(fz: &mut Fuzz, name: &str, m: &UrlMap, url: &str, r: &mut Rng) {
    // The same attribute value with '/' and ':' spelled as random character references.
    let mut enc = String::new();
    for c in url.chars() {
        match c {
            '/' => enc.push_str(*r.pick(ENT_SLASH)),
            ':' => enc.push_str(*r.pick(ENT_COLON)),
            c => enc.push(c),
        }
    }
    let plain = format!("<img src=\"{url}\">");
    let coded = format!("<img src=\"{enc}\">");
    let a = plan_catch(m, CellKind::Html, &plain);
    let b = plan_catch(m, CellKind::Html, &coded);
    let (Ok(Ok(a)), Ok(Ok(b))) = (a, b) else {
        return;
    };
    let da = a.map(|x| decode_seps(&x).replace("&#047;", "/"));
    let db = b.map(|x| decode_seps(&x).replace("&#047;", "/"));
    if da != db {
        fz.fail(
            "html-entity-spelling-differs",
            format!("{name}\n      {plain} -> {da:?}\n      {coded} -> {db:?} (decoded)"),
        );
    }
}

#[test]
#[ignore = "its remaining failure classes are the open ones above; run with --ignored"]
fn fuzz() {
    let site = Some("https://blog.example.com");
    let maps: Vec<(String, UrlMap)> = [
        (
            "https://blog.example.com/content/images/",
            "https://cdn.example.com/content/images/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "https://blog.example.com/content/images/cdn/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "https://cdn.example.com/p/https://blog.example.com/content/images/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "__GHOST_URL__/content/images/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "//blog.example.com/content/images/v2/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "http://blog.example.com/content/images/",
            site,
        ),
        (
            "https://blog.example.com/content/images/",
            "https://cdn.example.com/content/images/",
            None,
        ),
        (
            "https://blog.example.com/content/images",
            "https://cdn.example.com/img",
            site,
        ),
        ("https://blog.example.com", "https://cdn.example.com", None),
        (
            "__GHOST_URL__/content/images/",
            "https://cdn.example.com/content/images/",
            site,
        ),
    ]
    .iter()
    .map(|(f, t, s)| (format!("{f} -> {t} (site {s:?})"), map(f, t, *s)))
    .collect();
    let seed: u64 = std::env::var("ATTACK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E3779B97F4A7C15);
    let secs: u64 = std::env::var("ATTACK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let mut r = Rng(seed);
    let mut fz = Fuzz {
        failures: Default::default(),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut iters = 0u64;
    while std::time::Instant::now() < deadline {
        iters += 1;
        let (name, m) = &maps[r.below(maps.len())];
        let t = random_text(&mut r);
        for kind in [CellKind::Html, CellKind::Text, CellKind::Url] {
            check_text(&mut fz, name, m, kind, &t);
        }
        let strs = [random_text(&mut r), random_text(&mut r)];
        // Only strings without lone-surrogate-looking text: a Rust String can't hold one.
        for kind in [CellKind::Lexical, CellKind::MaybeJson] {
            check_json(&mut fz, name, m, kind, &strs, &mut r);
        }
        let u: String = t
            .chars()
            .filter(|c| !matches!(c, '"' | '&' | '\\' | '<' | '>'))
            .collect();
        check_html_spellings(&mut fz, name, m, &u, &mut r);
    }
    eprintln!("fuzz: {iters} iterations, seed {seed}");
    for (k, v) in &fz.failures {
        eprintln!("{k}: {v}");
    }
    assert!(
        fz.failures.is_empty(),
        "{} failure classes",
        fz.failures.len()
    );
}
