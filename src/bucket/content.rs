//! The one resolver of Ghost's content directory, the local side of the bucket layout:
//! `--content-dir`, else `paths.contentPath` of the Ghost config (read by the content-only
//! loader, so a database section that is missing or broken does not matter), else
//! `<config dir>/content`; without either flag, `./content` for `sync-images` and nothing for
//! `verify`. A content directory is a directory holding `images/`.
//!
//! It lives here rather than in `ghost/` because the fallbacks and the `images/` check are the
//! bucket commands' policy; `ghost/` only reports what Ghost's config says.

use crate::error::{Error, Result};
use crate::ghost::config::ContentConfig;
use std::path::{Path, PathBuf};

/// The directory the config names, or `<config dir>/content`.
fn from_config(config: &Path) -> Result<PathBuf> {
    Ok(ContentConfig::load(config)?
        .content_path
        .unwrap_or_else(|| config.parent().unwrap_or(Path::new(".")).join("content")))
}

/// Errors unless `dir` is a directory holding `images/`.
pub fn check(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::usage(
            format!("content directory {} does not exist", dir.display()),
            "pass --content-dir /var/lib/ghost/content (the folder holding images/), or --ghost-config",
        ));
    }
    if !dir.join("images").is_dir() {
        return Err(Error::usage(
            format!(
                "{} is not Ghost's content directory: it has no images/ folder",
                dir.display()
            ),
            "point --content-dir at the folder that holds images/, media/ and files/ (not at images/ itself)",
        ));
    }
    Ok(())
}

/// `sync-images`: Ghost's content directory: --content-dir, else paths.contentPath of the Ghost
/// config (else `<config dir>/content`), else ./content. It must be a directory holding
/// `images/`.
pub fn content_dir(arg: Option<&Path>, ghost_config: Option<&Path>) -> Result<PathBuf> {
    let dir = match (arg, ghost_config) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(c)) => from_config(c)?,
        (None, None) => PathBuf::from("content"),
    };
    check(&dir)?;
    Ok(dir)
}

/// `verify`, which only uses the content directory to tell a missing object whose file still
/// exists locally: an explicit --content-dir is checked as strictly as `sync-images` does; one
/// derived from the Ghost config is used only when it passes the check (else `None`, not an
/// error); with neither flag there is none (./content is not guessed).
pub fn optional_content_dir(
    arg: Option<&Path>,
    ghost_config: Option<&Path>,
) -> Result<Option<PathBuf>> {
    match (arg, ghost_config) {
        (Some(d), _) => content_dir(Some(d), None).map(Some),
        (None, Some(c)) => {
            let dir = from_config(c)?;
            Ok(check(&dir).is_ok().then_some(dir))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;

    fn content_tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("content/images")).unwrap();
        t
    }

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn an_explicit_dir_wins_and_is_checked() {
        let t = content_tree();
        let c = t.path().join("content");
        assert_eq!(content_dir(Some(&c), None).unwrap(), c);
        assert_eq!(
            optional_content_dir(Some(&c), None).unwrap(),
            Some(c.clone())
        );
        for (bad, msg) in [
            (t.path().join("nope"), "does not exist"),
            (t.path().to_path_buf(), "no images/ folder"),
            (c.join("images"), "no images/ folder"),
        ] {
            for e in [
                content_dir(Some(&bad), None).unwrap_err(),
                optional_content_dir(Some(&bad), None).unwrap_err(),
            ] {
                assert_eq!(e.exit_code(), exit::USAGE);
                assert!(e.to_string().contains(msg), "{bad:?}: {e}");
            }
        }
    }

    #[test]
    fn the_config_names_it_or_its_folder_holds_it() {
        let t = content_tree();
        let cfg = t.path().join("config.production.json");
        write(&cfg, r#"{"url": "https://blog.example.com"}"#);
        let c = t.path().join("content");
        assert_eq!(content_dir(None, Some(&cfg)).unwrap(), c);
        assert_eq!(
            optional_content_dir(None, Some(&cfg)).unwrap(),
            Some(c.clone())
        );

        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir(other.path().join("images")).unwrap();
        let abs = other.path().display().to_string();
        write(&cfg, &format!(r#"{{"paths": {{"contentPath": {abs:?}}}}}"#));
        assert_eq!(content_dir(None, Some(&cfg)).unwrap(), other.path());
        write(&cfg, r#"{"paths": {"contentPath": "content"}}"#);
        assert_eq!(content_dir(None, Some(&cfg)).unwrap(), c);
    }

    #[test]
    fn a_garbage_database_section_does_not_matter() {
        let t = content_tree();
        let cfg = t.path().join("config.production.json");
        for db in [
            r#""database": {"client": "oracle"}"#,
            r#""database": {"client": "mysql", "connection": {"host": "h"}}"#,
            r#""database": {"client": "sqlite3"}"#,
            r#""database": {"client": "mysql", "connection": {"database": "g", "ssl": 42}}"#,
            r#""database": "garbage""#,
            r#""database": null"#,
        ] {
            write(
                &cfg,
                &format!(r#"{{{db}, "paths": {{"contentPath": "content"}}}}"#),
            );
            assert!(
                crate::ghost::config::GhostConfig::load_with_env(&cfg, &[]).is_err(),
                "{db}: the full loader refuses it"
            );
            assert_eq!(
                content_dir(None, Some(&cfg)).unwrap(),
                t.path().join("content"),
                "{db}"
            );
        }
        // Ghost's environment overrides apply to the content-only loader too.
        let env = [(
            "paths__contentPath".to_string(),
            "/srv/ghost/content".to_string(),
        )];
        assert_eq!(
            ContentConfig::load_with_env(&cfg, &env)
                .unwrap()
                .content_path,
            Some(PathBuf::from("/srv/ghost/content"))
        );
    }

    #[test]
    fn verify_tolerates_a_derived_dir_that_is_not_there() {
        let t = tempfile::tempdir().unwrap();
        let cfg = t.path().join("config.production.json");
        write(&cfg, "{}");
        assert_eq!(optional_content_dir(None, Some(&cfg)).unwrap(), None);
        assert!(content_dir(None, Some(&cfg)).is_err());
        write(
            &cfg,
            r#"{"paths": {"contentPath": "/nonexistent/content"}}"#,
        );
        assert_eq!(optional_content_dir(None, Some(&cfg)).unwrap(), None);
        assert_eq!(optional_content_dir(None, None).unwrap(), None);
    }

    #[test]
    fn an_unreadable_config_is_still_an_error() {
        let t = tempfile::tempdir().unwrap();
        let cfg = t.path().join("config.production.json");
        let e = content_dir(None, Some(&cfg)).unwrap_err();
        assert!(e.to_string().contains("cannot read Ghost config"), "{e}");
        write(&cfg, "{not json");
        for e in [
            content_dir(None, Some(&cfg)).unwrap_err(),
            optional_content_dir(None, Some(&cfg)).unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), exit::USAGE);
            assert!(e.to_string().contains("is not valid JSON"), "{e}");
        }
    }
}
