//! The command layer: one module per subcommand. Each turns its clap arguments into a
//! `Request` (every check that needs no I/O happens there, unit-tested), then `execute`s it
//! against the engines and returns an `Outcome`. `output::render` draws an Outcome as a table
//! or JSON, and `Outcome::exit_code` is the one exit-code policy of the tool. Nothing below
//! this layer sees a clap type; engines get plain requests, a `Progress` and a `Cancel`.

pub mod db;
pub mod docs;
pub mod plan;
pub mod redirects;
pub mod rewrite;
pub mod rollback;
pub mod run;
pub mod runs;
pub mod scan;
pub mod snapshot;
pub mod sync_images;
pub mod verify;

pub use crate::outcome::Outcome;

use crate::output::Output;
use crate::progress::Cancel;

/// A `Cancel` set by Ctrl-C, for commands that stop gracefully (sync-images, snapshot); `what`
/// is said when it happens.
pub fn cancel_on_ctrl_c(out: &Output, what: &'static str) -> Cancel {
    let cancel = Cancel::new();
    let c = cancel.clone();
    let out = out.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
            out.warn(what);
        }
    });
    cancel
}

/// Records a finished step (sync-images, verify) as a run in the journal of the database it
/// was about, when that database has a journal. Best effort: a failure is a warning.
pub async fn record_step(
    target: &crate::db::Target,
    timeout: std::time::Duration,
    kind: &str,
    detail: serde_json::Value,
    status: crate::journal::StepStatus,
    out: &Output,
) {
    db::restore_journal_mode(target, timeout, out).await;
    let recorded = async {
        let mut conn = target.connect(timeout).await?;
        crate::journal::record_step(&mut conn, kind, &recorded_args(), &detail, status).await
    };
    if let Err(e) = recorded.await {
        out.warn(&format!("{kind} not recorded in the journal: {e}"));
    }
}

/// The command line as the journal records it: `--db` values masked.
pub fn recorded_args() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| crate::db::mask_url(&a))
        .collect();
    serde_json::to_string(&args).unwrap_or_default()
}

