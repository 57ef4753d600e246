//! Python's text forms of the values `json.loads` builds, as vwo-python-sdk's behaviour depends on
//! them: `repr(float)`, `repr(str)`, `str()`/`repr()` of lists and dicts, and truthiness. One place for
//! segmentation (tag values) and events (query parameters, tags) alike.

pub(crate) mod tables;

use serde_json::{Number, Value};
use std::fmt::Write as _;
use tables::NON_PRINTABLE;

/// Python raises `RecursionError` around this depth; deeper containers are an error.
pub(crate) const MAX_REPR_DEPTH: usize = 900;

/// A container nested deeper than [`MAX_REPR_DEPTH`] (Python would raise `RecursionError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep;

/// `str(n)` of the Python int or float `json.loads` makes of a JSON number.
pub fn number_str(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        py_float_repr(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Python's `str(v)`: a string as it is, anything else as its `repr`. A container nested deeper than
/// Python could print is cut at that depth.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            let _ = repr_into(v, &mut out, 0);
            out
        }
    }
}

/// Appends Python's `repr(v)`; `Err` when nested deeper than Python could print.
pub fn write_py_repr(out: &mut String, v: &Value) -> Result<(), TooDeep> {
    repr_into(v, out, 0)
}

/// Appends Python's `repr(s)` of a `str`.
pub fn write_py_str_repr(out: &mut String, s: &str) {
    repr_str_into(s, out)
}

pub(crate) fn repr_into(value: &Value, out: &mut String, depth: usize) -> Result<(), TooDeep> {
    if depth > MAX_REPR_DEPTH {
        return Err(TooDeep);
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
pub(crate) fn tie_possible(a: f64) -> bool {
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
