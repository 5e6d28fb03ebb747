//! The rewrite report as one self-contained HTML page (`rewrite --report x.html`): the plan and
//! totals, the per-column counts, what was left alone and why, and every listed changed row
//! with its old and new URLs side by side, each image shown from both hosts. Inline CSS and a
//! few lines of inline JS (marking images that did not load), both pinned by hash in the page's
//! Content-Security-Policy; nothing else is loaded but the images. Every value from the
//! database is escaped. A pure function of its inputs, apart from the date it stamps.

use crate::rewrite::report::{ColumnReport, Report, UnknownColumn};
use crate::rewrite::rows::ChangedRow;
use crate::url::{Form, FormCounts};
use crate::verify::{MissingClass, VerifyReport};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

const CSS: &str = include_str!("html.css");
/// Marks a figure whose image failed (`.failed`: the placeholder shows) or loaded (its size).
const JS: &str = "document.addEventListener('error',function(e){var t=e.target;if(t.tagName==='IMG'){t.parentNode.classList.add('failed')}},true);document.addEventListener('load',function(e){var t=e.target;if(t.tagName==='IMG'){var d=t.parentNode.querySelector('.dim');if(d){d.textContent=t.naturalWidth+'\\u00d7'+t.naturalHeight}}},true);";

/// Changed rows are shown in folds (`<details>`) of about this many URL pairs, open until this
/// many pairs are open and closed after that: a browser lays out only what is open, so a page
/// at the cap opens in seconds rather than tens of seconds (Ctrl-F still finds text in a closed
/// fold and opens it).
const FOLD_PAIRS: usize = 500;
const OPEN_PAIRS: usize = 1_000;
const SMALL_PAIRS: usize = 50;

/// What a caller may add to the report page beyond the rewrite `Report`. `rewrite --report
/// x.html` passes `HtmlExtra::default()`; a runbook command passes its plan and the outcome of
/// `verify`, shown after the header.
#[derive(Debug, Default, Clone)]
pub struct HtmlExtra<'a> {
    /// The runbook's plan as key/value lines (`("snapshot", "rds:ghost-prod-2026-12-06")`).
    pub plan: Option<Vec<(String, String)>>,
    /// The `verify` outcome, when one ran.
    pub verify: Option<&'a VerifyReport>,
}

/// `s` with `& < > " '` escaped: safe as element text and inside a double-quoted attribute.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn engine_name(e: crate::db::Engine) -> &'static str {
    match e {
        crate::db::Engine::Sqlite => "SQLite",
        crate::db::Engine::Mysql => "MySQL/MariaDB",
    }
}

fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

fn n(v: impl Into<u64>) -> String {
    let s = v.into().to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// The non-zero stored forms, `absolute 12 · __GHOST_URL__ 3`.
fn forms(f: &FormCounts) -> String {
    let v: Vec<String> = Form::ALL
        .iter()
        .filter(|x| f.get(**x) > 0)
        .map(|x| format!("{} {}", x.label(), n(f.get(*x))))
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(" · ")
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let i = url.find("://")? + 3;
    Some(&url[..url[i..].find('/').map_or(url.len(), |j| i + j)])
}

/// Where the browser finds a stored URL, for display only: `__GHOST_URL__` and root-relative
/// forms against the site URL, protocol-relative with the site's scheme (else https). None:
/// not a URL the page can show (no site URL, another scheme).
pub fn display_src(url: &str, site: Option<&str>) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(url.to_string());
    }
    if let Some(rest) = url.strip_prefix(crate::url::GHOST_URL) {
        return Some(format!("{}{rest}", site?.trim_end_matches('/')));
    }
    if url.starts_with("//") {
        let scheme = site
            .and_then(|s| s.split_once("://"))
            .map_or("https", |s| s.0);
        return Some(format!("{scheme}:{url}"));
    }
    if url.starts_with('/') {
        return Some(format!("{}{url}", origin(site?)?));
    }
    None
}

fn is_image(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("jpg" | "jpeg" | "png" | "gif" | "webp" | "avif" | "svg" | "ico" | "bmp" | "jfif")
    )
}

