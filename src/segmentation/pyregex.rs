//! Python `re.search` semantics on top of the `regex` crate (and `fancy_regex` for look-around and
//! back-references).
//!
//! A Python pattern is first translated to the Rust engines' syntax, resolving the places where the two
//! syntaxes read the same text differently:
//! * `{` that does not start a valid quantifier is a literal in Python; `{,n}` means `{0,n}`;
//! * inside `[...]`, `[`, `&&`, `--`, `~~` are literals in Python (set operations in Rust), and a `]` right
//!   after `[` or `[^` is a literal;
//! * `\Z` is Rust's `\z`; `\b` in a class is a backspace; `\0`/`\ooo` are octal escapes; escapes of
//!   ASCII letters Python does not know (`\p`, `\z`, `\e`, …) are errors;
//! * `(?P=name)` is a named back-reference; `(?#...)` is a comment;
//! * `$` (without `(?m)`) also matches before a newline that ends the text: a second program where `$`
//!   is `(?=\n?\z)` is used for texts that end with `\n`.
//! * Python checks quantifiers: `a**`, `^?`, `(*a)`, `a{2}{3}` are errors; a quantified look-around
//!   (`(?=b)?`, `(?=b)+`) is legal there: min 0 drops the assertion, min >= 1 keeps it once.
//!
//! A pattern Python rejects (or that neither engine can compile) never matches: the SDK catches the
//! `re.error` and returns false for the leaf.
//! Known remaining differences: `\N{NAME}` escapes and Python-only constructs fancy_regex lacks (e.g.
//! possessive quantifiers, if unsupported) make the leaf false; `\w`/`\d` follow Rust's Unicode tables
//! (Python's `\w` also matches category `No`); fancy_regex's backtrack limit makes a search false where
//! Python would finish. `tests/segmentation_differential.py` compares random patterns with the SDK.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use std::fmt::Write as _;

/// A compiled Python regex, searched (unanchored) with `is_match`.
#[derive(Debug, Clone)]
pub(crate) struct PyRegex {
    plain: Engine,
    /// The pattern variant used instead of `plain` when the text ends with `\n` and the pattern has a
    /// `$`; compiled on first need, since such texts are rare.
    before_final_newline: Option<(String, OnceLock<Engine>)>,
}

/// Compiled patterns shared by every segment of every settings snapshot: VWO settings repeat the same
/// few patterns across many campaigns, and a settings refresh recompiles nothing it has seen. Bounded:
/// the cache is emptied when it reaches `CACHE_CAPACITY` patterns.
static CACHE: LazyLock<Mutex<HashMap<String, Arc<PyRegex>>>> = LazyLock::new(Default::default);
const CACHE_CAPACITY: usize = 4096;

#[derive(Debug, Clone)]
enum Engine {
    Std(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
    /// Python raises `re.error`: the leaf is false.
    Invalid,
}

impl Engine {
    fn build(pattern: &str, needs_fancy: bool) -> Engine {
        if !needs_fancy {
            if let Ok(re) = regex::Regex::new(pattern) {
                return Engine::Std(re);
            }
        }
        match fancy_regex::Regex::new(pattern) {
            Ok(re) => Engine::Fancy(Box::new(re)),
            Err(_) => Engine::Invalid,
        }
    }

    fn is_match(&self, text: &str) -> bool {
        match self {
            Engine::Std(re) => re.is_match(text),
            // A backtracking-limit error: treat as no match (Python would keep going; documented).
            Engine::Fancy(re) => re.is_match(text).unwrap_or(false),
            Engine::Invalid => false,
        }
    }
}

impl PyRegex {
    /// The compiled form of `pattern`, from the process-wide cache when it was compiled before.
    pub(crate) fn shared(pattern: &str) -> Arc<PyRegex> {
        let mut cache = match CACHE.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(re) = cache.get(pattern) {
            return re.clone();
        }
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        let re = Arc::new(PyRegex::new(pattern));
        cache.insert(pattern.to_string(), re.clone());
        re
    }

    /// Compiles `pattern` with Python `re` syntax. Never fails: an invalid pattern never matches.
    pub(crate) fn new(pattern: &str) -> PyRegex {
        match translate(pattern) {
            Ok(t) => {
                let before_final_newline = if t.has_dollar && !t.multiline {
                    Some((t.newline_variant.clone(), OnceLock::new()))
                } else {
                    None
                };
                PyRegex {
                    plain: Engine::build(&t.plain, t.needs_fancy),
                    before_final_newline,
                }
            }
            Err(()) => PyRegex {
                plain: Engine::Invalid,
                before_final_newline: None,
            },
        }
    }

