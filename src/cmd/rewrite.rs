//! `rewrite`: every stored URL under `--from` rewritten to `--to`, previewed, confirmed, then
//! applied in one journalled transaction. `--from`/`--to` are validated here, once, and the
//! engine receives the built matchers.

use super::Outcome;
use super::db::DbRequest;
use crate::cli::RewriteArgs;
use crate::error::{Error, Result};
use crate::ghost::config::GhostConfig;
use crate::output::Output;
use crate::output::progress::Terminal;
use crate::rewrite::{self, Rewrite, RewriteRequest};
use crate::url::{MatchOptions, Prefix, Site, UrlMap};
use std::path::PathBuf;

pub struct Request {
    pub db: DbRequest,
    pub from: String,
    pub to: String,
    pub opts: MatchOptions,
    pub ghost_url_base: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    pub all_text_columns: bool,
    pub report: Option<PathBuf>,
    pub skip_unsafe: bool,
    pub samples: usize,
    pub batch_size: u32,
    /// Set by `run`: the plan's lines and the verify outcome the HTML report shows.
    pub html_plan: Option<Vec<(String, String)>>,
    pub html_verify: Option<crate::verify::VerifyReport>,
}

impl Request {
    /// Checks the flags. `--from`/`--to` are checked against each other here when the site is
    /// known from `--site-url` (a relative prefix needs it); with only `--ghost-config` the
    /// same checks run in `execute`, before anything is read.
    pub fn from_args(a: RewriteArgs) -> Result<Self> {
        let db = DbRequest::from_args(&a.db)?;
        if db.site.is_some() || db.ghost_config.is_none() {
            parse_prefixes(&a.from, &a.to, db.site.as_ref())?;
        }
        Ok(Request {
            db,
            from: a.from,
            to: a.to,
            opts: MatchOptions {
                exact_scheme: a.exact_scheme,
            },
            ghost_url_base: a.ghost_url_base,
            dry_run: a.dry_run,
            yes: a.yes,
            all_text_columns: a.all_text_columns,
            report: a.report,
            skip_unsafe: a.skip_unsafe,
            samples: a.samples,
            batch_size: a.batch_size,
            html_plan: None,
            html_verify: None,
        })
    }
}

/// Validates --from/--to against each other (exit 2 before anything is read).
fn parse_prefixes(from: &str, to: &str, site: Option<&Site>) -> Result<(Prefix, Prefix)> {
    let site_prefix = site.map(|s| Prefix::Absolute {
        scheme: None,
        host: s.host.clone(),
        port: s.port,
        path: s.subdir.clone(),
    });
    let t = to.trim();
    if t.starts_with('/') && !t.starts_with("//") {
        return Err(Error::usage(
            format!(
                "--to {to:?} is root-relative: it has no host, and ghost-migrate never writes a host-less URL where it found one with a host"
            ),
            format!(
                "use Ghost's portable form --to __GHOST_URL__{t} (the site URL, whatever it is), or the full URL, e.g. --to https://cdn.example.com{t}"
            ),
        ));
    }
    let f = Prefix::parse("--from", from, site_prefix.as_ref())?;
    let t = Prefix::parse("--to", to, site_prefix.as_ref())?;
    // The same __GHOST_URL__ prefix on both sides is allowed: it repairs the placeholder
    // where Ghost never expands it (written there by other tools) and changes nothing else.
    if (from.trim() == to.trim() || f == t) && !matches!(t, Prefix::Ghost { .. }) {
        return Err(Error::usage(
            format!("--from and --to are the same ({from})"),
            "give the new prefix in --to",
        ));
    }
    if let (
        Prefix::Absolute {
            host: fh,
            port: fp,
            path: fpath,
            ..
        },
        Prefix::Absolute {
            host: th,
            port: tp,
            path: tpath,
            ..
        },
    ) = (&f, &t)
        && fh == th
        && fp == tp
        && fpath.starts_with(tpath.as_str())
        && fpath != tpath
    {
        return Err(Error::usage(
            format!(
                "--to {to:?} is a prefix of --from {from:?}: a rewritten value would fall under --from again, so every run would shorten it once more"
            ),
            "move to a prefix outside --from (another host or path), or run a one-off REPLACE you have reviewed",
        ));
    }
    if f.path().ends_with('/') != t.path().ends_with('/') {
        return Err(Error::usage(
            format!("--from {from:?} and --to {to:?} differ in their trailing '/'"),
            "end both with '/' (https://old/content/images/ -> https://cdn/content/images/) or neither",
        ));
    }
    Ok((f, t))
}

