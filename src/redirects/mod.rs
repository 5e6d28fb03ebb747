//! `redirects`: rules that send requests for the old hosts' `/content/images|media|files/...`
//! to the CDN, for the URLs nobody can rewrite any more (newsletters already sent, other
//! sites' links). One plan (the CDN base, the old hosts and the path each serves its content
//! roots under), four renderings: Ghost's redirects file (YAML or JSON), an nginx snippet for
//! the old host's `server {}`, and a CloudFront Function (cloudfront-js-2.0) for the old host's
//! distribution. `<prefix><root>/<tail>` (`/blog/content/images/size/w600/a.jpg`) goes to
//! `<cdn><root>/<tail>` (`https://cdn.example.com/content/images/size/w600/a.jpg`), the tail's
//! bytes and the query string kept. Pure: values in, text out; no I/O, no printing.

use crate::bucket::{CdnBase, ROOTS};
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::url::{Prefix, Site};
use serde::Serialize;
use std::collections::BTreeMap;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Ghost's `redirects.yaml` (Ghost 4+): a `301:` map of regex -> target.
    GhostYaml,
    /// Ghost's `redirects.json`: `[{"from", "to", "permanent"}]`.
    GhostJson,
    /// Server-level rules to include in each old host's `server {}`.
    Nginx,
    /// A viewer-request CloudFront Function for the old host's distribution.
    CloudfrontFunction,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::GhostYaml => "Ghost redirects file (YAML)",
            Format::GhostJson => "Ghost redirects file (JSON)",
            Format::Nginx => "nginx snippet",
            Format::CloudfrontFunction => "CloudFront Function (cloudfront-js-2.0)",
        }
    }

    pub fn is_ghost(self) -> bool {
        matches!(self, Format::GhostYaml | Format::GhostJson)
    }
}

/// The CDN base the old paths are sent to: `--cdn-url` read exactly as `verify` reads it (the
/// CDN base of the content root), as a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cdn {
    /// Ends with '/': `https://cdn.example.com/content/` (`.../content` is taken as
    /// `.../content/`, which is how verify's matcher reads it too: at a path boundary).
    pub base: String,
    /// Lowercased `host` or `host:port`.
    #[serde(skip)]
    pub host: String,
    /// The base's path, ending with '/'.
    #[serde(skip)]
    pub path: String,
}

impl Cdn {
    /// Checks `--cdn-url`: an absolute http(s) URL prefix without `$` (a variable in nginx, a
    /// group reference in Ghost's targets).
    pub fn parse(value: &str) -> Result<Self> {
        let (base, prefix) = CdnBase::parse(value)?;
        let Prefix::Absolute {
            scheme: Some(_),
            host,
            port,
            path,
        } = prefix
        else {
            return Err(Error::usage(
                format!("--cdn-url {value:?} has no scheme: a redirect needs a full URL"),
                "start it with https://, e.g. --cdn-url https://cdn.example.com/content/",
            ));
        };
        if value.contains('$') {
            return Err(Error::usage(
                format!("--cdn-url {value:?} contains '$'"),
                "percent-encode it as %24 (nginx and Ghost read '$' as a variable)",
            ));
        }
        let mut base = base.base().to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let mut path = path;
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(Cdn {
            base,
            host: match port {
                Some(p) => format!("{host}:{p}"),
                None => host,
            },
            path,
        })
    }

    /// Where `<root>/<tail>` goes.
    pub fn url(&self, rel: &str) -> String {
        format!("{}{rel}", self.base)
    }
}

/// Why a host is in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The site URL (`--site-url` or the Ghost config's `url`).
    SiteUrl,
    /// `--host`.
    HostFlag,
    /// URLs of the host under `/content/images|media|files/` in the database.
    Database,
}

/// An old host and the path its content roots hang under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldHost {
    /// Lowercased `host` or `host:port`.
    pub host: String,
    /// `/content/`, or `/blog/content/` on a site in a subdirectory.
    pub prefix: String,
    pub sources: Vec<Source>,
    /// URLs of this host under /content/images|media|files/ in the database.
    pub urls: u64,
}

impl OldHost {
    /// The host without its port, as a Host header names it behind a CDN.
    pub fn hostname(&self) -> &str {
        self.host.split(':').next().unwrap_or(&self.host)
    }

