//! The Rust client API end to end: policy deviations, bad input, robustness under mutated settings and
//! options, concurrency with settings replacement, hooks and user storage.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::{json, Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use vwo::events::EventRequest;
use vwo::{CallOptions, Client, EventSink, LaunchOptions, MemoryUserStorage, TrackCampaigns};

/// The requests a host sink received, each with the full URL it was given.
#[derive(Default)]
struct Capture(Mutex<Vec<(String, EventRequest)>>);

impl EventSink for Capture {
    fn send(&self, url: &str, request: &EventRequest) -> Result<(), vwo::Error> {
        self.0
            .lock()
            .unwrap()
            .push((url.to_owned(), request.clone()));
        Ok(())
    }
}

fn ab_settings(percent_traffic: u32, status_b: &str) -> String {
    json!({
        "accountId": 123456, "sdkKey": "abcdef0123456789abcdef0123456789", "version": 1,
        "campaigns": [
            {"id": 11, "key": "ab_50", "name": "ab_50", "status": "RUNNING", "type": "VISUAL_AB",
             "percentTraffic": percent_traffic, "isForcedVariationEnabled": false, "segments": {},
             "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
             "variations": [{"id": 1, "name": "Control", "weight": 50, "changes": {}},
                            {"id": 2, "name": "Variation-1", "weight": 50, "changes": {}}]},
            {"id": 12, "key": "paused", "status": status_b, "type": "VISUAL_AB", "percentTraffic": 100,
             "goals": [{"id": 202, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
             "variations": [{"id": 1, "name": "Control", "weight": 100}]}
        ]
    })
    .to_string()
}

fn launch_capturing(settings: &str, mut options: LaunchOptions) -> (Client, Arc<Capture>) {
    let capture = Arc::new(Capture::default());
    options.event_sink = Some(capture.clone());
    (Client::launch(settings, options).unwrap(), capture)
}

#[test]
fn spec_worked_example_a() {
    let (client, events) = launch_capturing(&ab_settings(50, "RUNNING"), LaunchOptions::default());
    assert_eq!(
        client.activate("ab_50", "Ashley", None).as_deref(),
        Some("Variation-1")
    );
    let sent = events.0.lock().unwrap();
    assert_eq!(sent.len(), 1);
    let (url, req) = &sent[0];
    assert_eq!(req.path, "/server-side/track-user");
    assert!(
        url.starts_with("https://dev.visualwebsiteoptimizer.com/server-side/track-user?random=")
    );
    assert!(url.contains("&u=4C9BA81BAF53591488EB5FD5E66A98B9&"));
}

/// A host sink is given each request's full URL: the launch option's base URL, the current settings'
/// collection prefix (a settings change moves the next events), the request's path and query.
#[test]
fn a_host_sink_gets_full_urls_from_the_current_configuration() {
    let with_prefix = |p: &str| {
        let mut v: Value = serde_json::from_str(&ab_settings(100, "RUNNING")).unwrap();
        v["collectionPrefix"] = json!(p);
        v.to_string()
    };
    let (client, events) = launch_capturing(
        &with_prefix("eu01"),
        LaunchOptions {
            base_url: Some("http://gateway.example:8080/vwo".into()),
            ..LaunchOptions::default()
        },
    );
    client.activate("ab_50", "Ashley", None).unwrap();
    client.replace_settings(&with_prefix("")).unwrap();
    client.track(TrackCampaigns::One("ab_50"), "Ashley", "CUSTOM", None);
    let sent = events.0.lock().unwrap();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0]
            .0
            .starts_with("http://gateway.example:8080/vwo/eu01/server-side/track-user?random="),
        "{}",
        sent[0].0
    );
    assert!(
        sent[1]
            .0
            .starts_with("http://gateway.example:8080/vwo/server-side/track-goal?random="),
        "{}",
        sent[1].0
    );
    for (url, req) in sent.iter() {
        assert!(url.ends_with(&req.wire_target()), "{url}");
    }
}

/// Policy D2: `track` on all campaigns skips campaigns that are not RUNNING.
#[test]
fn global_track_skips_paused_campaigns() {
    let (client, _) = launch_capturing(&ab_settings(100, "PAUSED"), LaunchOptions::default());
    let result = client
        .track(TrackCampaigns::All, "Ashley", "CUSTOM", None)
        .unwrap();
    assert_eq!(result, vec![("ab_50".to_string(), true)]);
    assert!(client
        .track(TrackCampaigns::One("paused"), "Ashley", "CUSTOM", None)
        .is_none());
}

