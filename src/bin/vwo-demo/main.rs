//! `make demo`: launches libvwo on a bundled settings file (20 campaigns: A/B tests, feature tests,
//! feature rollouts, a mutually exclusive group, segments and whitelisting), makes decisions for a few
//! users with different profiles, converts goals, pushes a custom dimension, and prints each decision and
//! every request libvwo would send to VWO. No VWO account is needed.
//!
//! `vwo-demo [SETTINGS.json]` runs the same script on another settings file.

use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use vwo::events::EventRequest;
use vwo::{
    BatchEventsConfig, CallOptions, Client, EventSink, LaunchOptions, MemoryUserStorage,
    TrackCampaigns,
};

const BUNDLED_SETTINGS: &str = include_str!("settings.json");

/// Prints every request as it is handed over.
struct PrintingSink {
    count: Mutex<usize>,
}

impl EventSink for PrintingSink {
    fn send(&self, request: &EventRequest) -> Result<(), vwo::Error> {
        let mut n = self
            .count
            .lock()
            .map_err(|_| vwo::Error::new(vwo::ErrorKind::Internal, "lock"))?;
        *n += 1;
        println!(
            "    event #{n}: {:?} {}",
            request.method,
            request.wire_url()
        );
        if let Some(body) = &request.body {
            println!("              body {body}");
        }
        Ok(())
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
    let sink = Arc::new(PrintingSink {
        count: Mutex::new(0),
    });
    let hook_calls = Arc::new(Mutex::new(0usize));
    let hook_counter = hook_calls.clone();
    let options = LaunchOptions {
        user_storage: Some(Arc::new(MemoryUserStorage::new())),
        event_sink: Some(sink.clone()),
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
    let events = sink.count.lock().map(|n| *n).unwrap_or(0);
    println!("{hooks} decisions reported to the integrations hook, {events} requests handed to the event sink");
}
