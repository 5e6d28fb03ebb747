//! Conformance against Ghost's own URL library: `fixtures/url-utils-conformance.json` holds
//! inputs taken from the unit tests of `@tryghost/url-utils` (plus a few hand-written ones) and
//! what url-utils itself made of them (recorded by `tests/conformance/record.mjs`, no node
//! needed here). Every case is stored in a `posts` row of a real Ghost database, in the column
//! its kind lives in, and `rewrite --from SITE/content/images/ --to __GHOST_URL__/content/images/`
//! is run over it. Per case, the `/content/images/` URLs that url-utils turned into
//! `__GHOST_URL__/content/images/...` must be exactly (as a multiset) the ones ghost-migrate
//! turned into it, unless the case is listed in `DELIBERATE` or `KNOWN_BUGS_PENDING_MATCHER_FIX`.
//! A listed case that no longer differs fails the test too, so both lists stay honest.

use crate::common::*;
use ghost_migrate::db::P;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Differences that are ghost-migrate's design, not bugs: `(case id, reason)`. Ghost expands
/// `__GHOST_URL__` anywhere in these posts columns when it reads them (`transformReadyToAbsolute`
/// is a plain string replace), so a URL ghost-migrate rewrites where url-utils would not look
/// still resolves to the same address.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "extra#8",
        "an entity-encoded URL (http&#58;//site/content/images/...) is decoded, rewritten and re-encoded in the same style; url-utils does not see it as a URL and leaves the old host",
    ),
    (
        "html-absolute-to-transform-ready#5",
        "ghost-migrate rewrites URLs in every attribute (here data-kg-*); url-utils 4.4.14 only in href, src, srcset and style (data-kg-* came in url-utils 5)",
    ),
    (
        "html-relative-to-absolute#8",
        "ghost-migrate rewrites root-relative URLs in data-kg-* attributes; url-utils 4.4.14 does not look there",
    ),
    (
        "html-relative-to-transform-ready#9",
        "ghost-migrate rewrites data-kg-* attributes, also inside <code>; url-utils 4.4.14 skips both",
    ),
    (
        "markdown-absolute-to-relative#5",
        "ghost-migrate also rewrites URLs inside a markdown code block (indented); url-utils leaves code alone",
    ),
    (
        "markdown-relative-to-absolute#4",
        "ghost-migrate also rewrites root-relative URLs inside a markdown code block; url-utils leaves code alone",
    ),
    (
        "extra#10",
        "ghost-migrate rewrites an unquoted CSS url(/content/images/...); url-utils 4.4.14 only quoted url('...')",
    ),
    (
        "extra#17",
        "ghost-migrate rewrites bare URLs in posts.plaintext; url-utils' plaintext transform only converts [url] links",
    ),
    (
        "relative-to-transform-ready#24",
        "subdirectory site: root-relative /content/images/ without the subdirectory is not the site's image path and is left alone; url-utils puts it under the subdirectory",
    ),
];

/// Differences caused by matcher bugs being fixed in the main line right now: `(case id, cause)`.
/// Empty this list as the fixes land; the test fails for an entry whose case no longer differs.
const KNOWN_BUGS_PENDING_MATCHER_FIX: &[(&str, &str)] = &[];

const TR: &str = "__GHOST_URL__/content/images/";

struct Case {
    id: String,
    kind: String,
    site_url: String,
    input: String,
    output: String,
}

fn corpus() -> (String, Vec<Case>) {
    let path = fixtures().join("url-utils-conformance.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let version = doc["url_utils_version"].as_str().unwrap().to_string();
    let s = |c: &Value, k: &str| {
        c[k].as_str()
            .unwrap_or_else(|| panic!("case field {k}: {c}"))
            .to_string()
    };
    let cases = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            id: s(c, "id"),
            kind: s(c, "kind"),
            site_url: s(c, "site_url"),
            input: s(c, "input"),
            output: s(c, "output"),
        })
        .collect();
    (version, cases)
}

/// The mobiledoc a markdown case is stored as (record.mjs builds the same one).
fn markdown_mobiledoc(markdown: &str) -> String {
    serde_json::json!({
        "version": "0.3.1",
        "atoms": [],
        "cards": [["markdown", {"markdown": markdown}]],
        "markups": [],
        "sections": [[10, 0]]
    })
    .to_string()
}

