//! Casting a feature variable's value to its declared type as vwo-python-sdk does (spec §1.9): a value
//! already of the type is returned as is; otherwise `str()`, `int()`, `float()` or `json.loads()` is
//! applied, and a failed conversion (or any conversion to `boolean`) gives `None`.

use crate::events::pyjson::py_str;
use serde_json::{Number, Value};

/// The value of a variable of type `kind`, cast as Python casts it.
pub fn cast(kind: &str, value: &Value) -> Option<Value> {
    match kind {
        "string" => match value {
            Value::String(_) => Some(value.clone()),
            other => Some(Value::String(py_str(other))),
        },
        "integer" => match value {
            // Python's bool is an int: `isinstance(True, int)` holds, so it is returned unchanged.
            Value::Bool(_) => Some(value.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
            Value::Number(n) => {
                let f = n.as_f64()?;
                if !f.is_finite() {
                    return None;
                }
                Some(Value::from(f.trunc() as i64))
            }
            Value::String(s) => python_int(s).map(Value::from),
            _ => None,
        },
        "double" => match value {
            Value::Number(n) if n.is_f64() => Some(value.clone()),
            Value::Number(n) => n.as_f64().and_then(Number::from_f64).map(Value::Number),
            Value::Bool(b) => Number::from_f64(if *b { 1.0 } else { 0.0 }).map(Value::Number),
            Value::String(s) => python_float(s)
                .and_then(Number::from_f64)
                .map(Value::Number),
            _ => None,
        },
        "boolean" => match value {
            Value::Bool(_) => Some(value.clone()),
            _ => None,
        },
        "json" => match value {
            Value::Object(_) => Some(value.clone()),
            Value::String(s) => serde_json::from_str(s).ok(),
            _ => None,
        },
        _ => Some(value.clone()),
    }
}

/// Python `int(str)`: optional surrounding whitespace, sign, decimal digits with single underscores
/// between them.
fn python_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    clean.parse::<i64>().ok().map(|v| sign * v)
}

/// Python `float(str)` for finite values (infinities and NaN cannot be JSON numbers, so they fail here).
fn python_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    clean.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_casting() {
        assert_eq!(cast("integer", &json!("12.5")), None);
        assert_eq!(cast("integer", &json!(12.9)), Some(json!(12)));
        assert_eq!(cast("integer", &json!(" 12 ")), Some(json!(12)));
        assert_eq!(cast("integer", &json!(true)), Some(json!(true)));
        assert_eq!(cast("double", &json!(12)), Some(json!(12.0)));
        assert_eq!(cast("double", &json!("1e3")), Some(json!(1000.0)));
        assert_eq!(cast("boolean", &json!("true")), None);
        assert_eq!(cast("json", &json!("{\"a\": 1}")), Some(json!({"a": 1})));
        assert_eq!(cast("json", &json!(5)), None);
        assert_eq!(cast("string", &json!("x")), Some(json!("x")));
    }
}
