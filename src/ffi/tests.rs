//! Contract tests of the C ABI from Rust: every export of the header runs inside the panic boundary
//! (a panic injected in each becomes `VWO_PANIC` and the process goes on), the committed header is
//! what cbindgen generates now, and its version macros match Cargo.toml.

use super::compact::*;
use super::fme::*;
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
            "vwo_get_settings_answer" => {
                vwo_get_settings_answer(null(), null(), false, null(), null_mut(), null_mut())
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
            "vwo_client_activate_id" => {
                return Some(Some(status_of(vwo_client_activate_id(
                    null(),
                    null(),
                    null(),
                    null(),
                ))))
            }
            "vwo_client_get_variation_name_id" => {
                return Some(Some(status_of(vwo_client_get_variation_name_id(
                    null(),
                    null(),
                    null(),
                    null(),
                ))))
            }
            "vwo_client_variation_name_of_id" => {
                vwo_client_variation_name_of_id(null(), 1, null_mut(), 0, null_mut())
            }
            "vwo_client_is_feature_enabled_flag" => {
                return Some(Some(status_of(vwo_client_is_feature_enabled_flag(
                    null(),
                    null(),
                    null(),
                    null(),
                ))))
            }
            "vwo_client_track_one" => {
                return Some(Some(status_of(vwo_client_track_one(
                    null(),
                    null(),
                    null(),
                    null(),
                    null(),
                ))))
            }
            "vwo_client_track_one_revenue" => {
                return Some(Some(status_of(vwo_client_track_one_revenue(
                    null(),
                    null(),
                    null(),
                    null(),
                    null(),
                    1.0,
                ))))
            }
            // The `_text` calls return NULL both for NULL arguments and for a panic; the last error
            // (checked by the caller) tells them apart.
            "vwo_client_track_text" => {
                assert!(vwo_client_track_text(null(), null(), null(), null(), null()).is_null());
                return Some(None);
            }
            "vwo_client_get_feature_variable_text" => {
                assert!(vwo_client_get_feature_variable_text(
                    null(),
                    null(),
                    null(),
                    null(),
                    null()
                )
                .is_null());
                return Some(None);
            }
            "vwo_fme_client_free" => {
                vwo_fme_client_free(null_mut());
                return Some(None);
            }
            "vwo_flag_free" => {
                vwo_flag_free(null_mut());
                return Some(None);
            }
            "vwo_flag_is_enabled" => {
                assert!(!vwo_flag_is_enabled(null()));
                return Some(None);
            }
            "vwo_flag_session_id" => {
                vwo_flag_session_id(null());
                return Some(None);
            }
            "vwo_flag_get_bool" => {
                vwo_flag_get_bool(null(), null(), true);
                return Some(None);
            }
            "vwo_flag_get_int" => {
                vwo_flag_get_int(null(), null(), 1);
                return Some(None);
            }
            "vwo_flag_get_double" => {
                vwo_flag_get_double(null(), null(), 1.0);
                return Some(None);
            }
            "vwo_fme_client_init" => vwo_fme_client_init(null(), null(), null_mut()),
            "vwo_fme_client_close" => vwo_fme_client_close(null()),
            "vwo_fme_client_flush" => vwo_fme_client_flush(null(), 0, null_mut(), null_mut()),
            "vwo_fme_client_delivery_counters" => {
                vwo_fme_client_delivery_counters(null(), null_mut())
            }
            "vwo_fme_client_settings" => vwo_fme_client_settings(null(), null_mut()),
            "vwo_fme_update_settings" => vwo_fme_update_settings(null(), null(), false),
            "vwo_fme_get_flag" => vwo_fme_get_flag(null(), null(), null(), null_mut()),
            "vwo_flag_get_string" => vwo_flag_get_string(null(), null(), null_mut()),
            "vwo_flag_get_json" => vwo_flag_get_json(null(), null(), null_mut()),
            "vwo_flag_variables" => vwo_flag_variables(null(), null_mut()),
            "vwo_flag_uuid" => vwo_flag_uuid(null(), null_mut()),
            "vwo_flag_reason" => vwo_flag_reason(null(), null_mut()),
            "vwo_fme_track_event" => {
                vwo_fme_track_event(null(), null(), null(), null(), null_mut())
            }
            "vwo_fme_set_attributes" => vwo_fme_set_attributes(null(), null(), null()),
            "vwo_fme_set_attribute" => vwo_fme_set_attribute(null(), null(), null(), null()),
            "vwo_fme_get_uuid" => vwo_fme_get_uuid(null(), null(), null_mut()),
            #[cfg(feature = "panic-injection")]
            "vwo_test_panic_on" => vwo_test_panic_on(null()),
            _ => return None,
        }
    };
    Some(Some(status))
}

