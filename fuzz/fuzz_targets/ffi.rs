//! The C ABI (src/ffi) called as C calls it, with arbitrary bytes: `vwo_client_launch` with a fuzzed
//! settings buffer and options, then a sequence of API calls with fuzzed campaign keys, user ids,
//! goal and variable keys and options texts (any bytes but NUL, so also invalid UTF-8; now and then a
//! 1 MiB text).
//!
//! Input: NUL-separated parts (a C string cannot hold a NUL): settings, launch options, then one
//! group per call: an op byte and its string arguments. A key part starting with `#` stands for a
//! campaign key of the settings (by index), so that calls reach decisions.
//!
//! Launch options are never sent as given: a fuzzed object has the options that would open files,
//! connect or poll (user storage, spool, proxy, base URL, polling) removed and development mode forced
//! on, so no event or request leaves the process. Invalid JSON or UTF-8 is passed as is.
//!
//! Checks: no panic escapes (ASan/UBSan catch memory errors); no call returns `VWO_PANIC` or
//! `VWO_INTERNAL`; every failure sets a last-error message; outputs are written only on success and
//! are consistent (a variation fits its buffer and is NUL-terminated; result texts are valid JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use vwo::ffi::*;

// The compact exports (src/ffi/compact.rs) are not re-exported by `vwo::ffi`; declared as C declares them.
#[allow(improper_ctypes)] // The handle is opaque: only pointers to it cross.
extern "C" {
    fn vwo_client_activate_id(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        options: *const c_char,
    ) -> i64;
    fn vwo_client_get_variation_name_id(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        options: *const c_char,
    ) -> i64;
    fn vwo_client_variation_name_of_id(
        c: *const vwo_client,
        id: i64,
        buf: *mut c_char,
        len: usize,
        len_out: *mut usize,
    ) -> vwo_status;
    fn vwo_client_is_feature_enabled_flag(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        options: *const c_char,
    ) -> i64;
    fn vwo_client_track_one(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        goal: *const c_char,
        options: *const c_char,
    ) -> i64;
    fn vwo_client_track_one_revenue(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        goal: *const c_char,
        options: *const c_char,
        revenue: f64,
    ) -> i64;
    fn vwo_client_track_text(
        c: *const vwo_client,
        key: *const c_char,
        user: *const c_char,
        goal: *const c_char,
        options: *const c_char,
    ) -> *const c_char;
    fn vwo_client_get_feature_variable_text(
        c: *const vwo_client,
        key: *const c_char,
        variable: *const c_char,
        user: *const c_char,
        options: *const c_char,
    ) -> *const c_char;
}

fn cstring(part: &[u8]) -> CString {
    // Parts come from a NUL split, so they hold no NUL.
    let bytes = if part.first() == Some(&b'~') {
        // A huge argument: the part repeated to 1 MiB.
        part.iter().copied().cycle().take(1 << 20).collect()
    } else {
        part.to_vec()
    };
    CString::new(bytes).unwrap_or_default()
}

