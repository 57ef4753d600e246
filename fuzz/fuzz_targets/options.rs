//! The option parsers of the C ABI (src/ffi/options.rs, src/ffi/call_options.rs), through
//! `vwo::ffi::fuzzing`. The first byte chooses the parser, the rest is the options text.
//!
//! Checks: every text is parsed or refused with an options/JSON status and a message naming what is
//! wrong (never a panic); the per-thread cache answers what a fresh parse answers (the text twice,
//! and `CallOptions::from_value` on the parsed JSON); `track_options`, whose fast path reads the
//! revenue apart, answers exactly what `call_options` answers (its documented contract); accepted
//! launch options build their HTTP transport (the proxy URL) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vwo::events::{HttpTransport, TransportConfig};
use vwo::ffi::fuzzing::{call_options, launch_options, track_options};
use vwo::ffi::vwo_status;
use vwo::CallOptions;

fn refused(e: &(vwo_status, String)) {
    assert!(
        matches!(
            e.0,
            vwo_status::VWO_INVALID_JSON | vwo_status::VWO_INVALID_OPTIONS
        ),
        "unexpected status {:?}: {}",
        e.0,
        e.1
    );
    assert!(!e.1.is_empty());
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 3 {
        0 => match launch_options(text) {
            Ok(o) => {
                let d = &o.delivery;
                let _ = HttpTransport::new(TransportConfig {
                    connect_timeout: d.connect_timeout,
                    timeout: d.timeout,
                    proxy: d.proxy.clone(),
                    use_env_proxy: false,
                });
            }
            Err(e) => refused(&e),
        },
        1 => {
            let first = call_options(text);
            let again = call_options(text);
            match (&first, &again) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "the cache changed the answer"),
                (Err(a), Err(b)) => {
                    refused(a);
                    assert_eq!(a, b);
                }
                _ => panic!("the cache changed the answer: {first:?} then {again:?}"),
            }
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                let fresh = CallOptions::from_value(v);
                assert_eq!(first.is_ok(), fresh.is_ok(), "{first:?} vs {fresh:?}");
                if let (Ok(a), Ok(b)) = (&first, &fresh) {
                    assert_eq!(a, b);
                }
            }
        }
        _ => {
            let whole = call_options(text);
            let track = track_options(text);
            match (whole, track) {
                (Ok(w), Ok((mut o, revenue))) => {
                    assert_eq!(w.revenue_value, revenue, "revenue differs for {text:?}");
                    // The fast path's options carry no revenue of their own: compare the rest.
                    o.revenue_value = w.revenue_value.clone();
                    assert_eq!(w, o, "options differ for {text:?}");
                }
                (Err(a), Err(b)) => {
                    refused(&a);
                    assert_eq!(a, b, "errors differ for {text:?}");
                }
                (a, b) => {
                    panic!("call_options and track_options disagree on {text:?}: {a:?} / {b:?}")
                }
            }
        }
    }
});
