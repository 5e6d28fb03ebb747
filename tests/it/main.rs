//! One integration binary (one link), a module per subcommand.

mod common;
mod rewrite;
