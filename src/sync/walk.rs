//! Walks Ghost's content directory into the list of local files to sync: keys mirror the tree,
//! junk (dotfiles, .DS_Store, Thumbs.db, editor temp files) is skipped, symlinks are followed
//! only to files inside the content directory, and unreadable entries are reported by path.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One local file to compare and maybe upload.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// Path relative to the content directory, with '/' separators (e.g. images/2024/05/a.jpg).
    pub rel: String,
    /// The file to read (a symlink's target when the entry is a link).
    pub path: PathBuf,
    pub size: u64,
    /// (mtime ns, ctime ns, inode, device): a file whose bytes changed has a different value.
    pub stamp: (i64, i64, u64, u64),
}

/// Something the walk could not use, by path.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<LocalFile>,
    /// Unreadable files, broken links: make the run fail at the end.
    pub errors: Vec<Skipped>,
    /// Links out of the content directory, linked directories: not followed, reported.
    pub warnings: Vec<Skipped>,
    /// Junk files left out on purpose (counted, not listed).
    pub ignored: u64,
}

/// Names never uploaded: OS metadata, editor temp files, dotfiles.
pub fn is_junk(name: &str) -> bool {
    name.starts_with('.')
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".crdownload")
        || name.ends_with(".part")
}

fn stamp(m: &std::fs::Metadata) -> (i64, i64, u64, u64) {
    (
        m.mtime() * 1_000_000_000 + m.mtime_nsec(),
        m.ctime() * 1_000_000_000 + m.ctime_nsec(),
        m.ino(),
        m.dev(),
    )
}

/// Walks `root/<dir>` for each dir; missing dirs are simply empty (media/ and files/ are optional).
pub fn walk(root: &Path, dirs: &[String]) -> Walk {
    let mut w = Walk::default();
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for d in dirs {
        let base = root.join(d);
        if !base.exists() {
            continue;
        }
        let it = walkdir::WalkDir::new(&base)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !e.file_name().to_string_lossy().starts_with('.')
            });
        for entry in it {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let p = e
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| base.display().to_string());
                    w.errors.push(Skipped {
                        path: p,
                        reason: format!(
                            "cannot read: {}",
                            e.io_error().map_or(e.to_string(), |i| i.to_string())
                        ),
                    });
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy();
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            if is_junk(&name) {
                w.ignored += 1;
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str().map(|s| s.replace('\\', "/")) else {
                w.errors.push(Skipped {
                    path: entry.path().display().to_string(),
                    reason: "file name is not valid UTF-8; rename it".into(),
                });
                continue;
            };
            let shown = entry.path().display().to_string();
            if ft.is_symlink() {
                let target = match entry.path().canonicalize() {
                    Ok(t) => t,
                    Err(_) => {
                        w.errors.push(Skipped {
                            path: shown,
                            reason: "broken symbolic link".into(),
                        });
                        continue;
                    }
                };
                if !target.starts_with(&canon_root) {
                    w.warnings.push(Skipped {
                        path: shown,
                        reason: format!(
                            "symbolic link to {} outside the content directory: not followed",
                            target.display()
                        ),
                    });
                    continue;
                }
                match std::fs::metadata(&target) {
                    Ok(m) if m.is_file() => w.files.push(LocalFile {
                        rel,
                        path: target,
                        size: m.len(),
                        stamp: stamp(&m),
                    }),
                    Ok(_) => w.warnings.push(Skipped {
                        path: shown,
                        reason: "symbolic link to a directory: not followed".into(),
                    }),
                    Err(e) => w.errors.push(Skipped {
                        path: shown,
                        reason: format!("cannot read: {e}"),
                    }),
                }
                continue;
            }
            if !ft.is_file() {
                w.warnings.push(Skipped {
                    path: shown,
                    reason: "not a regular file: skipped".into(),
                });
                continue;
            }
            match entry.metadata() {
                Ok(m) => w.files.push(LocalFile {
                    rel,
                    path: entry.path().to_path_buf(),
                    size: m.len(),
                    stamp: stamp(&m),
                }),
                Err(e) => w.errors.push(Skipped {
                    path: shown,
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::is_junk;

    #[test]
    fn junk_names() {
        for n in [
            ".DS_Store",
            "Thumbs.db",
            "a.jpg~",
            "#a.jpg#",
            ".a.jpg.swp",
            "x.tmp",
            ".hidden",
        ] {
            assert!(is_junk(n), "{n}");
        }
        for n in [
            "a.jpg",
            "a_o.png",
            "thumbs.jpg",
            "my file+1%.webp",
            "été.jpg",
        ] {
            assert!(!is_junk(n), "{n}");
        }
    }
}
