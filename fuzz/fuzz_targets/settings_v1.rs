//! v1 settings JSON (src/settings): parse and compile arbitrary bytes. The parser must answer every
//! text with settings or an error (never panic), and compiled settings must be usable: every campaign
//! is found by its key, every group member is a campaign.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vwo::Settings;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let settings = match Settings::from_json(text) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.message().is_empty(), "an error without a message");
            return;
        }
    };
    assert_eq!(settings.source, text);
    for c in &settings.campaigns {
        let found = settings
            .campaign(&c.key)
            .expect("a campaign not found by its key");
        // The first campaign of a key is the one found (as the official SDKs do).
        assert_eq!(found.key, c.key);
        for v in &c.variations {
            assert!(c.variation_by_name(&v.name).is_some());
        }
    }
    for g in &settings.groups {
        for &m in &g.members {
            assert!(m < settings.campaigns.len(), "group member out of range");
        }
    }
});
