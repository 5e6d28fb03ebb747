//! `--db`, `--ghost-config`, `--site-url`, `--connect-timeout`, `--iam-auth`: which database,
//! which site. Shared by every command that reads Ghost's database.

use crate::aws;
use crate::cli::DbArgs;
use crate::db::{self, Target};
use crate::error::{Error, Result};
use crate::ghost::config::GhostConfig;
use crate::output::Output;
use crate::url::Site;
use std::path::PathBuf;
use std::time::Duration;

/// The database flags, checked.
#[derive(Debug, Clone)]
pub struct DbRequest {
    pub db: Option<String>,
    pub ghost_config: Option<PathBuf>,
    /// `--site-url`, parsed.
    pub site: Option<Site>,
    pub connect_timeout: Duration,
    pub iam_auth: bool,
}

impl DbRequest {
    pub fn from_args(a: &DbArgs) -> Result<Self> {
        Ok(DbRequest {
            db: a.db.clone(),
            ghost_config: a.ghost_config.clone(),
            site: a.site_url.as_deref().map(Site::parse).transpose()?,
            connect_timeout: Duration::from_secs(a.connect_timeout),
            iam_auth: a.iam_auth,
        })
    }

    /// Whether a database was named at all.
    pub fn given(&self) -> bool {
        self.db.is_some() || self.ghost_config.is_some()
    }

    /// The Ghost config, when `--ghost-config` names one.
    pub fn config(&self) -> Result<Option<GhostConfig>> {
        self.ghost_config
            .as_deref()
            .map(GhostConfig::load)
            .transpose()
    }

    /// Where the database is and what the site URL is; loads AWS credentials for IAM
    /// authentication and warns where TLS was lowered.
    pub async fn resolve(
        &self,
        aws: Option<&aws::Settings>,
        out: &Output,
    ) -> Result<(Target, Option<Site>)> {
        self.resolve_with_config(aws, out)
            .await
            .map(|(t, s, _)| (t, s))
    }

    /// `resolve`, also returning the Ghost config it read (read once).
    pub async fn resolve_with_config(
        &self,
        aws: Option<&aws::Settings>,
        out: &Output,
    ) -> Result<(Target, Option<Site>, Option<GhostConfig>)> {
        let cfg = self.config()?;
        let target = match (&self.db, &cfg) {
            (Some(db), _) => Target::parse(db)?,
            (None, Some(c)) => c.target.clone(),
            (None, None) => {
                return Err(Error::usage(
                    "no database given",
                    "pass --db PATH|mysql://user:pass@host/db, set GHOST_MIGRATE_DB, or pass --ghost-config config.production.json",
                ));
            }
        };
        let target = if self.iam_auth || target.wants_iam() {
            with_iam(target, aws, out).await?
        } else {
            target
        };
        for w in target.warnings() {
            out.warn(&w);
        }
        restore_journal_mode(&target, self.connect_timeout, out).await;
        let site = match &self.site {
            Some(s) => Some(s.clone()),
            None => cfg
                .as_ref()
                .and_then(|c| c.url.as_deref())
                .map(Site::parse)
                .transpose()?,
        };
        Ok((target, site, cfg))
    }
}

/// SQLite: before a command does anything else with the database, puts back the journal mode
/// an apply recorded and could not restore (it was killed while the file was in WAL mode, or
/// another connection held the file). Best effort: a database that cannot be restored now
/// (read-only, held by Ghost) is a warning, and the next command tries again.
pub async fn restore_journal_mode(target: &Target, timeout: std::time::Duration, out: &Output) {
    let Target::Sqlite { path } = target else {
        return;
    };
    if !path.is_file() {
        return;
    }
    let restored = async {
        let mut conn = target.connect(timeout).await?;
        let r = crate::journal::mode::restore(&mut conn).await;
        let _ = conn.close().await;
        r
    };
    match restored.await {
        Ok(Some(mode)) => out.notice(&format!(
            "{}: an earlier ghost-migrate apply ended while the database was in WAL mode; its journal mode is {mode} again",
            target.display()
        )),
        Ok(None) => {}
        Err(e) => out.warn(&e.to_string()),
    }
}

/// Switches a MySQL target to RDS IAM authentication over the standard AWS chain; the region
/// is the endpoint's own unless --region says otherwise.
async fn with_iam(target: Target, aws: Option<&aws::Settings>, out: &Output) -> Result<Target> {
    let (host, has_password) = match &target {
        Target::Mysql { opts, display, .. } => {
            (opts.get_host().to_string(), display.contains(":***@"))
        }
        Target::Sqlite { .. } => {
            return Err(Error::usage(
                "--iam-auth is for MySQL on RDS/Aurora; this is a SQLite database",
                "drop --iam-auth",
            ));
        }
    };
    let mut settings = aws.cloned().unwrap_or_default();
    if settings.region.is_none() {
        settings.region = db::tls::rds_region(&host);
    }
    let loaded = aws::Aws::load(&settings).await?;
    let Some(credentials) = loaded.config.credentials_provider() else {
        return Err(Error::usage(
            "no AWS credentials for the IAM auth token",
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a task/instance role",
        ));
    };
    if has_password {
        out.notice("IAM authentication: the configured password is not used, a token is");
    }
    let auth = db::iam::IamAuth {
        region: loaded.region(),
        credentials,
    };
    Ok(target.with_iam(auth)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(site: Option<&str>) -> DbArgs {
        DbArgs {
            db: Some("ghost.db".into()),
            ghost_config: None,
            site_url: site.map(str::to_string),
            connect_timeout: 10,
            iam_auth: false,
        }
    }

    #[test]
    fn site_url_is_checked_before_anything_is_read() {
        assert!(DbRequest::from_args(&args(Some("https://blog.example.com"))).is_ok());
        for bad in ["", "blog.example.com", "ftp://blog.example.com", "https://"] {
            let e = DbRequest::from_args(&args(Some(bad))).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{bad:?}");
        }
        let r = DbRequest::from_args(&args(None)).unwrap();
        assert!(r.given() && r.site.is_none());
        assert_eq!(r.connect_timeout, Duration::from_secs(10));
    }
}
