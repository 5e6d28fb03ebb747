//! One integration binary (one link), a module per subcommand.

mod common;
mod crash;
mod install;
mod journal;
mod rdsproxy;
mod rewrite;
mod s3server;
mod snapshot;
mod sync;
mod tools;
mod verify;
