//! Installing like other tools: `--version` names the commit, the bash completion script loads
//! in bash and completes, the man pages render with man-db's `man -l`.

use crate::common::{bin, run, stderr, stdout};
use std::process::Command;

const SUBCOMMANDS: &[&str] = &[
    "snapshot",
    "sync-images",
    "scan",
    "verify",
    "rewrite",
    "redirects",
    "plan",
    "run",
    "runs",
    "rollback",
    "completions",
    "man",
];

#[test]
fn version_names_the_commit_when_built_from_git() {
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let v = stdout(&o);
    let want = format!("ghost-migrate {}", env!("CARGO_PKG_VERSION"));
    let manifest = env!("CARGO_MANIFEST_DIR");
    let commit = Command::new("git")
        .args(["-C", manifest, "log", "-1", "--format=%h %cs"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match commit {
        // build.rs reruns when HEAD moves, so the binary names the checked-out commit.
        Some(c) => assert_eq!(v.trim(), format!("{want} ({c})")),
        None => assert_eq!(v.trim(), want),
    }
}

/// Runs bash's completion for the words typed so far (the last one being completed) with the
/// generated script loaded; returns the candidates.
fn complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        r#"source '{}' || exit 3
spec=$(complete -p ghost-migrate) || exit 4
fn=$(printf '%s\n' "$spec" | sed -n 's/.*-F \([^ ]*\).*/\1/p')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$fn" ghost-migrate "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        words = quoted.join(" ")
    );
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &prog])
        .output()
        .expect("bash runs");
    assert!(
        o.status.success(),
        "bash exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let script = dir.path().join("ghost-migrate.bash");
    std::fs::write(&script, &o.stdout).unwrap();

    let all = complete(&script, &["ghost-migrate", ""]);
    for sub in SUBCOMMANDS {
        assert!(all.iter().any(|c| c == sub), "{sub} missing from {all:?}");
    }
    let s = complete(&script, &["ghost-migrate", "sy"]);
    assert_eq!(s, vec!["sync-images"]);
    let flags = complete(&script, &["ghost-migrate", "rewrite", "--dr"]);
    assert_eq!(flags, vec!["--dry-run"]);
    let shells = complete(&script, &["ghost-migrate", "completions", ""]);
    for sh in ["bash", "zsh", "fish", "powershell"] {
        assert!(
            shells.iter().any(|c| c == sh),
            "{sh} missing from {shells:?}"
        );
    }
}

#[test]
fn completions_for_other_shells_name_every_subcommand() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let s = stdout(&o);
        for sub in SUBCOMMANDS {
            assert!(s.contains(sub), "{shell}: no {sub}");
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values"), "{}", stderr(&o));
}

/// man-db's `man`, or None (with the reason printed) when it is missing outside CI.
fn man_db() -> Option<()> {
    let ok = Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("man"));
    if ok {
        return Some(());
    }
    if std::env::var_os("CI").is_some() {
        panic!("man-db's `man` is missing under CI (.ci/run installs it)");
    }
    crate::tools::say(&format!(
        "SKIPPED {}: no man-db `man` (Debian: apt-get install man-db)",
        std::thread::current().name().unwrap_or("a test")
    ));
    None
}

/// `man -l FILE` as plain text, with groff's warnings on.
fn render(page: &std::path::Path) -> String {
    let o = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("man runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "man -l {}: {err}", page.display());
    assert!(
        err.trim().is_empty(),
        "man -l {} warned: {err}",
        page.display()
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn man_pages_render_with_man_db() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with(".ie"), "roff expected");
    let Some(()) = man_db() else { return };
    let page = dir.path().join("ghost-migrate.1");
    std::fs::write(&page, &o.stdout).unwrap();
    let text = render(&page);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("NAME ghost-migrate - Move a self-hosted Ghost site"),
        "{text}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!("ghost-migrate-{sub}(1)")),
            "{sub}:\n{text}"
        );
    }

    // --dir writes the main page and one per subcommand, each rendering.
    let pages = dir.path().join("man1");
    let o = bin().args(["man", "--dir"]).arg(&pages).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let listed: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(listed.len(), SUBCOMMANDS.len() + 2, "{listed:?}"); // + runs-show
    let rewrite = pages.join("ghost-migrate-rewrite.1");
    assert!(
        listed.contains(&rewrite.display().to_string()),
        "{listed:?}"
    );
    let text = render(&rewrite);
    for flag in ["--from", "--to", "--dry-run", "--yes"] {
        assert!(text.contains(flag), "{flag}:\n{text}");
    }
}