/// vwo-python-sdk 1.68.2: a list of campaign keys naming no running campaign (unknown, paused, or none
/// at all) answers an empty result ({}), where the "all campaigns" form with nothing to track answers None;
/// nothing is sent.
#[test]
fn a_list_naming_no_running_campaign_tracks_nothing_and_answers_empty() {
    let (client, events) = launch_capturing(&ab_settings(100, "PAUSED"), LaunchOptions::default());
    for keys in [&["not_in_settings"][..], &[], &["paused"]] {
        assert_eq!(
            client.track(TrackCampaigns::List(keys), "Ashley", "CUSTOM", None),
            Some(vec![]),
            "{keys:?}"
        );
    }
    assert_eq!(
        client.track(TrackCampaigns::All, "Ashley", "NO_SUCH_GOAL", None),
        None
    );
    assert_eq!(
        client.track(TrackCampaigns::List(&[]), "", "CUSTOM", None),
        None
    );
    assert!(events.0.lock().unwrap().is_empty());
}

/// Policy D3 and spec §3.5 example D: a bucket value of 10001 matches no range: no variation, no event,
/// no panic, `false` for track.
#[test]
fn bucket_value_beyond_ranges_gives_no_variation() {
    let (client, events) = launch_capturing(&ab_settings(50, "RUNNING"), LaunchOptions::default());
    assert_eq!(client.activate("ab_50", "x4243", None), None);
    assert_eq!(client.get_variation_name("ab_50", "x4243", None), None);
    assert_eq!(
        client.track(TrackCampaigns::One("ab_50"), "x4243", "CUSTOM", None),
        Some(vec![("ab_50".to_string(), false)])
    );
    assert!(events.0.lock().unwrap().is_empty());
}

#[test]
fn bad_arguments_return_failure_values() {
    let (client, events) = launch_capturing(&ab_settings(100, "PAUSED"), LaunchOptions::default());
    assert_eq!(client.activate("", "Ashley", None), None);
    assert_eq!(client.activate("ab_50", "", None), None);
    assert_eq!(client.activate("missing", "Ashley", None), None);
    assert_eq!(client.activate("paused", "Ashley", None), None);
    assert!(!client.is_feature_enabled("ab_50", "Ashley", None));
    assert_eq!(
        client.get_feature_variable_value("ab_50", "x", "Ashley", None),
        None
    );
    assert!(client
        .track(TrackCampaigns::One("ab_50"), "Ashley", "", None)
        .is_none());
    assert!(client
        .track(TrackCampaigns::All, "Ashley", "NOPE", None)
        .is_none());
    assert!(!client.push("", "v", "Ashley"));
    assert!(!client.push("k", "", "Ashley"));
    assert!(!client.push(&"k".repeat(256), "v", "Ashley"));
    assert!(!client.flush_events());
    assert!(events.0.lock().unwrap().is_empty());
}

#[test]
fn opt_out_disables_every_api() {
    let (client, events) = launch_capturing(&ab_settings(100, "RUNNING"), LaunchOptions::default());
    assert!(client.set_opt_out());
    assert_eq!(client.activate("ab_50", "Ashley", None), None);
    assert!(client
        .track(TrackCampaigns::All, "Ashley", "CUSTOM", None)
        .is_none());
    assert!(!client.push("k", "v", "Ashley"));
    assert!(events.0.lock().unwrap().is_empty());
}

#[test]
fn user_storage_remembers_and_suppresses_repeat_impressions() {
    let storage = Arc::new(MemoryUserStorage::new());
    let options = LaunchOptions {
        user_storage: Some(storage.clone()),
        ..Default::default()
    };
    let (client, events) = launch_capturing(&ab_settings(100, "RUNNING"), options);
    // Not activated yet: get_variation_name and track refuse (Python semantics).
    assert_eq!(client.get_variation_name("ab_50", "Bill", None), None);
    let first = client.activate("ab_50", "Bill", None).unwrap();
    assert_eq!(client.activate("ab_50", "Bill", None).unwrap(), first);
    assert_eq!(
        events.0.lock().unwrap().len(),
        1,
        "second activate sends no impression"
    );
    let one = TrackCampaigns::One("ab_50");
    assert_eq!(
        client.track(one, "Bill", "CUSTOM", None),
        Some(vec![("ab_50".into(), true)])
    );
    assert_eq!(
        client.track(one, "Bill", "CUSTOM", None),
        Some(vec![("ab_50".into(), false)])
    );
    let records = storage.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].goal_identifiers.as_deref(), Some("CUSTOM"));
}

