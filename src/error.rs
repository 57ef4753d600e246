//! The one error type of libvwo. It carries a kind a caller can match on and a message a person can act
//! on (which JSON path, which option, which campaign). It knows nothing of C status codes: the FFI layer
//! maps kinds to codes.

use std::fmt;

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The settings file is not valid JSON or does not match the settings schema.
    InvalidSettings,
    /// A launch option or per-call option is missing, of the wrong type or out of range.
    InvalidOptions,
    /// An argument of an API call is invalid (empty user id, unknown campaign, …).
    InvalidArgument,
    /// The built-in user storage could not be opened (its file is unreadable or corrupt).
    Storage,
    /// Something inside libvwo failed (a user-storage or transport error, …).
    Internal,
}

/// An error with its kind and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// A settings error at JSON `path` (e.g. `campaigns[3].variations[1].weight`).
    pub fn settings(path: &str, problem: impl fmt::Display) -> Self {
        if path.is_empty() {
            Error::new(ErrorKind::InvalidSettings, format!("settings: {problem}"))
        } else {
            Error::new(ErrorKind::InvalidSettings, format!("{path}: {problem}"))
        }
    }

    /// An options error naming the option.
    pub fn options(option: &str, problem: impl fmt::Display) -> Self {
        Error::new(ErrorKind::InvalidOptions, format!("{option}: {problem}"))
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error's message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A short description of a JSON value's type and value for error messages: `"abc"`, `a number`, ….
pub(crate) fn describe_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("{n}"),
        Value::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("{shown:?}")
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}
