//! Python number semantics used by the segment evaluator: `float(str)` parsing and the
//! `str(int(x))` / `repr(x)` renderings of an `f64`.

use crate::python::py_float_repr;
use crate::python::tables::{DECIMAL_ZEROS, NON_ASCII_SPACE};

/// Python's `float(s)` for a `str`: `Some(value)` when Python accepts it (NaN and ±inf included),
/// `None` when Python raises `ValueError`.
///
/// Rules (CPython 3.11): non-ASCII white space becomes a space and non-ASCII decimal digits become
/// ASCII digits; ASCII white space (` \t\n\v\f\r`, not `\x1c`–`\x1f`) is stripped at both ends; then an
/// optional sign and either `inf`/`infinity`/`nan` (any case) or a decimal literal whose digit groups
/// may contain single underscores between digits.
pub(crate) fn py_float(s: &str) -> Option<f64> {
    if s.is_ascii() {
        parse_ascii(s.as_bytes())
    } else {
        let mut buf = String::with_capacity(s.len());
        for c in s.chars() {
            if c.is_ascii() {
                buf.push(c);
            } else if NON_ASCII_SPACE.contains(&(c as u32)) {
                buf.push(' ');
            } else if let Some(d) = unicode_decimal(c) {
                buf.push(char::from(b'0' + d));
            } else {
                return None;
            }
        }
        parse_ascii(buf.as_bytes())
    }
}

/// The decimal value of a non-ASCII Unicode decimal digit (category Nd).
fn unicode_decimal(c: char) -> Option<u8> {
    let cp = c as u32;
    // DECIMAL_ZEROS is sorted: find the last zero <= cp.
    let idx = DECIMAL_ZEROS.partition_point(|&z| z <= cp);
    if idx == 0 {
        return None;
    }
    let zero = DECIMAL_ZEROS[idx - 1];
    let d = cp - zero;
    if d < 10 {
        u8::try_from(d).ok()
    } else {
        None
    }
}

fn is_ascii_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn parse_ascii(bytes: &[u8]) -> Option<f64> {
    let mut start = 0;
    let mut end = bytes.len();
    while start < end && is_ascii_py_space(bytes[start]) {
        start += 1;
    }
    while end > start && is_ascii_py_space(bytes[end - 1]) {
        end -= 1;
    }
    let t = &bytes[start..end];
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t[0] {
        b'+' => (false, &t[1..]),
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    let special = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        Some(f64::INFINITY)
    } else if body.eq_ignore_ascii_case(b"nan") {
        Some(f64::NAN)
    } else {
        None
    };
    if let Some(v) = special {
        return Some(if neg { -v } else { v });
    }
    let has_underscore = check_decimal(body)?;
    let text = std::str::from_utf8(t).ok()?;
    if has_underscore {
        let cleaned: String = text.chars().filter(|&c| c != '_').collect();
        cleaned.parse::<f64>().ok()
    } else {
        text.parse::<f64>().ok()
    }
}

/// Validates Python's float literal grammar (without sign): `digitpart? ("." digitpart?)? exponent?` with
/// at least one digit before the exponent. Returns whether underscores occur.
fn check_decimal(b: &[u8]) -> Option<bool> {
    let mut i = 0;
    let mut underscore = false;
    // digitpart ::= digit (["_"] digit)*
    let digitpart = |i: &mut usize, underscore: &mut bool| -> usize {
        let mut n = 0;
        while *i < b.len() {
            if b[*i].is_ascii_digit() {
                n += 1;
                *i += 1;
            } else if b[*i] == b'_' && n > 0 && *i + 1 < b.len() && b[*i + 1].is_ascii_digit() {
                *underscore = true;
                *i += 1;
            } else {
                break;
            }
        }
        n
    };
    let int_digits = digitpart(&mut i, &mut underscore);
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac_digits = digitpart(&mut i, &mut underscore);
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digitpart(&mut i, &mut underscore) == 0 {
            return None;
        }
    }
    if i == b.len() {
        Some(underscore)
    } else {
        None
    }
}

/// The string Python's segment normalisation gives a finite float: `str(int(x))` when `x` has no
/// fractional part, else `str(x)` (= `repr(x)`).
pub(crate) fn py_normalised(x: f64) -> String {
    if x.floor() == x {
        py_int_of_float(x)
    } else {
        py_float_repr(x)
    }
}

