//! Reads Ghost's own `config.<env>.json` and applies Ghost's environment overrides
//! (`database__connection__host`, `url`, ...: nconf's `__` separator), as an ECS task would.

use crate::db::Target;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What ghost-migrate needs from Ghost's configuration.
#[derive(Debug, Clone)]
pub struct GhostConfig {
    pub target: Target,
    pub url: Option<String>,
    pub content_path: Option<PathBuf>,
    /// Ghost 6's CDN bases, `urls.image|media|files`: what `__GHOST_URL__/content/<root>/`
    /// expands to, as (root, base).
    pub asset_urls: Vec<(String, String)>,
    /// `storage.active` (a string, or `storage.active.images` style objects) and that
    /// adapter's settings object (`storage.<name>`), for `plan`'s adapter checks.
    pub storage: Option<(String, Value)>,
}

impl GhostConfig {
    /// The base `__GHOST_URL__` stands for in front of `path` (a `urls.*` CDN base for
    /// `/content/images|media|files/`), if the config sets one.
    pub fn asset_base(&self, path: &str) -> Option<&str> {
        self.asset_urls
            .iter()
            .find(|(root, _)| path.starts_with(&format!("/content/{root}/")))
            .map(|(_, b)| b.as_str())
    }
}

fn set_path(root: &mut Value, path: &[&str], v: Value) {
    let mut cur = root;
    for (i, key) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let obj = cur.as_object_mut().expect("made an object above");
        if i + 1 == path.len() {
            obj.insert(key.to_string(), v);
            return;
        }
        cur = obj
            .entry(key.to_string())
            .or_insert(Value::Object(Map::new()));
    }
}

/// Ghost's env overrides that matter here.
fn apply_env(cfg: &mut Value, env: &[(String, String)]) {
    for (k, v) in env {
        let lower = k.to_ascii_lowercase();
        let wanted = lower == "url"
            || lower.starts_with("database__")
            || lower.starts_with("paths__")
            || lower.starts_with("urls__")
            || lower.starts_with("storage__");
        if !wanted {
            continue;
        }
        let parts: Vec<&str> = k.split("__").collect();
        set_path(cfg, &parts, Value::String(v.clone()));
    }
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))?.as_str()
}

fn val_of<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

/// The config file as JSON, with Ghost's environment overrides applied.
fn read(path: &Path, env: &[(String, String)]) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(
            format!("cannot read Ghost config {}: {e}", path.display()),
            "point --ghost-config at Ghost's config.production.json",
        )
    })?;
    let mut cfg: Value = serde_json::from_str(&text).map_err(|e| {
        Error::usage(
            format!("Ghost config {} is not valid JSON: {e}", path.display()),
            "fix the file or pass --db instead",
        )
    })?;
    apply_env(&mut cfg, env);
    Ok(cfg)
}

/// `paths.contentPath`, relative to the config's folder unless absolute.
fn content_path(cfg: &Value, dir: &Path) -> Option<PathBuf> {
    str_of(cfg, &["paths", "contentPath"]).map(|p| {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    })
}

/// The part of Ghost's configuration about its content directory, read without looking at the
/// database section (which `sync-images` does not need, so it may be missing or broken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentConfig {
    /// `paths.contentPath` (or `paths__contentPath`), resolved against the config's folder.
    pub content_path: Option<PathBuf>,
}

/// This process's environment, for Ghost's overrides.
fn process_env() -> Vec<(String, String)> {
    std::env::vars().collect()
}

impl ContentConfig {
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with_env(path, &process_env())
    }

    pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Self> {
        let cfg = read(path, env)?;
        Ok(ContentConfig {
            content_path: content_path(&cfg, path.parent().unwrap_or(Path::new("."))),
        })
    }
}

impl GhostConfig {
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with_env(path, &process_env())
    }

    pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Self> {
        let cfg = read(path, env)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let client = str_of(&cfg, &["database", "client"]).unwrap_or("sqlite3");
        let target = match client {
            "sqlite3" | "sqlite" | "better-sqlite3" => {
                let f = str_of(&cfg, &["database", "connection", "filename"]).ok_or_else(|| {
                    Error::usage(
                        format!("{} has no database.connection.filename", path.display()),
                        "pass --db /path/to/ghost.db",
                    )
                })?;
                let p = Path::new(f);
                Target::Sqlite {
                    path: if p.is_absolute() {
                        p.to_path_buf()
                    } else {
                        dir.join(p)
                    },
                }
            }
            "mysql" | "mysql2" => {
                let conn = &["database", "connection"];
                let get = |k: &str| {
                    let mut p = conn.to_vec();
                    p.push(k);
                    val_of(&cfg, &p).and_then(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                };
                let host = get("host").unwrap_or_else(|| "127.0.0.1".into());
                let port = get("port").and_then(|p| p.parse().ok()).unwrap_or(3306);
                let user = get("user").unwrap_or_else(|| "root".into());
                // mysql2 sends no password for "" (`options.password || undefined`).
                let password = get("password").filter(|p| !p.is_empty());
                let database = get("database").ok_or_else(|| {
                    Error::usage(
                        format!("{} has no database.connection.database", path.display()),
                        "add it, or pass --db mysql://user:pass@host:3306/ghost",
                    )
                })?;
                let ssl = super::ssl::request(val_of(&cfg, &["database", "connection", "ssl"]))?;
                Target::mysql(&host, port, &user, password.as_deref(), &database, ssl)
            }
            other => {
                return Err(Error::usage(
                    format!("Ghost config database.client {other:?} is not supported"),
                    "ghost-migrate supports sqlite3 and mysql",
                ));
            }
        };
        Ok(GhostConfig {
            target,
            url: str_of(&cfg, &["url"]).map(str::to_string),
            content_path: content_path(&cfg, dir),
            asset_urls: [("image", "images"), ("media", "media"), ("files", "files")]
                .iter()
                .filter_map(|(key, root)| {
                    str_of(&cfg, &["urls", key]).map(|b| (root.to_string(), b.to_string()))
                })
                .collect(),
            storage: storage_of(&cfg),
        })
    }
}

/// `storage.active` and the adapter's settings: Ghost takes a string (one adapter for all) or
/// an object per feature (`{"images": "s3", "media": "s3"}`); the images adapter is the one
/// that matters here.
fn storage_of(cfg: &Value) -> Option<(String, Value)> {
    let active = val_of(cfg, &["storage", "active"])?;
    let name = match active {
        Value::String(s) => s.clone(),
        Value::Object(m) => m
            .get("images")
            .or_else(|| m.values().next())
            .and_then(|v| v.as_str())?
            .to_string(),
        _ => return None,
    };
    let settings = val_of(cfg, &["storage", &name])
        .cloned()
        .unwrap_or(Value::Null);
    Some((name, settings))
}
