//! `make demo`: launches libvwo on a bundled settings file (20 campaigns: A/B tests, feature tests,
//! feature rollouts, a mutually exclusive group, segments and whitelisting), makes decisions for a few
//! users with different profiles, converts goals, pushes a custom dimension, and prints each decision.
//! The events go over real HTTP to a local collector the demo starts on 127.0.0.1, which prints every
//! request that arrives. No VWO account is needed.
//!
//! `vwo-demo [SETTINGS.json]` runs the same script on another settings file.

use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vwo::{
    BatchEventsConfig, CallOptions, Client, LaunchOptions, MemoryUserStorage, TrackCampaigns,
};

const BUNDLED_SETTINGS: &str = include_str!("settings.json");

/// A minimal HTTP/1.1 collector on 127.0.0.1 standing in for VWO: prints each request and answers 200.
fn start_collector(received: Arc<AtomicUsize>) -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let received = received.clone();
            std::thread::spawn(move || serve(stream, &received));
        }
    });
    Ok(port)
}

fn serve(stream: TcpStream, received: &AtomicUsize) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let n = received.fetch_add(1, Ordering::SeqCst) + 1;
        println!("    collector <- #{n} {}", request_line.trim_end());
        if !body.is_empty() {
            println!("                 body {}", String::from_utf8_lossy(&body));
        }
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

fn profile(v: Value) -> CallOptions {
    let custom_variables: Option<Map<String, Value>> = v.as_object().cloned();
    CallOptions {
        custom_variables,
        ..Default::default()
    }
}

fn main() {
    let settings = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("vwo-demo: cannot read {path}: {e}");
                std::process::exit(2);
            }
        },
        None => BUNDLED_SETTINGS.to_string(),
    };
    let received = Arc::new(AtomicUsize::new(0));
    let port = match start_collector(received.clone()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vwo-demo: cannot start the local collector: {e}");
            std::process::exit(1);
        }
    };
    println!("local collector listening on http://127.0.0.1:{port} (standing in for VWO)");
    let hook_calls = Arc::new(Mutex::new(0usize));
    let hook_counter = hook_calls.clone();
    let options = LaunchOptions {
        user_storage: Some(Arc::new(MemoryUserStorage::new())),
        base_url: Some(format!("http://127.0.0.1:{port}")),
        batch_events: Some(BatchEventsConfig {
            events_per_request: 4,
            ..Default::default()
        }),
        integrations: Some(Arc::new(move |_: &Map<String, Value>| {
            if let Ok(mut n) = hook_counter.lock() {
                *n += 1;
            }
        })),
        ..Default::default()
    };
    let client = match Client::launch(&settings, options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vwo-demo: launch failed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "libvwo {} — launched on {} campaigns",
        vwo::client::SDK_VERSION,
        client.with_settings(|s| s.campaigns.len())
    );

    let users = [
        (
            "alice",
            json!({"browser": "Chrome", "country": "US", "plan": "premium", "age": 34}),
        ),
        (
            "bob",
            json!({"browser": "Firefox", "country": "UK", "plan": "free", "age": 22}),
        ),
        (
            "qa_user_1",
            json!({"browser": "Safari", "country": "DE", "plan": "enterprise", "age": 45}),
        ),
        (
            "carol",
            json!({"browser": "chrome", "country": "IN", "plan": "basic", "age": 19}),
        ),
    ];
    for (user, vars) in &users {
        let opts = profile(vars.clone());
        println!("\nuser {user} {vars}");
        for key in [
            "ab_homepage_hero",
            "ab_checkout_button",
            "ab_signup_flow",
            "meg_banner_a",
            "meg_banner_b",
        ] {
            let v = client.activate(key, user, Some(&opts));
            println!("  activate({key}) = {}", v.as_deref().unwrap_or("None"));
        }
        for key in ["ft_recommendation_engine", "fr_new_header"] {
            let on = client.is_feature_enabled(key, user, Some(&opts));
            println!("  is_feature_enabled({key}) = {on}");
        }
        let algo = client.get_feature_variable_value(
            "ft_recommendation_engine",
            "algo",
            user,
            Some(&opts),
        );
        println!(
            "  get_feature_variable_value(ft_recommendation_engine, algo) = {}",
            algo.unwrap_or(Value::Null)
        );
        let tracked = client.track(
            TrackCampaigns::All,
            user,
            "purchase",
            Some(&CallOptions {
                revenue_value: Some(json!(49.99)),
                ..opts.clone()
            }),
        );
        println!("  track(all campaigns, purchase) = {tracked:?}");
        println!(
            "  push(plan) = {}",
            client.push("plan", vars["plan"].as_str().unwrap_or("none"), user)
        );
    }
    println!("\nflush_events() = {}", client.flush_events());
    let hooks = hook_calls.lock().map(|n| *n).unwrap_or(0);
    println!(
        "{hooks} decisions reported to the integrations hook; {} requests arrived at the collector",
        received.load(Ordering::SeqCst)
    );
    if let Some(report) = client.close(Duration::from_secs(5)) {
        let c = report.flush.counters;
        println!(
            "delivery: {} events accepted, {} delivered, {} retried, {} failed, {} dropped",
            c.accepted, c.delivered, c.retried, c.failed, c.dropped
        );
    }
}
