//! `redirects`: the old hosts (the database's inventory, the site URL, `--host`) and the CDN
//! base -> redirect rules in one format (Ghost's redirects file, an nginx snippet, a CloudFront
//! Function), on stdout or in `--out`. Without a database, `--host`/`--site-url` name the
//! hosts (offline); `--format ghost` needs no host at all (Ghost only sees its own).

use super::Outcome;
use super::db::DbRequest;
use crate::cli::{GhostSyntax, RedirectFormat, RedirectsArgs};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::redirects::{self, Cdn, Format, Hosts, RedirectsReport, Source};
use crate::url::Prefix;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The checked flags.
pub struct Request {
    pub db: DbRequest,
    pub cdn: Cdn,
    pub format: Format,
    /// `--host` values: (lowercased `host[:port]`, subdirectory or ``).
    pub hosts: Vec<(String, String)>,
    pub out: Option<PathBuf>,
    pub force: bool,
}

impl Request {
    pub fn from_args(a: RedirectsArgs) -> Result<Self> {
        let Some(cdn) = a.cdn_url.as_deref() else {
            return Err(Error::usage(
                "--cdn-url is missing: where should the old URLs go?",
                "pass the CDN URL of the content root, the value verify takes, e.g. --cdn-url https://cdn.example.com/content/",
            ));
        };
        let cdn = Cdn::parse(cdn)?;
        let Some(format) = a.format else {
            return Err(Error::usage(
                "--format is missing",
                "pass --format ghost (Ghost's redirects file), --format nginx or --format cloudfront-function",
            ));
        };
        let format = match format {
            RedirectFormat::Ghost => ghost_syntax(a.syntax, a.out.as_deref())?,
            other => {
                if a.syntax.is_some() {
                    return Err(Error::usage(
                        "--syntax is for --format ghost",
                        "drop --syntax (nginx and cloudfront-function have one syntax each)",
                    ));
                }
                match other {
                    RedirectFormat::Nginx => Format::Nginx,
                    _ => Format::CloudfrontFunction,
                }
            }
        };
        let hosts = a
            .hosts
            .iter()
            .map(|h| parse_host(h))
            .collect::<Result<Vec<_>>>()?;
        let db = DbRequest::from_args(&a.db)?;
        if !format.is_ghost() && !db.given() && db.site.is_none() && hosts.is_empty() {
            return Err(Error::usage(
                "no old host to redirect from",
                "pass --db or --ghost-config (the hosts are read from the database), or name them: --site-url https://blog.example.com or --host old.example.com",
            ));
        }
        Ok(Request {
            db,
            cdn,
            format,
            hosts,
            out: a.out,
            force: a.force,
        })
    }
}

/// YAML or JSON, by `--syntax` or the `--out` file's extension (Ghost's upload takes `.yaml`
/// and `.json` only).
fn ghost_syntax(flag: Option<GhostSyntax>, out: Option<&Path>) -> Result<Format> {
    let ext = out.map(|p| {
        p.extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    });
    let by_ext = match ext.as_deref() {
        None => None,
        Some("yaml") => Some(GhostSyntax::Yaml),
        Some("json") => Some(GhostSyntax::Json),
        Some(_) => {
            return Err(Error::usage(
                format!(
                    "--out {}: Ghost uploads redirects files named .yaml or .json only",
                    out.unwrap_or(Path::new("")).display()
                ),
                "name it redirects.yaml (or redirects.json)",
            ));
        }
    };
    let syntax = match (flag, by_ext) {
        (Some(f), Some(e)) if f != e => {
            return Err(Error::usage(
                "--syntax and the --out extension disagree",
                "drop --syntax: the extension (.yaml or .json) chooses",
            ));
        }
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) => GhostSyntax::Yaml,
    };
    Ok(match syntax {
        GhostSyntax::Yaml => Format::GhostYaml,
        GhostSyntax::Json => Format::GhostJson,
    })
}

/// `old.example.com`, `old.example.com:8080` or a site URL `https://example.com/blog/` ->
/// (lowercased host[:port], subdirectory).
fn parse_host(v: &str) -> Result<(String, String)> {
    let bad = || {
        Error::usage(
            format!("--host {v:?} is not a host name or site URL"),
            "e.g. --host old.example.com, or --host https://example.com/blog/ for a site in a subdirectory",
        )
    };
    let spelled = if v.contains("://") {
        v.trim().to_string()
    } else {
        format!("//{}", v.trim())
    };
    let Ok(Prefix::Absolute {
        host, port, path, ..
    }) = Prefix::parse("--host", &spelled, None)
    else {
        return Err(bad());
    };
    let subdir = path.trim_end_matches('/').to_string();
    if !v.contains("://") && !path.is_empty() {
        return Err(bad());
    }
    if subdir == "/content" || subdir.contains("/content/") {
        return Err(Error::usage(
            format!("--host {v:?} names a content path, not a site"),
            "give the host (old.example.com) or the site URL (https://example.com/blog/)",
        ));
    }
    let host = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Ok((host, subdir))
}

