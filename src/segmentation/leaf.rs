//! The `custom_variable` and `user` leaves: operand parsing (once, at compile time) and evaluation.

use serde_json::Value;

use super::pynum::{py_float, py_normalised};
use super::pyregex::PyRegex;
use super::pystr::{py_strip, tag_str};
use super::{Raise, Variables};
use std::sync::Arc;

/// What a leaf compares, after the operand's function name is resolved.
#[derive(Debug, Clone)]
enum Kind {
    Equals,
    Lower,
    Contains,
    /// The tag starts with the value (`wildcard(X*)`, and Python's internal name `endswith(X)`).
    StartsWith,
    /// The tag ends with the value (`wildcard(*X)`, and Python's internal name `startswith(X)`).
    EndsWith,
    Regex(Box<RegexPair>),
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone)]
struct RegexPair {
    raw: Arc<PyRegex>,
    /// The pattern after numeric normalisation of the operand (`regex(5.0)` searches `5`).
    normalised: Option<Arc<PyRegex>>,
}

/// The operand value with everything evaluation needs precomputed.
#[derive(Debug, Clone)]
struct Operand {
    kind: Kind,
    raw: String,
    /// `raw.lower()` for `Lower`.
    lower: String,
    /// Python `float(raw)` when it parses (NaN and infinities included).
    num: Option<f64>,
    /// The normalised rendering when `num` is finite.
    norm: String,
}

/// A compiled `custom_variable` leaf.
#[derive(Debug, Clone)]
pub(crate) struct CustomVariable {
    /// `None`: the key came from a list (an int), never a key of the variables map.
    key: Option<String>,
    /// `None`: processing the operand raises (not a string, `wildcard()`).
    operand: Option<Operand>,
}

impl CustomVariable {
    /// `key`: the variable name, `None` for a non-string key. `operand`: the DSL operand value.
    pub(crate) fn compile(key: Option<&str>, operand: &Value) -> CustomVariable {
        let operand = match operand {
            Value::String(s) => Operand::compile(s),
            _ => None,
        };
        CustomVariable {
            key: key.map(str::to_owned),
            operand,
        }
    }

    pub(crate) fn evaluate(&self, variables: &Variables<'_>) -> Result<bool, Raise> {
        let op = self.operand.as_ref().ok_or(Raise)?;
        let Some(key) = &self.key else {
            return Ok(false);
        };
        let value = match variables.get(key) {
            None | Some(Value::Null) => return Ok(false),
            Some(Value::String(s)) if s.is_empty() => return Ok(false),
            Some(v) => v,
        };
        // Numeric normalisation: only when both sides parse as Python floats.
        if let Some(on) = op.num {
            let tn = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => py_float(s),
                _ => None,
            };
            if let Some(tn) = tn {
                if !on.is_finite() || !tn.is_finite() {
                    // int(nan) / int(inf) raise inside the normalisation.
                    return Err(Raise);
                }
                return Ok(op.compare_numbers(on, tn));
            }
        }
        let tag = tag_str(value)?;
        op.compare_strings(&tag)
    }
}

impl Operand {
    /// Parses `name(value)` with Python's `^(.+?)\((.*)\)`, resolves the name and precomputes.
    fn compile(s: &str) -> Option<Operand> {
        let (kind, value): (Kind, &str) = match split_function(s) {
            Some((name, value)) => match name {
                "lower" => (Kind::Lower, value),
                "wildcard" => {
                    let (kind, v) = wildcard(value)?;
                    (kind, v)
                }
                "regex" => (
                    Kind::Regex(Box::new(RegexPair {
                        raw: PyRegex::shared(value),
                        normalised: None,
                    })),
                    value,
                ),
                "equals" => (Kind::Equals, value),
                "contains" => (Kind::Contains, value),
                // Python's handler names are swapped: `startswith` checks the end and vice versa.
                "startswith" => (Kind::EndsWith, value),
                "endswith" => (Kind::StartsWith, value),
                "gt" | "greaterthan" => (Kind::Gt, value),
                "gte" | "greaterthanequalto" => (Kind::Gte, value),
                "lt" | "lessthan" => (Kind::Lt, value),
                "lte" | "lessthanequalto" => (Kind::Lte, value),
                _ => (Kind::Equals, s),
            },
            None => (Kind::Equals, s),
        };
        let num = py_float(value);
        let norm = match num {
            Some(x) if x.is_finite() => py_normalised(x),
            _ => String::new(),
        };
        let mut kind = kind;
        if let Kind::Regex(pair) = &mut kind {
            if num.is_some_and(f64::is_finite) {
                pair.normalised = Some(PyRegex::shared(&norm));
            }
        }
        let lower = if matches!(kind, Kind::Lower) {
            value.to_lowercase()
        } else {
            String::new()
        };
        Some(Operand {
            kind,
            raw: value.to_owned(),
            lower,
            num,
            norm,
        })
    }

    /// Both sides numeric and finite: compare their normalised forms.
    fn compare_numbers(&self, on: f64, tn: f64) -> bool {
        match &self.kind {
            // Normalised renderings are equal exactly when the values are (and are lower-case).
            Kind::Equals | Kind::Lower => on == tn,
            Kind::Contains => py_normalised(tn).contains(self.norm.as_str()),
            Kind::StartsWith => py_normalised(tn).starts_with(self.norm.as_str()),
            Kind::EndsWith => py_normalised(tn).ends_with(self.norm.as_str()),
            Kind::Regex(pair) => pair
                .normalised
                .as_ref()
                .is_some_and(|re| re.search(&py_normalised(tn))),
            Kind::Gt => tn > on,
            Kind::Gte => tn >= on,
            Kind::Lt => tn < on,
            Kind::Lte => tn <= on,
        }
    }

