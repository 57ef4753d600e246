//! Python's `str()` of a JSON value as `json.loads` would have built it, and `str.strip()`.

use std::borrow::Cow;

use serde_json::Value;

use super::Raise;
use crate::python::tables::NON_ASCII_SPACE;
use crate::python::{number_str, repr_into};

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
            repr_into(value, &mut out, 0).map_err(|_| Raise)?;
            Cow::Owned(out)
        }
    })
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