    /// `site URL, database: 12 URLs`.
    pub fn found_in(&self) -> String {
        let why: Vec<String> = self
            .sources
            .iter()
            .map(|s| match s {
                Source::SiteUrl => "site URL".to_string(),
                Source::HostFlag => "--host".to_string(),
                Source::Database => format!("database: {} URLs", self.urls),
            })
            .collect();
        why.join(", ")
    }

    /// `blog.example.com (site URL, database: 12 URLs)`.
    pub fn describe(&self) -> String {
        format!("{}{} ({})", self.host, self.subdir(), self.found_in())
    }

    /// `/blog` for a subdirectory site, else empty.
    fn subdir(&self) -> &str {
        self.prefix.strip_suffix("/content/").unwrap_or("")
    }
}

/// The old hosts, one entry per (host, prefix), in host order.
#[derive(Debug, Default)]
pub struct Hosts {
    map: BTreeMap<(String, String), OldHost>,
    /// Hosts left out because the CDN serves them: redirecting would loop.
    pub skipped: Vec<String>,
}

impl Hosts {
    /// Adds `host` (already lowercased `host[:port]`) serving Ghost at `subdir` (`` or `/blog`).
    pub fn add(&mut self, host: &str, subdir: &str, source: Source, urls: u64) {
        let prefix = format!("{}/content/", subdir.trim_end_matches('/'));
        let e = self
            .map
            .entry((host.to_string(), prefix.clone()))
            .or_insert_with(|| OldHost {
                host: host.to_string(),
                prefix,
                sources: Vec::new(),
                urls: 0,
            });
        if !e.sources.contains(&source) {
            e.sources.push(source);
            e.sources.sort();
        }
        e.urls += urls;
    }

    pub fn add_site(&mut self, site: &Site, source: Source) {
        self.add(&site.host_port(), &site.subdir, source, 0);
    }

    /// Every host the inventory found serving `/content/images|media|files/` paths; the
    /// site's own host with the site's subdirectory (its matcher found them there).
    pub fn add_inventory(&mut self, inv: &Inventory, site: Option<&Site>) {
        let own = site.map(Site::host_port);
        for g in &inv.groups {
            let content_root = ROOTS.iter().any(|r| g.root == format!("/content/{r}/"));
            if !content_root
                || g.host == crate::url::GHOST_URL
                || g.host == "(relative)"
                || g.occurrences == 0
            {
                continue;
            }
            let subdir = match (&own, site) {
                (Some(o), Some(s)) if *o == g.host => s.subdir.as_str(),
                _ => "",
            };
            self.add(&g.host, subdir, Source::Database, g.occurrences);
        }
    }

    /// Removes the hosts whose redirect would point at itself (the CDN's own host and path,
    /// which the database holds after a rewrite). Returns the ones given by hand (site URL,
    /// `--host`) that were removed: those are errors.
    pub fn drop_cdn(&mut self, cdn: &Cdn) -> Vec<OldHost> {
        let mut by_hand = Vec::new();
        let loops: Vec<(String, String)> = self
            .map
            .keys()
            .filter(|(h, p)| *h == cdn.host && *p == cdn.path)
            .cloned()
            .collect();
        for k in loops {
            let h = self.map.remove(&k).expect("listed");
            if h.sources.iter().any(|s| *s != Source::Database) {
                by_hand.push(h.clone());
            }
            self.skipped.push(h.describe());
        }
        by_hand
    }

    pub fn list(&self) -> Vec<OldHost> {
        self.map.values().cloned().collect()
    }
}

/// Escapes a literal for a regular expression in PCRE (nginx) and JavaScript (Ghost).
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Ghost's `from` for one content root: the path inside Ghost (Ghost strips its subdirectory
/// before it matches), at least one character after the root.
pub fn ghost_from(root: &str) -> String {
    format!("^{}(.+)$", regex_escape(&format!("/content/{root}/")))
}

/// Ghost's `to`: `$1` is the tail, bytes as requested.
pub fn ghost_to(cdn: &Cdn, root: &str) -> String {
    cdn.url(&format!("{root}/$1"))
}

/// The distinct prefixes and the hosts that use each.
fn by_prefix(hosts: &[OldHost]) -> BTreeMap<&str, Vec<&OldHost>> {
    let mut m: BTreeMap<&str, Vec<&OldHost>> = BTreeMap::new();
    for h in hosts {
        m.entry(h.prefix.as_str()).or_default().push(h);
    }
    m
}