/// The matcher for `--from` -> `--to`, and, when `--to` is `__GHOST_URL__/...`, the matcher to
/// the absolute URL for the columns where Ghost does not expand the placeholder (its base:
/// `--ghost-url-base`, else the config's `urls.image`/`urls.media`/`urls.files`, else the site).
fn maps(
    req: &Request,
    site: Option<&Site>,
    cfg: Option<&GhostConfig>,
) -> Result<(UrlMap, Option<UrlMap>)> {
    let (from, to) = parse_prefixes(&req.from, &req.to, site)?;
    let absolute = match &to {
        Prefix::Ghost { path } => {
            let base = req
                .ghost_url_base
                .clone()
                .or_else(|| cfg.and_then(|c| c.asset_base(path)).map(str::to_string))
                .or_else(|| site.map(|s| s.url.clone()));
            match base {
                Some(b) => {
                    let abs = Prefix::parse(
                        "--ghost-url-base",
                        &format!("{}{path}", b.trim_end_matches('/')),
                        None,
                    )?;
                    Some(UrlMap::new(from.clone(), abs, site, &req.opts)?)
                }
                None => None,
            }
        }
        _ => None,
    };
    Ok((UrlMap::new(from, to, site, &req.opts)?, absolute))
}

/// `--report x.html` / `x.htm` (any case): the HTML report, which lists every changed row.
fn is_html(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let (target, site, cfg) = req.db.resolve_with_config(None, out).await?;
    let (map, absolute_map) = maps(&req, site.as_ref(), cfg.as_ref())?;
    let mut rw = Rewrite::open(RewriteRequest {
        target,
        site,
        map,
        absolute_map,
        skip_unsafe: req.skip_unsafe,
        dry_run: req.dry_run,
        all_text_columns: req.all_text_columns,
        samples: req.samples,
        list_rows: req.report.as_deref().is_some_and(is_html),
        batch_size: req.batch_size,
        connect_timeout: req.db.connect_timeout,
        args: super::recorded_args(),
    })
    .await?;
    let progress = Terminal::new(out);
    let asks = !req.dry_run && !req.yes;
    if asks && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::usage(
            "refusing to write without confirmation: stdin is not a terminal",
            "add --yes to apply, or --dry-run to preview",
        ));
    }
    let report = if req.dry_run {
        rw.preview(&progress).await?
    } else if asks {
        let preview = rw.preview(&progress).await?;
        crate::output::table::print_rewrite(out, &preview);
        if !preview.problems.is_empty() && !req.skip_unsafe {
            return Err(rewrite::problems_error(&preview));
        }
        if preview.totals.cells_changed == 0 {
            preview
        } else {
            let q = format!(
                "Rewrite {} occurrence(s) in {} row(s) of {}?",
                preview.totals.occurrences,
                preview.totals.rows_changed,
                rw.database()
            );
            if out.confirm(&q) != Some(true) {
                return Err(Error::usage(
                    "not confirmed; nothing was written",
                    "answer y, or pass --yes",
                ));
            }
            rw.apply(&progress).await?
        }
    } else {
        rw.apply(&progress).await?
    };
    if let Some(path) = &req.report {
        let text = if path.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(&report).expect("report serializes")
        } else if is_html(path) {
            crate::output::html::html(
                &report,
                &crate::output::html::HtmlExtra {
                    plan: req.html_plan.clone(),
                    verify: req.html_verify.as_ref(),
                },
            )
        } else {
            crate::output::markdown::markdown(&report)
        };
        std::fs::write(path, text)?;
    }
    Ok(Outcome::Rewrite {
        shown: asks && report.run_id.is_none(),
        skip_unsafe_applied: req.skip_unsafe && !req.dry_run,
        report,
    })
}
