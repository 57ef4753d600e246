//! Contract tests of the C ABI from Rust: every export of the header runs inside the panic boundary
//! (a panic injected in each becomes `VWO_PANIC` and the process goes on), the committed header is
//! what cbindgen generates now, and its version macros match Cargo.toml.

use super::*;
use std::ptr::{null, null_mut};

fn header() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/vwo.h");
    std::fs::read_to_string(path).expect("include/vwo.h")
}

/// The names of the functions the header declares (a line with `vwo_…(`).
fn header_exports() -> Vec<String> {
    let text = header();
    let mut names = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("//") || line.contains("(*") {
            continue;
        }
        if let Some(open) = line.find('(') {
            let before = &line[..open];
            if let Some(name) = before
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next_back()
            {
                if name.starts_with("vwo_") {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Calls export `name` with NULL / zero arguments and returns its status, or `None` for the exports
/// that return no status.
fn call_with_nulls(name: &str) -> Option<Option<vwo_status>> {
    // SAFETY: every export accepts NULL for each pointer argument (that is part of what is tested);
    // here the injected panic fires before any argument is looked at anyway.
    let status = unsafe {
        match name {
            "vwo_version" => {
                vwo_version();
                return Some(None);
            }
            "vwo_last_error_message" => {
                vwo_last_error_message(null_mut(), 0);
                return Some(None);
            }
            "vwo_string_free" => {
                vwo_string_free(null_mut());
                return Some(None);
            }
            "vwo_client_free" => {
                vwo_client_free(null_mut());
                return Some(None);
            }
            "vwo_get_settings_file" => {
                vwo_get_settings_file(null(), null(), false, null(), null_mut())
            }
            "vwo_client_launch" => vwo_client_launch(null(), null(), null(), null_mut()),
            "vwo_client_close" => vwo_client_close(null(), 0, null_mut()),
            "vwo_client_activate" => vwo_client_activate(
                null(),
                null(),
                null(),
                null(),
                null_mut(),
                0,
                null_mut(),
                null_mut(),
            ),
            "vwo_client_get_variation_name" => vwo_client_get_variation_name(
                null(),
                null(),
                null(),
                null(),
                null_mut(),
                0,
                null_mut(),
                null_mut(),
            ),
            "vwo_client_is_feature_enabled" => {
                vwo_client_is_feature_enabled(null(), null(), null(), null(), null_mut())
            }
            "vwo_client_get_feature_variable_value" => vwo_client_get_feature_variable_value(
                null(),
                null(),
                null(),
                null(),
                null(),
                null_mut(),
            ),
            "vwo_client_track" => {
                vwo_client_track(null(), null(), null(), null(), null(), null_mut())
            }
            "vwo_client_track_list" => {
                vwo_client_track_list(null(), null(), null(), null(), null(), null_mut())
            }
            "vwo_client_push" => vwo_client_push(null(), null(), null(), null(), null_mut()),
            "vwo_client_push_map" => vwo_client_push_map(null(), null(), null(), null_mut()),
            "vwo_client_flush_events" => vwo_client_flush_events(null(), 0, null_mut()),
            "vwo_client_set_opt_out" => vwo_client_set_opt_out(null()),
            "vwo_client_delivery_counters" => vwo_client_delivery_counters(null(), null_mut()),
            "vwo_client_storage_counters" => vwo_client_storage_counters(null(), null_mut()),
            "vwo_client_replace_settings" => vwo_client_replace_settings(null(), null()),
            "vwo_client_settings_json" => vwo_client_settings_json(null(), null_mut()),
            "vwo_client_get_and_update_settings_file" => {
                vwo_client_get_and_update_settings_file(null(), null(), null(), false, null_mut())
            }
            #[cfg(feature = "panic-injection")]
            "vwo_test_panic_on" => vwo_test_panic_on(null()),
            _ => return None,
        }
    };
    Some(Some(status))
}

fn last_error() -> String {
    let mut buf = [0 as c_char; 512];
    // SAFETY: the buffer is valid for its length.
    let n = unsafe { vwo_last_error_message(buf.as_mut_ptr(), buf.len()) };
    let bytes: Vec<u8> = buf[..n.min(511)].iter().map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn every_header_export_is_inside_the_panic_boundary() {
    let exports = header_exports();
    assert!(exports.len() >= 20, "too few exports found: {exports:?}");
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for name in &exports {
        if name == "vwo_test_panic_on" && !cfg!(feature = "panic-injection") {
            continue;
        }
        // Without injection, NULL arguments are refused with a status, not a panic.
        let plain = call_with_nulls(name);
        boundary::injection::panic_on(Some(name));
        let injected = call_with_nulls(name);
        boundary::injection::panic_on(None);
        match (plain, injected) {
            (None, _) | (_, None) => failures.push(format!("{name}: not in the test's table")),
            (Some(p), Some(i)) => {
                if p == Some(vwo_status::VWO_PANIC) {
                    failures.push(format!("{name}: panics without injection"));
                }
                if let Some(i) = i {
                    if i != vwo_status::VWO_PANIC {
                        failures.push(format!("{name}: injected panic gave {i:?}"));
                    }
                }
                if name != "vwo_last_error_message" && !last_error().contains(name.as_str()) {
                    failures.push(format!(
                        "{name}: last error does not name it: {}",
                        last_error()
                    ));
                }
            }
        }
    }
    std::panic::set_hook(quiet);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_export_in_the_source_names_itself_in_its_boundary() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(pos) = rest.find("extern \"C\" fn ") {
            let after = &rest[pos + "extern \"C\" fn ".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body up to the next export.
            let body_end = after.find("extern \"C\" fn ").unwrap_or(after.len());
            let body = &after[..body_end];
            let open = body.find('{').unwrap();
            let first = body[open + 1..].trim_start();
            let ok = first.starts_with(&format!("guard(\"{name}\""))
                || first.starts_with(&format!("guard_status(\"{name}\""));
            assert!(
                ok,
                "{}: {name} does not start with its boundary",
                path.display()
            );
            found += 1;
            rest = after;
        }
    }
    assert!(found >= 20);
}

#[test]
fn header_is_fresh() {
    let fresh = concat!(env!("OUT_DIR"), "/vwo.h");
    let fresh = std::fs::read_to_string(fresh).expect("build.rs writes $OUT_DIR/vwo.h");
    assert!(
        fresh == header(),
        "include/vwo.h differs from what cbindgen generates from src/ffi: build without CI / \
         VWO_HEADER=check (the build rewrites it) and commit it"
    );
}

#[test]
fn header_version_macros_match_cargo() {
    let text = header();
    for (part, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define VWO_VERSION_{part} {value}");
        assert!(text.contains(&line), "header lacks {line}");
    }
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(vwo_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn decisions_through_the_abi() {
    let settings = CString::new(
        r#"{"accountId": 123456, "sdkKey": "abcdef", "campaigns": [{
        "id": 11, "key": "ab_50", "status": "RUNNING", "type": "VISUAL_AB", "percentTraffic": 50,
        "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
        "variations": [{"id": 1, "name": "Control", "weight": 50},
                       {"id": 2, "name": "Variation-1", "weight": 50}]}]}"#,
    )
    .unwrap();
    let options = CString::new(r#"{"is_development_mode": true}"#).unwrap();
    let mut client: *mut vwo_client = null_mut();
    // SAFETY: valid strings and out-pointers throughout.
    unsafe {
        assert_eq!(
            vwo_client_launch(settings.as_ptr(), options.as_ptr(), null(), &mut client),
            vwo_status::VWO_OK
        );
        let mut buf = [0 as c_char; 4];
        let (mut len, mut has) = (0usize, false);
        let st = vwo_client_activate(
            client,
            c"ab_50".as_ptr(),
            c"Ashley".as_ptr(),
            null(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
            &mut has,
        );
        assert_eq!(
            (st, len, has),
            (vwo_status::VWO_BUFFER_TOO_SMALL, 11, false)
        );
        let mut big = [0 as c_char; 64];
        let st = vwo_client_get_variation_name(
            client,
            c"ab_50".as_ptr(),
            c"Ashley".as_ptr(),
            null(),
            big.as_mut_ptr(),
            big.len(),
            &mut len,
            &mut has,
        );
        assert_eq!((st, len, has), (vwo_status::VWO_OK, 11, true));
        assert_eq!(
            std::ffi::CStr::from_ptr(big.as_ptr()).to_str().unwrap(),
            "Variation-1"
        );
        let mut result: *mut c_char = null_mut();
        let st = vwo_client_track(
            client,
            null(),
            c"Ashley".as_ptr(),
            c"CUSTOM".as_ptr(),
            null(),
            &mut result,
        );
        assert_eq!(st, vwo_status::VWO_OK);
        assert_eq!(
            std::ffi::CStr::from_ptr(result).to_str().unwrap(),
            r#"{"ab_50":true}"#
        );
        vwo_string_free(result);
        vwo_client_free(client);
    }
}

#[test]
fn per_call_options_cache_gives_the_results_of_a_fresh_parse() {
    let settings = CString::new(
        r#"{"accountId": 1, "sdkKey": "k", "campaigns": [{
        "id": 11, "key": "seg", "status": "RUNNING", "type": "VISUAL_AB", "percentTraffic": 100,
        "segments": {"or": [{"custom_variable": {"plan": "premium"}}]},
        "goals": [], "variations": [{"id": 1, "name": "Control", "weight": 100}]}]}"#,
    )
    .unwrap();
    let options = CString::new(r#"{"is_development_mode": true}"#).unwrap();
    let mut client: *mut vwo_client = null_mut();
    let decide = |client: *mut vwo_client, opts: &CString| -> (vwo_status, bool) {
        let mut buf = [0 as c_char; 64];
        let (mut len, mut has) = (0usize, false);
        // SAFETY: valid strings and out-pointers.
        let st = unsafe {
            vwo_client_get_variation_name(
                client,
                c"seg".as_ptr(),
                c"Ashley".as_ptr(),
                opts.as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
                &mut has,
            )
        };
        (st, has)
    };
    // SAFETY: valid strings and out-pointers.
    unsafe {
        assert_eq!(
            vwo_client_launch(settings.as_ptr(), options.as_ptr(), null(), &mut client),
            vwo_status::VWO_OK
        );
    }
    let premium = CString::new(r#"{"customVariables":{"plan":"premium"}}"#).unwrap();
    let free = CString::new(r#"{"customVariables":{"plan":"free"}}"#).unwrap();
    let bad = CString::new(r#"{"customVariables":"premium"}"#).unwrap();
    for _ in 0..3 {
        assert_eq!(decide(client, &premium), (vwo_status::VWO_OK, true));
        assert_eq!(decide(client, &free), (vwo_status::VWO_OK, false));
        assert_eq!(decide(client, &bad).0, vwo_status::VWO_INVALID_OPTIONS);
    }
    // more distinct texts than the cache holds: every answer still right
    for i in 0..64 {
        let o = CString::new(format!(
            r#"{{"customVariables":{{"plan":"premium","n":{i}}}}}"#
        ))
        .unwrap();
        assert_eq!(decide(client, &o), (vwo_status::VWO_OK, true));
    }
    assert_eq!(decide(client, &free), (vwo_status::VWO_OK, false));
    // SAFETY: the handle from launch, freed once.
    unsafe { vwo_client_free(client) };
}
