//! The bucket layout shared by `sync-images`, `verify` and `scan`: one validated value
//! (`BucketLayout`: bucket name and key prefix) and the three mappings between a file under
//! Ghost's content directory (`images/2024/01/a.jpg`), its object key
//! (`<prefix>images/2024/01/a.jpg`) and the URLs that reference it (`/content/images/...` on the
//! site, `<cdn-url>images/...` on a CDN serving the prefix). Also the content roots Ghost
//! serves (`ROOTS`), the one content-directory resolver (`content.rs`) and the bucket listing
//! (`list.rs`). Pure string mappings here; no printing.

pub mod content;
pub mod list;
pub mod url;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub use content::{content_dir, optional_content_dir};
pub use list::{Remote, bucket_error, list};
pub use url::{CdnBase, percent_decode};

/// The folders of Ghost's content directory that hold uploads, and the path roots Ghost serves
/// them under (`/content/<root>/`).
pub const ROOTS: [&str; 3] = ["images", "media", "files"];

/// Where the content directory lives in a bucket: keys are `<prefix><path relative to the
/// content directory>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketLayout {
    /// A valid S3 bucket name.
    pub bucket: String,
    /// Normalised: no leading '/', ends with '/' unless empty.
    pub prefix: String,
}

impl BucketLayout {
    /// Validates the raw `--bucket` and `--prefix` values (bucket first, as the commands always
    /// did).
    pub fn new(bucket: &str, prefix: &str) -> Result<Self> {
        check_bucket(bucket)?;
        Ok(BucketLayout {
            bucket: bucket.to_string(),
            prefix: normalize_prefix(prefix)?,
        })
    }

    /// Local relative path (`images/2024/01/a.jpg`, '/' separators) -> object key.
    pub fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    /// Object key -> local relative path; `None` for a key outside the prefix.
    pub fn rel<'a>(&self, key: &'a str) -> Option<&'a str> {
        key.strip_prefix(self.prefix.as_str())
    }

    /// Object key -> the file under the content directory; `None` for a key outside the prefix.
    pub fn local_path(&self, content_dir: &Path, key: &str) -> Option<PathBuf> {
        self.rel(key).map(|rel| content_dir.join(rel))
    }

    /// The key prefix one content folder (`images`) is listed under: `<prefix>images/`.
    pub fn dir_prefix(&self, dir: &str) -> String {
        format!("{}{dir}/", self.prefix)
    }

    /// A site URL path (`/content/images/2024/a%20b.jpg`, still percent-encoded) -> object key
    /// (`<prefix>images/2024/a b.jpg`); `None` outside `/content/<root>/` or for the bare root.
    pub fn key_of_site_path(&self, path: &str) -> Option<String> {
        url::rel_of_site_path(path).map(|rel| self.key(&rel))
    }

    /// What follows a CDN base that serves the prefix (`images/a%20b.jpg`) -> object key;
    /// `None` when nothing follows.
    pub fn key_of_cdn_tail(&self, tail: &str) -> Option<String> {
        url::rel_of_cdn_tail(tail).map(|rel| self.key(&rel))
    }

    /// A CDN URL (`https://cdn.example.com/content/images/a.jpg`) -> object key; `None` when the
    /// URL is not under `cdn` or names nothing below it.
    pub fn key_of_cdn_url(&self, cdn: &CdnBase, url: &str) -> Option<String> {
        self.key_of_cdn_tail(cdn.tail(url)?)
    }
}

/// `content/` -> `content/`, `/x` -> `x/`, `` -> ``; refuses s3:// URLs and `..`.
pub fn normalize_prefix(p: &str) -> Result<String> {
    if p.contains("://") {
        return Err(Error::usage(
            format!("--prefix {p:?} looks like a URL"),
            "give the key prefix only, e.g. --prefix content/ (the bucket goes in --bucket)",
        ));
    }
    let t = p.trim_start_matches('/');
    if t.split('/').any(|s| s == "..") {
        return Err(Error::usage(
            format!("--prefix {p:?} contains '..'"),
            "give a plain key prefix such as content/",
        ));
    }
    Ok(if t.is_empty() || t.ends_with('/') {
        t.to_string()
    } else {
        format!("{t}/")
    })
}