/// The status of a compact call's negative result (only `VWO_PANIC` matters to the boundary test).
fn status_of(code: i64) -> vwo_status {
    assert!(code < 0, "a NULL argument must fail, got {code}");
    if code == -(vwo_status::VWO_PANIC as i64) {
        vwo_status::VWO_PANIC
    } else {
        vwo_status::VWO_NULL_ARGUMENT
    }
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
            // Without whitespace: rustfmt may break a long `guard(` call after its parenthesis.
            let first: String = body[open + 1..]
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(160)
                .collect();
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

/// The compact calls (`compact.rs`) answer what the out-parameter calls answer, call for call, on the
/// benchmark settings (A/B, feature test and rollout campaigns, segments, groups, whitelisting).
#[test]
fn compact_calls_answer_what_the_out_parameter_calls_answer() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/settings_bench.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let settings_value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let settings = CString::new(text.clone()).unwrap();
    let options = CString::new(r#"{"is_development_mode": true}"#).unwrap();
    let profile = CString::new(
        r#"{"custom_variables":{"browser":"Chrome","country":"US","plan":"premium","age":34,"tier":3,"isLoggedIn":true,"price":19.99}}"#,
    )
    .unwrap();
    let mut client: *mut vwo_client = null_mut();
    let text_of = |p: *const c_char| -> Option<String> {
        // SAFETY: NULL or a NUL-terminated string libvwo returned.
        (!p.is_null()).then(|| {
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_str()
                .unwrap()
                .to_string()
        })
    };
    let owned = |p: *mut c_char| -> Option<String> {
        let t = text_of(p);
        // SAFETY: NULL or a string libvwo allocated.
        unsafe { vwo_string_free(p) };
        t
    };
    // SAFETY: valid strings and out-pointers throughout.
    unsafe {
        assert_eq!(
            vwo_client_launch(settings.as_ptr(), options.as_ptr(), null(), &mut client),
            vwo_status::VWO_OK
        );
        let name_of = |id: i64| -> Option<String> {
            assert!(id >= 0, "failed: {id}: {}", last_error());
            if id == 0 {
                return None;
            }
            let mut buf = [0 as c_char; 64];
            let mut len = 0usize;
            let st =
                vwo_client_variation_name_of_id(client, id, buf.as_mut_ptr(), buf.len(), &mut len);
            assert_eq!(st, vwo_status::VWO_OK);
            Some(text_of(buf.as_ptr()).unwrap())
        };
        let classic = |activate: bool, key: &CString, user: &CString, opts: *const c_char| {
            let mut buf = [0 as c_char; 64];
            let (mut len, mut has) = (0usize, false);
            let f = if activate {
                vwo_client_activate
            } else {
                vwo_client_get_variation_name
            };
            let st = f(
                client,
                key.as_ptr(),
                user.as_ptr(),
                opts,
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
                &mut has,
            );
            assert_eq!(st, vwo_status::VWO_OK);
            has.then(|| text_of(buf.as_ptr()).unwrap())
        };
        let mut checked = 0;
        let mut revenue_goals = 0;
        const REVENUES: [f64; 6] = [12.5, 0.0, -0.0, 1e300, 3.0, 123456789.125];
        let mut ids = std::collections::BTreeMap::new();
        for campaign in settings_value["campaigns"].as_array().unwrap() {
            let key = CString::new(campaign["key"].as_str().unwrap()).unwrap();
            let goal = campaign["goals"][0]["identifier"]
                .as_str()
                .unwrap_or("no_such_goal");
            let goal = CString::new(goal).unwrap();
            let goals: Vec<CString> = campaign["goals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| CString::new(g["identifier"].as_str().unwrap()).unwrap())
                .collect();
            for i in 0..300 {
                let user = CString::new(format!("user_{i}")).unwrap();
                let opts = if i % 2 == 0 { profile.as_ptr() } else { null() };
                for activate in [false, true] {
                    let id = if activate {
                        vwo_client_activate_id(client, key.as_ptr(), user.as_ptr(), opts)
                    } else {
                        vwo_client_get_variation_name_id(client, key.as_ptr(), user.as_ptr(), opts)
                    };
                    let name = name_of(id);
                    assert_eq!(
                        name,
                        classic(activate, &key, &user, opts),
                        "{key:?} {user:?}"
                    );
                    if let Some(n) = name {
                        assert_eq!(*ids.entry(n).or_insert(id), id, "one id per name");
                    }
                }
                let mut on = false;
                assert_eq!(
                    vwo_client_is_feature_enabled(
                        client,
                        key.as_ptr(),
                        user.as_ptr(),
                        opts,
                        &mut on
                    ),
                    vwo_status::VWO_OK
                );
                let flag =
                    vwo_client_is_feature_enabled_flag(client, key.as_ptr(), user.as_ptr(), opts);
                assert_eq!(flag, i64::from(on));
                let var = campaign["variables"][0]["key"]
                    .as_str()
                    .map(|k| CString::new(k).unwrap());
                if let Some(var) = var {
                    let mut out: *mut c_char = null_mut();
                    let st = vwo_client_get_feature_variable_value(
                        client,
                        key.as_ptr(),
                        var.as_ptr(),
                        user.as_ptr(),
                        opts,
                        &mut out,
                    );
                    assert_eq!(st, vwo_status::VWO_OK);
                    let lent = vwo_client_get_feature_variable_text(
                        client,
                        key.as_ptr(),
                        var.as_ptr(),
                        user.as_ptr(),
                        opts,
                    );
                    assert_eq!(
                        text_of(lent),
                        Some(owned(out).unwrap_or_else(|| "null".into()))
                    );
                }
                let mut out: *mut c_char = null_mut();
                let st = vwo_client_track(
                    client,
                    key.as_ptr(),
                    user.as_ptr(),
                    goal.as_ptr(),
                    opts,
                    &mut out,
                );
                assert_eq!(st, vwo_status::VWO_OK);
                let full = owned(out);
                let one =
                    vwo_client_track_one(client, key.as_ptr(), user.as_ptr(), goal.as_ptr(), opts);
                let expected = match full.as_deref() {
                    None => 0,
                    Some(t) if t.ends_with(":true}") => 2,
                    Some(_) => 1,
                };
                assert_eq!(one, expected, "{key:?} {user:?} {full:?}");
                let lent =
                    vwo_client_track_text(client, key.as_ptr(), user.as_ptr(), goal.as_ptr(), opts);
                assert_eq!(text_of(lent), Some(full.unwrap_or_else(|| "null".into())));
                // A revenue as a number: as the same revenue in the options text, on every goal.
                for (g, revenue) in goals.iter().zip(REVENUES.iter().cycle().skip(i)) {
                    let text = match text_of(opts) {
                        None => format!("{{\"revenue_value\":{}}}", serde_json::json!(revenue)),
                        Some(o) => format!(
                            "{{\"revenue_value\":{},{}",
                            serde_json::json!(revenue),
                            &o[1..]
                        ),
                    };
                    let text = CString::new(text).unwrap();
                    let mut out: *mut c_char = null_mut();
                    let st = vwo_client_track(
                        client,
                        key.as_ptr(),
                        user.as_ptr(),
                        g.as_ptr(),
                        text.as_ptr(),
                        &mut out,
                    );
                    assert_eq!(st, vwo_status::VWO_OK);
                    let with_text = owned(out);
                    let one = vwo_client_track_one_revenue(
                        client,
                        key.as_ptr(),
                        user.as_ptr(),
                        g.as_ptr(),
                        opts,
                        *revenue,
                    );
                    let expected = match with_text.as_deref() {
                        None => 0,
                        Some(t) if t.ends_with(":true}") => 2,
                        Some(_) => 1,
                    };
                    assert_eq!(one, expected, "{key:?} {user:?} {g:?} {revenue}");
                    revenue_goals += usize::from(with_text.is_some());
                }
                let all = vwo_client_track_text(client, null(), user.as_ptr(), goal.as_ptr(), opts);
                let mut out: *mut c_char = null_mut();
                let st =
                    vwo_client_track(client, null(), user.as_ptr(), goal.as_ptr(), opts, &mut out);
                assert_eq!(st, vwo_status::VWO_OK);
                let full_all = owned(out).unwrap_or_else(|| "null".into());
                assert_eq!(text_of(all), Some(full_all));
                checked += 1;
            }
        }
        assert!(checked >= 16 * 300);
        assert!(revenue_goals >= 300, "{revenue_goals}");
        assert!(ids.len() >= 4, "{ids:?}");

        // Ids survive a settings update that keeps the names.
        assert_eq!(
            vwo_client_replace_settings(client, settings.as_ptr()),
            vwo_status::VWO_OK
        );
        for (name, id) in &ids {
            assert_eq!(name_of(*id).as_deref(), Some(name.as_str()));
        }
        // Failures are negative statuses with the last error set.
        let user = c"u".as_ptr();
        let key = c"ab_homepage_hero".as_ptr();
        assert_eq!(
            vwo_client_get_variation_name_id(client, key, null(), null()),
            -(vwo_status::VWO_NULL_ARGUMENT as i64)
        );
        assert!(last_error().contains("user_id"), "{}", last_error());
        let bad_utf8 = [0xffu8 as c_char, 0];
        assert_eq!(
            vwo_client_activate_id(client, bad_utf8.as_ptr(), user, null()),
            -(vwo_status::VWO_INVALID_UTF8 as i64)
        );
        let bad_opts = c"{\"custom_variables\": 5}".as_ptr();
        assert_eq!(
            vwo_client_is_feature_enabled_flag(client, key, user, bad_opts),
            -(vwo_status::VWO_INVALID_OPTIONS as i64)
        );
        assert_eq!(
            vwo_client_track_one(client, key, user, null(), null()),
            -(vwo_status::VWO_NULL_ARGUMENT as i64)
        );
        assert_eq!(
            vwo_client_track_one_revenue(client, key, user, c"g".as_ptr(), null(), f64::NAN),
            -(vwo_status::VWO_INVALID_ARGUMENT as i64)
        );
        assert!(last_error().contains("revenue"), "{}", last_error());
        assert!(vwo_client_track_text(client, key, user, c"g".as_ptr(), c"[".as_ptr()).is_null());
        assert!(last_error().contains("options_json"), "{}", last_error());
        // Unknown ids and short buffers.
        let mut len = 0usize;
        let mut small = [0 as c_char; 2];
        assert_eq!(
            vwo_client_variation_name_of_id(client, 0, small.as_mut_ptr(), 2, &mut len),
            vwo_status::VWO_INVALID_ARGUMENT
        );
        assert_eq!(
            vwo_client_variation_name_of_id(client, i64::MAX, small.as_mut_ptr(), 2, &mut len),
            vwo_status::VWO_INVALID_ARGUMENT
        );
        let (name, id) = ids.iter().next().unwrap();
        assert_eq!(
            vwo_client_variation_name_of_id(client, *id, small.as_mut_ptr(), 2, &mut len),
            vwo_status::VWO_BUFFER_TOO_SMALL
        );
        assert_eq!(len, name.len());
        vwo_client_free(client);
    }
}

/// A spool directory another client holds: `vwo_client_launch` fails with `VWO_INVALID_OPTIONS`, the
/// message naming the option and the directory, and writes no handle; once the holder is freed a
/// launch on it succeeds.
#[test]
fn a_held_spool_directory_fails_the_launch() {
    let dir = std::env::temp_dir().join(format!("vwo-ffi-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings =
        CString::new(r#"{"accountId": 123456, "sdkKey": "abcdef", "campaigns": []}"#).unwrap();
    let options = CString::new(
        serde_json::json!({
            "is_development_mode": true,
            "delivery": {"spool_dir": dir.display().to_string()},
        })
        .to_string(),
    )
    .unwrap();
    let launch = |out: &mut *mut vwo_client| {
        // SAFETY: valid strings and out-pointer.
        unsafe { vwo_client_launch(settings.as_ptr(), options.as_ptr(), null(), out) }
    };
    let mut first: *mut vwo_client = null_mut();
    assert_eq!(launch(&mut first), vwo_status::VWO_OK);
    let mut second: *mut vwo_client = null_mut();
    assert_eq!(launch(&mut second), vwo_status::VWO_INVALID_OPTIONS);
    assert!(second.is_null(), "no handle on failure");
    let m = last_error();
    assert!(m.starts_with("delivery.spool_dir: "), "{m}");
    assert!(m.contains(&dir.display().to_string()), "{m}");
    assert!(
        m.contains("in use by another client of this process"),
        "{m}"
    );
    // SAFETY: the handle from launch, freed once.
    unsafe { vwo_client_free(first) };
    let mut third: *mut vwo_client = null_mut();
    assert_eq!(launch(&mut third), vwo_status::VWO_OK);
    // SAFETY: as above.
    unsafe { vwo_client_free(third) };
    let _ = std::fs::remove_dir_all(&dir);
}
