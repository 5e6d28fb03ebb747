//! The URL inventory behind `scan` and `verify`: every URL in the catalogue's columns, with its
//! host, path root, stored form and place (table, row, column). The site's own image, media and
//! file URLs are found by the same matcher `rewrite` uses, so the counts agree with its dry run;
//! other URLs by a generic pattern. Read-only; no printing.

use crate::cell::{ColumnMeta, Hit};
use crate::db::schema::Table;
use crate::db::{Cell, Conn};
use crate::error::Result;
use crate::ghost::columns::CellKind;
use crate::reader::{self, Batches, TableScan};
use crate::url::{Finder, Form, FormCounts, GHOST_URL, MatchOptions, Prefix, Site};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The path roots Ghost serves from the content directory (the bucket layout's).
pub use crate::bucket::ROOTS;

/// One URL found in a cell.
#[derive(Debug, Clone)]
pub struct Found {
    /// Lowercased host[:port], `__GHOST_URL__`, or `(relative)`.
    pub host: String,
    /// `/content/images/`, `/content/media/`, `/content/files/` or `other`.
    pub root: String,
    pub form: Form,
    /// The path after the matched prefix, up to the end of the URL, unescaped (for keys).
    pub rest: String,
    /// The public URL (absolute when it can be built), for HTTP checks.
    pub url: Option<String>,
}

/// Where a URL was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub table: String,
    pub id: String,
    pub column: String,
}

/// A matcher for the site's own `/content/<root>/` URLs in every stored form.
pub struct SiteMatchers {
    maps: Vec<(String, Finder)>,
    site: Option<Site>,
}

impl SiteMatchers {
    pub fn new(site: Option<&Site>) -> Self {
        let mut maps = Vec::new();
        for r in ROOTS {
            let from = Prefix::Ghost {
                path: format!("/content/{r}/"),
            };
            maps.push((
                format!("/content/{r}/"),
                Finder::new(from, site, &MatchOptions::default()),
            ));
        }
        SiteMatchers {
            maps,
            site: site.cloned(),
        }
    }
}

/// Absolute and protocol-relative URLs, plain or with JSON-escaped slashes.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?P<scheme>https?:)?(?P<sl>//|\\/\\/)(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::\d{1,5})?)(?P<path>(?:/|\\/)[^\s"'<>()\\,]*(?:\\/[^\s"'<>()\\,]*)*)?|__GHOST_URL__(?P<gpath>(?:/|\\/)[^\s"'<>()\\,]*(?:\\/[^\s"'<>()\\,]*)*)"#,
    )
    .expect("static regex")
});

pub use crate::cell::url_tail;

fn root_of(path: &str) -> String {
    for r in ROOTS {
        let p = format!("/content/{r}/");
        if path.starts_with(&p) {
            return p;
        }
    }
    "other".into()
}

/// Every URL in one cell.
pub fn find_all(m: &SiteMatchers, kind: CellKind, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (root, map) in &m.maps {
        for Hit {
            start,
            end,
            form,
            tail: rest,
        } in crate::cell::cell_hits(map, kind, text)
        {
            let host = match (&m.site, form) {
                (Some(s), _) => s.host_port(),
                (None, Form::GhostUrl) => GHOST_URL.to_string(),
                (None, _) => "(relative)".to_string(),
            };
            let url = m
                .site
                .as_ref()
                .map(|s| format!("{}{root}{rest}", s.url.trim_end_matches('/')));
            found.push(Found {
                host,
                root: root.clone(),
                form,
                rest,
                url,
            });
            spans.push((start, end));
        }
    }
    for c in GENERIC.captures_iter(text) {
        let all = c.get(0).expect("match");
        if spans
            .iter()
            .any(|(s, e)| all.start() < *e && *s < all.end())
        {
            continue;
        }
        if let Some(gp) = c.name("gpath") {
            let path = gp.as_str().replace("\\/", "/");
            let escaped = gp.as_str().contains("\\/");
            let root = root_of(&path);
            found.push(Found {
                host: GHOST_URL.into(),
                rest: path
                    .strip_prefix(root.as_str())
                    .unwrap_or(&path)
                    .to_string(),
                root,
                form: if escaped {
                    Form::JsonEscaped
                } else {
                    Form::GhostUrl
                },
                url: None,
            });
            continue;
        }
        let escaped = c.name("sl").is_some_and(|s| s.as_str() != "//");
        let host = c
            .name("host")
            .map_or("", |h| h.as_str())
            .to_ascii_lowercase();
        let path = c
            .name("path")
            .map_or(String::new(), |p| p.as_str().replace("\\/", "/"));
        let root = root_of(&path);
        let form = if escaped {
            Form::JsonEscaped
        } else if c.name("scheme").is_some() {
            Form::Absolute
        } else {
            Form::ProtocolRelative
        };
        let scheme = c
            .name("scheme")
            .map_or("https:".to_string(), |s| s.as_str().to_ascii_lowercase());
        found.push(Found {
            url: Some(format!("{scheme}//{host}{path}")),
            rest: path
                .strip_prefix(root.as_str())
                .unwrap_or(&path)
                .to_string(),
            host,
            root,
            form,
        });
    }
    found
}

