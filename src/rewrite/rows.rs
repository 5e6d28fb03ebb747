//! The changed rows an HTML report lists (`rewrite --report x.html`): per changed row its
//! identity and every distinct (old URL, new URL) pair of its changed cells, collected next to
//! the samples while the report is built, bounded by `ROW_CAP` and `URL_BYTES_CAP`. Rows past
//! the cap are counted in `not_listed`, never dropped silently. The pairs are decoded from the
//! cell's edits (pure); only `name` reads the database (the post's slug and title, a row's
//! key or name), for the listed rows, in a few batched queries after the pass.

use crate::cell::{Change, Edit};
use crate::db::schema::Table;
use crate::db::{Conn, P};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// At most this many changed rows are listed.
pub const ROW_CAP: usize = 10_000;
/// And at most this many bytes of URL text (old and new: about 15,000 pairs of typical image
/// URLs, a page of about 17 MB). Each pair takes about 1.1 KB of HTML with its two images; a
/// page twice that size took Chromium several times longer to open (measured, README).
pub const URL_BYTES_CAP: usize = 2 << 20;

/// One URL that changes in a row, as stored (decoded from the cell's escaping: `\/`, `&#47;`,
/// `\u002F`, ...) before and after, with the columns it occurs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlPair {
    pub old: String,
    pub new: String,
    pub columns: Vec<String>,
    pub occurrences: u64,
}

/// A changed row: where it is, what it is called, and every URL pair that changes in it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangedRow {
    pub table: String,
    pub id: String,
    /// The post the row is or belongs to (posts, posts_meta, revisions, emails, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_title: Option<String>,
    /// Other tables: the row's `key`, `name`, `title` or `slug` column (settings keys, tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub urls: Vec<UrlPair>,
}

/// The listed rows and how many were not listed.
#[derive(Debug, Clone, Serialize)]
pub struct ChangedRows {
    pub row_cap: usize,
    pub url_bytes_cap: usize,
    pub rows: Vec<ChangedRow>,
    /// Changed rows past the cap: counted, not listed.
    pub not_listed: u64,
    #[serde(skip)]
    bytes: usize,
    #[serde(skip)]
    full: bool,
}

/// A row being collected (its cells are recorded one by one).
pub struct RowBuilder {
    row: ChangedRow,
    index: HashMap<(String, String), usize>,
    bytes: usize,
}

impl Default for ChangedRows {
    fn default() -> Self {
        Self::with_caps(ROW_CAP, URL_BYTES_CAP)
    }
}

impl ChangedRows {
    pub fn with_caps(row_cap: usize, url_bytes_cap: usize) -> Self {
        ChangedRows {
            row_cap,
            url_bytes_cap,
            rows: Vec::new(),
            not_listed: 0,
            bytes: 0,
            full: false,
        }
    }

    /// A builder for the next row, or None once the list is full (the row is then only
    /// counted by `finish`).
    pub fn start(&self, table: &str, id: &str) -> Option<RowBuilder> {
        (!self.full && self.rows.len() < self.row_cap).then(|| RowBuilder {
            row: ChangedRow {
                table: table.to_string(),
                id: id.to_string(),
                post_slug: None,
                post_title: None,
                name: None,
                urls: Vec::new(),
            },
            index: HashMap::new(),
            bytes: table.len() + id.len(),
        })
    }

    /// Ends a changed row: listed if it fits, else counted (and nothing after it is listed, so
    /// the list is always the first rows in scan order).
    pub fn finish(&mut self, b: Option<RowBuilder>) {
        match b {
            Some(b) if !self.full && self.bytes + b.bytes <= self.url_bytes_cap => {
                self.bytes += b.bytes;
                self.rows.push(b.row);
            }
            _ => {
                self.full = true;
                self.not_listed += 1;
            }
        }
    }
}

impl RowBuilder {
    /// Adds every URL pair of one changed cell.
    pub fn add(&mut self, column: &str, change: &Change) {
        for e in &change.edits {
            let (old, new) = url_pair(&change.before, e);
            let key = (old, new);
            let i = match self.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.bytes += key.0.len() + key.1.len();
                    self.row.urls.push(UrlPair {
                        old: key.0.clone(),
                        new: key.1.clone(),
                        columns: Vec::new(),
                        occurrences: 0,
                    });
                    self.index.insert(key, self.row.urls.len() - 1);
                    self.row.urls.len() - 1
                }
            };
            let p = &mut self.row.urls[i];
            p.occurrences += 1;
            if !p.columns.iter().any(|c| c == column) {
                self.bytes += column.len();
                p.columns.push(column.to_string());
            }
        }
    }
}

