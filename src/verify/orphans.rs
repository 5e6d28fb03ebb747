//! `verify --orphans`: bucket objects and local files that nothing in the database references.
//! Read-only: it names them, it never deletes. A file counts as used when a stored URL names it,
//! and also when it belongs to a used image: its unoptimised `_o` original (Ghost resizes from
//! it), and any `size/` or `format/` variant of it (themes and emails ask for sizes no stored
//! URL names). Pure: sets of paths in, lists out.

use crate::variants::Variant;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Orphans {
    /// Object keys nothing references.
    pub bucket: Vec<String>,
    pub bucket_bytes: u64,
    /// Files under the content directory nothing references (paths below it).
    pub local: Vec<String>,
    pub local_bytes: u64,
}

/// `images/a_o.jpg` -> `images/a.jpg`; `images/a_o-2.jpg` (Ghost's older de-duplicated name)
/// -> `images/a-2.jpg`; None when the name has no `_o` before its extension.
fn optimised_of(rel: &str) -> Option<String> {
    let slash = rel.rfind('/').map_or(0, |i| i + 1);
    let name = &rel[slash..];
    let dot = name.rfind('.').filter(|d| *d > 0)?;
    let (stem, ext) = name.split_at(dot);
    if let Some(s) = stem.strip_suffix("_o") {
        return Some(format!("{}{s}{ext}", &rel[..slash]));
    }
    // name_o-2.jpg -> name-2.jpg
    let dash = stem.rfind("_o-")?;
    let n = &stem[dash + 3..];
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}{}-{n}{ext}", &rel[..slash], &stem[..dash]))
}

/// Whether `rel` (a path below the content directory) is used, given the referenced paths.
pub fn used(rel: &str, referenced: &BTreeSet<String>) -> bool {
    if referenced.contains(rel) {
        return true;
    }
    if let Some(v) = Variant::parse(rel) {
        return used(&v.original, referenced);
    }
    optimised_of(rel).is_some_and(|o| used(&o, referenced))
}

/// The unused ones of `candidates` (path, bytes).
pub fn unused<'a>(
    candidates: impl IntoIterator<Item = (&'a str, u64)>,
    referenced: &BTreeSet<String>,
) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    let mut bytes = 0;
    for (rel, size) in candidates {
        if !used(rel, referenced) {
            out.push(rel.to_string());
            bytes += size;
        }
    }
    (out, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originals_and_variants_of_used_images_are_used() {
        let r: BTreeSet<String> = ["images/2024/a.jpg", "images/2024/b-2.png", "media/v.mp4"]
            .into_iter()
            .map(String::from)
            .collect();
        for u in [
            "images/2024/a.jpg",
            "images/2024/a_o.jpg",
            "images/size/w600/2024/a.jpg",
            "images/size/w300/format/webp/2024/a.jpg",
            "images/2024/b_o-2.png",
            "images/size/w600/2024/b-2.png",
            "media/v.mp4",
        ] {
            assert!(used(u, &r), "{u}");
        }
        for o in [
            "images/2024/c.jpg",
            "images/2024/c_o.jpg",
            "images/size/w600/2024/c.jpg",
            "images/2024/a_o.png",
            "images/2024/a.jpeg",
            "media/v_thumb.jpg",
            "files/x.pdf",
        ] {
            assert!(!used(o, &r), "{o}");
        }
        let (list, bytes) = unused([("images/2024/a.jpg", 5), ("files/x.pdf", 7)], &r);
        assert_eq!((list, bytes), (vec!["files/x.pdf".to_string()], 7));
    }
}