#[test]
fn integrations_hook_gets_python_keys() {
    let seen: Arc<Mutex<Vec<Map<String, Value>>>> = Arc::default();
    let sink = seen.clone();
    let options = LaunchOptions {
        development_mode: true,
        integrations: Some(Arc::new(move |p: &Map<String, Value>| {
            sink.lock().unwrap().push(p.clone())
        })),
        ..Default::default()
    };
    let client = Client::launch(&ab_settings(100, "RUNNING"), options).unwrap();
    client.get_variation_name("ab_50", "Ashley", None);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let keys: Vec<&str> = seen[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "campaign_id",
            "campaign_name",
            "campaign_key",
            "campaign_type",
            "custom_variables",
            "event",
            "goal_identifier",
            "is_forced_variation_enabled",
            "sdk_version",
            "source",
            "user_id",
            "variation_targeting_variables",
            "vwo_user_id",
            "from_user_storage_service",
            "is_user_whitelisted",
            "variation_id",
            "variation_name"
        ]
    );
    assert_eq!(
        seen[0]["vwo_user_id"],
        json!("4C9BA81BAF53591488EB5FD5E66A98B9")
    );
}

#[test]
fn settings_replacement_is_atomic_under_concurrent_decisions() {
    let client = Client::launch(
        &ab_settings(100, "RUNNING"),
        LaunchOptions {
            development_mode: true,
            ..Default::default()
        },
    )
    .unwrap();
    let settings_0 = ab_settings(0, "RUNNING");
    let settings_100 = ab_settings(100, "RUNNING");
    std::thread::scope(|s| {
        for t in 0..3 {
            let client = client.clone();
            s.spawn(move || {
                for i in 0..5000 {
                    let user = format!("user-{t}-{i}");
                    // Either snapshot is fine; a torn one would give a variation with 0 % traffic or
                    // none with 100 %, which the per-snapshot invariant below cannot tell apart, so the
                    // check is that every answer is one of the campaign's variations or None.
                    match client.get_variation_name("ab_50", &user, None).as_deref() {
                        None | Some("Control") | Some("Variation-1") => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
            });
        }
        for i in 0..200 {
            let text = if i % 2 == 0 {
                &settings_0
            } else {
                &settings_100
            };
            client.replace_settings(text).unwrap();
        }
    });
    assert!(client.replace_settings("{not json").is_err());
    assert_eq!(
        client.settings_json(),
        settings_100,
        "a failed replacement keeps the current settings"
    );
}

/// A tiny deterministic generator for the mutation tests.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn random_value(rng: &mut Lcg) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(1e300),
        5 => json!(33.3333),
        6 => json!(""),
        7 => json!("abc"),
        8 => json!({}),
        9 => json!([]),
        10 => json!({"not": {"custom_variable": {"a": "regex(((("}}}),
        _ => json!(u64::MAX),
    }
}

/// Replaces, removes or retypes one randomly chosen node of the tree.
fn mutate(v: &mut Value, rng: &mut Lcg, depth: usize) {
    let descend = depth < 12 && rng.below(4) != 0;
    match v {
        Value::Object(m) if !m.is_empty() && descend => {
            let i = rng.below(m.len());
            let key = m.keys().nth(i).cloned().unwrap();
            if rng.below(8) == 0 {
                m.remove(&key);
            } else {
                mutate(m.get_mut(&key).unwrap(), rng, depth + 1);
            }
        }
        Value::Array(a) if !a.is_empty() && descend => {
            let i = rng.below(a.len());
            mutate(&mut a[i], rng, depth + 1);
        }
        _ => *v = random_value(rng),
    }
}

