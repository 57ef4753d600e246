//! Identifiers of campaigns, variations, goals and groups as the settings file gives them: a JSON number
//! (the usual case) or a string (accepted by the Python and Node SDKs).

use std::fmt;

/// A campaign, variation, goal or group id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Id {
    /// An integer id, as VWO sends it.
    Int(i64),
    /// A string id (hand-written settings files).
    Str(Box<str>),
}

impl Id {
    /// The id as a JSON value of its own type (number or string), for event payloads.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Id::Int(i) => serde_json::Value::from(*i),
            Id::Str(s) => serde_json::Value::from(&**s),
        }
    }

    /// Whether the id is 1, the control variation's id, compared as Python's `int(id) == 1` does
    /// (so `"1"` and `" 1 "` count).
    pub fn is_one(&self) -> bool {
        match self {
            Id::Int(i) => *i == 1,
            Id::Str(s) => s.trim().parse::<i64>() == Ok(1),
        }
    }

    /// The integer, when the id is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Id::Int(i) => Some(*i),
            Id::Str(_) => None,
        }
    }
}

impl fmt::Display for Id {
    /// Renders the id as the Python SDK does in seeds and URLs: decimal integer, or the string as is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Int(i) => write!(f, "{i}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}
