//! The report vocabulary of stored URL spellings: which form an occurrence was stored in, and
//! counts per form. Pure data.

use serde::Serialize;

/// How a matched occurrence was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Absolute,
    ProtocolRelative,
    GhostUrl,
    Relative,
    /// Slashes written `\/` (JSON encoders that escape slashes, JSON-LD inside HTML).
    JsonEscaped,
    /// `:` or `/` written as an HTML character reference (`&#58;`, `&#x2F;`, `&sol;`) or a
    /// `\u002F`-style escape.
    Encoded,
}

impl Form {
    pub const ALL: [Form; 6] = [
        Form::Absolute,
        Form::GhostUrl,
        Form::Relative,
        Form::ProtocolRelative,
        Form::JsonEscaped,
        Form::Encoded,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Form::Absolute => "absolute",
            Form::ProtocolRelative => "protocol-relative",
            Form::GhostUrl => "__GHOST_URL__",
            Form::Relative => "relative",
            Form::JsonEscaped => "json-escaped",
            Form::Encoded => "encoded",
        }
    }
}

/// Counts per stored form for one string or one column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FormCounts {
    pub absolute: u64,
    pub protocol_relative: u64,
    pub ghost_url: u64,
    pub relative: u64,
    pub json_escaped: u64,
    pub encoded: u64,
}

impl FormCounts {
    pub fn add(&mut self, form: Form, n: u64) {
        *self.slot(form) += n;
    }
    fn slot(&mut self, form: Form) -> &mut u64 {
        match form {
            Form::Absolute => &mut self.absolute,
            Form::ProtocolRelative => &mut self.protocol_relative,
            Form::GhostUrl => &mut self.ghost_url,
            Form::Relative => &mut self.relative,
            Form::JsonEscaped => &mut self.json_escaped,
            Form::Encoded => &mut self.encoded,
        }
    }
    pub fn get(&self, form: Form) -> u64 {
        match form {
            Form::Absolute => self.absolute,
            Form::ProtocolRelative => self.protocol_relative,
            Form::GhostUrl => self.ghost_url,
            Form::Relative => self.relative,
            Form::JsonEscaped => self.json_escaped,
            Form::Encoded => self.encoded,
        }
    }
    pub fn merge(&mut self, other: &FormCounts) {
        for f in Form::ALL {
            self.add(f, other.get(f));
        }
    }
    pub fn total(&self) -> u64 {
        Form::ALL.iter().map(|f| self.get(*f)).sum()
    }
}