/// The whole URL an edit changes, before and after: the prefix it replaced plus the rest of
/// the URL up to a quote, space, bracket, `,`, `?` or `#`, both decoded from the cell's escaping.
pub fn url_pair(before: &str, e: &Edit) -> (String, String) {
    let mut tail = String::new();
    decode_into(&before[e.end..], true, &mut tail);
    let mut old = String::with_capacity(e.end - e.start + tail.len());
    decode_into(&before[e.start..e.end], false, &mut old);
    old.push_str(&tail);
    let mut new = String::with_capacity(e.with.len() + tail.len());
    decode_into(&e.with, false, &mut new);
    new.push_str(&tail);
    (old, new)
}

/// Entities a stored URL may spell `/`, `:` or `&` with.
const ENTITIES: &[(&str, char)] = &[
    ("&#47;", '/'),
    ("&#x2F;", '/'),
    ("&#x2f;", '/'),
    ("&sol;", '/'),
    ("&#58;", ':'),
    ("&#x3A;", ':'),
    ("&#x3a;", ':'),
    ("&colon;", ':'),
    ("&amp;", '&'),
];

/// Appends `s` decoded (`\/`, `\\/`, `\u002F`, `\u003A` and the entities above). With `stop`,
/// ends at the first character that cannot be part of a URL here.
fn decode_into(s: &str, stop: bool, out: &mut String) {
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let after = rest.trim_start_matches('\\');
            let escaped = if after.starts_with('/') {
                Some(('/', 1))
            } else if after.len() >= 5 && after[..5].eq_ignore_ascii_case("u002f") {
                Some(('/', 5))
            } else if after.len() >= 5 && after[..5].eq_ignore_ascii_case("u003a") {
                Some((':', 5))
            } else {
                None
            };
            match escaped {
                Some((ch, n)) => {
                    out.push(ch);
                    rest = &after[n..];
                    continue;
                }
                None if stop => return,
                None => {}
            }
        } else if c == '&' {
            if let Some((e, ch)) = ENTITIES.iter().find(|(e, _)| rest.starts_with(e)) {
                out.push(*ch);
                rest = &rest[e.len()..];
                continue;
            }
            if stop {
                return;
            }
        } else if stop
            && (c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\''
                        | '<'
                        | '>'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | ','
                        | '?'
                        | '#'
                        | '`'
                        | '|'
                ))
        {
            return;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
}

