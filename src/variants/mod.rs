//! Responsive image variants (`images/size/w600/2024/01/a.jpg`, `.../size/w600/format/webp/...`):
//! which ones a visitor can request, and how Ghost would make a missing one. Ghost makes a
//! variant only when someone first asks its server for it, so a site's local `size/` tree is
//! always partial; behind a CDN nothing makes them. This module decides, purely:
//! - which variants are wanted: every `size/` path the content references, and each size the
//!   active theme declares (`config.image_sizes`) for every referenced image Ghost resizes;
//! - what Ghost's `handle-image-sizes` middleware would answer for one: a resized copy (width
//!   and/or height, aspect kept, centre crop for both, never enlarged, format converted), or
//!   the original (a size Ghost does not know, `.ico`, SVG, animated GIF, unknown formats);
//! - which file to resize from: the unoptimised `_o` original first, as Ghost does.
//!
//! `resize.rs` makes the bytes, `origin.rs` asks a running Ghost instead, `run.rs` does the I/O.

pub mod origin;
pub mod resize;
pub mod run;
pub mod theme;

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Ghost's `imageOptimization.contentImageSizes` (the srcset of content images).
pub const CONTENT_SIZES: [&str; 4] = ["w600", "w1000", "w1600", "w2400"];

/// Ghost's internal sizes (`imageOptimization.internalImageSizes`, 5.x and 6.x together): site
/// icons, email header and latest-posts images, signup form and CTA icons.
pub const INTERNAL_SIZES: [&str; 7] = [
    "w256h256",
    "w192h192",
    "w64h64",
    "w200h200",
    "w1200h960",
    "w1200",
    "w200",
];

/// The formats Ghost converts to (`canTransformToFormat`).
pub const FORMATS: [&str; 6] = ["gif", "jpeg", "jpg", "png", "webp", "avif"];

/// A requested dimension: `w600`, `h400`, `w600h400`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dim {
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl Dim {
    /// `w600` -> width 600; `w600h400`; `h400`. Anything else (`w0`, `600`, `wabc`) is None.
    pub fn parse(token: &str) -> Option<Dim> {
        fn num(s: &str) -> Option<(u32, &str)> {
            let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let n: u32 = s[..end].parse().ok()?;
            (n > 0 && !s[..end].starts_with('0')).then_some((n, &s[end..]))
        }
        let mut rest = token;
        let mut width = None;
        let mut height = None;
        if let Some(r) = rest.strip_prefix('w') {
            let (n, r) = num(r)?;
            width = Some(n);
            rest = r;
        }
        if let Some(r) = rest.strip_prefix('h') {
            let (n, r) = num(r)?;
            height = Some(n);
            rest = r;
        }
        (rest.is_empty() && (width.is_some() || height.is_some())).then_some(Dim { width, height })
    }

    pub fn token(&self) -> String {
        let w = self.width.map(|w| format!("w{w}")).unwrap_or_default();
        let h = self.height.map(|h| format!("h{h}")).unwrap_or_default();
        format!("{w}{h}")
    }
}

/// One variant path below the content directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `images/size/w600/format/webp/2024/01/a.jpg`
    pub rel: String,
    /// `w600`, as written in the path.
    pub token: String,
    pub format: Option<String>,
    /// `images/2024/01/a.jpg`
    pub original: String,
}

impl Variant {
    /// Parses `images/size/<dim>/[format/<fmt>/]<path>`; None for anything else (a bare
    /// `size/` folder, a trailing '/', no extension: Ghost passes those through).
    pub fn parse(rel: &str) -> Option<Variant> {
        let rest = rel.strip_prefix("images/size/")?;
        let (token, mut path) = rest.split_once('/')?;
        let mut format = None;
        if let Some(r) = path.strip_prefix("format/")
            && let Some((f, p)) = r.split_once('/')
            && !f.is_empty()
            && !f.contains('.')
        {
            format = Some(f.to_string());
            path = p;
        }
        if token.is_empty() || path.is_empty() || path.ends_with('/') || extension(path).is_none() {
            return None;
        }
        Some(Variant {
            rel: rel.to_string(),
            token: token.to_string(),
            format,
            original: format!("images/{path}"),
        })
    }

    /// The variant of `original` (`images/...`) at `token`.
    pub fn of(original: &str, token: &str) -> Option<Variant> {
        let path = original.strip_prefix("images/")?;
        Variant::parse(&format!("images/size/{token}/{path}"))
    }

