//! Live schema discovery: tables, their single-column primary key, text columns with their
//! declared length limit, and (MySQL) the storage engine. information_schema on MySQL,
//! `sqlite_master` + `pragma table_info` on SQLite.

use super::{Conn, DbError};
use std::collections::BTreeMap;

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

#[derive(Debug, Clone)]
pub struct TextColumn {
    pub name: String,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub name: String,
    /// The primary key when it is a single column.
    pub pk: Option<String>,
    pub text_columns: Vec<TextColumn>,
    pub all_columns: Vec<String>,
    /// MySQL storage engine (`InnoDB`, `MyISAM`...); None on SQLite.
    pub engine: Option<String>,
}

impl Table {
    pub fn has_column(&self, c: &str) -> bool {
        self.all_columns.iter().any(|x| x == c)
    }
}

fn parse_paren(ty: &str) -> Option<u64> {
    let open = ty.find('(')?;
    let close = ty[open..].find(')')? + open;
    ty[open + 1..close].trim().parse().ok()
}

/// Whether a declared type holds text, and its limit.
fn text_limit(engine_mysql: bool, data_type: &str, char_max: Option<u64>) -> Option<Option<Limit>> {
    let t = data_type.to_ascii_lowercase();
    if engine_mysql {
        match t.as_str() {
            "varchar" | "char" => Some(char_max.map(Limit::Chars)),
            "tinytext" => Some(Some(Limit::Bytes(255))),
            "text" => Some(Some(Limit::Bytes(65_535))),
            "mediumtext" => Some(Some(Limit::Bytes(16_777_215))),
            "longtext" => Some(Some(Limit::Bytes(4_294_967_295))),
            _ => None,
        }
    } else if t.contains("char") {
        Some(parse_paren(&t).map(Limit::Chars))
    } else if t.contains("text") || t.contains("clob") || t.is_empty() {
        Some(None)
    } else {
        None
    }
}

/// Every table of the database, by name.
pub async fn discover(conn: &mut Conn) -> Result<BTreeMap<String, Table>, DbError> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    match conn {
        Conn::Sqlite(_) => {
            let names = conn
                .rows(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                    &[],
                )
                .await?;
            for n in names
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
            {
                let sql = format!("PRAGMA table_info({})", conn.q(&n));
                // cid, name, type, notnull, dflt_value, pk
                let cols = conn.rows(&sql, &[]).await?;
                let mut t = Table {
                    name: n.clone(),
                    ..Default::default()
                };
                let mut pks = Vec::new();
                for c in cols {
                    let name = c[1].clone().unwrap_or_default();
                    let ty = c[2].clone().unwrap_or_default();
                    if c[5].as_deref().unwrap_or("0") != "0" {
                        pks.push(name.clone());
                    }
                    if let Some(limit) = text_limit(false, &ty, None) {
                        t.text_columns.push(TextColumn {
                            name: name.clone(),
                            limit,
                        });
                    }
                    t.all_columns.push(name);
                }
                if pks.len() == 1 {
                    t.pk = pks.pop();
                }
                tables.insert(n, t);
            }
        }
        Conn::Mysql(_) => {
            let rows = conn
                .rows(
                    "SELECT TABLE_NAME, CAST(ENGINE AS CHAR) FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
                    &[],
                )
                .await?;
            for r in rows {
                let name = r[0].clone().unwrap_or_default();
                tables.insert(
                    name.clone(),
                    Table {
                        name,
                        engine: r[1].clone(),
                        ..Default::default()
                    },
                );
            }
            let cols = conn
                .rows(
                    "SELECT TABLE_NAME, COLUMN_NAME, CAST(DATA_TYPE AS CHAR), \
                     CAST(CHARACTER_MAXIMUM_LENGTH AS CHAR), CAST(COLUMN_KEY AS CHAR) \
                     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                     ORDER BY TABLE_NAME, ORDINAL_POSITION",
                    &[],
                )
                .await?;
            let mut pks: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for c in cols {
                let (tn, cn) = (
                    c[0].clone().unwrap_or_default(),
                    c[1].clone().unwrap_or_default(),
                );
                let Some(t) = tables.get_mut(&tn) else {
                    continue;
                };
                let max = c[3].as_deref().and_then(|s| s.parse().ok());
                if let Some(limit) = text_limit(true, c[2].as_deref().unwrap_or(""), max) {
                    t.text_columns.push(TextColumn {
                        name: cn.clone(),
                        limit,
                    });
                }
                if c[4].as_deref() == Some("PRI") {
                    pks.entry(tn.clone()).or_default().push(cn.clone());
                }
                t.all_columns.push(cn);
            }
            for (tn, mut v) in pks {
                if v.len() == 1
                    && let Some(t) = tables.get_mut(&tn)
                {
                    t.pk = v.pop();
                }
            }
        }
    }
    Ok(tables)
}
