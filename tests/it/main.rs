//! One integration binary (one link), a module per subcommand.

mod common;
mod conformance;
mod crash;
mod journal;
mod matching;
mod rdsproxy;
mod rewrite;
mod s3server;
mod snapshot;
mod sync;
mod verify;