/// `str(int(x))` for a finite, integral `x`: the exact decimal value of the double.
pub(crate) fn py_int_of_float(x: f64) -> String {
    if x.abs() < 1e18 {
        // Exact: |x| < 2^63 and integral.
        #[allow(clippy::cast_possible_truncation)]
        let i = x as i64;
        return i.to_string();
    }
    // x = mantissa * 2^exp with exp > 0 here (|x| >= 1e18 > 2^53).
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let exp = exp_bits - 1075;
    // Little-endian base 1e9 limbs.
    let mut limbs: Vec<u32> = Vec::new();
    let mut m = mantissa;
    while m > 0 {
        limbs.push((m % 1_000_000_000) as u32);
        m /= 1_000_000_000;
    }
    let mut remaining = exp.max(0);
    while remaining > 0 {
        let shift = remaining.min(30);
        remaining -= shift;
        let mut carry: u64 = 0;
        for limb in limbs.iter_mut() {
            let v = (u64::from(*limb) << shift) + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    }
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    let mut iter = limbs.iter().rev();
    if let Some(first) = iter.next() {
        out.push_str(&first.to_string());
    }
    for limb in iter {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_parsing_follows_python() {
        let ok: &[(&str, f64)] = &[
            ("12", 12.0),
            (" 12 ", 12.0),
            ("\u{85}12", 12.0),
            ("12\u{a0}", 12.0),
            ("\u{2009}12", 12.0),
            ("1_0", 10.0),
            ("1_0.5e1_0", 105000000000.0),
            ("1.5_0", 1.5),
            ("0_0", 0.0),
            ("00", 0.0),
            ("1.", 1.0),
            (".5e1", 5.0),
            ("+5", 5.0),
            ("-5.0", -5.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("\u{661}\u{662}.\u{665}", 12.5),
            ("\u{ff11}\u{ff12}", 12.0),
        ];
        for (s, v) in ok {
            assert_eq!(py_float(s), Some(*v), "{s:?}");
        }
        for s in ["infinity", "+inf", "iNfInItY", "inF", "-inf"] {
            assert!(py_float(s).is_some_and(f64::is_infinite), "{s:?}");
        }
        for s in ["-nan", "nAn", "nan"] {
            assert!(py_float(s).is_some_and(f64::is_nan), "{s:?}");
        }
        for s in [
            "\u{1c}12", "_1", "1e_1", "1_e1", ".", "e5", "1e", "infi", "1 2", "\u{7f}1", "1\0", "",
            " ", "0x10", "1__0", "1_", "1_.5", "1._5", "abc", "true", "[6]",
        ] {
            assert_eq!(py_float(s), None, "{s:?}");
        }
    }

    #[test]
    fn renderings_follow_python() {
        assert_eq!(py_float_repr(123.0), "123.0");
        assert_eq!(py_float_repr(1.5), "1.5");
        assert_eq!(py_float_repr(1e-5), "1e-05");
        assert_eq!(py_float_repr(1.5e-7), "1.5e-07");
        assert_eq!(py_float_repr(0.0001), "0.0001");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1e15), "1000000000000000.0");
        assert_eq!(py_float_repr(1.2345e300), "1.2345e+300");
        assert_eq!(py_float_repr(-0.0), "-0.0");
        assert_eq!(py_float_repr(-2.5), "-2.5");
        assert_eq!(py_float_repr(0.1), "0.1");
        assert_eq!(py_float_repr(5e-324), "5e-324");
        assert_eq!(
            py_float_repr(1.7976931348623157e308),
            "1.7976931348623157e+308"
        );
        assert_eq!(
            py_float_repr(591_678_126_893_670.0 + 0.25),
            "591678126893670.2"
        );
        assert_eq!(py_normalised(5.0), "5");
        assert_eq!(py_normalised(-0.0), "0");
        assert_eq!(py_normalised(12.5), "12.5");
        assert_eq!(py_normalised(0.00005), "5e-05");
        assert_eq!(py_normalised(1e16), "10000000000000000");
        assert_eq!(py_normalised(-1e20), "-100000000000000000000");
        assert_eq!(
            py_normalised(1e300),
            "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864\
             0437044438328838781769425232353604305756447921847867069828483872009265758037378302337947880900593689\
             53234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"
        );
        assert_eq!(
            py_normalised(18446744073709551616.0),
            "18446744073709551616"
        );
    }
}
