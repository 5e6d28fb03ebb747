//! `completions SHELL` and `man [DIR]`: generated from the clap definition (`cli::docs`).

use super::Outcome;
use crate::cli::docs::{self, Shell};
use crate::error::Result;
use std::path::PathBuf;

pub fn completions(shell: Shell) -> Outcome {
    Outcome::Raw(docs::completions(shell))
}

/// The main page on stdout, or every page written into `dir`.
pub fn man(dir: Option<PathBuf>) -> Result<Outcome> {
    Ok(match dir {
        None => Outcome::Raw(docs::man_page()?),
        Some(dir) => Outcome::Paths(
            docs::man_pages_into(&dir)?
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        ),
    })
}