fn exercise(client: &Client, rng: &mut Lcg) {
    let keys: Vec<String> =
        client.with_settings(|s| s.campaigns.iter().map(|c| c.key.clone()).collect());
    for key in keys.iter().take(6) {
        let user = format!("u{}", rng.next());
        let options = CallOptions::from_json(&json!({
            "customVariables": {"a": random_value(rng), "browser": "chrome"},
            "variationTargetingVariables": {"b": random_value(rng)},
            "revenueValue": 12
        }))
        .unwrap_or_default();
        client.activate(key, &user, Some(&options));
        client.get_variation_name(key, &user, Some(&options));
        client.is_feature_enabled(key, &user, Some(&options));
        client.get_feature_variable_value(key, "STRING_VARIABLE", &user, Some(&options));
        client.track(TrackCampaigns::One(key), &user, "CUSTOM", Some(&options));
    }
    client.track(TrackCampaigns::All, "someone", "CUSTOM", None);
    client.push("k", "v", "someone");
    client.flush_events();
}

#[test]
fn mutated_settings_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/data/settings");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let originals: Vec<Value> = files
        .iter()
        .filter_map(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok())
        .collect();
    assert!(originals.len() > 100);
    let mut rng = Lcg(42);
    let (mut launched, mut rejected) = (0, 0);
    for round in 0..3000 {
        let mut settings = originals[round % originals.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut settings, &mut rng, 0);
        }
        let text = settings.to_string();
        let storage = Arc::new(MemoryUserStorage::new());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let options = LaunchOptions {
                user_storage: if round % 2 == 0 {
                    Some(storage.clone())
                } else {
                    None
                },
                event_sink: Some(Arc::new(Capture::default())),
                ..Default::default()
            };
            match Client::launch(&text, options) {
                Ok(client) => {
                    exercise(&client, &mut Lcg(round as u64));
                    true
                }
                Err(e) => {
                    assert!(!e.message().is_empty());
                    false
                }
            }
        }));
        match outcome {
            Ok(true) => launched += 1,
            Ok(false) => rejected += 1,
            Err(_) => panic!("panic on mutated settings (round {round}): {text}"),
        }
    }
    assert!(
        launched > 300 && rejected > 300,
        "launched {launched}, rejected {rejected}"
    );
}

#[test]
fn random_option_maps_never_panic() {
    let (client, _) = launch_capturing(&ab_settings(100, "RUNNING"), LaunchOptions::default());
    let mut rng = Lcg(7);
    let names = [
        "customVariables",
        "variationTargetingVariables",
        "userAgent",
        "userIpAddress",
        "revenueValue",
        "goalTypeToTrack",
        "eventProperties",
        "customProperties",
        "shouldTrackReturningUser",
        "custom_variables",
    ];
    let mut accepted = 0;
    for _ in 0..5000 {
        let mut m = Map::new();
        for _ in 0..rng.below(4) {
            m.insert(
                names[rng.below(names.len())].to_string(),
                random_value(&mut rng),
            );
        }
        if let Ok(options) = CallOptions::from_json(&Value::Object(m)) {
            accepted += 1;
            client.activate("ab_50", "Ashley", Some(&options));
            client.track(TrackCampaigns::All, "Ashley", "CUSTOM", Some(&options));
        }
    }
    assert!(accepted > 100);
}

/// Usage stats `cl`: a logger counts as the user's own unless the binding says it forwards the
/// language's default logging (`logger_is_custom: Some(false)`), as vwo-python-sdk sends no `cl` then.
#[test]
fn usage_stats_custom_logger_flag() {
    struct Quiet;
    impl vwo::Logger for Quiet {
        fn log(&self, _level: vwo::LogLevel, _message: &str) {}
    }
    let cl_of = |is_custom: Option<bool>| {
        let (client, events) = launch_capturing(
            &ab_settings(100, "RUNNING"),
            LaunchOptions {
                logger: Some(Arc::new(Quiet)),
                logger_is_custom: is_custom,
                ..Default::default()
            },
        );
        client.activate("ab_50", "Ashley", None).unwrap();
        let sent = events.0.lock().unwrap();
        let q: Vec<&str> = sent[0].1.query.iter().map(|(k, _)| *k).collect();
        (q.contains(&"cl"), q.contains(&"_l"))
    };
    assert_eq!(cl_of(None), (true, true));
    assert_eq!(cl_of(Some(true)), (true, true));
    assert_eq!(cl_of(Some(false)), (false, false));
}