/// Checks the bucket name by S3's rules before any call.
pub fn check_bucket(b: &str) -> Result<()> {
    let ok = (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && b.as_bytes()[0].is_ascii_alphanumeric()
        && b.as_bytes()[b.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::usage(
            format!("{b:?} is not a valid S3 bucket name"),
            "bucket names are 3-63 lowercase letters, digits, '-' or '.', e.g. --bucket my-ghost-images (no s3:// and no key)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;

    fn layout(prefix: &str) -> BucketLayout {
        BucketLayout::new("my-ghost-images", prefix).unwrap()
    }

    #[test]
    fn prefixes_are_normalised() {
        for (raw, want) in [
            ("content/", "content/"),
            ("content", "content/"),
            ("/content", "content/"),
            ("//a/b", "a/b/"),
            ("", ""),
            ("/", ""),
            ("a..b/", "a..b/"),
        ] {
            assert_eq!(layout(raw).prefix, want, "{raw:?}");
        }
    }

    #[test]
    fn bad_prefixes_are_usage_errors() {
        for raw in [
            "s3://b/content/",
            "https://x/",
            "../x",
            "a/../b",
            "a/..",
            "/..",
        ] {
            let e = BucketLayout::new("my-ghost-images", raw).unwrap_err();
            assert_eq!(e.exit_code(), exit::USAGE, "{raw:?}");
            assert!(e.to_string().contains("--prefix"), "{raw:?}: {e}");
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in [
            "abc",
            "my-ghost-images",
            "a.b.c",
            "0bucket9",
            &"a".repeat(63),
        ] {
            assert!(check_bucket(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "s3://bucket",
            "bucket/key",
            "-bucket",
            "bucket-",
            ".bucket",
            "bucket.",
            "buck_et",
            "buck et",
            "bücket",
        ] {
            let e = BucketLayout::new(bad, "content/").unwrap_err();
            assert_eq!(e.exit_code(), exit::USAGE, "{bad:?}");
            assert!(
                e.to_string().contains("not a valid S3 bucket name"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_bucket_is_checked_before_the_prefix() {
        let e = BucketLayout::new("Bad", "s3://x/").unwrap_err();
        assert!(e.to_string().contains("bucket name"), "{e}");
    }

    #[test]
    fn local_paths_and_keys_map_both_ways() {
        let l = layout("content/");
        assert_eq!(
            l.key("images/2024/01/a.jpg"),
            "content/images/2024/01/a.jpg"
        );
        assert_eq!(
            l.rel("content/images/2024/01/a.jpg"),
            Some("images/2024/01/a.jpg")
        );
        assert_eq!(l.rel("other/images/a.jpg"), None);
        assert_eq!(l.dir_prefix("media"), "content/media/");
        assert_eq!(
            l.local_path(Path::new("/var/lib/ghost/content"), "content/images/a.jpg"),
            Some(PathBuf::from("/var/lib/ghost/content/images/a.jpg"))
        );
        assert_eq!(l.local_path(Path::new("/c"), "elsewhere/a.jpg"), None);
        let bare = layout("");
        assert_eq!(bare.key("files/x.pdf"), "files/x.pdf");
        assert_eq!(bare.rel("files/x.pdf"), Some("files/x.pdf"));
        assert_eq!(bare.dir_prefix("images"), "images/");
        for rel in [
            "images/a b+c%.jpg",
            "media/été.mp4",
            "images/size/w600/x.png",
        ] {
            assert_eq!(l.rel(&l.key(rel)), Some(rel));
        }
    }

    #[test]
    fn site_paths_map_to_keys() {
        let l = layout("content/");
        assert_eq!(
            l.key_of_site_path("/content/images/2024/a%20b.jpg")
                .as_deref(),
            Some("content/images/2024/a b.jpg")
        );
        assert_eq!(
            l.key_of_site_path("/content/media/v.mp4").as_deref(),
            Some("content/media/v.mp4")
        );
        assert_eq!(
            l.key_of_site_path("/content/files/%C3%A9t%C3%A9.pdf")
                .as_deref(),
            Some("content/files/été.pdf")
        );
        for bad in [
            "/content/images/",
            "/content/themes/a.css",
            "/content/imagesx/a.jpg",
            "/content/images",
            "content/images/a.jpg",
            "/blog/content/images/a.jpg",
            "",
        ] {
            assert_eq!(l.key_of_site_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cdn_tails_and_urls_map_to_keys() {
        let l = layout("content/");
        assert_eq!(
            l.key_of_cdn_tail("images/a%20b.jpg").as_deref(),
            Some("content/images/a b.jpg")
        );
        assert_eq!(l.key_of_cdn_tail(""), None);
        let cdn = CdnBase::new("https://cdn.example.com/content/", "/content/");
        assert_eq!(
            l.key_of_cdn_url(&cdn, "https://cdn.example.com/content/images/2024/a.jpg")
                .as_deref(),
            Some("content/images/2024/a.jpg")
        );
        assert_eq!(
            l.key_of_cdn_url(&cdn, "https://cdn.example.com/content/"),
            None
        );
        assert_eq!(
            l.key_of_cdn_url(&cdn, "https://other.example.com/content/images/a.jpg"),
            None
        );
    }
}