/// Which posts column a kind is stored in, and the value stored there.
fn column_and_value(c: &Case) -> (&'static str, String) {
    match c.kind.as_str() {
        "html" => ("html", c.input.clone()),
        "lexical" => ("lexical", c.input.clone()),
        "mobiledoc" => ("mobiledoc", c.input.clone()),
        "markdown" => ("mobiledoc", markdown_mobiledoc(&c.input)),
        "plaintext" => ("plaintext", c.input.clone()),
        "url" => ("feature_image", c.input.clone()),
        k => panic!("unknown kind {k} in case {}", c.id),
    }
}

/// The text in which URLs are looked for: JSON documents by their decoded string values, a
/// stored markdown case by its card's markdown. Err when a JSON value does not parse.
fn texts(kind: &str, stored: &str) -> Result<Vec<String>, String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    match kind {
        "mobiledoc" | "lexical" => {
            let v: Value = serde_json::from_str(stored).map_err(|e| format!("not JSON: {e}"))?;
            let mut out = Vec::new();
            walk(&v, &mut out);
            Ok(out)
        }
        _ => Ok(vec![stored.to_string()]),
    }
}

/// Every `__GHOST_URL__/content/images/<path>` in the texts, sorted (a multiset).
fn tokens(texts: &[String]) -> Vec<String> {
    let stop = |ch: char| {
        ch.is_whitespace()
            || matches!(
                ch,
                '"' | '\'' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | '\\' | '`'
            )
    };
    let mut v = Vec::new();
    for t in texts {
        for (i, _) in t.match_indices(TR) {
            let rest = &t[i + TR.len()..];
            let end = rest.find(stop).unwrap_or(rest.len());
            v.push(format!("{TR}{}", &rest[..end]));
        }
    }
    v.sort();
    v
}

/// `after` minus `before`, as multisets: the URLs converted into `__GHOST_URL__/content/images/`.
fn converted(before: &[String], after: &[String]) -> Vec<String> {
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for b in before {
        *left.entry(b).or_default() += 1;
    }
    let mut out = Vec::new();
    for a in after {
        match left.get_mut(a.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(a.clone()),
        }
    }
    out
}

struct Outcome {
    id: String,
    want: Vec<String>,
    got: Result<Vec<String>, String>,
    input: String,
    url_utils: String,
    ghost_migrate: String,
}

impl Outcome {
    fn differs(&self) -> bool {
        self.got.as_ref() != Ok(&self.want)
    }
}

fn row_id(n: usize) -> String {
    format!("c0f{n:021}")
}

const POSTS_COLUMNS: &str = "id, uuid, title, slug, mobiledoc, lexical, html, comment_id, \
    plaintext, feature_image, featured, type, status, locale, visibility, email_recipient_filter, \
    created_at, created_by, updated_at, updated_by, published_at, published_by, custom_excerpt, \
    codeinjection_head, codeinjection_foot, custom_template, canonical_url, newsletter_id, \
    show_title_and_feature_image";

