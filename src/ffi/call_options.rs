//! Per-call options from C, parsed once per distinct text and thread.
//!
//! A service passes the same options text again and again: one user's custom variables go with every
//! decision of a request, and bindings send a profile encoded once. Parsing a JSON object into maps
//! costs microseconds, far more than the decision it feeds, so each thread remembers the options of
//! the last [`SLOTS`] distinct texts it saw. A text is found only by its exact bytes, and parsed options
//! never change, so a remembered answer is the answer a fresh parse would give. Texts longer than
//! [`MAX_CACHED_LEN`] and texts that fail to parse are never remembered; a thread holds at most
//! `SLOTS × MAX_CACHED_LEN` bytes of text and is freed with the thread.

use super::boundary::Failure;
use super::convert::parse_json;
use crate::CallOptions;
use serde_json::Value;
use std::cell::RefCell;
use std::hash::Hasher;
use std::rc::Rc;

/// Distinct option texts remembered per thread.
const SLOTS: usize = 16;
/// Longer texts are parsed on every call.
const MAX_CACHED_LEN: usize = 4096;

struct Slot {
    hash: u64,
    text: Box<str>,
    options: Rc<CallOptions>,
    /// Found again since the clock hand last passed: spared once (second chance).
    used: bool,
}

/// Replacement is CLOCK (second chance): a miss replaces the first slot from the hand on that was not
/// found again since the hand last passed it. Texts used once — a track whose options carry a new
/// revenue every call — are replaced before the profiles that come back on every decision, which
/// plain round robin would evict in turn.
#[derive(Default)]
struct Cache {
    slots: Vec<Slot>,
    /// The clock hand: where the search for a slot to replace starts.
    next: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

fn hash(text: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(text.as_bytes());
    h.finish()
}

fn parse(text: &str) -> Result<CallOptions, Failure> {
    Ok(CallOptions::from_value(parse_json(text, "options_json")?)?)
}

/// The options of `text` (a JSON object, as the `options_json` argument of the API calls).
pub(crate) fn call_options(text: &str) -> Result<Rc<CallOptions>, Failure> {
    if text.len() > MAX_CACHED_LEN {
        return parse(text).map(Rc::new);
    }
    let h = hash(text);
    let found = CACHE.try_with(|c| {
        let mut c = c.borrow_mut();
        c.slots
            .iter_mut()
            .find(|s| s.hash == h && &*s.text == text)
            .map(|s| {
                s.used = true;
                Rc::clone(&s.options)
            })
    });
    if let Ok(Some(options)) = found {
        return Ok(options);
    }
    let options = Rc::new(parse(text)?);
    // No borrow is held while parsing or while the caller runs the API (callbacks may re-enter); a
    // thread being torn down (no TLS) just does not remember.
    let _ = CACHE.try_with(|c| {
        let mut c = c.borrow_mut();
        let slot = Slot {
            hash: h,
            text: text.into(),
            options: Rc::clone(&options),
            used: false,
        };
        if c.slots.len() < SLOTS {
            c.slots.push(slot);
            return;
        }
        // Every slot is spared at most once, so this ends within two turns of the hand.
        loop {
            let i = c.next;
            c.next = (i + 1) % SLOTS;
            if std::mem::take(&mut c.slots[i].used) {
                continue;
            }
            c.slots[i] = slot;
            break;
        }
    });
    Ok(options)
}

/// The options of a `track` call's `text` as the other options and the revenue apart, which is what
/// [`call_options`] would answer for the whole text.
///
/// A binding tracking a revenue goal sends `{"revenue_value":<number>,<rest>` where `{<rest>` is the
/// options it sends with every call (the user's profile): the revenue changes every call, the rest does
/// not. Such a text is read as the number and the options of `{<rest>` (found in the cache like any
/// other text), so the profile is not parsed again for each revenue. Any other shape is parsed whole, and
/// so is a `<rest>` that could name a revenue key itself (one that holds `revenue` or an escape: a later
/// `"revenue_value"`, even `null`, or a `"revenueValue"` would change what a whole parse answers), or
/// one that fails to parse: answers and errors are always those of [`call_options`].
pub(crate) fn track_options(text: &str) -> Result<(Rc<CallOptions>, Option<Value>), Failure> {
    if let Some((revenue, rest)) = revenue_prefix(text) {
        if !rest.contains("revenue") && !rest.contains('\\') {
            if let Ok(options) = call_options(&rest) {
                return Ok((options, Some(revenue)));
            }
        }
    }
    let options = call_options(text)?;
    let revenue = options.revenue_value.clone();
    Ok((options, revenue))
}

const REVENUE_PREFIX: &str = "{\"revenue_value\":";

/// `{"revenue_value":<JSON number>,"<rest>` as the number and `{"<rest>`.
fn revenue_prefix(text: &str) -> Option<(Value, String)> {
    let after = text.strip_prefix(REVENUE_PREFIX)?;
    let end = after
        .bytes()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))?;
    // The comma must be followed by a member (`{"revenue_value":1,}` is not JSON, though `{}` is).
    if after.as_bytes()[end] != b',' || after.as_bytes().get(end + 1) != Some(&b'"') {
        return None;
    }
    let number: Value = serde_json::from_str(&after[..end]).ok()?;
    if !number.is_number() {
        return None;
    }
    let mut rest = String::with_capacity(after.len() - end);
    rest.push('{');
    rest.push_str(&after[end + 1..]);
    Some((number, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_remembered_text_gives_the_options_a_fresh_parse_gives() {
        let text = r#"{"customVariables":{"a":1,"b":1.0,"c":true},"userAgent":"UA"}"#;
        let first = call_options(text).unwrap();
        let again = call_options(text).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        let fresh = CallOptions::from_json(&serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(*again, fresh);
        assert_eq!(again.custom_variables.as_ref().unwrap()["b"], json!(1.0));
    }

    #[test]
    fn texts_found_again_outlive_texts_used_once() {
        let profile = r#"{"customVariables":{"plan":"premium","second_chance":1}}"#;
        let first = call_options(profile).unwrap();
        for i in 0..(SLOTS * 4) {
            let once = format!(r#"{{"revenueValue":{i},"customVariables":{{"plan":"premium"}}}}"#);
            call_options(&once).unwrap();
            assert!(
                Rc::ptr_eq(&first, &call_options(profile).unwrap()),
                "the profile was parsed again after {i} one-off texts"
            );
        }
    }

    #[test]
    fn texts_differing_in_one_byte_are_different_options() {
        let a = call_options(r#"{"customVariables":{"a":1}}"#).unwrap();
        let b = call_options(r#"{"customVariables":{"a":2}}"#).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn more_texts_than_slots_and_errors_are_answered_correctly() {
        for round in 0..3 {
            for i in 0..(SLOTS * 2) {
                let text = format!(r#"{{"customVariables":{{"i":{i}}}}}"#);
                let o = call_options(&text).unwrap();
                assert_eq!(
                    o.custom_variables.as_ref().unwrap()["i"],
                    json!(i),
                    "round {round}"
                );
            }
            assert!(call_options(r#"{"customVariables":[1]}"#).is_err());
            assert!(call_options("{").is_err());
        }
        let long = format!(r#"{{"userAgent":"{}"}}"#, "x".repeat(MAX_CACHED_LEN));
        assert_eq!(
            call_options(&long)
                .unwrap()
                .user_agent
                .as_deref()
                .map(str::len),
            Some(MAX_CACHED_LEN)
        );
    }

    #[test]
    fn a_track_text_is_answered_as_its_whole_parse() {
        let profile = r#""custom_variables":{"plan":"premium","age":34}"#;
        let texts = [
            format!(r#"{{"revenue_value":12.5,{profile}}}"#),
            format!(r#"{{"revenue_value":-0.0,{profile}}}"#),
            format!(r#"{{"revenue_value":1E3,{profile},"user_agent":"UA"}}"#),
            format!(r#"{{"revenue_value":12,{profile},"revenue_value":null}}"#),
            format!(r#"{{"revenue_value":12,{profile},"revenueValue":"7"}}"#),
            format!(r#"{{"revenue_value":12,"revenue\u005fvalue":null,{profile}}}"#),
            format!(r#"{{"revenue_value":12,{profile},}}"#),
            format!(r#"{{"revenue_value":1e400,{profile}}}"#),
            format!(r#"{{"revenue_value":-,{profile}}}"#),
            format!(r#"{{"revenue_value":01,{profile}}}"#),
            format!(r#"{{"revenue_value":"12",{profile}}}"#),
            format!(r#"{{"revenue_value": 12,{profile}}}"#),
            r#"{"revenue_value":12,"custom_variables":[1]}"#.to_string(),
            r#"{"revenue_value":12}"#.to_string(),
            r#"{"revenue_value":12,}"#.to_string(),
            format!(r#"{{{profile}}}"#),
            "{}".to_string(),
        ];
        for text in &texts {
            for _ in 0..2 {
                let whole = call_options(text);
                match (track_options(text), whole) {
                    (Ok((options, revenue)), Ok(whole)) => {
                        let joined = CallOptions {
                            revenue_value: revenue,
                            ..(*options).clone()
                        };
                        assert_eq!(joined, *whole, "{text}");
                    }
                    (Err(split), Err(whole)) => {
                        assert_eq!(
                            (split.status, split.message),
                            (whole.status, whole.message),
                            "{text}"
                        );
                    }
                    (split, whole) => {
                        panic!("{text}: {:?} against {:?}", split.is_ok(), whole.is_ok())
                    }
                }
            }
        }
        // The profile part is found in the cache: one parse for every revenue.
        let (first, _) = track_options(&texts[0]).unwrap();
        let (again, revenue) =
            track_options(&format!(r#"{{"revenue_value":99.99,{profile}}}"#)).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(revenue, Some(json!(99.99)));
    }
}
