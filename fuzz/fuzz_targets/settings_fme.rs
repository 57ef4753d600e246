//! FME settings JSON (src/fme/settings.rs): parse, validate and compile arbitrary bytes; when they
//! compile, decide every feature (at most 8) for a context. Input: the settings text, optionally a NUL
//! byte and the context JSON (a NUL never occurs in a JSON text); without one a fixed user decides.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use vwo::fme::{get_flag_json, FmeSettings};

fuzz_target!(|data: &[u8]| {
    let (settings, context) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(settings) else {
        return;
    };
    let settings = match FmeSettings::from_json(text) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.message().is_empty(), "an error without a message");
            return;
        }
    };
    let context: Value = context
        .and_then(|c| serde_json::from_slice(c).ok())
        .unwrap_or_else(
            || json!({"id": "fuzz-user", "custom_variables": {"price": 10, "plan": "pro"}}),
        );
    for (i, f) in settings.features.iter().take(8).enumerate() {
        assert_eq!(
            settings
                .feature_index(&f.key)
                .map(|j| settings.features[j].key == f.key),
            Some(true)
        );
        let d = get_flag_json(&settings, &f.key, &context);
        if d.enabled {
            assert!(d.feature.is_some(), "feature {i} enabled without a feature");
        }
        // The decision is a pure function of the settings and the context.
        let again = get_flag_json(&settings, &f.key, &context);
        assert_eq!(d.enabled, again.enabled);
        assert_eq!(d.uuid, again.uuid);
    }
    let _ = get_flag_json(&settings, "no such feature \u{1F600}", &context);
});