/// Counts for one (host, root) group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    pub host: String,
    pub root: String,
    pub occurrences: u64,
    pub forms: FormCounts,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnCount {
    pub table: String,
    pub column: String,
    pub rows: u64,
    pub occurrences: u64,
    pub forms: FormCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub schema: u32,
    pub command: &'static str,
    pub database: String,
    pub site_url: Option<String>,
    pub totals: FormCounts,
    pub groups: Vec<Group>,
    pub columns: Vec<ColumnCount>,
    /// `ghost-migrate rewrite` commands for the forms that still point at the site itself.
    pub suggestions: Vec<String>,
    /// `__GHOST_URL__` values sitting where Ghost never expands them, per column.
    pub warnings: Vec<String>,
    pub elapsed_ms: u64,
}

/// Reads every catalogued (or, with `all`, every text) column in batches and calls `f` for
/// each cell: (table scan, row id, column, text).
pub async fn each_cell<F>(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    all: bool,
    mut f: F,
) -> Result<()>
where
    F: FnMut(&TableScan, &str, &ColumnMeta, &str, Option<&str>),
{
    let sc = reader::scope(tables);
    let needles: Vec<(String, bool)> = vec![
        ("//".into(), false),
        ("\\/\\/".into(), false),
        (GHOST_URL.into(), false),
        // Every spelling of /content/ (\/, &#47;, \u002F) keeps the word.
        ("content".into(), false),
        ("\\u00".into(), false),
    ];
    let mut list: Vec<&TableScan> = sc.known.iter().collect();
    if all {
        list.extend(sc.unknown.iter());
    }
    for t in list {
        let mut b = Batches::new(t, &needles, 500);
        while let Some(rows) = b.next(conn).await? {
            for row in &rows {
                for (col, v) in t.columns.iter().zip(&row.values) {
                    // Bytes that are not text are never rewritten: rewrite names them.
                    if let Cell::Text(v) = v {
                        f(t, &row.id, col, v, row.context.as_deref());
                    }
                }
            }
        }
    }
    Ok(())
}

/// A post's title, slug and status for a place (posts, or tables with a post_id).
#[derive(Debug, Clone, Serialize, Default)]
pub struct PostRef {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub status: Option<String>,
}