/// The hosts as a comment line's text.
fn host_list(hosts: &[OldHost]) -> String {
    if hosts.is_empty() {
        return "(none given)".into();
    }
    hosts
        .iter()
        .map(OldHost::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lines of a `# `/`// ` comment.
fn comment(mark: &str, lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                format!("{}\n", mark.trim_end())
            } else {
                format!("{mark}{l}\n")
            }
        })
        .collect()
}

/// One rendering of the plan. `generator` names the tool and version for the header.
pub fn render(format: Format, cdn: &Cdn, hosts: &[OldHost], generator: &str) -> String {
    match format {
        Format::GhostYaml => ghost_yaml(cdn, hosts, generator),
        Format::GhostJson => ghost_json(cdn),
        Format::Nginx => nginx(cdn, hosts, generator),
        Format::CloudfrontFunction => cloudfront_function(cdn, hosts, generator),
    }
}

/// What Ghost's redirects reach, said in the YAML header and the command's notes.
pub fn ghost_reach(hosts: &[OldHost]) -> String {
    let own: Vec<String> = hosts
        .iter()
        .filter(|h| h.sources.contains(&Source::SiteUrl))
        .map(|h| format!("{}{}", h.host, h.subdir()))
        .collect();
    let others: Vec<&str> = hosts
        .iter()
        .filter(|h| !h.sources.contains(&Source::SiteUrl))
        .map(|h| h.host.as_str())
        .collect();
    let mut s = match own.is_empty() {
        true => "Ghost applies these rules only to requests that reach this Ghost (its own host)."
            .to_string(),
        false => format!(
            "Ghost applies these rules only to requests that reach this Ghost ({}).",
            own.join(", ")
        ),
    };
    if !others.is_empty() {
        s.push_str(&format!(
            " Requests to {} reach it only if this Ghost serves that host too; otherwise use --format nginx or cloudfront-function where it is served.",
            others.join(", ")
        ));
    }
    s
}

fn ghost_yaml(cdn: &Cdn, hosts: &[OldHost], generator: &str) -> String {
    let mut head = vec![
        format!(
            "Ghost redirects file (Ghost 4+), generated by {generator}: old image, media and file URLs -> the CDN, 301."
        ),
        "Upload it in Ghost Admin: Settings -> Labs -> Redirects (or put it in content/data/redirects.yaml".into(),
        "and restart Ghost). Uploading REPLACES Ghost's current redirects: download those first and".into(),
        "merge these lines into them.".into(),
        String::new(),
    ];
    head.extend(wrap(&ghost_reach(hosts), 96));
    head.extend([
        String::new(),
        "The path tail is kept byte for byte (size/ and format/ variants, percent-encoded names); Ghost".into(),
        "appends the request's query string itself (re-encoded: a+b becomes a%20b, ?x becomes ?x=).".into(),
    ]);
    let mut s = comment("# ", &head);
    s.push_str("301:\n");
    for r in ROOTS {
        // Single-quoted YAML scalars: only ' would need doubling, and neither part can hold one.
        s.push_str(&format!(
            "  '{}': '{}'\n",
            ghost_from(r).replace('\'', "''"),
            ghost_to(cdn, r).replace('\'', "''")
        ));
    }
    s
}

#[derive(Serialize)]
struct GhostRule {
    from: String,
    to: String,
    permanent: bool,
}