/// One side of a URL pair: the image (or why it is not shown) and the stored URL.
fn side(o: &mut String, url: &str, site: Option<&str>, which: &str) {
    match display_src(url, site) {
        Some(src) if is_image(url) => {
            let host = origin(&src).unwrap_or("");
            let _ = write!(
                o,
                r#"<figure><img loading="lazy" decoding="async" referrerpolicy="no-referrer" src="{}" alt="{which} image (did not load): {}"><span class="ph">&#10007; {which} image did not load<br>from {}</span><span class="dim"></span></figure>"#,
                esc(&src),
                esc(url),
                esc(host)
            );
        }
        Some(_) => o.push_str(r#"<figure class="none">not an image: not shown</figure>"#),
        None => o.push_str(
            r#"<figure class="none">cannot be shown: no site URL to resolve it against</figure>"#,
        ),
    }
    let _ = write!(o, r#"<code class="url">{}</code>"#, esc(url));
    if let Some(src) = display_src(url, site).filter(|s| s != url) {
        let _ = write!(
            o,
            r#"<div class="via">shown from <code>{}</code></div>"#,
            esc(&src)
        );
    }
}

fn kv(o: &mut String, rows: &[(&str, String)]) {
    o.push_str(r#"<dl class="kv">"#);
    for (k, v) in rows {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), v);
    }
    o.push_str("</dl>");
}

/// The whole page. See `HtmlExtra` for what a caller may add.
pub fn html(r: &Report, extra: &HtmlExtra) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let mode = if r.dry_run { "dry run" } else { "applied" };
    let _ = write!(
        o,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src http: https: data:; style-src 'sha256-{}'; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'"><meta name="referrer" content="no-referrer"><title>ghost-migrate rewrite report ({mode}): {}</title><style>{CSS}</style><script>{JS}</script></head><body><main>"#,
        sha256_b64(CSS),
        sha256_b64(JS),
        esc(&r.database)
    );
    header(&mut o, r, mode);
    if let Some(plan) = &extra.plan {
        o.push_str(r#"<h2 id="runbook">Runbook plan</h2>"#);
        let rows: Vec<(&str, String)> = plan.iter().map(|(k, v)| (k.as_str(), esc(v))).collect();
        kv(&mut o, &rows);
    }
    if let Some(v) = extra.verify {
        verify(&mut o, v);
    }
    columns(&mut o, r);
    left_alone(&mut o, r);
    changed_rows(&mut o, r);
    let _ = writeln!(
        o,
        "<footer>ghost-migrate {} &middot; report schema {}</footer></main></body></html>",
        esc(env!("GHOST_MIGRATE_VERSION")),
        r.schema
    );
    o
}

fn header(o: &mut String, r: &Report, mode: &str) {
    let _ = write!(
        o,
        r#"<header><h1>Rewrite report<span class="badge{}">{mode}</span></h1><div class="fromto"><code class="o">{}</code><span>&rarr;</span><code class="n">{}</code></div><p class="sub">{} &middot; {}</p>"#,
        if r.dry_run { "" } else { " applied" },
        esc(&r.from),
        esc(&r.to),
        esc(&r.database),
        engine_name(r.engine)
    );
    let refused = !r.problems.is_empty() && r.skipped_unsafe == 0;
    let (class, text) = if refused {
        (
            "bad",
            format!(
                "{} cell(s) cannot be rewritten safely: applying refuses unless --skip-unsafe (see “Cells left alone”)",
                r.problems.len()
            ),
        )
    } else if !r.warnings.is_empty() {
        (
            "warn",
            format!("{} warning(s): see “Cells left alone”", r.warnings.len()),
        )
    } else {
        ("ok", "No problems and no warnings.".to_string())
    };
    let _ = write!(o, r#"<div class="verdict {class}">{}</div>"#, esc(&text));
    let generated = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_default();
    o.push_str(r#"<div class="grid"><div>"#);
    kv(
        o,
        &[
            ("database", format!("<code>{}</code>", esc(&r.database))),
            ("engine", engine_name(r.engine).to_string()),
            ("from", format!("<code>{}</code>", esc(&r.from))),
            ("to", format!("<code>{}</code>", esc(&r.to))),
            (
                "site URL",
                r.site_url.as_deref().map_or(
                    "unknown (relative and __GHOST_URL__ images are not shown)".into(),
                    |s| format!("<code>{}</code>", esc(s)),
                ),
            ),
            ("mode", mode.to_string()),
            ("run id", esc(r.run_id.as_deref().unwrap_or("-"))),
            ("generated", generated),
            (
                "tool",
                format!("ghost-migrate {}", esc(env!("GHOST_MIGRATE_VERSION"))),
            ),
        ],
    );
    let t = &r.totals;
    let _ = write!(
        o,
        r#"</div><div><div class="cards"><div class="card"><div class="v">{}</div><div class="k">rows {}</div></div><div class="card"><div class="v">{}</div><div class="k">cells {}</div></div><div class="card"><div class="v">{}</div><div class="k">URL occurrences</div></div><div class="card{}"><div class="v">{}</div><div class="k">cells left alone (problems)</div></div></div><div class="forms">stored forms: {}</div></div></div>"#,
        n(t.rows_changed),
        if r.dry_run { "changing" } else { "changed" },
        n(t.cells_changed),
        if r.dry_run { "changing" } else { "changed" },
        n(t.occurrences),
        if r.problems.is_empty() { "" } else { " bad" },
        n(r.problems.len() as u64),
        esc(&forms(&t.forms))
    );
    let listed = r.changed_rows.as_ref().map_or(0, |l| l.rows.len());
    let _ = write!(
        o,
        r##"<nav class="toc"><a href="#columns">Per column ({})</a><a href="#left-alone">Cells left alone ({})</a><a href="#rows">Changed rows ({})</a></nav></header>"##,
        r.columns.iter().filter(|c| c.rows_changed > 0).count(),
        r.problems.len() + r.unknown_columns.len() + r.absolute_instead.len(),
        n(listed as u64)
    );
}

const COLUMNS_HEAD: &str = r#"<thead><tr><th>table</th><th>column</th><th class="num">rows scanned</th><th class="num">rows changed</th><th class="num">occurrences</th><th>stored forms</th></tr></thead><tbody>"#;

fn column_row(o: &mut String, c: &ColumnReport) {
    let _ = write!(
        o,
        r#"<tr><td>{}</td><td><code>{}</code></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
        esc(&c.table),
        esc(&c.column),
        n(c.rows_scanned),
        n(c.rows_changed),
        n(c.occurrences),
        esc(&forms(&c.forms))
    );
}

/// The columns with changes, their total, and (folded) the columns scanned with none.
fn columns(o: &mut String, r: &Report) {
    let _ = write!(
        o,
        r#"<h2 id="columns">Per column</h2><table class="columns">{COLUMNS_HEAD}"#
    );
    let (changed, zero): (Vec<&ColumnReport>, Vec<&ColumnReport>) =
        r.columns.iter().partition(|c| c.rows_changed > 0);
    for c in changed {
        column_row(o, c);
    }
    let _ = write!(
        o,
        r#"<tr class="total"><td colspan="3">total: {} cell(s) in {} row(s)</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr></tbody></table>"#,
        n(r.totals.cells_changed),
        n(r.totals.rows_changed),
        n(r.totals.cells_changed),
        n(r.totals.occurrences),
        esc(&forms(&r.totals.forms))
    );
    if !zero.is_empty() {
        let _ = write!(
            o,
            r#"<details class="group"><summary>{} more column(s) scanned, nothing to change there</summary><table class="columns zero">{COLUMNS_HEAD}"#,
            zero.len()
        );
        for c in zero {
            column_row(o, c);
        }
        o.push_str("</tbody></table></details>");
    }
}

fn unknown_table(o: &mut String, list: &[UnknownColumn]) {
    o.push_str(r#"<table><thead><tr><th>table</th><th>column</th><th class="num">rows</th><th class="num">occurrences</th></tr></thead><tbody>"#);
    for u in list {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td><code>{}</code></td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(&u.table),
            esc(&u.column),
            n(u.rows),
            n(u.occurrences)
        );
    }
    o.push_str("</tbody></table>");
}

fn left_alone(o: &mut String, r: &Report) {
    o.push_str(r#"<h2 id="left-alone">Cells left alone, and why</h2>"#);
    let mut any = false;
    if !r.problems.is_empty() {
        any = true;
        let _ = write!(
            o,
            r#"<h3 id="problems">Cells that cannot be rewritten safely ({})</h3><div class="note bad">{}</div><table class="problems"><thead><tr><th>table.column</th><th>id</th><th>post</th><th>reason</th></tr></thead><tbody>"#,
            r.problems.len(),
            if r.skipped_unsafe > 0 {
                "Left as they are by --skip-unsafe: fix them and run again."
            } else {
                "Applying refuses while any of these exists (--skip-unsafe applies the rest and leaves them)."
            }
        );
        for p in &r.problems {
            let _ = write!(
                o,
                r#"<tr><td><code>{}.{}</code></td><td><code>{}</code></td><td>{}</td><td class="reason">{}</td></tr>"#,
                esc(&p.table),
                esc(&p.column),
                esc(&p.id),
                esc(p.slug.as_deref().unwrap_or("-")),
                esc(&p.reason)
            );
        }
        o.push_str("</tbody></table>");
    }
    if !r.unknown_columns.is_empty() {
        any = true;
        o.push_str(r#"<h3 id="unknown-columns">Columns outside the catalogue that hold the old prefix</h3><div class="note warn">Not rewritten: --all-text-columns rewrites them.</div>"#);
        unknown_table(o, &r.unknown_columns);
    }
    if !r.absolute_instead.is_empty() {
        any = true;
        let _ = write!(
            o,
            r#"<h3 id="absolute-instead">Where Ghost does not expand __GHOST_URL__</h3><div class="note">The absolute URL <code>{}</code> is written (or kept) there instead.</div>"#,
            esc(r.absolute_to.as_deref().unwrap_or("-"))
        );
        unknown_table(o, &r.absolute_instead);
    }
    let counts = [
        (
            r.outside_subdir,
            "root-relative value(s) lack the site's subdirectory: left alone",
        ),
        (
            r.unresolved_ghost_url,
            "__GHOST_URL__ value(s) not matched: the site URL is unknown",
        ),
        (
            r.skipped_unsafe,
            "problem cell(s) left as they are by --skip-unsafe",
        ),
    ];
    for (v, what) in counts.iter().filter(|(v, _)| *v > 0) {
        any = true;
        let _ = write!(o, r#"<div class="note warn">{} {what}</div>"#, n(*v));
    }
    if !r.warnings.is_empty() {
        any = true;
        o.push_str(r#"<h3 id="warnings">Warnings</h3><ul class="plain warnings">"#);
        for w in &r.warnings {
            let _ = write!(o, "<li>{}</li>", esc(w));
        }
        o.push_str("</ul>");
    }
    if !any {
        o.push_str(r#"<p class="sub">Nothing was left alone.</p>"#);
    }
}

fn row_card(o: &mut String, row: &ChangedRow, site: Option<&str>) {
    let _ = write!(
        o,
        r#"<article class="row"><header><span class="t">{}</span><code>{}</code>"#,
        esc(&row.table),
        esc(&row.id)
    );
    if row.post_title.is_some() || row.post_slug.is_some() {
        let _ = write!(
            o,
            r#"<span class="who">post <strong>{}</strong> <code>{}</code></span>"#,
            esc(row.post_title.as_deref().unwrap_or("")),
            esc(row.post_slug.as_deref().unwrap_or(""))
        );
    } else if let Some(name) = &row.name {
        let _ = write!(o, r#"<span class="who">{}</span>"#, esc(name));
    }
    o.push_str(r#"</header><table class="pairs"><thead><tr><th>in</th><th>old</th><th>new</th></tr></thead><tbody>"#);
    for p in &row.urls {
        let _ = write!(
            o,
            r#"<tr><td class="cols">{}{}</td><td class="old">"#,
            esc(&p.columns.join(", ")),
            if p.occurrences > 1 {
                format!("<br>&times;{}", n(p.occurrences))
            } else {
                String::new()
            }
        );
        side(o, &p.old, site, "old");
        o.push_str(r#"</td><td class="new">"#);
        side(o, &p.new, site, "new");
        o.push_str("</td></tr>");
    }
    o.push_str("</tbody></table></article>");
}

fn changed_rows(o: &mut String, r: &Report) {
    o.push_str(r#"<h2 id="rows">Changed rows</h2>"#);
    let Some(list) = &r.changed_rows else {
        o.push_str(r#"<div class="note">This report was made without the row list; sample diffs per column:</div>"#);
        for c in r.columns.iter().filter(|c| !c.samples.is_empty()) {
            let _ = write!(o, "<h3>{}.{}</h3>", esc(&c.table), esc(&c.column));
            for s in &c.samples {
                let _ = write!(
                    o,
                    r#"<table class="pairs"><tbody><tr><td class="cols"><code>{}</code></td><td class="old"><code class="url">{}</code></td><td class="new"><code class="url">{}</code></td></tr></tbody></table>"#,
                    esc(&s.id),
                    esc(&s.before),
                    esc(&s.after)
                );
            }
        }
        return;
    };
    if list.not_listed > 0 {
        let _ = write!(
            o,
            r#"<div class="note warn cap">{} changed row(s) are <strong>not listed</strong> here: this page lists at most {} rows and {} MiB of URL text, the first ones in scan order ({} listed). The per-column counts above include every row.</div>"#,
            n(list.not_listed),
            n(list.row_cap as u64),
            list.url_bytes_cap >> 20,
            n(list.rows.len() as u64)
        );
    } else {
        let _ = write!(
            o,
            r#"<p class="sub">All {} changed row(s), each with its URLs before and after and the image from both hosts.</p>"#,
            n(list.rows.len() as u64)
        );
    }
    // Posts first, then the other tables in scan order.
    let mut tables: Vec<&str> = Vec::new();
    for row in &list.rows {
        if !tables.contains(&row.table.as_str()) {
            tables.push(&row.table);
        }
    }
    tables.sort_by_key(|t| *t != "posts");
    let site = r.site_url.as_deref();
    let mut open = 0;
    for t in tables {
        let rows: Vec<&ChangedRow> = list.rows.iter().filter(|x| x.table == t).collect();
        // Folds of whole rows, each closed once it holds FOLD_PAIRS URL pairs.
        let mut folds: Vec<&[&ChangedRow]> = Vec::new();
        let (mut start, mut pairs) = (0, 0);
        for (i, row) in rows.iter().enumerate() {
            pairs += row.urls.len();
            if pairs >= FOLD_PAIRS || i + 1 == rows.len() {
                folds.push(&rows[start..=i]);
                (start, pairs) = (i + 1, 0);
            }
        }
        // A table with few URLs (settings, tags, users) is always open.
        let small = rows.iter().map(|r| r.urls.len()).sum::<usize>() <= SMALL_PAIRS;
        let mut first = 1;
        for fold in folds {
            let part = if fold.len() == rows.len() {
                format!("{} row(s)", n(rows.len() as u64))
            } else {
                format!(
                    "rows {}-{} of {}",
                    n(first as u64),
                    n((first + fold.len() - 1) as u64),
                    n(rows.len() as u64)
                )
            };
            let _ = write!(
                o,
                r#"<details class="group"{}><summary>{} &middot; {part}</summary>"#,
                if open < OPEN_PAIRS || small {
                    " open"
                } else {
                    ""
                },
                esc(t)
            );
            first += fold.len();
            for row in fold {
                open += row.urls.len();
                row_card(o, row, site);
            }
            o.push_str("</details>");
        }
    }
}

fn verify(o: &mut String, v: &VerifyReport) {
    o.push_str(r#"<h2 id="verify">Verify</h2>"#);
    let missing = v.missing.len() as u64;
    let _ = write!(
        o,
        r#"<div class="verdict {}">{}</div>"#,
        if missing == 0 && v.http_problems.is_empty() {
            "ok"
        } else {
            "bad"
        },
        esc(&format!(
            "{} missing object(s), {} HTTP problem(s)",
            missing,
            v.http_problems.len()
        ))
    );
    kv(
        o,
        &[
            ("bucket", format!("<code>{}</code>", esc(&v.bucket))),
            ("prefix", format!("<code>{}</code>", esc(&v.prefix))),
            ("matched", format!("<code>{}</code>", esc(&v.matched))),
            ("references", n(v.references)),
            ("distinct keys", n(v.distinct_keys)),
            ("present", n(v.present)),
            ("missing", n(missing)),
            ("missing size variants", n(v.missing_size_variants)),
            ("checked over HTTP", n(v.http_checked)),
        ],
    );
    if !v.missing.is_empty() {
        o.push_str(r#"<table class="missing"><thead><tr><th>key</th><th>why</th><th>local file</th><th>referenced by</th></tr></thead><tbody>"#);
        for m in &v.missing {
            let why = match m.class {
                MissingClass::NotSynced => "not synced: the file exists locally (run sync-images)",
                MissingClass::Gone => "gone: no local file either",
                MissingClass::SizeVariant => "a size variant (Ghost makes these on request)",
            };
            let refs: Vec<String> = m
                .referenced_by
                .iter()
                .map(|x| {
                    let post = x.post.title.as_deref().or(x.post.slug.as_deref());
                    format!(
                        "<code>{}.{}</code> {}{}",
                        esc(&x.place.table),
                        esc(&x.place.column),
                        esc(&x.place.id),
                        post.map_or(String::new(), |p| format!(" ({})", esc(p)))
                    )
                })
                .collect();
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{why}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.key),
                esc(m.local_file.as_deref().unwrap_or("-")),
                refs.join("<br>")
            );
        }
        o.push_str("</tbody></table>");
    }
    if !v.http_problems.is_empty() {
        o.push_str(r#"<h3>HTTP problems</h3><table><thead><tr><th>URL</th><th>status</th><th>error</th></tr></thead><tbody>"#);
        for h in &v.http_problems {
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&h.url),
                h.status.map_or("-".into(), |s| s.to_string()),
                esc(h.error.as_deref().unwrap_or("-"))
            );
        }
        o.push_str("</tbody></table>");
    }
    if let Some(orph) = &v.orphans {
        let _ = write!(
            o,
            r#"<div class="note">Orphans: {} object(s) in the bucket ({} bytes) and {} local file(s) ({} bytes) that nothing references.</div>"#,
            n(orph.bucket.len() as u64),
            n(orph.bucket_bytes),
            n(orph.local.len() as u64),
            n(orph.local_bytes)
        );
    }
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
