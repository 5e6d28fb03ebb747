//! The active theme's `config.image_sizes` (`content/themes/<theme>/package.json`): the sizes
//! its templates ask for through `{{img_url ... size="s"}}`, e.g. Casper's w300, w600, w1000.

use super::Dim;
use std::path::Path;

/// The theme's sizes as tokens (`w300`, `w600h400`), in the package's order, without
/// duplicates; Err says in words why none could be read.
pub fn image_sizes(content_dir: &Path, theme: &str) -> Result<Vec<String>, String> {
    if theme.is_empty() || theme.contains('/') || theme.contains("..") {
        return Err(format!("active theme {theme:?} is not a folder name"));
    }
    let path = content_dir.join("themes").join(theme).join("package.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `{"config": {"image_sizes": {"s": {"width": 300}, ...}}}` -> `["w300", ...]`.
pub fn parse(package_json: &str) -> Result<Vec<String>, String> {
    let v: serde_json::Value =
        serde_json::from_str(package_json).map_err(|e| format!("not JSON: {e}"))?;
    let Some(sizes) = v.pointer("/config/image_sizes") else {
        return Ok(Vec::new());
    };
    let obj = sizes
        .as_object()
        .ok_or("config.image_sizes is not an object")?;
    let mut out: Vec<String> = Vec::new();
    for (name, size) in obj {
        let get = |k: &str| size.get(k).and_then(serde_json::Value::as_u64);
        let dim = Dim {
            width: get("width")
                .and_then(|w| u32::try_from(w).ok())
                .filter(|w| *w > 0),
            height: get("height")
                .and_then(|h| u32::try_from(h).ok())
                .filter(|h| *h > 0),
        };
        if dim.width.is_none() && dim.height.is_none() {
            return Err(format!("image size {name:?} has neither width nor height"));
        }
        let t = dim.token();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn caspers_sizes_become_tokens() {
        let pkg = r#"{"name":"casper","config":{"posts_per_page":25,"image_sizes":{
            "xxs":{"width":30},"xs":{"width":100},"s":{"width":300},"m":{"width":600},
            "l":{"width":1000},"xl":{"width":2000},"sq":{"width":400,"height":400},"dup":{"width":300}}}}"#;
        assert_eq!(
            super::parse(pkg).unwrap(),
            ["w30", "w100", "w300", "w600", "w1000", "w2000", "w400h400"]
        );
        assert_eq!(
            super::parse(r#"{"config":{}}"#).unwrap(),
            Vec::<String>::new()
        );
        assert!(super::parse(r#"{"config":{"image_sizes":{"x":{}}}}"#).is_err());
        assert!(super::parse("{").is_err());
    }
}
