//! One integration binary (one link), a module per subcommand.

mod attack;
mod common;
mod conformance;
mod crash;
mod install;
mod journal;
mod matching;
mod rdsproxy;
mod redirects;
mod report_html;
mod rewrite;
mod runbook;
mod s3server;
mod snapshot;
mod sse;
mod sync;
mod tls;
mod tlsdb;
mod tools;
mod variants;
mod verify;
mod wal;