    /// Python's `re.search(pattern, text) is not None`.
    pub(crate) fn search(&self, text: &str) -> bool {
        match &self.before_final_newline {
            Some((variant, engine)) if text.ends_with('\n') => engine
                .get_or_init(|| Engine::build(variant, true))
                .is_match(text),
            _ => self.plain.is_match(text),
        }
    }

    /// Whether Python would reject the pattern (for tests).
    #[cfg(test)]
    pub(crate) fn is_invalid(&self) -> bool {
        matches!(self.plain, Engine::Invalid)
    }
}

struct Translated {
    plain: String,
    newline_variant: String,
    has_dollar: bool,
    multiline: bool,
    needs_fancy: bool,
}

struct Out {
    plain: String,
    nl: String,
}

impl Out {
    fn push_str(&mut self, s: &str) {
        self.plain.push_str(s);
        self.nl.push_str(s);
    }
    fn push(&mut self, c: char) {
        self.plain.push(c);
        self.nl.push(c);
    }
    fn literal(&mut self, c: char) {
        let mut buf = String::new();
        let _ = write!(buf, "\\x{{{:x}}}", c as u32);
        self.push_str(&buf);
    }
}

/// One parsed escape.
enum Esc {
    Char(char),
    /// A class shorthand or assertion passed through verbatim (`\d`, `\b`, `\A`, …).
    Verbatim(&'static str),
    BackRef(u32),
}

fn hex(chars: &[char], i: &mut usize, n: usize) -> Result<char, ()> {
    if *i + n > chars.len() {
        return Err(());
    }
    let s: String = chars[*i..*i + n].iter().collect();
    if !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(());
    }
    *i += n;
    let v = u32::from_str_radix(&s, 16).map_err(|_| ())?;
    char::from_u32(v).ok_or(())
}

fn is_oct(c: Option<&char>) -> bool {
    matches!(c, Some('0'..='7'))
}

/// Parses the escape whose letter is at `chars[*i]` (the backslash is already consumed).
fn escape(chars: &[char], i: &mut usize, in_class: bool) -> Result<Esc, ()> {
    let c = *chars.get(*i).ok_or(())?;
    *i += 1;
    let simple = |v: &'static str| Ok(Esc::Verbatim(v));
    match c {
        'd' => simple("\\d"),
        'D' => simple("\\D"),
        's' => simple("\\s"),
        'S' => simple("\\S"),
        'w' => simple("\\w"),
        'W' => simple("\\W"),
        'a' => Ok(Esc::Char('\u{07}')),
        'f' => Ok(Esc::Char('\u{0c}')),
        'n' => Ok(Esc::Char('\n')),
        'r' => Ok(Esc::Char('\r')),
        't' => Ok(Esc::Char('\t')),
        'v' => Ok(Esc::Char('\u{0b}')),
        'x' => hex(chars, i, 2).map(Esc::Char),
        'u' => hex(chars, i, 4).map(Esc::Char),
        'U' => hex(chars, i, 8).map(Esc::Char),
        'b' if in_class => Ok(Esc::Char('\u{08}')),
        'b' => simple("\\b"),
        'B' if !in_class => simple("\\B"),
        'A' if !in_class => simple("\\A"),
        'Z' if !in_class => simple("\\z"),
        '0'..='7'
            if c == '0' || in_class || (is_oct(chars.get(*i)) && is_oct(chars.get(*i + 1))) =>
        {
            // Octal: up to three digits in total.
            let mut v = c.to_digit(8).ok_or(())?;
            let mut n = 1;
            while n < 3 && is_oct(chars.get(*i)) {
                v = v * 8 + chars[*i].to_digit(8).ok_or(())?;
                *i += 1;
                n += 1;
            }
            if v > 0o377 {
                return Err(());
            }
            char::from_u32(v).map(Esc::Char).ok_or(())
        }
        '1'..='9' if !in_class => {
            let mut v = c.to_digit(10).ok_or(())?;
            if let Some(d) = chars.get(*i).and_then(|d| d.to_digit(10)) {
                v = v * 10 + d;
                *i += 1;
            }
            Ok(Esc::BackRef(v))
        }
        c if c.is_ascii_alphanumeric() => Err(()),
        c => Ok(Esc::Char(c)),
    }
}

fn translate(pattern: &str) -> Result<Translated, ()> {
    let chars: Vec<char> = pattern.chars().collect();
    let n = chars.len();
    let mut out = Out {
        plain: String::with_capacity(pattern.len() + 8),
        nl: String::new(),
    };
    let mut has_dollar = false;
    let mut multiline = false;
    let mut needs_fancy = false;
    // 0: the last item can be repeated; 1: it is a quantifier; 2: a quantifier with its `?`/`+` modifier;
    // 3: nothing to repeat (start, `(`, `|`, or an anchor): a quantifier is an error in Python;
    // 4: a look-around group just closed (Python lets it be quantified, the Rust engines do not);
    // 5: the quantifier of a look-around was resolved away (a lazy/possessive modifier is dropped too).
    let mut quant = 3u8;
    // Open groups: the output lengths where a look-around group started, `None` for other groups.
    let mut groups: Vec<Option<(usize, usize)>> = Vec::new();
    let mut look = (0, 0);
    let mut i = 0;
    while i < n {
        let c = chars[i];
        i += 1;
        if matches!(c, '*' | '+' | '?') {
            // Python: "multiple repeat" unless it is the lazy/possessive modifier of a quantifier.
            let prev = quant;
            quant = match (quant, c) {
                (0, _) => 1,
                (1, '?' | '+') => 2,
                (4, _) => {
                    // `(?=x)*` / `(?=x)?` can match zero times: always true, drop the group;
                    // `(?=x)+` is the assertion once: drop the quantifier.
                    if c != '+' {
                        out.plain.truncate(look.0);
                        out.nl.truncate(look.1);
                    }
                    5
                }
                (5, '?' | '+') => 2,
                _ => return Err(()),
            };
            if prev < 4 {
                out.push(c);
            }
            continue;
        }
        let was_quant = std::mem::replace(&mut quant, 0);
        match c {
            '\\' => match escape(&chars, &mut i, false)? {
                Esc::Char(ch) => out.literal(ch),
                Esc::Verbatim(v) => {
                    if matches!(v, "\\b" | "\\B" | "\\A" | "\\z") {
                        quant = 3;
                    }
                    out.push_str(v);
                }
                Esc::BackRef(k) => {
                    needs_fancy = true;
                    out.push_str(&format!("\\{k}"));
                }
            },
            '[' => class(&chars, &mut i, &mut out)?,
            '{' => {
                // Python: a quantifier only if `{digits?(,digits?)?}` and not `{}`.
                let mut j = i;
                let lo_start = j;
                while j < n && chars[j].is_ascii_digit() {
                    j += 1;
                }
                let lo: String = chars[lo_start..j].iter().collect();
                let mut hi: Option<String> = None;
                if j < n && chars[j] == ',' {
                    j += 1;
                    let hs = j;
                    while j < n && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    hi = Some(chars[hs..j].iter().collect());
                }
                let is_quant = j < n && chars[j] == '}' && !(lo.is_empty() && hi.is_none());
                if is_quant && was_quant == 4 {
                    if lo.is_empty() || lo.bytes().all(|b| b == b'0') {
                        out.plain.truncate(look.0);
                        out.nl.truncate(look.1);
                    }
                    quant = 5;
                    i = j + 1;
                } else if is_quant {
                    if was_quant != 0 {
                        return Err(());
                    }
                    quant = 1;
                    let lo = if lo.is_empty() { "0".to_string() } else { lo };
                    match hi {
                        Some(h) => out.push_str(&format!("{{{lo},{h}}}")),
                        None => out.push_str(&format!("{{{lo}}}")),
                    }
                    i = j + 1;
                } else {
                    out.push_str("\\{");
                }
            }
            '}' => out.push_str("\\}"),
            '^' | '|' | '(' if !(c == '(' && chars.get(i) == Some(&'?')) => {
                if c == '(' {
                    groups.push(None);
                }
                quant = 3;
                out.push(c);
            }
            ')' => {
                match groups.pop() {
                    None => return Err(()),
                    Some(Some(start)) => {
                        look = start;
                        quant = 4;
                    }
                    Some(None) => {}
                }
                out.push(c);
            }
            '$' => {
                quant = 3;
                has_dollar = true;
                out.plain.push('$');
                out.nl.push_str("(?=\\n?\\z)");
            }
            '(' if chars.get(i) == Some(&'?') => {
                let rest: String = chars[i + 1..].iter().take(3).collect();
                if rest.starts_with('#') {
                    // Comment group: skip to the closing parenthesis.
                    while i < n && chars[i] != ')' {
                        i += 1;
                    }
                    if i == n {
                        return Err(());
                    }
                    i += 1;
                } else if rest.starts_with("P=") {
                    let start = i + 3;
                    let mut j = start;
                    while j < n && chars[j] != ')' {
                        j += 1;
                    }
                    if j == n || j == start {
                        return Err(());
                    }
                    let name: String = chars[start..j].iter().collect();
                    out.push_str(&format!("\\k<{name}>"));
                    needs_fancy = true;
                    i = j + 1;
                } else if rest.starts_with("P<") {
                    groups.push(None);
                    out.push_str("(?P<");
                    i += 3;
                } else if rest.starts_with('=')
                    || rest.starts_with('!')
                    || rest.starts_with("<=")
                    || rest.starts_with("<!")
                    || rest.starts_with('>')
                    || rest.starts_with('(')
                {
                    let is_look = !(rest.starts_with('>') || rest.starts_with('('));
                    groups.push(is_look.then_some((out.plain.len(), out.nl.len())));
                    needs_fancy = true;
                    quant = 3;
                    out.push_str("(?");
                    i += 1;
                } else {
                    // Flags: (?aiLmsux) or (?flags-flags:...); `m` changes what `$` means.
                    let flags = chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic() || **c == '-');
                    if flags.clone().any(|&c| c == 'm') {
                        multiline = true;
                    }
                    groups.push(None);
                    out.push_str("(?");
                    i += 1;
                }
            }
            c => out.push(c),
        }
    }
    Ok(Translated {
        plain: out.plain,
        newline_variant: out.nl,
        has_dollar,
        multiline,
        needs_fancy,
    })
}