/// Every bad flag value is refused while the request is built: exit 2, before any I/O.
#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use crate::error::{Result, exit};
    use clap::Parser;

    fn parse(args: &[&str]) -> Command {
        let argv = std::iter::once("ghost-migrate").chain(args.iter().copied());
        Cli::try_parse_from(argv).expect("clap accepts it").cmd
    }

    /// Builds the request of `args`; Err(message) when it is refused (always exit 2).
    fn build(args: &[&str]) -> Result<(), String> {
        fn check<T>(r: Result<T>) -> Result<(), String> {
            r.map(|_| ()).map_err(|e| {
                assert_eq!(e.exit_code(), exit::USAGE, "{e}");
                e.to_string()
            })
        }
        match parse(args) {
            Command::SyncImages(a) => check(super::sync_images::Request::from_args(a)),
            Command::Snapshot(a) => check(super::snapshot::Request::from_args(a)),
            Command::Scan(a) => check(super::scan::Request::from_args(a)),
            Command::Verify(a) => check(super::verify::Request::from_args(a)),
            Command::Rewrite(a) => check(super::rewrite::Request::from_args(a)),
            Command::Redirects(a) => check(super::redirects::Request::from_args(a)),
            Command::Runs(a) => check(super::runs::Request::from_args(a)),
            Command::Plan(a) => check(super::plan::Request::from_args(a)),
            Command::Run(a) => check(super::run::Request::from_args(a)),
            Command::Rollback(a) => check(super::rollback::Request::from_args(a)),
            Command::Completions { .. } | Command::Man { .. } => Ok(()),
        }
    }

    fn refused(args: &[&str], needle: &str) {
        match build(args) {
            Ok(()) => panic!("{args:?} was accepted"),
            Err(m) => assert!(m.contains(needle), "{args:?}: {m}"),
        }
    }

    /// `base` followed by `extra`, as owned strings.
    fn argv(base: &[&str], extra: &[&str]) -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    }

    /// `refused` / accepted for `base` + `extra`.
    fn check(base: &[&str], extra: &[&str], needle: Option<&str>) {
        let v = argv(base, extra);
        let r: Vec<&str> = v.iter().map(String::as_str).collect();
        match needle {
            Some(n) => refused(&r, n),
            None => assert_eq!(build(&r), Ok(()), "{r:?}"),
        }
    }

    #[test]
    fn sync_images_flags() {
        let base = ["sync-images", "--bucket", "my-bucket"];
        check(&base, &["--prefix", "/content"], None);
        for b in ["s3://my-bucket", "ab", "My-Bucket", "my_bucket", "bucket-"] {
            refused(
                &["sync-images", "--bucket", b],
                "not a valid S3 bucket name",
            );
        }
        for (extra, needle) in [
            (&["--prefix", "s3://b/content/"][..], "looks like a URL"),
            (&["--prefix", "content/../etc"], "contains '..'"),
            (&["--dirs", "images,../x"], "is not a folder name"),
            (&["--dirs", ".cache"], "is not a folder name"),
            (&["--storage-class", "COLD"], "unknown --storage-class"),
            (
                &["--sse-kms-key-id", "k"],
                "--sse-kms-key-id needs --sse aws:kms",
            ),
            (
                &["--sse", "AES256", "--sse-kms-key-id", "k"],
                "--sse-kms-key-id needs --sse aws:kms",
            ),
        ] {
            check(&base, extra, Some(needle));
        }
    }

    #[test]
    fn verify_flags() {
        assert_eq!(build(&["verify", "--bucket", "my-bucket"]), Ok(()));
        refused(
            &["verify", "--bucket", "s3://x"],
            "not a valid S3 bucket name",
        );
        refused(
            &["verify", "--bucket", "my-bucket", "--prefix", "https://x/"],
            "looks like a URL",
        );
        refused(
            &[
                "verify",
                "--bucket",
                "my-bucket",
                "--site-url",
                "blog.example.com",
            ],
            "--site-url",
        );
    }

    #[test]
    fn snapshot_flags() {
        assert_eq!(build(&["snapshot", "--cluster", "c1"]), Ok(()));
        refused(&["snapshot", "--id", "1abc"], "invalid snapshot id");
        refused(&["snapshot", "--id", "a--b"], "invalid snapshot id");
        refused(
            &["snapshot", "--id", &"a".repeat(64)],
            "invalid snapshot id",
        );
        assert_eq!(
            build(&["snapshot", "--instance", "i", "--id", &"a".repeat(64)]),
            Ok(()),
            "instance snapshot ids may be 255 long"
        );
        refused(&["snapshot", "--tag", "novalue"], "is not KEY=VALUE");
        refused(
            &["snapshot", "--tag", "aws:x=1"],
            "keys are 1-128 characters",
        );
        refused(
            &["snapshot", "--poll-interval", "0"],
            "--poll-interval 0 is out of range",
        );
        refused(&["snapshot", "--poll-interval", "601"], "out of range");
    }

    #[test]
    fn rewrite_flags() {
        let base = ["rewrite", "--db", "ghost.db"];
        let (a, b) = ("https://a.com/x/", "https://b.com/x/");
        check(&base, &["--from", a, "--to", b], None);
        let ghost = "__GHOST_URL__/content/images/";
        check(&base, &["--from", ghost, "--to", ghost], None);
        for (extra, needle) in [
            (&["--from", a, "--to", a][..], "are the same"),
            (&["--from", a, "--to", "/x/"], "is root-relative"),
            (
                &["--from", "https://a.com/x/y/", "--to", a],
                "is a prefix of --from",
            ),
            (&["--from", a, "--to", "https://b.com/x"], "trailing '/'"),
            (&["--from", "a.com/x/", "--to", b], "is not a URL prefix"),
            (
                &["--from", "https://a.com/x\"/", "--to", b],
                "would need escaping",
            ),
            (
                &["--site-url", "nope", "--from", a, "--to", b],
                "--site-url",
            ),
        ] {
            check(&base, extra, Some(needle));
        }
    }

    #[test]
    fn redirects_flags() {
        let cdn = ["--cdn-url", "https://cdn.example.com/content/"];
        let base = ["redirects", "--db", "ghost.db"];
        check(&base, &[&cdn[..], &["--format", "nginx"]].concat(), None);
        // Ghost's file needs no host (Ghost only sees its own); the others need one.
        check(
            &["redirects"],
            &[&cdn[..], &["--format", "ghost"]].concat(),
            None,
        );
        check(
            &["redirects", "--host", "old.example.com"],
            &[&cdn[..], &["--format", "cloudfront-function"]].concat(),
            None,
        );
        if std::env::var_os("GHOST_MIGRATE_DB").is_none() {
            refused(
                &[&["redirects"][..], &cdn, &["--format", "nginx"]].concat(),
                "no old host",
            );
        }
        for (extra, needle) in [
            (&["--format", "nginx"][..], "--cdn-url is missing"),
            (&cdn[..], "--format is missing"),
            (
                &["--format", "nginx", "--cdn-url", "ftp://cdn.example.com/"],
                "is not a URL prefix",
            ),
            (
                &["--format", "nginx", "--cdn-url", "//cdn.example.com/c/"],
                "has no scheme",
            ),
            (
                &[&cdn[..], &["--format", "nginx", "--syntax", "json"]].concat(),
                "--syntax is for --format ghost",
            ),
            (
                &[&cdn[..], &["--format", "ghost", "--out", "r.yml"]].concat(),
                ".yaml or .json only",
            ),
            (
                &[&cdn[..], &["--format", "nginx", "--host", "a b"]].concat(),
                "is not a host name",
            ),
            (
                &[&cdn[..], &["--format", "nginx", "--site-url", "nope"]].concat(),
                "--site-url",
            ),
        ] {
            check(&base, extra, Some(needle));
        }
    }

    #[test]
    fn database_flags_of_the_other_commands() {
        for cmd in [&["scan"][..], &["runs"], &["rollback", "RUN"]] {
            let mut v: Vec<&str> = cmd.to_vec();
            assert_eq!(build(&v), Ok(()), "{v:?}");
            v.extend(["--site-url", "not a url"]);
            refused(&v, "--site-url");
        }
    }
}