pub async fn execute(req: Request, out: &Output) -> Result<Outcome> {
    let mut hosts = Hosts::default();
    let mut notes = Vec::new();
    let (database, site) = if req.db.given() {
        let (target, site) = req.db.resolve(None, out).await?;
        if site.is_none() {
            out.warn("no site URL: the site's own host is not known; pass --site-url or --ghost-config to include it");
        }
        let (mut conn, tables) = crate::ghost::open(&target, req.db.connect_timeout).await?;
        let inv = crate::inventory::inventory(
            &mut conn,
            &tables,
            target.display(),
            site.as_ref(),
            false,
            0,
        )
        .await?;
        hosts.add_inventory(&inv, site.as_ref());
        (Some(target.display()), site)
    } else {
        (None, req.db.site.clone())
    };
    if let Some(s) = &site {
        hosts.add_site(s, Source::SiteUrl);
    }
    for (h, subdir) in &req.hosts {
        hosts.add(h, subdir, Source::HostFlag, 0);
    }
    if let Some(h) = hosts.drop_cdn(&req.cdn).first() {
        return Err(Error::usage(
            format!(
                "{} is where --cdn-url {} points: the redirect would loop",
                h.describe(),
                req.cdn.base
            ),
            "--cdn-url is the new CDN base (e.g. https://cdn.example.com/content/); --host and the site URL are the old hosts",
        ));
    }
    let list = hosts.list();
    if list.is_empty() && !req.format.is_ghost() {
        return Err(Error::usage(
            "no old host found: the database holds no /content/images|media|files/ URL with a host, and no site URL is known",
            "pass --site-url https://blog.example.com (or --ghost-config), or --host old.example.com",
        ));
    }
    match req.format {
        Format::GhostYaml | Format::GhostJson => {
            notes.push(redirects::ghost_reach(&list));
            notes.push("Uploading in Ghost Admin (Settings -> Labs -> Redirects) replaces Ghost's current redirects: download them first and merge.".into());
        }
        Format::Nginx => notes.push(format!(
            "Include the rules inside the server {{}} block of each old host: {}. They act only where included.",
            names(&list)
        )),
        Format::CloudfrontFunction => notes.push(format!(
            "Associate the function with the viewer-request event of the distribution serving {}; it acts only on requests that reach that distribution.",
            names(&list)
        )),
    }
    if list.iter().any(|h| h.sources == [Source::Database]) {
        notes.push("Hosts found only in the database may be other sites whose images your posts show: the rules act only where you deploy them.".into());
    }
    if !hosts.skipped.is_empty() {
        notes.push(format!(
            "Left out (the CDN itself): {}.",
            hosts.skipped.join("; ")
        ));
    }
    let generator = format!("ghost-migrate {}", crate::cli::VERSION);
    let text = redirects::render(req.format, &req.cdn, &list, &generator);
    if let Some(path) = &req.out {
        write_out(path, &text, req.force)?;
    }
    Ok(Outcome::Redirects(RedirectsReport {
        schema: crate::REPORT_SCHEMA,
        command: "redirects",
        format: req.format,
        cdn_url: req.cdn.base.clone(),
        database,
        site_url: site.map(|s| s.url),
        hosts: list,
        skipped_hosts: hosts.skipped.clone(),
        out: req.out.as_ref().map(|p| p.display().to_string()),
        notes,
        text,
    }))
}

fn names(list: &[redirects::OldHost]) -> String {
    list.iter()
        .map(|h| h.host.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the rules; an existing file is replaced only with `--force`.
fn write_out(path: &Path, text: &str, force: bool) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    let mut f = o.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Error::usage(
            format!("--out {} exists", path.display()),
            "pass --force to replace it, or choose another file (an existing redirects file is not merged)",
        ),
        _ => Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        )),
    })?;
    f.write_all(text.as_bytes()).map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_site_urls() {
        assert_eq!(
            parse_host("Old.Example.com").unwrap(),
            ("old.example.com".into(), "".into())
        );
        assert_eq!(
            parse_host("old.example.com:8080").unwrap(),
            ("old.example.com:8080".into(), "".into())
        );
        assert_eq!(
            parse_host("https://example.com/blog/").unwrap(),
            ("example.com".into(), "/blog".into())
        );
        assert_eq!(
            parse_host("http://example.com:443").unwrap(),
            ("example.com:443".into(), "".into())
        );
        for bad in [
            "",
            "old.example.com/blog",
            "old example.com",
            "ftp://old.example.com",
            "__GHOST_URL__",
            "-x.com",
            "user@old.example.com",
        ] {
            let e = parse_host(bad).unwrap_err();
            assert!(e.to_string().contains("is not a host name"), "{bad:?}: {e}");
        }
        let e = parse_host("https://example.com/content/images/").unwrap_err();
        assert!(e.to_string().contains("content path"), "{e}");
    }

    #[test]
    fn ghost_syntax_by_flag_or_extension() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(ghost_syntax(None, None).unwrap(), Format::GhostYaml);
        assert_eq!(
            ghost_syntax(Some(GhostSyntax::Json), None).unwrap(),
            Format::GhostJson
        );
        assert_eq!(
            ghost_syntax(None, Some(&p("x/redirects.JSON"))).unwrap(),
            Format::GhostJson
        );
        assert_eq!(
            ghost_syntax(Some(GhostSyntax::Yaml), Some(&p("r.yaml"))).unwrap(),
            Format::GhostYaml
        );
        for (flag, out, needle) in [
            (None, "r.yml", ".yaml or .json only"),
            (None, "redirects", ".yaml or .json only"),
            (Some(GhostSyntax::Json), "r.yaml", "disagree"),
        ] {
            let e = ghost_syntax(flag, Some(&p(out))).unwrap_err();
            assert!(e.to_string().contains(needle), "{out}: {e}");
        }
    }
}
