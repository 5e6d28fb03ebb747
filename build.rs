//! Names the git commit in `--version` (GHOST_MIGRATE_VERSION): `0.1.0 (3fa2c1d 2026-12-05)`
//! from a git checkout of this crate, the bare crate version otherwise (a tarball, a vendored
//! copy inside another repository, no git installed).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let o = Command::new("git").args(args).output().ok()?;
    if !o.status.success() {
        return None;
    }
    Some(String::from_utf8(o.stdout).ok()?.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env!("CARGO_PKG_VERSION");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let same_dir = |top: &str| {
        let canon = |p: &str| Path::new(p).canonicalize().ok();
        canon(top).is_some() && canon(top) == canon(&manifest)
    };
    let described = git(&["rev-parse", "--show-toplevel"])
        .filter(|top| same_dir(top))
        .and_then(|_| {
            // Rebuild when HEAD moves: HEAD itself, packed refs and the loose branch refs
            // (a path that does not exist would make cargo rerun this on every build).
            for p in ["HEAD", "packed-refs", "refs/heads"] {
                if let Some(path) = git(&["rev-parse", "--git-path", p])
                    && Path::new(&path).exists()
                {
                    println!("cargo:rerun-if-changed={path}");
                }
            }
            git(&["log", "-1", "--format=%h %cs"])
        });
    match described {
        Some(d) if !d.is_empty() => {
            println!("cargo:rustc-env=GHOST_MIGRATE_VERSION={version} ({d})")
        }
        _ => println!("cargo:rustc-env=GHOST_MIGRATE_VERSION={version}"),
    }
}
