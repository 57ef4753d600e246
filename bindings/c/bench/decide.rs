//! The Rust side of `bindings/c/bench/decide.c`: the same call sequence (settings_bench.json's
//! VISUAL_AB and FEATURE_TEST campaigns, W1's user draws, no per-call options) through
//! `Client::get_variation_name` and through the exported `vwo_client_get_variation_name`, in one run.
//!
//!   cargo run --release --example ffi_decide -- [SETTINGS] [CALLS] [REPS]
#![allow(unsafe_code)]

use std::ffi::{c_char, CString};
use std::time::Instant;
use vwo::ffi::{vwo_client, vwo_client_free, vwo_client_get_variation_name, vwo_client_launch};
use vwo::{Client, LaunchOptions};

struct Lcg(u32);
impl Lcg {
    fn rand(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) % n
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .map_or("benches/data/settings_bench.json", |s| s.as_str());
    let calls: usize = args.get(2).map_or(Ok(200_000), |s| s.parse())?;
    let reps: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
    let text = std::fs::read_to_string(path)?;
    let doc: serde_json::Value = serde_json::from_str(&text)?;
    let keys: Vec<String> = doc["campaigns"]
        .as_array()
        .ok_or("no campaigns")?
        .iter()
        .filter(|c| matches!(c["type"].as_str(), Some("VISUAL_AB" | "FEATURE_TEST")))
        .filter_map(|c| c["key"].as_str().map(str::to_string))
        .collect();
    let mut rng = Lcg(1);
    let users: Vec<String> = (0..calls)
        .map(|_| {
            if rng.rand(100) == 0 {
                format!("qa_user_{}", rng.rand(12) + 1)
            } else {
                format!("user_{}", rng.rand(100_000))
            }
        })
        .collect();

    let client = Client::launch(
        &text,
        LaunchOptions {
            development_mode: true,
            ..Default::default()
        },
    )?;
    let mut rust = Vec::new();
    for r in 0..=reps {
        let t0 = Instant::now();
        let mut decided = 0usize;
        for (i, user) in users.iter().enumerate() {
            let v = client.get_variation_name(&keys[i % keys.len()], user, None);
            decided += std::hint::black_box(v).is_some() as usize;
        }
        if r > 0 {
            rust.push(t0.elapsed().as_nanos() as f64 / calls as f64);
        }
        std::hint::black_box(decided);
    }

    // The same calls through the C ABI (C strings built before timing, as a C caller has them).
    let c_text = CString::new(text.clone())?;
    let c_keys: Vec<CString> = keys
        .iter()
        .map(|k| CString::new(k.as_str()))
        .collect::<Result<_, _>>()?;
    let c_users: Vec<CString> = users
        .iter()
        .map(|u| CString::new(u.as_str()))
        .collect::<Result<_, _>>()?;
    let options = CString::new(r#"{"is_development_mode": true}"#)?;
    let mut handle: *mut vwo_client = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated strings and a valid out-pointer.
    let st = unsafe {
        vwo_client_launch(
            c_text.as_ptr(),
            options.as_ptr(),
            std::ptr::null(),
            &mut handle,
        )
    };
    if st != vwo::ffi::vwo_status::VWO_OK {
        return Err("vwo_client_launch failed".into());
    }
    let mut ffi = Vec::new();
    let mut buf = [0 as c_char; 128];
    for r in 0..=reps {
        let t0 = Instant::now();
        let mut decided = 0usize;
        for (i, user) in c_users.iter().enumerate() {
            let (mut len, mut has) = (0usize, false);
            // SAFETY: a live handle, valid strings, a buffer of its length and valid out-pointers.
            unsafe {
                vwo_client_get_variation_name(
                    handle,
                    c_keys[i % c_keys.len()].as_ptr(),
                    user.as_ptr(),
                    std::ptr::null(),
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut len,
                    &mut has,
                )
            };
            decided += has as usize;
        }
        if r > 0 {
            ffi.push(t0.elapsed().as_nanos() as f64 / calls as f64);
        }
        std::hint::black_box(decided);
    }
    // SAFETY: the handle from vwo_client_launch, freed once.
    unsafe { vwo_client_free(handle) };
    let (rust, ffi) = (median(rust), median(ffi));
    println!("Rust API get_variation_name: {rust:.1} ns/call (median of {reps} x {calls} calls)");
    println!(
        "C ABI from Rust            : {ffi:.1} ns/call (+{:.1} ns)",
        ffi - rust
    );
    Ok(())
}
