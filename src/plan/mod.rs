//! Planning: turns one stored cell into a `Change` (or nothing), checking JSON integrity and the
//! column's length limit. Pure: no SQL, no I/O.

pub mod json;
pub mod url;

use crate::ghost::columns::CellKind;
use url::{FormCounts, UrlMap};

/// A column's length limit, as the live schema declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `varchar(N)`: N characters.
    Chars(u64),
    /// MySQL `text` family: N bytes.
    Bytes(u64),
}

impl Limit {
    pub fn exceeded_by(self, value: &str) -> Option<u64> {
        match self {
            Limit::Chars(n) => {
                let len = value.chars().count() as u64;
                (len > n).then_some(len)
            }
            Limit::Bytes(n) => {
                let len = value.len() as u64;
                (len > n).then_some(len)
            }
        }
    }
    pub fn describe(self) -> String {
        match self {
            Limit::Chars(n) => format!("{n} characters"),
            Limit::Bytes(n) => format!("{n} bytes"),
        }
    }
}

/// One column the plan reads, with what the catalogue and the schema say of it.
#[derive(Debug, Clone)]
pub struct ColumnMeta {
    pub name: String,
    pub kind: CellKind,
    pub limit: Option<Limit>,
}

/// One cell to change.
#[derive(Debug, Clone)]
pub struct Change {
    pub column: String,
    pub before: String,
    pub after: String,
    pub counts: FormCounts,
}

/// A cell the plan refuses to rewrite. Nothing is written while any exists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub table: String,
    pub column: String,
    pub id: String,
    pub reason: String,
}

/// Plans one cell. `Ok(None)`: nothing to change.
pub fn plan_cell(
    map: &UrlMap,
    table: &str,
    col: &ColumnMeta,
    id: &str,
    value: String,
) -> Result<Option<Change>, Problem> {
    let Some((after, counts)) = map.rewrite(&value) else {
        return Ok(None);
    };
    if after == value {
        return Ok(None);
    }
    let problem = |reason: String| Problem {
        table: table.to_string(),
        column: col.name.clone(),
        id: id.to_string(),
        reason,
    };
    if col.kind.is_json_document() || json::looks_like_json(&value) {
        let must_parse = col.kind.is_json_document();
        match json::prove(&value, &after, map) {
            Ok(()) => {}
            // A plain-text column that merely starts with '{' and is not JSON stays text.
            Err(json::JsonProofError::BeforeInvalid(_)) if !must_parse => {}
            Err(e) => return Err(problem(e.to_string())),
        }
    }
    if let Some(limit) = col.limit
        && let Some(len) = limit.exceeded_by(&after)
    {
        return Err(problem(format!(
            "the new value is {len} long, over the column's limit of {}",
            limit.describe()
        )));
    }
    Ok(Some(Change {
        column: col.name.clone(),
        before: value,
        after,
        counts,
    }))
}
