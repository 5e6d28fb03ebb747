//! Every content file the database references, as bucket keys: the site's own
//! `/content/images|media|files/` URLs in every stored form, or the URLs under a CDN base that
//! serves the bucket prefix. Shared by `verify` (is every key in the bucket?), `sync-images
//! --variants` (which `size/` variants are wanted) and `verify --orphans` (which objects no one
//! references). Read-only; no printing.

use crate::bucket::{BucketLayout, CdnBase};
use crate::db::Conn;
use crate::db::schema::Table;
use crate::error::{Error, Result};
use crate::inventory::{self, Place, SiteMatchers};
use crate::url::{Finder, MatchOptions, Prefix, Site};
use std::collections::BTreeMap;

/// One reference: bucket key, public URL (when it can be built), place.
#[derive(Debug, Clone)]
pub struct Ref {
    pub key: String,
    pub url: Option<String>,
    pub place: Place,
}

/// A checked `--cdn-url`: the matcher of its URLs and the base its keys hang under.
pub struct Cdn {
    pub url: String,
    pub finder: Finder,
    base: CdnBase,
}

impl Cdn {
    pub fn parse(cdn: &str, site: Option<&Site>) -> Result<Self> {
        let from = Prefix::parse("--cdn-url", cdn, None)?;
        let Prefix::Absolute { path, .. } = &from else {
            return Err(Error::usage(
                format!("--cdn-url {cdn:?} must be an absolute URL"),
                "give the CDN prefix, e.g. --cdn-url https://cdn.example.com/content/",
            ));
        };
        let base = CdnBase::new(cdn, path);
        Ok(Cdn {
            url: cdn.to_string(),
            finder: Finder::new(from, site, &MatchOptions::default()),
            base,
        })
    }
}

/// What `site_refs` matches, in words for a report.
pub fn site_matched(site: Option<&Site>) -> String {
    match site {
        Some(s) => format!(
            "{}/content/(images|media|files)/ in every stored form",
            s.url.trim_end_matches('/')
        ),
        None => "__GHOST_URL__/content/(images|media|files)/".into(),
    }
}

/// References under the CDN base.
pub async fn cdn_refs(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    layout: &BucketLayout,
    cdn: &Cdn,
) -> Result<Vec<Ref>> {
    let mut refs = Vec::new();
    inventory::each_cell(conn, tables, false, |t, id, meta, text, _| {
        for hit in crate::cell::cell_hits(&cdn.finder, meta.kind, text) {
            let Some(key) = layout.key_of_cdn_tail(&hit.tail) else {
                continue;
            };
            refs.push(Ref {
                key,
                url: Some(cdn.base.url(&hit.tail)),
                place: place(&t.table, id, &meta.name),
            });
        }
    })
    .await?;
    Ok(refs)
}

/// References to the site's own content in every stored form (`__GHOST_URL__`, absolute on the
/// site's host, root-relative).
pub async fn site_refs(
    conn: &mut Conn,
    tables: &BTreeMap<String, Table>,
    layout: &BucketLayout,
    site: Option<&Site>,
) -> Result<Vec<Ref>> {
    let m = SiteMatchers::new(site);
    let own_host = site.map(Site::host_port);
    let mut refs = Vec::new();
    inventory::each_cell(conn, tables, false, |t, id, meta, text, _| {
        for f in inventory::find_all(&m, meta.kind, text) {
            let own = f.root != "other"
                && (own_host.as_deref() == Some(f.host.as_str())
                    || f.host == crate::url::GHOST_URL
                    || f.host == "(relative)");
            if !own {
                continue;
            }
            let Some(key) = layout.key_of_site_path(&format!("{}{}", f.root, f.rest)) else {
                continue;
            };
            refs.push(Ref {
                key,
                url: f.url.clone(),
                place: place(&t.table, id, &meta.name),
            });
        }
    })
    .await?;
    Ok(refs)
}

fn place(table: &str, id: &str, column: &str) -> Place {
    Place {
        table: table.to_string(),
        id: id.to_string(),
        column: column.to_string(),
    }
}