    /// The lowercase extension with its dot (`.jpg`), as Ghost's `path.parse(url).ext`.
    pub fn ext(&self) -> String {
        extension(&self.rel).unwrap_or_default()
    }

    /// Where Ghost reads the original from: the unoptimised `name_o.ext` first, then the
    /// plain name (`getOriginalImagePath`).
    pub fn original_candidates(&self) -> [String; 2] {
        let o = &self.original;
        let dot = o.rfind('.').filter(|d| *d > o.rfind('/').unwrap_or(0));
        let unoptimised = match dot {
            Some(d) => format!("{}_o{}", &o[..d], &o[d..]),
            None => format!("{o}_o"),
        };
        [unoptimised, o.clone()]
    }
}

/// `.jpg` from `a/b.JPG`; None without an extension.
fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let dot = name.rfind('.').filter(|d| *d > 0)?;
    Some(name[dot..].to_ascii_lowercase())
}

/// The sizes Ghost knows: content, internal, and the active theme's.
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    /// The theme's `image_sizes`, as tokens (`w300`), in the package's order.
    pub theme: Vec<String>,
}

impl Sizes {
    /// Whether Ghost resizes to `token` (else it redirects to the original).
    pub fn known(&self, token: &str) -> bool {
        Dim::parse(token).is_some()
            && (CONTENT_SIZES.contains(&token)
                || INTERNAL_SIZES.contains(&token)
                || self.theme.iter().any(|t| t == token))
    }
}

/// What Ghost serves at a variant's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A resized (and maybe converted) copy of the original.
    Resize { dim: Dim, format: Option<String> },
    /// The original's bytes: Ghost redirects there, a CDN has no such redirect, so the same
    /// bytes are stored at the variant's key.
    Original(&'static str),
    /// Ghost would convert, but this build cannot (AVIF, rasterising SVG): use
    /// `--variants-from` a running Ghost.
    CannotLocally(&'static str),
}

/// What Ghost's `handle-image-sizes` does for this variant.
pub fn action(v: &Variant, sizes: &Sizes) -> Action {
    let ext = v.ext();
    if !sizes.known(&v.token) {
        return Action::Original("a size Ghost does not know: Ghost redirects it to the original");
    }
    if ext == ".ico" {
        return Action::Original("Ghost does not transform .ico files");
    }
    let dim = Dim::parse(&v.token).expect("known sizes parse");
    match v.format.as_deref() {
        Some(f) if !FORMATS.contains(&f) => {
            Action::Original("a format Ghost does not convert to: Ghost redirects to the original")
        }
        Some("avif") => Action::CannotLocally("AVIF encoding is not built into ghost-migrate"),
        Some(_) if ext == ".svg" || ext == ".svgz" => {
            Action::CannotLocally("rasterising SVG is not built into ghost-migrate")
        }
        Some(f) => Action::Resize {
            dim,
            format: Some(f.to_string()),
        },
        None if ext == ".svg" || ext == ".svgz" => {
            Action::Original("Ghost serves SVG files unresized")
        }
        None if ext == ".gif" => {
            Action::Original("GIFs are stored as they are (resizing here would drop the animation)")
        }
        None => Action::Resize { dim, format: None },
    }
}

/// Why a variant is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Why {
    /// A stored URL names it (srcset, email html, a card).
    Referenced,
    /// The active theme declares the size and the content references the image.
    ThemeSize,
    /// Ghost's own templates ask for it: the site icon at `w256h256` (the favicon link).
    Internal,
}

/// Extensions Ghost resizes (`shouldResizeFileExtension` and a format the theme helper sizes).
const RESIZED: [&str; 6] = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"];

/// Every variant wanted, by path below the content directory: the referenced `size/` paths,
/// and each theme size of every referenced image Ghost resizes.
pub fn wanted<'a>(
    referenced: impl IntoIterator<Item = &'a str>,
    sizes: &Sizes,
    internal: &[(String, &str)],
) -> BTreeMap<String, Why> {
    let mut out = BTreeMap::new();
    let mut originals = BTreeSet::new();
    for rel in referenced {
        if let Some(v) = Variant::parse(rel) {
            out.insert(v.rel, Why::Referenced);
        } else if rel.starts_with("images/")
            && !rel.starts_with("images/size/")
            && extension(rel).is_some_and(|e| RESIZED.contains(&e.as_str()))
        {
            originals.insert(rel);
        }
    }
    for o in originals {
        for t in &sizes.theme {
            if let Some(v) = Variant::of(o, t) {
                out.entry(v.rel).or_insert(Why::ThemeSize);
            }
        }
    }
    for (rel, token) in internal {
        if let Some(v) = Variant::of(rel, token) {
            out.entry(v.rel).or_insert(Why::Internal);
        }
    }
    out
}

