//! The strategy, chosen from what `plan` detected (pure: facts in, plan and reasons out).
//!
//! - Ghost 6.65 or later (the first version verified here to read `urls.image|media|files`)
//!   can keep portable `__GHOST_URL__/content/...` values and serve them from the CDN: the
//!   strategy `ghost-urls` syncs, gives the config snippet (the **bare** base: a base ending in
//!   `/content/images` doubles every path, seen on a real Ghost 6.65.0) and normalises the
//!   values Ghost stored absolute to `__GHOST_URL__/content/...` (where Ghost does not expand
//!   the placeholder, the absolute CDN URL is written instead).
//! - Older Ghost (and any set-up where the bucket prefix is not `content/`, which `urls.image`
//!   cannot express) gets `cdn-absolute`: every stored form of the site's content URLs becomes
//!   the CDN's absolute URL.

use super::*;
use serde::Serialize;

/// What `plan` found out about the Ghost in front of it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `migrations.currentVersion`, e.g. "5.130".
    pub ghost_version: Option<String>,
    pub engine_sqlite: bool,
    /// The MySQL host, to recognise an RDS/Aurora endpoint.
    pub db_host: Option<String>,
    /// The database as the plan may write it (None when it holds a password).
    pub db_for_plan: Option<String>,
    pub db_has_password: bool,
    pub site_url: Option<String>,
    pub site_host: Option<String>,
    /// `storage.active` and that adapter's settings.
    pub storage: Option<Storage>,
    /// `urls.image|media|files` from the config.
    pub asset_urls: Vec<(String, String)>,
    /// Hosts (other than the site's) under which the content holds /content/ URLs, with counts.
    pub other_hosts: Vec<(String, u64)>,
    /// Occurrences of http:// URLs of the site when the site is https.
    pub http_on_https: u64,
    /// Occurrences of URLs already under the CDN base.
    pub on_cdn: u64,
    pub content_dir: Option<PathBuf>,
    pub local_files: Option<u64>,
    /// Objects already under the bucket prefix (None: the bucket was not listed).
    pub bucket_objects: Option<u64>,
    pub bucket_error: Option<String>,
    /// `size/` variants the content references that the content directory lacks.
    pub variants_absent: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Storage {
    pub active: String,
    pub bucket: Option<String>,
    pub path_prefix: Option<String>,
    pub asset_host: Option<String>,
}

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub config: Option<PathBuf>,
    pub bucket: String,
    pub prefix: String,
    pub cdn_url: String,
    pub strategy: Option<String>,
    pub snapshot_mode: Option<String>,
    pub snapshot_id: Option<String>,
    pub ecs_cluster: Option<String>,
    pub ecs_service: Option<String>,
    pub cloudfront_distribution_id: Option<String>,
    pub variants_from: Option<String>,
    pub report: PathBuf,
    pub aws: AwsPlan,
}

/// A detected inconsistency or risk, for the operator to read before running.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// `warning` (the plan works around it or it needs a look) or `blocker` (`run` would fail).
    pub severity: &'static str,
    pub message: String,
}

/// The plan, why, and what needs a look.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    pub plan: Plan,
    pub reasons: Vec<String>,
    pub findings: Vec<Finding>,
}