enum ClassItem {
    Char(char),
    Verbatim(&'static str),
}

fn class_atom(chars: &[char], i: &mut usize) -> Result<ClassItem, ()> {
    let c = *chars.get(*i).ok_or(())?;
    *i += 1;
    if c == '\\' {
        match escape(chars, i, true)? {
            Esc::Char(ch) => Ok(ClassItem::Char(ch)),
            Esc::Verbatim(v) => Ok(ClassItem::Verbatim(v)),
            Esc::BackRef(_) => Err(()),
        }
    } else {
        Ok(ClassItem::Char(c))
    }
}

/// Translates a Python character class; `chars[*i]` is the character after `[`.
fn class(chars: &[char], i: &mut usize, out: &mut Out) -> Result<(), ()> {
    let mut s = String::from("[");
    if chars.get(*i) == Some(&'^') {
        s.push('^');
        *i += 1;
    }
    let mut first = true;
    loop {
        let c = *chars.get(*i).ok_or(())?;
        if c == ']' && !first {
            *i += 1;
            break;
        }
        first = false;
        let lo = class_atom(chars, i)?;
        let is_range = chars.get(*i) == Some(&'-') && chars.get(*i + 1).is_some_and(|&c| c != ']');
        if is_range {
            *i += 1;
            let hi = class_atom(chars, i)?;
            match (lo, hi) {
                (ClassItem::Char(a), ClassItem::Char(b)) if a <= b => {
                    let _ = write!(s, "\\x{{{:x}}}-\\x{{{:x}}}", a as u32, b as u32);
                }
                _ => return Err(()),
            }
        } else {
            match lo {
                ClassItem::Char(a) => {
                    let _ = write!(s, "\\x{{{:x}}}", a as u32);
                }
                ClassItem::Verbatim(v) => s.push_str(v),
            }
        }
    }
    s.push(']');
    out.push_str(&s);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_regex_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("b$", "ab\n", true),
            ("b$", "ab\n\n", false),
            ("b$", "ab", true),
            ("b\\Z", "ab", true),
            ("b\\Z", "ab\n", false),
            ("a(?=b)", "ab", true),
            ("(a)\\1", "aa", true),
            ("(?P<x>a)(?P=x)", "aa", true),
            ("a{", "a{", true),
            ("a{,2}b", "b", true),
            ("a{2}", "aa", true),
            ("x{}", "x{}", true),
            ("[[]", "[", true),
            ("[a&&b]", "&", true),
            ("[]a]", "]", true),
            ("[^]a]", "b", true),
            ("[a-]", "-", true),
            ("[\\b]", "\u{8}", true),
            ("a.b", "a\nb", false),
            ("(?i)AB", "ab", true),
            ("^ab+c$", "abbbc", true),
            ("\\x41", "A", true),
            ("\\101", "A", true),
            ("\\0", "\0", true),
            ("(?#comment)a", "a", true),
            ("(?m)b$", "b\nc", true),
            ("<(W[^>]*)(.*?)>", "<wingifySDK id=1></wingifySDK>", false),
            ("", "x", true),
            ("(?=b)?0", "0", true),
            ("(?=b)*", "x", true),
            ("x(?=b)+", "xb", true),
            ("x(?=b)+", "xc", false),
            ("x(?=b){0,2}c", "xc", true),
            ("x(?=b){1,2}", "xc", false),
            ("x(?!b)*?c", "xc", true),
        ];
        for (p, t, want) in cases {
            let re = PyRegex::new(p);
            assert_eq!(re.search(t), *want, "pattern {p:?} text {t:?}");
        }
        for p in [
            "(", "\\p{L}", "\\z", "[z-a]", "[a", "\\", "a**", "\\e", "[\\A]", "^?", "a|*", "(*a)",
            "\\b*", "(?:*a)", "\\A+", "(?P<n>*)", "(?i)*", "a$*", "*a", "a{2}{3}", "a{2}*",
        ] {
            assert!(
                PyRegex::new(p).is_invalid() || !PyRegex::new(p).search("a"),
                "{p:?}"
            );
        }
    }
}
