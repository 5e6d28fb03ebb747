//! What ghost-migrate knows about Ghost itself: its configuration file and where it keeps URLs.

pub mod columns;
pub mod config;
pub mod ssl;