/// Ghost renders the site icon as its `w256h256` variant (`<link rel="icon">`), the size
/// `internalImageSizes.icon` names.
pub const ICON_SIZE: &str = "w256h256";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_parse_like_ghosts_size_paths() {
        assert_eq!(
            Dim::parse("w600"),
            Some(Dim {
                width: Some(600),
                height: None
            })
        );
        assert_eq!(
            Dim::parse("w256h256"),
            Some(Dim {
                width: Some(256),
                height: Some(256)
            })
        );
        assert_eq!(
            Dim::parse("h400"),
            Some(Dim {
                width: None,
                height: Some(400)
            })
        );
        for bad in [
            "", "w", "600", "w0", "w06", "wabc", "w600x", "h400w600", "w-1",
        ] {
            assert_eq!(Dim::parse(bad), None, "{bad}");
        }
        assert_eq!(Dim::parse("w600h400").unwrap().token(), "w600h400");
    }

    #[test]
    fn variant_paths_name_their_original() {
        let v = Variant::parse("images/size/w600/format/webp/2024/01/a.jpg").unwrap();
        assert_eq!(v.token, "w600");
        assert_eq!(v.format.as_deref(), Some("webp"));
        assert_eq!(v.original, "images/2024/01/a.jpg");
        assert_eq!(
            v.original_candidates(),
            [
                "images/2024/01/a_o.jpg".to_string(),
                "images/2024/01/a.jpg".to_string()
            ]
        );
        let v = Variant::parse("images/size/w1000/2024/01/My.Photo.PNG").unwrap();
        assert_eq!(v.format, None);
        assert_eq!(v.ext(), ".png");
        assert_eq!(v.original_candidates()[0], "images/2024/01/My.Photo_o.PNG");
        for none in [
            "images/2024/01/a.jpg",
            "images/size/w600/",
            "images/size/w600/2024/",
            "images/size/w600/2024/noext",
            "media/size/w600/a.jpg",
        ] {
            assert_eq!(Variant::parse(none), None, "{none}");
        }
    }

    #[test]
    fn ghosts_rules_decide_resize_or_original() {
        let sizes = Sizes {
            theme: vec!["w300".into()],
        };
        let act = |p: &str| action(&Variant::parse(p).unwrap(), &sizes);
        assert!(matches!(
            act("images/size/w600/a.jpg"),
            Action::Resize { format: None, .. }
        ));
        assert!(matches!(
            act("images/size/w300/a.jpg"),
            Action::Resize { .. }
        ));
        assert!(matches!(
            act("images/size/w256h256/icon.png"),
            Action::Resize { .. }
        ));
        assert!(matches!(act("images/size/w123/a.jpg"), Action::Original(_)));
        assert!(matches!(act("images/size/w600/a.ico"), Action::Original(_)));
        assert!(matches!(act("images/size/w600/a.svg"), Action::Original(_)));
        assert!(matches!(act("images/size/w600/a.gif"), Action::Original(_)));
        assert!(matches!(
            act("images/size/w600/format/webp/a.jpg"),
            Action::Resize {
                format: Some(_),
                ..
            }
        ));
        assert!(matches!(
            act("images/size/w600/format/avif/a.jpg"),
            Action::CannotLocally(_)
        ));
        assert!(matches!(
            act("images/size/w600/format/tiff/a.jpg"),
            Action::Original(_)
        ));
    }

    #[test]
    fn theme_sizes_multiply_referenced_images_only() {
        let sizes = Sizes {
            theme: vec!["w300".into(), "w600".into()],
        };
        let w = wanted(
            [
                "images/2024/a.jpg",
                "images/size/w1000/2024/a.jpg",
                "images/2024/logo.svg",
                "media/2024/clip.mp4",
            ],
            &sizes,
            &[("images/2024/icon.png".to_string(), ICON_SIZE)],
        );
        let got: Vec<(&str, Why)> = w.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            got,
            vec![
                ("images/size/w1000/2024/a.jpg", Why::Referenced),
                ("images/size/w256h256/2024/icon.png", Why::Internal),
                ("images/size/w300/2024/a.jpg", Why::ThemeSize),
                ("images/size/w600/2024/a.jpg", Why::ThemeSize),
            ]
        );
    }
}
