//! The URL model, split by concept: `prefix` (the `--from`/`--to`/`--site-url` values and the
//! site), `form` (the stored spellings a report counts), `find` (the find-only matcher that
//! `scan` and `verify` use) and `map` (the rewriter on top of it). Pure: no SQL, no I/O, no
//! printing.

pub mod find;
pub mod form;
pub mod map;
pub mod prefix;

pub use find::{Find, Finder, MatchOptions, Occurrence};
pub use form::{Form, FormCounts};
pub use map::UrlMap;
pub use prefix::{GHOST_URL, Prefix, PrefixError, Site};