pub async fn post_of(conn: &mut Conn, tables: &BTreeMap<String, Table>, p: &Place) -> PostRef {
    let post_id = if p.table == "posts" {
        Some(p.id.clone())
    } else if tables
        .get(&p.table)
        .is_some_and(|t| t.all_columns.iter().any(|c| c == "post_id"))
    {
        let sql = format!(
            "SELECT post_id FROM {} WHERE {} = ?",
            conn.q(&p.table),
            conn.q(tables[&p.table].pk.as_deref().unwrap_or("id"))
        );
        conn.scalar(&sql, &[crate::db::P::S(&p.id)])
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let Some(pid) = post_id else {
        return PostRef::default();
    };
    let rows = conn
        .rows(
            "SELECT title, slug, status FROM posts WHERE id = ?",
            &[crate::db::P::S(&pid)],
        )
        .await
        .unwrap_or_default();
    match rows.into_iter().next() {
        Some(r) => PostRef {
            title: r[0].clone(),
            slug: r[1].clone(),
            status: r[2].clone(),
        },
        None => PostRef::default(),
    }
}

/// `scan`: the whole inventory, grouped by host and root, by form and by column.
pub async fn inventory(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    database: String,
    site: Option<&Site>,
    all: bool,
    examples: usize,
) -> Result<Inventory> {
    let started = std::time::Instant::now();
    let m = SiteMatchers::new(site);
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    let mut columns: BTreeMap<(String, String), ColumnCount> = BTreeMap::new();
    let mut totals = FormCounts::default();
    let mut example_places: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
    let mut leaked: BTreeMap<(String, String), u64> = BTreeMap::new();
    each_cell(conn, tables, all, |t, id, meta, text, context| {
        let col = meta.name.as_str();
        let found = find_all(&m, meta.kind, text);
        if found.is_empty() {
            return;
        }
        if !crate::ghost::columns::expands_ghost_url(&t.table, col, context, None) {
            let n = found.iter().filter(|f| f.form == Form::GhostUrl).count() as u64;
            if n > 0 {
                let label = match context {
                    Some(c) => format!("{}.{col} ({c})", t.table),
                    None => format!("{}.{col}", t.table),
                };
                *leaked.entry((label, id.to_string())).or_default() += n;
            }
        }
        let cc = columns
            .entry((t.table.clone(), col.to_string()))
            .or_insert_with(|| ColumnCount {
                table: t.table.clone(),
                column: col.to_string(),
                ..Default::default()
            });
        cc.rows += 1;
        for f in found {
            cc.occurrences += 1;
            cc.forms.add(f.form, 1);
            totals.add(f.form, 1);
            let key = (f.host.clone(), f.root.clone());
            let g = groups.entry(key.clone()).or_insert_with(|| Group {
                host: f.host.clone(),
                root: f.root.clone(),
                ..Default::default()
            });
            g.occurrences += 1;
            g.forms.add(f.form, 1);
            let ex = example_places.entry(key).or_default();
            let place = Place {
                table: t.table.clone(),
                id: id.to_string(),
                column: col.to_string(),
            };
            if ex.len() < examples * 4 && !ex.contains(&place) {
                ex.push(place);
            }
        }
    })
    .await?;
    // Example post slugs per group (a few lookups per group, not per row).
    for (key, places) in example_places {
        let mut slugs: Vec<String> = Vec::new();
        for p in places {
            if slugs.len() >= examples {
                break;
            }
            let post = post_of(conn, tables, &p).await;
            let label = match post.slug {
                Some(s) => s,
                None => format!("{}#{}", p.table, p.id),
            };
            if !slugs.contains(&label) {
                slugs.push(label);
            }
        }
        if let Some(g) = groups.get_mut(&key) {
            g.examples = slugs;
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    groups.sort_by(|a, b| b.occurrences.cmp(&a.occurrences).then(a.host.cmp(&b.host)));
    let suggestions = suggest(site, &groups);
    let mut warnings = Vec::new();
    let mut per_col: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for ((label, _), n) in &leaked {
        let e = per_col.entry(label).or_default();
        e.0 += 1;
        e.1 += n;
    }
    for (label, (rows, n)) in per_col {
        warnings.push(format!(
            "{label}: {n} __GHOST_URL__ value(s) in {rows} row(s), but Ghost never expands the placeholder there, so visitors see it verbatim; repair with: ghost-migrate rewrite --from __GHOST_URL__/content/images/ --to __GHOST_URL__/content/images/ --site-url SITE (it writes the absolute URL in such columns only)"
        ));
    }
    Ok(Inventory {
        warnings,
        schema: crate::REPORT_SCHEMA,
        command: "scan",
        database,
        site_url: site.map(|s| s.url.clone()),
        totals,
        groups,
        columns: columns.into_values().collect(),
        suggestions,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Rewrite commands for the site's own content URLs (to a CDN), and for other hosts that hold
/// /content/ paths (old domains, to the portable __GHOST_URL__ form).
fn suggest(site: Option<&Site>, groups: &[Group]) -> Vec<String> {
    let mut out = Vec::new();
    let own = site.map(Site::host_port);
    for g in groups.iter().filter(|g| g.root != "other") {
        let is_own = Some(&g.host) == own.as_ref() || g.host == GHOST_URL || g.host == "(relative)";
        if is_own {
            let from = match site {
                Some(s) => format!("{}{}", s.url.trim_end_matches('/'), g.root),
                None => format!("{GHOST_URL}{}", g.root),
            };
            let site_flag = site.map_or(String::new(), |s| format!(" --site-url {}", s.url));
            out.push(format!(
                "ghost-migrate rewrite{site_flag} --from {from} --to https://cdn.example.com{} --dry-run",
                g.root
            ));
        } else if g.forms.get(Form::Absolute)
            + g.forms.get(Form::ProtocolRelative)
            + g.forms.get(Form::JsonEscaped)
            > 0
        {
            out.push(format!(
                "ghost-migrate rewrite --from https://{}{} --to {GHOST_URL}{} --dry-run   # if {} is an old name of this site",
                g.host, g.root, g.root, g.host
            ));
        }
    }
    out.dedup();
    out
}