/// Names the listed rows: the post of posts and of tables with a `post_id`, else the row's
/// `key`, `name`, `title` or `slug`. Best effort (a failed query leaves the names empty), a
/// query per table and 500 rows.
pub async fn name(conn: &mut Conn, tables: &BTreeMap<String, Table>, list: &mut ChangedRows) {
    let mut by_table: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in list.rows.iter().enumerate() {
        by_table.entry(r.table.clone()).or_default().push(i);
    }
    for (table, idx) in by_table {
        let Some(t) = tables.get(&table) else {
            continue;
        };
        let has = |c: &str| t.all_columns.iter().any(|x| x == c);
        let pk = conn.q(t.pk.as_deref().unwrap_or("id"));
        let tq = conn.q(&table);
        let (select, post) = if table == "posts" {
            (format!("SELECT {pk}, slug, title FROM {tq} AS r"), true)
        } else if has("post_id") && tables.contains_key("posts") {
            (
                format!(
                    "SELECT r.{pk}, p.slug, p.title FROM {tq} AS r LEFT JOIN {} AS p ON p.id = r.post_id",
                    conn.q("posts")
                ),
                true,
            )
        } else if let Some(c) = ["key", "name", "title", "slug"]
            .into_iter()
            .find(|c| has(c))
        {
            (
                format!("SELECT {pk}, {}, NULL FROM {tq} AS r", conn.q(c)),
                false,
            )
        } else {
            continue;
        };
        for chunk in idx.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!("{select} WHERE r.{pk} IN ({marks})");
            let ids: Vec<String> = chunk.iter().map(|&i| list.rows[i].id.clone()).collect();
            let params: Vec<P> = ids.iter().map(|s| P::S(s)).collect();
            let Ok(found) = conn.rows(&sql, &params).await else {
                continue;
            };
            let found: HashMap<String, (Option<String>, Option<String>)> = found
                .into_iter()
                .filter_map(|mut r| {
                    let b = r.pop().flatten();
                    let a = r.pop().flatten();
                    Some((r.pop().flatten()?, (a, b)))
                })
                .collect();
            for &i in chunk {
                let row = &mut list.rows[i];
                if let Some((a, b)) = found.get(&row.id) {
                    if post {
                        row.post_slug = a.clone();
                        row.post_title = b.clone();
                    } else {
                        row.name = a.clone();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{Form, FormCounts};

    fn edit(before: &str, prefix: &str, with: &str) -> Edit {
        let start = before.find(prefix).unwrap();
        Edit {
            start,
            end: start + prefix.len(),
            with: with.into(),
            form: Form::Absolute,
        }
    }

    #[test]
    fn pairs_are_decoded_whole_urls() {
        for (before, prefix, with, old, new) in [
            (
                r#"<img src="https://old.example/content/images/a.jpg" alt="x">"#,
                "https://old.example/content/images/",
                "https://cdn.example/content/images/",
                "https://old.example/content/images/a.jpg",
                "https://cdn.example/content/images/a.jpg",
            ),
            (
                r#"{"src":"https:\/\/old.example\/content\/images\/2024\/b.png","w":1}"#,
                r"https:\/\/old.example\/content\/images\/",
                r"https:\/\/cdn.example\/content\/images\/",
                "https://old.example/content/images/2024/b.png",
                "https://cdn.example/content/images/2024/b.png",
            ),
            (
                "srcset=\"__GHOST_URL__/content/images/size/w600/c.jpg 600w, x\"",
                "__GHOST_URL__/content/images/",
                "https://cdn.example/content/images/",
                "__GHOST_URL__/content/images/size/w600/c.jpg",
                "https://cdn.example/content/images/size/w600/c.jpg",
            ),
            (
                "http&#58;//old.example&#x2F;content/images&#47;d.jpg?v=1",
                "http&#58;//old.example&#x2F;content/images&#47;",
                "https&#58;//cdn.example&#x2F;content/images&#47;",
                "http://old.example/content/images/d.jpg",
                "https://cdn.example/content/images/d.jpg",
            ),
            (
                r#"{"html":"<img src=\"http:\\/\\/old.example\\/content\\/images\\/e.jpg\">"}"#,
                r"http:\\/\\/old.example\\/content\\/images\\/",
                r"https:\\/\\/cdn.example\\/content\\/images\\/",
                "http://old.example/content/images/e.jpg",
                "https://cdn.example/content/images/e.jpg",
            ),
            (
                "![](/content/images/f.jpg)\nnext",
                "/content/images/",
                "__GHOST_URL__/content/images/",
                "/content/images/f.jpg",
                "__GHOST_URL__/content/images/f.jpg",
            ),
        ] {
            let e = edit(before, prefix, with);
            assert_eq!(
                url_pair(before, &e),
                (old.to_string(), new.to_string()),
                "{before}"
            );
        }
    }

    fn change(before: &str, prefix: &str, with: &str) -> Change {
        let edits: Vec<Edit> = before
            .match_indices(prefix)
            .map(|(i, _)| Edit {
                start: i,
                end: i + prefix.len(),
                with: with.into(),
                form: Form::Absolute,
            })
            .collect();
        Change {
            column: "c".into(),
            after: crate::cell::apply_edits(before, &edits),
            before: before.into(),
            counts: FormCounts::default(),
            first: edits[0].clone(),
            edits,
        }
    }

    #[test]
    fn a_row_lists_each_pair_once_with_its_columns() {
        let list = ChangedRows::default();
        let mut b = list.start("posts", "1").unwrap();
        let html = change(r#"<img src="/i/a.jpg"><img src="/i/a.jpg">"#, "/i/", "/j/");
        let plain = change("see /i/a.jpg and /i/b.jpg", "/i/", "/j/");
        b.add("html", &html);
        b.add("plaintext", &plain);
        let urls = &b.row.urls;
        assert_eq!(urls.len(), 2);
        assert_eq!(
            (urls[0].old.as_str(), urls[0].new.as_str()),
            ("/i/a.jpg", "/j/a.jpg")
        );
        assert_eq!(urls[0].columns, ["html", "plaintext"]);
        assert_eq!(urls[0].occurrences, 3);
        assert_eq!(urls[1].columns, ["plaintext"]);
    }

    #[test]
    fn rows_past_either_cap_are_counted_not_listed() {
        let c = change("/i/a.jpg", "/i/", "/j/");
        let mut by_rows = ChangedRows::with_caps(2, 1 << 20);
        for i in 0..5 {
            let mut b = by_rows.start("posts", &i.to_string());
            if let Some(b) = b.as_mut() {
                b.add("html", &c);
            }
            by_rows.finish(b);
        }
        assert_eq!((by_rows.rows.len(), by_rows.not_listed), (2, 3));

        // A budget of two rows' URL text: the third row does not fit, nor any after it.
        let mut by_bytes = ChangedRows::with_caps(100, 2 * (5 + 1 + 8 + 8 + 4));
        for i in 0..4 {
            let mut b = by_bytes.start("posts", &i.to_string());
            if let Some(b) = b.as_mut() {
                b.add("html", &c);
            }
            by_bytes.finish(b);
        }
        assert_eq!((by_bytes.rows.len(), by_bytes.not_listed), (2, 2));
    }
}