fn ghost_json(cdn: &Cdn) -> String {
    let rules: Vec<GhostRule> = ROOTS
        .iter()
        .map(|r| GhostRule {
            from: ghost_from(r),
            to: ghost_to(cdn, r),
            permanent: true,
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rules).expect("plain strings serialize");
    s.push('\n');
    s
}

/// The regex nginx matches `$request_uri` against for one prefix; `$1` is `<root>/<tail>` with
/// the query string, as sent.
pub fn nginx_regex(prefix: &str) -> String {
    format!("^{}((?:{})/[^?].*)$", regex_escape(prefix), ROOTS.join("|"))
}

fn nginx(cdn: &Cdn, hosts: &[OldHost], generator: &str) -> String {
    let mut head = vec![
        format!(
            "nginx snippet, generated by {generator}: old image, media and file URLs -> the CDN, 301."
        ),
        "Include it inside the server {} block of each old host (at server level, not in a".into(),
        "location), e.g.  include /etc/nginx/snippets/ghost-cdn-redirects.conf;  then nginx -t and"
            .into(),
        "reload. It acts only in the server blocks that include it.".into(),
        "$request_uri is the path and query string exactly as the client sent them: size/ and"
            .into(),
        "format/ variants, percent-encoded names and query strings reach the CDN byte for byte."
            .into(),
    ];
    head.extend(wrap(&format!("Old hosts: {}.", host_list(hosts)), 96));
    let mut s = comment("# ", &head);
    let groups = by_prefix(hosts);
    let prefixes: Vec<(&str, Vec<&OldHost>)> = if groups.is_empty() {
        vec![("/content/", Vec::new())]
    } else {
        groups.into_iter().collect()
    };
    for (prefix, hs) in prefixes {
        s.push('\n');
        if !hs.is_empty() {
            let names: Vec<&str> = hs.iter().map(|h| h.host.as_str()).collect();
            s.push_str(&format!("# {}\n", names.join(", ")));
        }
        s.push_str(&format!(
            "if ($request_uri ~ \"{}\") {{\n    return 301 \"{}$1\";\n}}\n",
            nginx_regex(prefix),
            cdn.base
        ));
    }
    s
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn cloudfront_function(cdn: &Cdn, hosts: &[OldHost], generator: &str) -> String {
    let mut head = vec![
        format!("CloudFront Function (runtime cloudfront-js-2.0), generated by {generator}."),
        "Associate it with the viewer-request event of the distribution that serves the old host(s).".into(),
        "For /content/images|media|files/... (under the site's subdirectory, if any) on the hosts".into(),
        "below it answers 301 to the CDN with the same path tail and query string; every other".into(),
        "request, and every other host, passes through unchanged.".into(),
    ];
    head.extend(wrap(&format!("Old hosts: {}.", host_list(hosts)), 96));
    let mut s = comment("// ", &head);
    let mut pairs: Vec<(String, String)> = hosts
        .iter()
        .map(|h| (h.hostname().to_string(), h.prefix.clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    s.push_str(&format!("var CDN = {};\n", js_str(&cdn.base)));
    s.push_str("var OLD = [\n");
    for (i, (h, p)) in pairs.iter().enumerate() {
        let comma = if i + 1 < pairs.len() { "," } else { "" };
        s.push_str(&format!("    [{}, {}]{comma}\n", js_str(h), js_str(p)));
    }
    s.push_str("];\n");
    let roots: Vec<String> = ROOTS.iter().map(|r| js_str(&format!("{r}/"))).collect();
    s.push_str(&format!("var ROOTS = [{}];\n", roots.join(", ")));
    s.push_str(CLOUDFRONT_BODY);
    s
}

/// The function's code after its constants: ES5 only (cloudfront-js-2.0 has some ES6, 1.0
/// none), no `require`.
const CLOUDFRONT_BODY: &str = r#"
// The query string as the viewer sent it, rebuilt from CloudFront's object
// ({name: {value, multiValue: [{value}, ...]}}).
function queryString(qs) {
    var parts = [];
    for (var name in qs) {
        var p = qs[name];
        var values = p.multiValue ? p.multiValue : [p];
        for (var i = 0; i < values.length; i++) {
            parts.push(name + "=" + values[i].value);
        }
    }
    return parts.length > 0 ? "?" + parts.join("&") : "";
}

// The CDN URL for an old host's content path, or null.
function target(host, uri) {
    for (var i = 0; i < OLD.length; i++) {
        var prefix = OLD[i][1];
        if (OLD[i][0] !== host || uri.indexOf(prefix) !== 0) {
            continue;
        }
        var tail = uri.substring(prefix.length);
        for (var j = 0; j < ROOTS.length; j++) {
            if (tail.indexOf(ROOTS[j]) === 0 && tail.length > ROOTS[j].length) {
                return CDN + tail;
            }
        }
    }
    return null;
}

function handler(event) {
    var request = event.request;
    var h = request.headers.host;
    var host = h ? h.value.toLowerCase().replace(/:[0-9]*$/, "").replace(/\.$/, "") : "";
    var to = target(host, request.uri);
    if (to === null) {
        return request;
    }
    return {
        statusCode: 301,
        statusDescription: "Moved Permanently",
        headers: {
            location: { value: to + queryString(request.querystring) }
        }
    };
}
"#;

/// Splits a long sentence into comment lines of at most `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for w in s.split(' ') {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// What `redirects` did: the JSON document of `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct RedirectsReport {
    pub schema: u32,
    pub command: &'static str,
    pub format: Format,
    /// The CDN base the rules point at (ends with '/').
    pub cdn_url: String,
    /// The database the hosts were read from; None offline.
    pub database: Option<String>,
    pub site_url: Option<String>,
    pub hosts: Vec<OldHost>,
    /// Hosts found in the database but left out (the CDN itself).
    pub skipped_hosts: Vec<String>,
    /// The file written, or None when the rules went to stdout.
    pub out: Option<String>,
    /// Who sees the rules, and what else to do.
    pub notes: Vec<String>,
    /// The generated file's text.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdn(u: &str) -> Cdn {
        Cdn::parse(u).unwrap()
    }

    fn hosts(list: &[(&str, &str, Source)]) -> Vec<OldHost> {
        let mut h = Hosts::default();
        for (host, subdir, src) in list {
            h.add(host, subdir, *src, 0);
        }
        h.list()
    }

    const GEN: &str = "ghost-migrate test";

    #[test]
    fn cdn_urls_are_read_like_verify_reads_them() {
        let c = cdn("https://cdn.example.com/content/");
        assert_eq!(c.base, "https://cdn.example.com/content/");
        assert_eq!(c.host, "cdn.example.com");
        assert_eq!(c.path, "/content/");
        assert_eq!(
            c.url("images/2024/a.jpg"),
            "https://cdn.example.com/content/images/2024/a.jpg"
        );
        // No trailing slash: the same directory (verify matches at a path boundary).
        assert_eq!(
            cdn("https://cdn.example.com/content").base,
            "https://cdn.example.com/content/"
        );
        assert_eq!(
            cdn("https://cdn.example.com").base,
            "https://cdn.example.com/"
        );
        let c = cdn("http://CDN.example.com:8080/a/b/");
        assert_eq!(c.host, "cdn.example.com:8080");
        assert_eq!(c.base, "http://CDN.example.com:8080/a/b/");
        for (bad, needle) in [
            ("//cdn.example.com/content/", "has no scheme"),
            ("ftp://cdn.example.com/content/", "is not a URL prefix"),
            ("cdn.example.com/content/", "is not a URL prefix"),
            ("/content/", "needs the site URL"),
            ("__GHOST_URL__/content/", "must be an absolute URL"),
            ("https://cdn.example.com/$x/", "contains '$'"),
            (
                "https://cdn.example.com/content/?x=1",
                "is not a URL prefix",
            ),
            ("", "is empty"),
        ] {
            let e = Cdn::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{bad:?}");
            assert!(e.to_string().contains(needle), "{bad:?}: {e}");
        }
    }

    #[test]
    fn hosts_merge_sources_and_drop_the_cdn() {
        let mut h = Hosts::default();
        let site = Site::parse("https://Example.com/blog/").unwrap();
        h.add_site(&site, Source::SiteUrl);
        h.add("example.com", "/blog", Source::Database, 7);
        h.add("old.example.com", "", Source::HostFlag, 0);
        h.add("cdn.example.com", "", Source::Database, 40);
        let c = cdn("https://cdn.example.com/content/");
        assert!(h.drop_cdn(&c).is_empty());
        assert_eq!(h.skipped, vec!["cdn.example.com (database: 40 URLs)"]);
        let l = h.list();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].host, "example.com");
        assert_eq!(l[0].prefix, "/blog/content/");
        assert_eq!(l[0].sources, vec![Source::SiteUrl, Source::Database]);
        assert_eq!(l[0].urls, 7);
        assert_eq!(
            l[0].describe(),
            "example.com/blog (site URL, database: 7 URLs)"
        );
        assert_eq!(l[1].prefix, "/content/");
        // The CDN under another path of the same host is not a loop.
        let mut h = Hosts::default();
        h.add("example.com", "", Source::HostFlag, 0);
        assert!(h.drop_cdn(&cdn("https://example.com/cdn/")).is_empty());
        assert_eq!(h.list().len(), 1);
        assert_eq!(h.drop_cdn(&cdn("https://example.com/content")).len(), 1);
    }

    #[test]
    fn regexes_escape_literals() {
        assert_eq!(regex_escape("/a.b+c(d)$"), "/a\\.b\\+c\\(d\\)\\$");
        assert_eq!(ghost_from("images"), "^/content/images/(.+)$");
        assert_eq!(
            nginx_regex("/my.blog/content/"),
            "^/my\\.blog/content/((?:images|media|files)/[^?].*)$"
        );
        let re = regex::Regex::new(&nginx_regex("/my.blog/content/")).unwrap();
        assert!(re.is_match("/my.blog/content/images/a.jpg?x=1"));
        assert!(!re.is_match("/myxblog/content/images/a.jpg"));
        assert!(!re.is_match("/my.blog/content/images/"));
        assert!(!re.is_match("/my.blog/content/images/?x"));
        assert!(!re.is_match("/my.blog/content/themes/a.css"));
        let caps = re
            .captures("/my.blog/content/images/size/w600/a%20b.jpg?v=1&w=2")
            .unwrap();
        assert_eq!(&caps[1], "images/size/w600/a%20b.jpg?v=1&w=2");
    }

    #[test]
    fn ghost_yaml_maps_every_root_with_the_tail() {
        let c = cdn("https://cdn.example.com/assets/content/");
        let h = hosts(&[
            ("example.com", "/blog", Source::SiteUrl),
            ("old.example.com", "", Source::Database),
        ]);
        let y = render(Format::GhostYaml, &c, &h, GEN);
        assert!(y.contains("\n301:\n"), "{y}");
        for r in ["images", "media", "files"] {
            assert!(
                y.contains(&format!(
                    "  '^/content/{r}/(.+)$': 'https://cdn.example.com/assets/content/{r}/$1'\n"
                )),
                "{y}"
            );
        }
        // Every line before the map is a comment.
        let head = y.split("301:\n").next().unwrap();
        assert!(head.lines().all(|l| l.starts_with('#')), "{head}");
        let prose = head.replace("\n# ", " ");
        assert!(prose.contains("REPLACES"), "{y}");
        assert!(prose.contains("reach this Ghost (example.com/blog)"), "{y}");
        assert!(
            prose.contains("Requests to old.example.com reach it only if"),
            "{y}"
        );
    }

    #[test]
    fn ghost_json_is_ghosts_shape() {
        let c = cdn("https://cdn.example.com/content/");
        let j = render(Format::GhostJson, &c, &[], GEN);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(
            v[0],
            serde_json::json!({"from": "^/content/images/(.+)$", "to": "https://cdn.example.com/content/images/$1", "permanent": true})
        );
        assert_eq!(v.as_array().unwrap().len(), 3);
        assert_eq!(v[2]["from"], "^/content/files/(.+)$");
    }

    #[test]
    fn nginx_has_one_rule_per_prefix_with_its_hosts() {
        let c = cdn("https://cdn.example.com/content/");
        let h = hosts(&[
            ("example.com", "/blog", Source::SiteUrl),
            ("old.example.com", "", Source::Database),
            ("www.example.com", "", Source::HostFlag),
        ]);
        let n = render(Format::Nginx, &c, &h, GEN);
        assert!(n.contains(
            "# old.example.com, www.example.com\nif ($request_uri ~ \"^/content/((?:images|media|files)/[^?].*)$\") {\n    return 301 \"https://cdn.example.com/content/$1\";\n}\n"
        ), "{n}");
        assert!(n.contains(
            "# example.com\nif ($request_uri ~ \"^/blog/content/((?:images|media|files)/[^?].*)$\") {"
        ), "{n}");
        assert_eq!(n.matches("if (").count(), 2);
        // Without hosts (offline Ghost-only use) the root rule is still there.
        let n = render(Format::Nginx, &c, &[], GEN);
        assert_eq!(n.matches("if ($request_uri").count(), 1);
    }

    #[test]
    fn cloudfront_function_lists_hostnames_and_stays_es5() {
        let c = cdn("https://cdn.example.com/content/");
        let h = hosts(&[
            ("example.com", "/blog", Source::SiteUrl),
            ("old.example.com:8080", "", Source::Database),
            ("old.example.com", "", Source::HostFlag),
        ]);
        let f = render(Format::CloudfrontFunction, &c, &h, GEN);
        assert!(
            f.contains("var CDN = \"https://cdn.example.com/content/\";"),
            "{f}"
        );
        assert!(f.contains(
            "var OLD = [\n    [\"example.com\", \"/blog/content/\"],\n    [\"old.example.com\", \"/content/\"]\n];"
        ), "{f}");
        assert!(f.contains("var ROOTS = [\"images/\", \"media/\", \"files/\"];"));
        assert!(f.contains("function handler(event) {"));
        let code: String = f
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for es6 in [
            "=>", "let ", "const ", "`", "require(", "class ", "...", "import ",
        ] {
            assert!(!code.contains(es6), "{es6:?} in the function");
        }
    }

    #[test]
    fn comments_wrap() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), Vec::<String>::new());
    }
}