/// A copy of the first fixture post, with a new id, uuid and slug, every URL column NULL but
/// `column`, which holds the case's value.
fn insert_sql(column: &str) -> String {
    let url_columns = [
        "mobiledoc",
        "lexical",
        "html",
        "plaintext",
        "feature_image",
        "custom_excerpt",
        "codeinjection_head",
        "codeinjection_foot",
        "canonical_url",
    ];
    let select = POSTS_COLUMNS
        .split(',')
        .map(str::trim)
        .map(|c| match c {
            "id" | "uuid" | "slug" => "?".to_string(),
            c if c == column => "?".to_string(),
            c if url_columns.contains(&c) => "NULL".to_string(),
            c => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO posts ({POSTS_COLUMNS}) SELECT {select} FROM posts \
         WHERE id = (SELECT id FROM (SELECT MIN(id) AS id FROM posts WHERE id NOT LIKE 'c0f%') AS first)"
    )
}

/// Stores the site's cases in `db`, rewrites, reads them back and compares with url-utils.
fn run_site(db: &str, site: &str, cases: &[(usize, &Case)]) -> Vec<Outcome> {
    rt().block_on(async {
        let mut c = connect(db).await;
        c.exec("DELETE FROM posts WHERE id LIKE 'c0f%'", &[])
            .await
            .unwrap();
        for (n, case) in cases {
            let (column, value) = column_and_value(case);
            let id = row_id(*n);
            let uuid = format!("00000000-0000-4000-8000-{n:012}");
            let slug = format!("url-utils-conformance-{n}");
            // The parameters are bound in the order the placeholders appear in the column list.
            let params: Vec<P> = POSTS_COLUMNS
                .split(',')
                .map(str::trim)
                .filter_map(|col| match col {
                    "id" => Some(P::S(&id)),
                    "uuid" => Some(P::S(&uuid)),
                    "slug" => Some(P::S(&slug)),
                    col if col == column => Some(P::S(&value)),
                    _ => None,
                })
                .collect();
            c.exec(&insert_sql(column), &params).await.unwrap();
        }
    });
    let base = site.trim_end_matches('/');
    let from = format!("{base}/content/images/");
    // A cell the tool refuses stops the whole run (exit 2, nothing written): note it, take its
    // row out and run again, so one refusal does not hide the other cases.
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let o = run(&[
            "rewrite",
            "--db",
            db,
            "--site-url",
            site,
            "--from",
            &from,
            "--to",
            TR,
            "--yes",
            "--json",
        ]);
        if o.status.code() == Some(0) {
            break;
        }
        let err = stderr(&o);
        let now: Vec<(String, String)> = err
            .lines()
            .filter_map(|l| {
                let (cell, why) = l.trim().split_once(": ")?;
                let (_, id) = cell.strip_prefix("posts.")?.split_once(" id ")?;
                id.starts_with("c0f")
                    .then(|| (id.to_string(), why.to_string()))
            })
            .collect();
        assert!(
            o.status.code() == Some(2) && !now.is_empty(),
            "rewrite for site {site} failed: {err}"
        );
        exec(
            db,
            &format!(
                "DELETE FROM posts WHERE id IN ({})",
                now.iter()
                    .map(|(id, _)| format!("'{id}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        refused.extend(now);
    }
    rt().block_on(async {
        let mut c = connect(db).await;
        let mut out = Vec::new();
        for (n, case) in cases {
            let (column, _) = column_and_value(case);
            if let Some(why) = refused.get(&row_id(*n)) {
                out.push(Outcome {
                    id: case.id.clone(),
                    want: converted(
                        &tokens(&texts(&case.kind, &case.input).unwrap()),
                        &tokens(&texts(&case.kind, &case.output).unwrap()),
                    ),
                    got: Err(format!("ghost-migrate refused the cell: {why}")),
                    input: case.input.clone(),
                    url_utils: case.output.clone(),
                    ghost_migrate: "(refused: the run stops with exit 2)".to_string(),
                });
                continue;
            }
            let stored = c
                .scalar(
                    &format!("SELECT {column} FROM posts WHERE id = ?"),
                    &[P::S(&row_id(*n))],
                )
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{}: row {} is gone or NULL", case.id, row_id(*n)));
            let want = converted(
                &tokens(&texts(&case.kind, &case.input).unwrap()),
                &tokens(&texts(&case.kind, &case.output).unwrap()),
            );
            let (got, ghost_migrate) = if case.kind == "markdown" {
                match serde_json::from_str::<Value>(&stored) {
                    Ok(v) => match v["cards"][0][1]["markdown"].as_str() {
                        Some(md) => (Ok(md.to_string()), md.to_string()),
                        None => (Err("no markdown card after the rewrite".into()), stored),
                    },
                    Err(e) => (Err(format!("not JSON after the rewrite: {e}")), stored),
                }
            } else {
                (Ok(stored.clone()), stored)
            };
            let got = got.and_then(|g| {
                Ok(converted(
                    &tokens(&texts(&case.kind, &case.input)?),
                    &tokens(&texts(&case.kind, &g)?),
                ))
            });
            out.push(Outcome {
                id: case.id.clone(),
                want,
                got,
                input: case.input.clone(),
                url_utils: case.output.clone(),
                ghost_migrate,
            });
        }
        out
    })
}

/// Runs the whole corpus on one database (one rewrite per distinct site URL).
fn run_corpus(db: &str) -> Vec<Outcome> {
    let (_, cases) = corpus();
    let mut by_site: BTreeMap<&str, Vec<(usize, &Case)>> = BTreeMap::new();
    for (n, c) in cases.iter().enumerate() {
        by_site.entry(&c.site_url).or_default().push((n, c));
    }
    let mut out = Vec::new();
    for (site, cs) in by_site {
        out.extend(run_site(db, site, &cs));
    }
    out
}

fn clip(s: &str) -> String {
    const MAX: usize = 1500;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &s[..end], s.len())
}

/// The verdict: every differing case is listed, every listed case differs.
fn check(engine: &str, outcomes: &[Outcome]) {
    let (_, cases) = corpus();
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique");
    let deliberate: BTreeMap<&str, &str> = DELIBERATE.iter().copied().collect();
    let known: BTreeMap<&str, &str> = KNOWN_BUGS_PENDING_MATCHER_FIX.iter().copied().collect();
    let mut problems = Vec::new();
    for id in deliberate.keys() {
        if known.contains_key(id) {
            problems.push(format!(
                "{id}: listed both as deliberate and as a known bug"
            ));
        }
    }
    for id in deliberate.keys().chain(known.keys()) {
        if !ids.contains(id) {
            problems.push(format!("{id}: listed, but the corpus has no such case"));
        }
    }
    let mut differing = 0;
    for o in outcomes {
        let listed = deliberate
            .get(o.id.as_str())
            .map(|r| format!("deliberate: {r}"))
            .or_else(|| {
                known
                    .get(o.id.as_str())
                    .map(|r| format!("KNOWN_BUGS_PENDING_MATCHER_FIX: {r}"))
            });
        match (o.differs(), listed) {
            (true, Some(_)) => differing += 1,
            (false, None) => {}
            (true, None) => {
                differing += 1;
                problems.push(format!(
                    "{id}: differs from url-utils and is not listed\n  url-utils converted:     {want:?}\n  ghost-migrate converted: {got:?}\n  input:         {input}\n  url-utils:     {uu}\n  ghost-migrate: {gm}",
                    id = o.id,
                    want = o.want,
                    got = o.got,
                    input = clip(&o.input),
                    uu = clip(&o.url_utils),
                    gm = clip(&o.ghost_migrate),
                ));
            }
            (false, Some(why)) => problems.push(format!(
                "{id}: listed ({why}) but now agrees with url-utils: remove it from the list\n  both converted: {want:?}",
                id = o.id,
                want = o.want,
            )),
        }
    }
    eprintln!(
        "{engine}: {} cases, {} agree with url-utils, {differing} differ ({} deliberate, {} known bugs listed)",
        outcomes.len(),
        outcomes.len() - differing,
        deliberate.len(),
        known.len()
    );
    assert!(
        problems.is_empty(),
        "{engine}: {} conformance problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn corpus_is_well_formed() {
    let (version, cases) = corpus();
    assert_eq!(
        version, "4.4.14",
        "the url-utils version Ghost 5.130.6 ships"
    );
    assert!(cases.len() >= 100, "{} cases", cases.len());
    for c in &cases {
        let _ = column_and_value(c);
        assert!(c.site_url.ends_with('/'), "{}: {}", c.id, c.site_url);
        texts(&c.kind, &c.input).unwrap_or_else(|e| panic!("{}: input {e}", c.id));
        texts(&c.kind, &c.output).unwrap_or_else(|e| panic!("{}: output {e}", c.id));
    }
    let converting = cases
        .iter()
        .filter(|c| {
            let t = |s: &str| tokens(&texts(&c.kind, s).unwrap());
            !converted(&t(&c.input), &t(&c.output)).is_empty()
        })
        .count();
    assert!(converting >= 40, "{converting} cases convert an image URL");
}

#[test]
fn tokens_are_a_multiset_difference() {
    let t = |s: &str| tokens(&[s.to_string()]);
    let before = t("__GHOST_URL__/content/images/a.jpg x");
    let after = t(
        "__GHOST_URL__/content/images/a.jpg \"__GHOST_URL__/content/images/a.jpg\" (__GHOST_URL__/content/images/b.jpg)",
    );
    assert_eq!(
        converted(&before, &after),
        vec![
            "__GHOST_URL__/content/images/a.jpg".to_string(),
            "__GHOST_URL__/content/images/b.jpg".to_string()
        ]
    );
    assert_eq!(
        markdown_mobiledoc("a\n\"b\""),
        r#"{"version":"0.3.1","atoms":[],"cards":[["markdown",{"markdown":"a\n\"b\""}]],"markups":[],"sections":[[10,0]]}"#
    );
}

#[test]
fn matches_url_utils_on_sqlite() {
    let (_d, db) = sqlite_copy();
    check("sqlite", &run_corpus(&db));
}

#[test]
fn matches_url_utils_on_mariadb() {
    let Some(my) = MyDb::new() else { return };
    check("mariadb", &run_corpus(&my.url));
}
