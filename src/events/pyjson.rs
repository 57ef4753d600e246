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
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if (' '..='~').contains(&c) && c != '"' && c != '\\' {
            continue;
        }
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
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

/// Python's `str(v)` of the value `json.loads` would produce: strings as they are, `True`/`False`/`None`,
/// integers in decimal, floats as `repr(float)`, lists and dicts as Python prints them (`['a', 1]`,
/// `{'k': True}`, strings inside containers in `repr` form).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            write_py_repr(&mut out, v);
            out
        }
    }
}

/// Appends Python's `repr(v)` of the value `json.loads` would produce.
pub fn write_py_repr(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_py_str_repr(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_repr(out, e);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_str_repr(out, k);
                out.push_str(": ");
                write_py_repr(out, e);
            }
            out.push('}');
        }
    }
}

/// Appends Python's `repr(s)` of a `str`: single quotes unless the text contains `'` and no `"`;
/// backslash, the chosen quote, `\n`, `\r`, `\t` escaped; non-printable characters as `\xNN`, `\uNNNN`
/// or `\UNNNNNNNN`.
///
/// "Non-printable" follows Python's `str.isprintable` for ASCII, Latin-1 and the usual Unicode format,
/// separator and private-use characters; unassigned code points (category Cn) are not tracked and are
/// kept as they are.
pub fn write_py_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let cp = c as u32;
                let _ = if cp < 0x100 {
                    write!(out, "\\x{cp:02x}")
                } else if cp < 0x10000 {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// An approximation of Python's `str.isprintable` for one character (see [`write_py_str_repr`]).
fn is_printable(c: char) -> bool {
    let cp = c as u32;
    !matches!(cp,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e
        | 0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
}

/// Python's `repr(f)` for a float: `0.1`, `12.0`, `1e+16`, `1e-05`, `-0.0`, `inf`, `nan`.
pub fn py_float_repr(f: f64) -> String {
    let mut out = String::with_capacity(24);
    write_float_repr(&mut out, f);
    out
}

/// Appends Python's `repr(f)` to `out`.
pub fn write_float_repr(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let a = f.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits ("1.2345e3"), but breaks an exact tie between
    // two equally short candidates upwards; Python takes the one nearest to the binary value, ties to
    // even. The correctly rounded (ties-to-even) expansion to the same number of digits is that one.
    let mut sci = StackBuf {
        buf: [0; 32],
        len: 0,
    };
    let _ = write!(sci, "{a:e}");
    let shortest_digits = sci.buf[..sci.len]
        .iter()
        .take_while(|&&b| b != b'e')
        .filter(|b| b.is_ascii_digit())
        .count();
    if tie_possible(a) {
        sci.len = 0;
        let _ = write!(sci, "{:.*e}", shortest_digits.saturating_sub(1), a);
    }
    let sci = &sci.buf[..sci.len];
    let e_at = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
    let exp = std::str::from_utf8(&sci[(e_at + 1).min(sci.len())..])
        .ok()
        .and_then(|e| e.parse::<i32>().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &b in sci[..e_at].iter().filter(|b| b.is_ascii_digit()) {
        if nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    let digits = &digits[..nd];
    // Value = 0.DIGITS x 10^decpt.
    let decpt = exp + 1;
    if -4 < decpt && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            push_zeros(out, (-decpt) as usize);
            push_digits(out, digits);
        } else {
            let dp = decpt as usize;
            if dp < digits.len() {
                push_digits(out, &digits[..dp]);
                out.push('.');
                push_digits(out, &digits[dp..]);
            } else {
                push_digits(out, digits);
                push_zeros(out, dp - digits.len());
                out.push_str(".0");
            }
        }
    } else {
        out.push(digits[0] as char);
        if digits.len() > 1 {
            out.push('.');
            push_digits(out, &digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

/// Whether the exact binary value `a` (finite, > 0) could lie exactly halfway between two decimals of at
/// most 17 significant digits, i.e. its exact decimal expansion has at most 18 significant digits and
/// ends in 5. With `a = m * 2^e` (`m` odd) that needs `-26 <= e < 0` (`m * 5^-e` has more than 18 digits
/// otherwise), or `0 <= e <= 22` with `5^(e+1)` dividing `m`, for which `m % 5 == 0` is the cheap filter.
/// False for the typical `random()` value, so the common path formats once.
fn tie_possible(a: f64) -> bool {
    let bits = a.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    if m == 0 {
        return false;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    if e < 0 {
        e >= -26
    } else {
        e <= 22 && m % 5 == 0
    }
}

/// A fixed-size `fmt::Write` sink (no allocation); output beyond its capacity is an error.
struct StackBuf {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn push_digits(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|&b| b as char));
}

fn push_zeros(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('0', n));
}

/// Python truthiness of a JSON-decoded value (`0`, `0.0`, `""`, `[]`, `{}`, `False`, `None` are false).
pub fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i != 0
            } else if let Some(u) = n.as_u64() {
                u != 0
            } else {
                n.as_f64().is_some_and(|f| f != 0.0)
            }
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
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
