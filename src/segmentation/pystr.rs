//! Python's `str()` of a JSON value as `json.loads` would have built it, and `str.strip()`.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Number, Value};

use super::pynum::py_float_repr;
use super::tables::{NON_ASCII_SPACE, NON_PRINTABLE};
use super::Raise;

/// Python raises `RecursionError` around this depth; deeper containers evaluate as an exception.
const MAX_REPR_DEPTH: usize = 900;

/// The "tag value" of a custom variable: `None`→`""`, bools → `"true"`/`"false"`, everything else
/// `str(value)`.
pub(crate) fn tag_str(value: &Value) -> Result<Cow<'_, str>, Raise> {
    Ok(match value {
        Value::Null => Cow::Borrowed(""),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Number(n) => Cow::Owned(number_str(n)),
        Value::Array(_) | Value::Object(_) => {
            let mut out = String::new();
            repr_into(value, &mut out, 0)?;
            Cow::Owned(out)
        }
    })
}

/// `str(n)` of the Python int or float `json.loads` makes of a JSON number.
pub(crate) fn number_str(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        py_float_repr(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn repr_into(value: &Value, out: &mut String, depth: usize) -> Result<(), Raise> {
    if depth > MAX_REPR_DEPTH {
        return Err(Raise);
    }
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&number_str(n)),
        Value::String(s) => repr_str_into(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_into(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_str_into(k, out);
                out.push_str(": ");
                repr_into(v, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn is_printable(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return (0x20..0x7f).contains(&cp);
    }
    let idx = NON_PRINTABLE.partition_point(|&(lo, _)| lo <= cp);
    !(idx > 0 && cp <= NON_PRINTABLE[idx - 1].1)
}

/// Python's `repr(str)`.
fn repr_str_into(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let cp = c as u32;
                let _ = if cp < 0x100 {
                    write!(out, "\\x{cp:02x}")
                } else if cp < 0x10000 {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isspace()` for one character.
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | '\u{1c}'..='\u{1f}' | ' '
    ) || (!c.is_ascii() && NON_ASCII_SPACE.contains(&(c as u32)))
}

/// Python's `str.strip()` (no argument).
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: Value) -> String {
        match tag_str(&v) {
            Ok(c) => c.into_owned(),
            Err(_) => "<raise>".to_string(),
        }
    }

    #[test]
    fn str_of_json_values() {
        assert_eq!(s(json!(null)), "");
        assert_eq!(s(json!(true)), "true");
        assert_eq!(s(json!(false)), "false");
        assert_eq!(s(json!(123)), "123");
        assert_eq!(s(json!(-7)), "-7");
        assert_eq!(s(json!(18446744073709551615u64)), "18446744073709551615");
        assert_eq!(s(json!(123.0)), "123.0");
        assert_eq!(s(json!(1e16)), "1e+16");
        assert_eq!(s(json!(0.00001)), "1e-05");
        assert_eq!(s(json!(["a", 1])), "['a', 1]");
        assert_eq!(s(json!({"k": "v"})), "{'k': 'v'}");
        assert_eq!(
            s(json!([true, null, 1.0, "x\"y", "it's"])),
            "[True, None, 1.0, 'x\"y', \"it's\"]"
        );
        assert_eq!(s(json!([])), "[]");
        assert_eq!(s(json!({})), "{}");
        assert_eq!(
            s(json!(["a'b\"c\\\n\u{7}\u{a0}é\u{200b}😀"])),
            "['a\\'b\"c\\\\\\n\\x07\\xa0é\\u200b😀']"
        );
    }

    #[test]
    fn deep_containers_raise_instead_of_overflowing() {
        let mut v = json!(1);
        for _ in 0..2000 {
            v = Value::Array(vec![v]);
        }
        assert!(tag_str(&v).is_err());
        // Drop iteratively-ish: unwrap layers to avoid a deep recursive drop in the test itself.
        let mut cur = v;
        while let Value::Array(mut items) = cur {
            cur = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn strip_is_python_strip() {
        assert_eq!(py_strip("\u{1c} a\u{a0}\t"), "a");
        assert_eq!(py_strip("\u{200b}a"), "\u{200b}a");
    }
}
