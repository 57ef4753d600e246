//! Logging: levels as vwo-python-sdk's (the stdlib `logging` numbers), the logger trait a host
//! implements, and the default logger writing to standard error. A message whose level is off is never
//! formatted: the client checks [`LogLevel`] before building text.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A log level (numbers of Python's `logging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LogLevel {
    /// Every step of every decision.
    Debug = 10,
    /// Decisions and events.
    Info = 20,
    /// Something unusual but handled.
    Warning = 30,
    /// A call failed (the default threshold).
    Error = 40,
}

impl LogLevel {
    /// The level's name as vwo-python-sdk prints it.
    pub fn as_str(&self) -> &'static str {
        match self {
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }

    /// The level of a Python-style number (10/20/30/40) or name, if it is one.
    pub fn parse(text: &str) -> Option<LogLevel> {
        match text.trim().to_ascii_uppercase().as_str() {
            "DEBUG" | "10" => Some(LogLevel::Debug),
            "INFO" | "20" => Some(LogLevel::Info),
            "WARNING" | "WARN" | "30" => Some(LogLevel::Warning),
            "ERROR" | "40" => Some(LogLevel::Error),
            _ => None,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A log sink. Called on the thread of the API call (or of libvwo's background thread), with no lock of
/// libvwo held.
pub trait Logger: Send + Sync {
    /// Records one message.
    fn log(&self, level: LogLevel, message: &str);
}

/// Writes `VWO-SDK - [LEVEL]: <unix time> <message>` lines to standard error.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrLogger;

impl Logger for StderrLogger {
    fn log(&self, level: LogLevel, message: &str) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        eprintln!("VWO-SDK - [{level}]: {now:.3} {message}");
    }
}
