//! Per-file pass/fail counting, allowed deviations (`DEVIATIONS.json`) and the failure details printed.

use serde_json::Value;
use std::path::Path;

/// How many failures of a file are described in detail.
pub const MAX_DETAILS: usize = 3;

/// One entry of `DEVIATIONS.json`: `{"file", "case", "reason"}`. `file` matches the end of a vector
/// file's path; `case` is a case index (number or string), a case label (user id, segmentation case
/// name) or `"*"` for every case of the file.
#[derive(Debug, Clone)]
pub struct Deviation {
    pub file: String,
    pub case: String,
    pub reason: String,
}

impl Deviation {
    pub fn list_from_json(v: &Value) -> Result<Vec<Deviation>, String> {
        let list = v.as_array().ok_or("DEVIATIONS.json: expected a list")?;
        list.iter()
            .map(|d| {
                let text = |k: &str| match d.get(k) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(Value::Number(n)) => Ok(n.to_string()),
                    _ => Err(format!("DEVIATIONS.json: entry without {k:?}: {d}")),
                };
                Ok(Deviation {
                    file: text("file")?,
                    case: text("case")?,
                    reason: text("reason")?,
                })
            })
            .collect()
    }

    fn matches_file(&self, path: &Path) -> bool {
        let p = path.to_string_lossy().replace('\\', "/");
        let f = self.file.trim_start_matches("./");
        p == f || p.ends_with(&format!("/{f}"))
    }
}

/// The outcome of one vector file.
#[derive(Debug, Default)]
pub struct FileReport {
    pub category: &'static str,
    pub passed: usize,
    pub failed: usize,
    /// Failed cases covered by a deviation: `case: reason`.
    pub deviations: Vec<String>,
    /// Details of the first failures.
    pub details: Vec<String>,
    /// Informational lines (not failures).
    pub notes: Vec<String>,
    deviation_list: Vec<Deviation>,
}

impl FileReport {
    pub fn new(category: &'static str, path: &Path, all: &[Deviation]) -> FileReport {
        FileReport {
            category,
            deviation_list: all
                .iter()
                .filter(|d| d.matches_file(path))
                .cloned()
                .collect(),
            ..Default::default()
        }
    }

    pub fn pass(&mut self) {
        self.passed += 1;
    }

    /// Records the outcome of case `index` (labelled `label`, e.g. a user id).
    pub fn check(&mut self, index: usize, label: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.pass(),
            Err(msg) => self.fail(index, label, msg),
        }
    }

    pub fn fail(&mut self, index: usize, label: &str, msg: String) {
        let idx = index.to_string();
        if let Some(d) = self
            .deviation_list
            .iter()
            .find(|d| d.case == "*" || d.case == idx || (!label.is_empty() && d.case == label))
        {
            self.deviations
                .push(format!("case {idx} ({label}): {}", d.reason));
            return;
        }
        self.failed += 1;
        if self.details.len() < MAX_DETAILS {
            self.details.push(format!("case {idx}: {msg}"));
        }
    }

    /// A failure of the whole file (unreadable, settings invalid, panic) that kept `cases` cases from
    /// running (at least 1). Only a `"*"` deviation of the file covers it.
    pub fn file_error(&mut self, msg: String, cases: usize) {
        let cases = cases.max(1);
        if let Some(d) = self.deviation_list.iter().find(|d| d.case == "*") {
            self.deviations
                .push(format!("{cases} cases ({}): {}", msg, d.reason));
            return;
        }
        self.failed += cases;
        if self.details.len() < MAX_DETAILS {
            self.details.push(format!("{msg} ({cases} cases not run)"));
        }
    }
}
