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
}
