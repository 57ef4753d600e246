//! Python-compatible renderings of JSON values, as the Python SDK puts them on the wire:
//!
//! * [`dumps`]: `json.dumps(v)` with its defaults (separators `", "` / `": "`, `ensure_ascii=True`,
//!   floats as `repr(float)`), which is also what `requests` writes for `json=` bodies;
//! * [`py_str`]: `str(v)` of the value `json.loads` would give (`True`, `None`, `12.0`, `{'a': 1}`), which
//!   is how `requests` renders typed query parameters and how the SDK stringifies custom dimensions;
//! * [`py_float_repr`]: `repr(float)` (shortest round-trip digits, exponent form outside `1e-4 <= |x| < 1e16`).
//!
//! serde_json keeps integers (`i64`/`u64`) apart from floats (`f64`), as Python keeps `int` apart from
//! `float`: `12` stays `12`, `12.0` stays `12.0`.

pub use crate::python::{
    py_float_repr, py_str, py_truthy, write_float_repr, write_py_repr, write_py_str_repr,
};

use serde_json::{Number, Value};
use std::fmt::Write as _;

/// `json.dumps(v)` with Python's default arguments.
pub fn dumps(v: &Value) -> String {
    let mut out = String::with_capacity(64);
    write_dumps(&mut out, v);
    out
}

/// Appends `json.dumps(v)` to `out`.
pub fn write_dumps(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_json_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_dumps(out, e);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, k);
                out.push_str(": ");
                write_dumps(out, e);
            }
            out.push('}');
        }
    }
}

/// Appends a JSON string literal with `ensure_ascii=True` escaping: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`,
/// `\f`, every other character outside `' '..='~'` as `\uXXXX` (lower-case hex, UTF-16 surrogate pairs
/// above U+FFFF).
pub fn write_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        // `i` is always at a character boundary: ASCII advances by one byte, anything else by its
        // character's length.
        let c = s[i..].chars().next().unwrap_or('\u{fffd}');
        i += c.len_utf8();
        start = i;
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        write_float_repr(out, f);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::python::tie_possible;
    use serde_json::json;

    #[test]
    fn floats() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (12.0, "12.0"),
            (12.5, "12.5"),
            (0.1, "0.1"),
            (0.123456789, "0.123456789"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.7, "1234567890123456.8"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-2.5, "-2.5"),
            (123456.789, "123456.789"),
            (591_678_126_893_670.0 + 0.25, "591678126893670.2"),
            (-633_018_349_089.0 - 0.78125, "-633018349089.7812"),
            (0.375, "0.375"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (f, want) in cases {
            assert_eq!(py_float_repr(*f), *want, "{f:?}");
        }
    }

    #[test]
    fn tie_filter() {
        assert!(
            tie_possible(12.5) && tie_possible(0.375) && tie_possible(591_678_126_893_670.0 + 0.25)
        );
        assert!(!tie_possible(0.6584033606686923) && !tie_possible(0.1) && !tie_possible(5e-324));
    }

    #[test]
    fn dumps_like_python() {
        let v: Value = serde_json::from_str(
            r#"{"a": 1, "b": [1.0, 2.5, 1e16, -3], "c": {"d": null, "e": true, "f": false}, "g": "x\"y\\z\n\t/é用😀", "h": [], "i": {}}"#,
        )
        .unwrap();
        assert_eq!(
            dumps(&v),
            r#"{"a": 1, "b": [1.0, 2.5, 1e+16, -3], "c": {"d": null, "e": true, "f": false}, "g": "x\"y\\z\n\t/\u00e9\u7528\ud83d\ude00", "h": [], "i": {}}"#
        );
        assert_eq!(
            dumps(&json!("\u{1}\u{7f}\u{8}\u{c}\r")),
            r#""\u0001\u007f\b\f\r""#
        );
        assert_eq!(dumps(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(dumps(&json!(i64::MIN)), "-9223372036854775808");
    }

    #[test]
    fn str_like_python() {
        assert_eq!(py_str(&json!("a b")), "a b");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(false)), "False");
        assert_eq!(py_str(&Value::Null), "None");
        assert_eq!(py_str(&json!(10)), "10");
        assert_eq!(py_str(&json!(10.0)), "10.0");
        assert_eq!(py_str(&json!(1e-5)), "1e-05");
        assert_eq!(
            py_str(&json!({"k": "v", "n": [1, 2.5, null, true], "q": "it's", "b": "a\\b"})),
            r#"{'k': 'v', 'n': [1, 2.5, None, True], 'q': "it's", 'b': 'a\\b'}"#
        );
        assert_eq!(
            py_str(&json!(["'\"", "é\n\u{0}\u{a0}"])),
            r#"['\'"', 'é\n\x00\xa0']"#
        );
        assert_eq!(
            py_str(&json!(["\u{2028}", "\u{e0001}"])),
            r#"['\u2028', '\U000e0001']"#
        );
    }

    #[test]
    fn truthiness() {
        for v in [
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
            json!(false),
            Value::Null,
        ] {
            assert!(!py_truthy(&v), "{v}");
        }
        for v in [
            json!(1),
            json!(0.5),
            json!("0"),
            json!([0]),
            json!({"a": 0}),
            json!(true),
        ] {
            assert!(py_truthy(&v), "{v}");
        }
    }
}