fn last_error() -> String {
    let mut buf = vec![0u8; 512];
    // SAFETY: buf is valid for its length.
    let n = unsafe { vwo_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    buf.truncate(n.min(511));
    String::from_utf8_lossy(&buf).into_owned()
}

fn sane(name: &str, status: vwo_status) -> bool {
    assert!(
        !matches!(status, vwo_status::VWO_PANIC | vwo_status::VWO_INTERNAL),
        "{name}: {status:?}: {}",
        last_error()
    );
    if status != vwo_status::VWO_OK {
        assert!(
            !last_error().is_empty(),
            "{name}: {status:?} without a message"
        );
    }
    status == vwo_status::VWO_OK
}

fn sane_id(name: &str, id: i64) {
    assert!(
        id != -(vwo_status::VWO_PANIC as i64) && id != -(vwo_status::VWO_INTERNAL as i64),
        "{name}: {id}: {}",
        last_error()
    );
}

/// Takes an owned JSON text result: checks it parses, frees it.
fn json_out(name: &str, s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: a NUL-terminated string from libvwo.
    let text = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    assert!(
        serde_json::from_str::<Value>(&text).is_ok(),
        "{name}: not JSON: {text}"
    );
    // SAFETY: allocated by libvwo, freed once.
    unsafe { vwo_string_free(s) };
}

const DANGEROUS: &[&str] = &[
    "user_storage",
    "userStorage",
    "polling_interval_seconds",
    "base_url",
    "delivery",
];

/// The host's logger: checks that each message is a valid C string, and keeps stderr quiet.
unsafe extern "C" fn logger(
    _: *mut std::ffi::c_void,
    _level: std::ffi::c_int,
    message: *const c_char,
) {
    assert!(!message.is_null());
    // SAFETY: libvwo passes a NUL-terminated message valid for the call.
    let _ = unsafe { CStr::from_ptr(message) }.to_bytes().len();
}

/// The integrations hook: its payload must be JSON.
unsafe extern "C" fn integrations(_: *mut std::ffi::c_void, payload: *const c_char) {
    // SAFETY: as above.
    let text = unsafe { CStr::from_ptr(payload) }
        .to_string_lossy()
        .into_owned();
    assert!(
        serde_json::from_str::<Value>(&text).is_ok(),
        "integrations payload: {text}"
    );
}

fn launch_options(part: &[u8]) -> CString {
    match serde_json::from_slice::<Value>(part) {
        Ok(Value::Object(mut m)) => {
            for k in DANGEROUS {
                m.remove(*k);
            }
            m.insert("is_development_mode".into(), Value::Bool(true));
            CString::new(Value::Object(m).to_string()).unwrap_or_default()
        }
        Ok(_) => cstring(part),
        // Invalid JSON or UTF-8 is refused before anything is opened; valid non-objects likewise.
        Err(_) if part.is_empty() => {
            CString::new(r#"{"is_development_mode":true}"#).unwrap_or_default()
        }
        Err(_) => cstring(part),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let settings = cstring(parts.next().unwrap_or_default());
    let options = launch_options(parts.next().unwrap_or_default());
    let keys: Vec<String> = serde_json::from_slice::<Value>(settings.as_bytes())
        .ok()
        .and_then(|v| v.get("campaigns").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.get("key").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let key_arg = |p: &[u8]| -> CString {
        match p.strip_prefix(b"#") {
            Some(rest) if !keys.is_empty() => {
                let i = rest.first().copied().unwrap_or(0) as usize % keys.len();
                CString::new(keys[i].as_bytes()).unwrap_or_default()
            }
            _ => cstring(p),
        }
    };

    let mut client: *mut vwo_client = ptr::null_mut();
    // SAFETY: NUL-terminated strings; client is valid for a write.
    let callbacks = vwo_callbacks {
        user_data: ptr::null_mut(),
        storage_get: None,
        storage_set: None,
        logger: Some(logger),
        integrations: Some(integrations),
        flush: None,
    };
    let status =
        unsafe { vwo_client_launch(settings.as_ptr(), options.as_ptr(), &callbacks, &mut client) };
    if !sane("launch", status) {
        assert!(client.is_null(), "launch failed but wrote a client");
        return;
    }
    assert!(!client.is_null());
    let c = client as *const vwo_client;
    let mut calls = 0;
    while let Some(op) = parts.next() {
        calls += 1;
        if calls > 24 {
            break;
        }
        let op = op.first().copied().unwrap_or(0);
        let mut arg = || parts.next().unwrap_or_default();
        let (a, b) = (arg(), arg());
        let key = key_arg(a);
        let user = cstring(b);
        let opts_part = arg();
        let opts = cstring(opts_part);
        // A NULL options text is allowed; an empty part stands for it.
        let o = if opts_part.is_empty() {
            ptr::null()
        } else {
            opts.as_ptr()
        };
        // SAFETY (every call below): `c` is a live client, strings are NUL-terminated, and every
        // out-pointer points to a local valid for a write.
        match op % 14 {
            0 | 1 => {
                let mut buf = [0xAAu8; 64];
                let len = if op & 0x80 != 0 { 4 } else { buf.len() };
                let mut n = usize::MAX;
                let mut has = false;
                let s = unsafe {
                    if op % 14 == 0 {
                        vwo_client_activate(
                            c,
                            key.as_ptr(),
                            user.as_ptr(),
                            o,
                            buf.as_mut_ptr().cast(),
                            len,
                            &mut n,
                            &mut has,
                        )
                    } else {
                        vwo_client_get_variation_name(
                            c,
                            key.as_ptr(),
                            user.as_ptr(),
                            o,
                            buf.as_mut_ptr().cast(),
                            len,
                            &mut n,
                            &mut has,
                        )
                    }
                };
                if s == vwo_status::VWO_BUFFER_TOO_SMALL {
                    assert!(n + 1 > len, "too small for {n} bytes in {len}");
                } else if sane("activate/get_variation_name", s) {
                    if has {
                        assert!(
                            n < len && buf[n] == 0,
                            "variation of {n} bytes not NUL-terminated"
                        );
                        assert!(std::str::from_utf8(&buf[..n]).is_ok());
                    } else {
                        assert_eq!(n, 0);
                    }
                } else {
                    assert_eq!(n, usize::MAX, "out-parameter written on failure");
                }
            }
            2 => {
                let mut on = false;
                let s = unsafe {
                    vwo_client_is_feature_enabled(c, key.as_ptr(), user.as_ptr(), o, &mut on)
                };
                sane("is_feature_enabled", s);
            }
            3 => {
                let var = cstring(arg());
                let mut out: *mut c_char = ptr::null_mut();
                let s = unsafe {
                    vwo_client_get_feature_variable_value(
                        c,
                        key.as_ptr(),
                        var.as_ptr(),
                        user.as_ptr(),
                        o,
                        &mut out,
                    )
                };
                if sane("get_feature_variable_value", s) {
                    json_out("get_feature_variable_value", out);
                } else {
                    assert!(out.is_null());
                }
            }
            4 | 5 => {
                let goal = cstring(arg());
                let mut out: *mut c_char = ptr::null_mut();
                let k = if op % 14 == 5 {
                    ptr::null()
                } else {
                    key.as_ptr()
                };
                let s =
                    unsafe { vwo_client_track(c, k, user.as_ptr(), goal.as_ptr(), o, &mut out) };
                if sane("track", s) {
                    json_out("track", out);
                }
            }
            6 => {
                let goal = cstring(arg());
                let mut out: *mut c_char = ptr::null_mut();
                let s = unsafe {
                    vwo_client_track_list(
                        c,
                        key.as_ptr(),
                        user.as_ptr(),
                        goal.as_ptr(),
                        o,
                        &mut out,
                    )
                };
                if sane("track_list", s) {
                    json_out("track_list", out);
                }
            }
            7 => {
                let mut ok = false;
                let v = cstring(arg());
                let s =
                    unsafe { vwo_client_push(c, key.as_ptr(), v.as_ptr(), user.as_ptr(), &mut ok) };
                sane("push", s);
                let s = unsafe { vwo_client_push_map(c, opts.as_ptr(), user.as_ptr(), &mut ok) };
                sane("push_map", s);
            }
            8 => {
                let id = unsafe { vwo_client_activate_id(c, key.as_ptr(), user.as_ptr(), o) };
                sane_id("activate_id", id);
                let id2 =
                    unsafe { vwo_client_get_variation_name_id(c, key.as_ptr(), user.as_ptr(), o) };
                sane_id("get_variation_name_id", id2);
                for id in [id, id2, i64::from(op)] {
                    let mut buf = [0u8; 32];
                    let mut n = 0usize;
                    let s = unsafe {
                        vwo_client_variation_name_of_id(
                            c,
                            id,
                            buf.as_mut_ptr().cast(),
                            buf.len(),
                            &mut n,
                        )
                    };
                    if s != vwo_status::VWO_BUFFER_TOO_SMALL {
                        let _ = s;
                    }
                }
            }
            9 => {
                let f = unsafe {
                    vwo_client_is_feature_enabled_flag(c, key.as_ptr(), user.as_ptr(), o)
                };
                sane_id("is_feature_enabled_flag", f);
                let goal = cstring(arg());
                let t = unsafe {
                    vwo_client_track_one(c, key.as_ptr(), user.as_ptr(), goal.as_ptr(), o)
                };
                sane_id("track_one", t);
                let r = unsafe {
                    vwo_client_track_one_revenue(
                        c,
                        key.as_ptr(),
                        user.as_ptr(),
                        goal.as_ptr(),
                        o,
                        f64::from(op) - 100.5,
                    )
                };
                sane_id("track_one_revenue", r);
            }
            10 => {
                let goal = cstring(arg());
                let t = unsafe {
                    vwo_client_track_text(c, key.as_ptr(), user.as_ptr(), goal.as_ptr(), o)
                };
                if !t.is_null() {
                    let text = unsafe { CStr::from_ptr(t) }.to_string_lossy().into_owned();
                    assert!(
                        serde_json::from_str::<Value>(&text).is_ok(),
                        "track_text: {text}"
                    );
                }
                let var = cstring(arg());
                let t = unsafe {
                    vwo_client_get_feature_variable_text(
                        c,
                        key.as_ptr(),
                        var.as_ptr(),
                        user.as_ptr(),
                        o,
                    )
                };
                if !t.is_null() {
                    let text = unsafe { CStr::from_ptr(t) }.to_string_lossy().into_owned();
                    assert!(
                        serde_json::from_str::<Value>(&text).is_ok(),
                        "variable_text: {text}"
                    );
                }
            }
            11 => {
                // Replacing the settings with the key part's bytes (usually invalid: the old stay).
                let s = unsafe { vwo_client_replace_settings(c, key.as_ptr()) };
                sane("replace_settings", s);
                let mut out: *mut c_char = ptr::null_mut();
                let s = unsafe { vwo_client_settings_json(c, &mut out) };
                if sane("settings_json", s) {
                    json_out("settings_json", out);
                }
            }
            12 => {
                let mut counters = std::mem::MaybeUninit::<vwo_delivery_counters>::uninit();
                let s = unsafe { vwo_client_delivery_counters(c, counters.as_mut_ptr()) };
                sane("delivery_counters", s);
                let mut report = std::mem::MaybeUninit::<vwo_flush_report>::uninit();
                let s = unsafe { vwo_client_flush_events(c, 1000, report.as_mut_ptr()) };
                sane("flush_events", s);
            }
            _ => {
                if op & 0x40 != 0 {
                    let s = unsafe { vwo_client_set_opt_out(c) };
                    sane("set_opt_out", s);
                }
                // NULL arguments are refused, never dereferenced.
                let mut on = false;
                let s = unsafe {
                    vwo_client_is_feature_enabled(c, ptr::null(), user.as_ptr(), o, &mut on)
                };
                assert_eq!(s, vwo_status::VWO_NULL_ARGUMENT);
                let s = unsafe {
                    vwo_client_is_feature_enabled(
                        ptr::null(),
                        key.as_ptr(),
                        user.as_ptr(),
                        o,
                        &mut on,
                    )
                };
                assert_eq!(s, vwo_status::VWO_NULL_ARGUMENT);
            }
        }
    }
    // SAFETY: from vwo_client_launch, freed once.
    unsafe { vwo_client_free(client) };
});