/// (major, minor) of "5.130" or "6.65.0".
pub fn version_of(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// The first Ghost version verified to serve `__GHOST_URL__` content from `urls.image`.
pub const URLS_IMAGE_SINCE: (u32, u32) = (6, 65);

/// An RDS/Aurora endpoint's snapshot source: `name.cluster-xyz.region.rds.amazonaws.com` is
/// the cluster `name`; `name.xyz.region.rds.amazonaws.com` the instance `name`.
pub fn rds_source(host: &str) -> Option<(&'static str, String)> {
    let host = host.to_ascii_lowercase();
    if !host.ends_with(".rds.amazonaws.com") {
        return None;
    }
    let mut labels = host.split('.');
    let name = labels.next()?.to_string();
    let second = labels.next()?;
    // `cluster-` (writer) and `cluster-ro-` (reader) endpoints both name the cluster.
    if second.starts_with("cluster-") {
        Some(("rds-cluster", name))
    } else {
        Some(("rds-instance", name))
    }
}

fn warn(findings: &mut Vec<Finding>, m: String) {
    findings.push(Finding {
        severity: "warning",
        message: m,
    });
}

fn blocker(findings: &mut Vec<Finding>, m: String) {
    findings.push(Finding {
        severity: "blocker",
        message: m,
    });
}

/// The CDN base without a trailing `content/`: what `urls.image` must be set to.
fn bare_base(cdn_url: &str, prefix: &str) -> Option<String> {
    if prefix != "content/" {
        return None;
    }
    let u = cdn_url.trim_end_matches('/');
    u.strip_suffix("/content").map(str::to_string)
}

pub fn choose(f: &Facts, i: &Inputs) -> Result<Chosen> {
    let mut reasons = Vec::new();
    let mut findings = Vec::new();
    let site = f.site_url.clone().ok_or_else(|| {
        Error::usage(
            "the site URL is unknown: the plan cannot tell the site's own URLs from others",
            "pass --site-url https://blog.example.com, or --ghost-config with Ghost's `url`",
        )
    })?;
    let cdn = if i.cdn_url.ends_with('/') {
        i.cdn_url.clone()
    } else {
        format!("{}/", i.cdn_url)
    };
    let version = f.ghost_version.as_deref().and_then(version_of);
    match &f.ghost_version {
        Some(v) => reasons.push(format!("Ghost {v} (migrations.currentVersion).")),
        None => warn(
            &mut findings,
            "the Ghost version could not be read (no migrations table): treated as older than 6.65"
                .into(),
        ),
    }

    // Strategy.
    let can_urls = version.is_some_and(|v| v >= URLS_IMAGE_SINCE);
    let bare = bare_base(&cdn, &i.prefix);
    let strategy = match i.strategy.as_deref() {
        Some(s) if !STRATEGIES.contains(&s) => {
            return Err(Error::usage(
                format!("--strategy {s:?} is unknown"),
                "use cdn-absolute or ghost-urls",
            ));
        }
        Some("ghost-urls") => {
            if bare.is_none() {
                return Err(Error::usage(
                    format!(
                        "--strategy ghost-urls needs the bucket prefix \"content/\" and a --cdn-url ending in /content/ (Ghost expands __GHOST_URL__/content/images/x to <urls.image>/content/images/x); got prefix {:?} and {cdn}",
                        i.prefix
                    ),
                    "sync under --prefix content/ and serve it at https://cdn.example.com/content/, or use --strategy cdn-absolute",
                ));
            }
            if !can_urls {
                warn(
                    &mut findings,
                    format!(
                        "--strategy ghost-urls was asked for, but Ghost {} is older than 6.65, the first version verified to read urls.image: images will break unless this Ghost reads it",
                        f.ghost_version.as_deref().unwrap_or("(unknown)")
                    ),
                );
            }
            "ghost-urls"
        }
        Some(_) => "cdn-absolute",
        None if can_urls && bare.is_some() => {
            reasons.push(
                "Ghost 6.65+ reads urls.image|media|files: stored values stay portable (__GHOST_URL__/content/...) and Ghost serves them from the CDN; the values Ghost stored absolute are normalised to that form.".into(),
            );
            "ghost-urls"
        }
        None => {
            if can_urls {
                reasons.push(format!(
                    "Ghost reads urls.image, but the bucket prefix {:?} / CDN URL {cdn} cannot be expressed as urls.image (it needs content/ at the CDN's root path): rewriting to absolute CDN URLs instead.",
                    i.prefix
                ));
            } else {
                reasons.push(
                    "Ghost older than 6.65 cannot serve __GHOST_URL__ values from a CDN: every stored form of the site's content URLs is rewritten to the CDN's absolute URLs.".into(),
                );
            }
            "cdn-absolute"
        }
    };
    let site_content = format!("{}/content/", site.trim_end_matches('/'));
    let (pass, snippet) = if strategy == "ghost-urls" {
        let b = bare.clone().expect("checked above");
        let snippet = format!(
            "{{\"urls\": {{\"image\": \"{b}\", \"media\": \"{b}\", \"files\": \"{b}\"}}}}  (or env urls__image={b} urls__media={b} urls__files={b})"
        );
        reasons.push(format!(
            "Ghost must run with urls.image|media|files = {b} (the bare base, not .../content/images) before the restart step: set it in config.production.json or the task definition's environment."
        ));
        (
            RewritePass {
                from: site_content.clone(),
                to: "__GHOST_URL__/content/".into(),
                ghost_url_base: Some(b),
            },
            Some(snippet),
        )
    } else {
        (
            RewritePass {
                from: site_content.clone(),
                to: cdn.clone(),
                ghost_url_base: None,
            },
            None,
        )
    };
    if let Some((k, b)) = f.asset_urls.first()
        && strategy == "cdn-absolute"
    {
        warn(
            &mut findings,
            format!(
                "the config sets urls.{} = {b}, but the plan rewrites to absolute CDN URLs: remove urls.* from the config, or plan with --strategy ghost-urls",
                if k == "images" { "image" } else { k.as_str() }
            ),
        );
    }
    if let (Some((_, b)), Some(bare)) = (f.asset_urls.first(), &bare)
        && strategy == "ghost-urls"
        && b.trim_end_matches('/') != bare
    {
        warn(
            &mut findings,
            format!(
                "the config's urls.image is {b}, the plan needs {bare}: change it before the restart step"
            ),
        );
    }

    // Snapshot.
    let (mode, id) = match (&i.snapshot_mode, &i.snapshot_id) {
        (Some(m), id) => (m.clone(), id.clone()),
        (None, _) if f.engine_sqlite => ("sqlite".to_string(), None),
        (None, Some(id)) => ("rds-cluster".to_string(), Some(id.clone())),
        (None, None) => match f.db_host.as_deref().and_then(rds_source) {
            Some((m, id)) => {
                reasons.push(format!(
                    "The database host is an RDS endpoint: snapshot of the {} {id}.",
                    if m == "rds-cluster" {
                        "Aurora cluster"
                    } else {
                        "RDS instance"
                    }
                ));
                (m.to_string(), Some(id))
            }
            None => {
                return Err(Error::usage(
                    format!(
                        "the MySQL host {} is not an RDS/Aurora endpoint, so the plan cannot choose what to snapshot",
                        f.db_host.as_deref().unwrap_or("(unknown)")
                    ),
                    "pass --snapshot rds-cluster --snapshot-id CLUSTER (or rds-instance), or --snapshot skip once you hold a backup of your own",
                ));
            }
        },
    };
    if !SNAPSHOT_MODES.contains(&mode.as_str()) {
        return Err(Error::usage(
            format!("--snapshot {mode:?} is unknown"),
            "use sqlite, rds-cluster, rds-instance or skip",
        ));
    }

    // Storage adapter and bucket.
    if let Some(s) = &f.storage {
        let adapter_prefix = s.path_prefix.clone().unwrap_or_default();
        let same_bucket = s.bucket.as_deref() == Some(i.bucket.as_str());
        if s.active.to_ascii_lowercase().contains("s3") {
            if same_bucket && !adapter_prefix.is_empty() && !i.prefix.starts_with(&adapter_prefix) {
                warn(
                    &mut findings,
                    format!(
                        "the storage adapter {:?} writes new uploads under {adapter_prefix:?} in bucket {}, the plan syncs under {:?}: two layouts in one bucket; new uploads keep the adapter's URLs ({}), which this plan does not rewrite",
                        s.active,
                        i.bucket,
                        i.prefix,
                        s.asset_host.as_deref().unwrap_or("its default host")
                    ),
                );
            } else {
                warn(
                    &mut findings,
                    format!(
                        "Ghost already uses the storage adapter {:?}{}: images it uploaded live in the bucket, not in the content directory, and keep its URLs",
                        s.active,
                        s.bucket
                            .as_deref()
                            .map(|b| format!(" (bucket {b})"))
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
    if let Some(e) = &f.bucket_error {
        blocker(&mut findings, format!("bucket {}: {e}", i.bucket));
    }
    if let (Some(n), Some(local)) = (f.bucket_objects, f.local_files) {
        reasons.push(format!(
            "The bucket holds {n} object(s) under {:?}; the content directory {local} file(s): sync uploads what is missing or different.",
            i.prefix
        ));
    }
    if f.content_dir.is_none() {
        blocker(
            &mut findings,
            "the content directory is unknown: pass --content-dir (or --ghost-config with paths.contentPath)".into(),
        );
    }

    // What the scan found.
    for (h, n) in &f.other_hosts {
        warn(
            &mut findings,
            format!(
                "{n} URL(s) under https://{h}/content/ (another host than the site): not in the plan. If that host served this site, add a pass: [[rewrite.pass]] from = \"https://{h}/content/\" to = \"{}\"",
                pass.to
            ),
        );
    }
    if f.http_on_https > 0 {
        warn(
            &mut findings,
            format!(
                "{} http:// URL(s) of the https site: rewritten too (the rewrite matches both schemes)",
                f.http_on_https
            ),
        );
    }
    if f.variants_absent > 0 {
        reasons.push(format!(
            "{} size/ variant(s) are referenced but absent from the content directory: sync makes them (variants = true{}).",
            f.variants_absent,
            if i.variants_from.is_some() {
                ", from the running Ghost"
            } else {
                ", resized locally"
            }
        ));
    }
    if f.on_cdn > 0 {
        reasons.push(format!(
            "{} URL(s) already point at the CDN: left as they are and verified.",
            f.on_cdn
        ));
    }
    if i.ecs_cluster.is_none() {
        reasons.push(
            "No --ecs-cluster/--ecs-service: the restart step shows the command and waits for you."
                .into(),
        );
    }
    if i.cloudfront_distribution_id.is_none() {
        reasons.push(
            "No --cloudfront-distribution-id: purge the cached pages of the site in your CDN yourself after the apply."
                .into(),
        );
    }
    if f.db_has_password {
        reasons.push(
            "The database URL holds a password: it is not written here; `run` takes it from GHOST_MIGRATE_DB."
                .into(),
        );
    }

    let plan = Plan {
        version: PLAN_VERSION,
        ghost: GhostPlan {
            version: f.ghost_version.clone(),
            config: i.config.clone(),
            db: if i.config.is_some() {
                None
            } else {
                f.db_for_plan.clone()
            },
            site_url: Some(site),
            content_dir: f.content_dir.clone(),
            strategy: strategy.into(),
            config_snippet: snippet,
        },
        aws: i.aws.clone(),
        snapshot: SnapshotPlan {
            mode,
            id,
            out: None,
        },
        sync: SyncPlan {
            bucket: i.bucket.clone(),
            prefix: i.prefix.clone(),
            dirs: crate::bucket::ROOTS.iter().map(|s| s.to_string()).collect(),
            variants: true,
            variants_from: i.variants_from.clone(),
            concurrency: 16,
            cache_control: None,
        },
        rewrite: RewritePlan {
            report: i.report.clone(),
            skip_unsafe: false,
            pass: vec![pass],
        },
        restart: RestartPlan {
            ecs_cluster: i.ecs_cluster.clone(),
            ecs_service: i.ecs_service.clone(),
            command: if i.ecs_cluster.is_none() {
                Some(
                    "ghost restart   (or: docker restart ghost / systemctl restart ghost_<site>)"
                        .into(),
                )
            } else {
                None
            },
        },
        cdn: CdnPlan {
            url: cdn,
            cloudfront_distribution_id: i.cloudfront_distribution_id.clone(),
        },
        verify: VerifyPlan::default(),
    };
    plan.check(Path::new("the plan"))?;
    Ok(Chosen {
        plan,
        reasons,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(v: &str) -> Facts {
        Facts {
            ghost_version: Some(v.into()),
            engine_sqlite: true,
            site_url: Some("https://blog.example.com".into()),
            site_host: Some("blog.example.com".into()),
            content_dir: Some("/var/lib/ghost/content".into()),
            ..Facts::default()
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            bucket: "my-bucket".into(),
            prefix: "content/".into(),
            cdn_url: "https://cdn.example.com/content/".into(),
            report: "report.html".into(),
            ..Inputs::default()
        }
    }

    #[test]
    fn ghost_5_gets_absolute_cdn_urls() {
        let c = choose(&facts("5.130"), &inputs()).unwrap();
        assert_eq!(c.plan.ghost.strategy, "cdn-absolute");
        assert_eq!(
            c.plan.rewrite.pass[0].from,
            "https://blog.example.com/content/"
        );
        assert_eq!(
            c.plan.rewrite.pass[0].to,
            "https://cdn.example.com/content/"
        );
        assert_eq!(c.plan.snapshot.mode, "sqlite");
        assert!(c.findings.is_empty(), "{:?}", c.findings);
    }

    #[test]
    fn ghost_6_65_keeps_portable_urls_with_the_bare_base() {
        let c = choose(&facts("6.65"), &inputs()).unwrap();
        assert_eq!(c.plan.ghost.strategy, "ghost-urls");
        let p = &c.plan.rewrite.pass[0];
        assert_eq!(p.to, "__GHOST_URL__/content/");
        assert_eq!(p.ghost_url_base.as_deref(), Some("https://cdn.example.com"));
        let snippet = c.plan.ghost.config_snippet.unwrap();
        assert!(
            snippet.contains("\"image\": \"https://cdn.example.com\""),
            "{snippet}"
        );
        assert!(!snippet.contains("cdn.example.com/content"), "{snippet}");
        // 6.0 does not read urls.image.
        let c = choose(&facts("6.0"), &inputs()).unwrap();
        assert_eq!(c.plan.ghost.strategy, "cdn-absolute");
        // A prefix urls.image cannot express falls back, and says why.
        let mut i = inputs();
        i.prefix = "blog/".into();
        i.cdn_url = "https://cdn.example.com/blog/".into();
        let c = choose(&facts("6.65"), &i).unwrap();
        assert_eq!(c.plan.ghost.strategy, "cdn-absolute");
        assert!(c.reasons.iter().any(|r| r.contains("cannot be expressed")));
        i.strategy = Some("ghost-urls".into());
        assert!(choose(&facts("6.65"), &i).is_err());
    }

    #[test]
    fn rds_endpoints_name_their_snapshot_source() {
        assert_eq!(
            rds_source("ghost.cluster-abc123.eu-west-1.rds.amazonaws.com"),
            Some(("rds-cluster", "ghost".into()))
        );
        assert_eq!(
            rds_source("ghostdb.abc123.eu-west-1.rds.amazonaws.com"),
            Some(("rds-instance", "ghostdb".into()))
        );
        assert_eq!(rds_source("db.internal"), None);
        let mut f = facts("5.130");
        f.engine_sqlite = false;
        f.db_host = Some("db.internal".into());
        let e = choose(&f, &inputs()).unwrap_err();
        assert!(e.to_string().contains("not an RDS/Aurora endpoint"), "{e}");
        let mut i = inputs();
        i.snapshot_mode = Some("skip".into());
        assert_eq!(choose(&f, &i).unwrap().plan.snapshot.mode, "skip");
    }

    #[test]
    fn findings_name_other_hosts_and_adapters() {
        let mut f = facts("5.130");
        f.other_hosts = vec![("old.example.com".into(), 4)];
        f.storage = Some(Storage {
            active: "s3".into(),
            bucket: Some("my-bucket".into()),
            path_prefix: Some("uploads/".into()),
            asset_host: Some("https://assets.example.com".into()),
        });
        let c = choose(&f, &inputs()).unwrap();
        let all: Vec<&str> = c.findings.iter().map(|x| x.message.as_str()).collect();
        assert!(all.iter().any(|m| m.contains("old.example.com")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("two layouts")), "{all:?}");
    }
}