    /// At least one side is not a number: compare the strings as they are.
    fn compare_strings(&self, tag: &str) -> Result<bool, Raise> {
        let o = self.raw.as_str();
        Ok(match &self.kind {
            Kind::Equals => tag == o,
            Kind::Lower => {
                if tag.is_ascii() {
                    tag.len() == self.lower.len()
                        && tag
                            .bytes()
                            .zip(self.lower.bytes())
                            .all(|(t, l)| t.to_ascii_lowercase() == l)
                } else {
                    tag.to_lowercase() == self.lower
                }
            }
            Kind::Contains => tag.contains(o),
            Kind::StartsWith => tag.starts_with(o),
            Kind::EndsWith => tag.ends_with(o),
            Kind::Regex(pair) => pair.raw.search(tag),
            // `float(tag) OP float(operand)`: one of them is not a number, so Python raises.
            Kind::Gt | Kind::Gte | Kind::Lt | Kind::Lte => return Err(Raise),
        })
    }
}

/// Python's `re.search(r"^(.+?)\((.*)\)", s)`: `.` does not match `\n`, so everything happens on the first
/// line; the name is up to the first `(` after the first character, the value up to the last `)` of the line.
fn split_function(s: &str) -> Option<(&str, &str)> {
    let line = match s.find('\n') {
        Some(i) => &s[..i],
        None => s,
    };
    let first_len = line.chars().next()?.len_utf8();
    let open = first_len + line[first_len..].find('(')?;
    let close = line.rfind(')')?;
    if close <= open {
        return None;
    }
    Some((&line[..open], &line[open + 1..close]))
}

/// Python's wildcard split `(^\*|^)(.+?)(\*$|$)` (the value has no newline). `None`: Python raises.
fn wildcard(v: &str) -> Option<(Kind, &str)> {
    if v.is_empty() {
        return None;
    }
    let (start, rest) = match v.strip_prefix('*') {
        Some(r) if !r.is_empty() => (true, r),
        _ => (false, v),
    };
    let (end, middle) = match rest.strip_suffix('*') {
        Some(m) if !m.is_empty() => (true, m),
        _ => (false, rest),
    };
    let kind = match (start, end) {
        (true, true) => Kind::Contains,
        (true, false) => Kind::EndsWith,
        (false, true) => Kind::StartsWith,
        (false, false) => Kind::Equals,
    };
    Some((kind, middle))
}

/// A compiled `user` leaf: the comma-separated ids, stripped.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// `None`: the operand is not a string (Python raises).
    ids: Option<Vec<String>>,
    /// The variable holding the user id: `_vwo_user_id` (v1) or `_vwoUserId` (FME).
    key: &'static str,
}

impl User {
    pub(crate) fn compile(operand: &Value, key: &'static str) -> User {
        let ids = match operand {
            Value::String(s) => Some(s.split(',').map(|id| py_strip(id).to_owned()).collect()),
            _ => None,
        };
        User { ids, key }
    }

    pub(crate) fn evaluate(
        &self,
        variables: &Variables<'_>,
        user_id: Option<&str>,
    ) -> Result<bool, Raise> {
        let ids = self.ids.as_ref().ok_or(Raise)?;
        let uid = match user_id {
            Some(u) => u,
            // Python compares with `variables.get('_vwo_user_id')`: only a string can be equal.
            None => match variables.get(self.key) {
                Some(Value::String(s)) => s.as_str(),
                _ => return Ok(false),
            },
        };
        Ok(ids.iter().any(|id| id == uid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_function_is_pythons_regex() {
        assert_eq!(split_function("lower(X)"), Some(("lower", "X")));
        assert_eq!(split_function("lower(X)abc"), Some(("lower", "X")));
        assert_eq!(split_function("lower(X)b)"), Some(("lower", "X)b")));
        assert_eq!(split_function("lower(X)\nY)"), Some(("lower", "X")));
        assert_eq!(split_function("lower(X\nY)"), None);
        assert_eq!(split_function("lo\nwer(X)"), None);
        assert_eq!(split_function("(a)(b)"), Some(("(a)", "b")));
        assert_eq!(split_function("()"), None);
        assert_eq!(split_function("(()"), Some(("(", "")));
        assert_eq!(split_function("lower()"), Some(("lower", "")));
        assert_eq!(split_function("lower(("), None);
        assert_eq!(split_function("é(x)"), Some(("é", "x")));
        assert_eq!(split_function(""), None);
    }

    #[test]
    fn wildcard_split_is_pythons_regex() {
        let k = |v: &str| wildcard(v).map(|(k, m)| (format!("{k:?}"), m.to_string()));
        assert_eq!(k("*"), Some(("Equals".into(), "*".into())));
        assert_eq!(k("**"), Some(("EndsWith".into(), "*".into())));
        assert_eq!(k("***"), Some(("Contains".into(), "*".into())));
        assert_eq!(k("*x*"), Some(("Contains".into(), "x".into())));
        assert_eq!(k("x*"), Some(("StartsWith".into(), "x".into())));
        assert_eq!(k("*x"), Some(("EndsWith".into(), "x".into())));
        assert_eq!(k("a*b"), Some(("Equals".into(), "a*b".into())));
        assert_eq!(k(""), None);
    }
}
