//! The client over real HTTP (no event sink): what a [`Client`] sends through libvwo's dispatcher arrives
//! at a collector on 127.0.0.1 (tests/common) equal to the corpus events of `tests/vectors/corpus`
//! (POLICY §2 fields excepted); faults, an outage, flush and close limits, settings fetch / pull /
//! polling, development mode and the spool, all through the public client API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../src/bin/vwo-conformance/policy.rs"]
mod policy;

use common::{Recorded, Reply, TestServer};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vwo::client::{
    get_settings_answer, get_settings_file_with, Clock, RandomSource, SDK_NAME, SDK_VERSION,
};
use vwo::events::pyjson::py_str;
use vwo::{
    BatchEventsConfig, CallOptions, Client, DeliveryOptions, GoalTypeToTrack, LaunchOptions,
    LogLevel, Logger, MemoryUserStorage, TrackCampaigns,
};

// ---------------------------------------------------------------------------------------------------
// Helpers

/// A frozen clock and random number, as a corpus file says.
#[derive(Debug, Clone, Copy)]
struct Frozen {
    random: f64,
    unix_ms: u64,
}

impl Frozen {
    fn of(doc: &Value) -> Frozen {
        let f = &doc["frozen"];
        Frozen {
            random: f["random"].as_f64().unwrap_or(0.123456789),
            unix_ms: f["unixTsMs"].as_u64().unwrap_or(1_700_000_000_000),
        }
    }
}

impl Clock for Frozen {
    fn unix_ms(&self) -> u64 {
        self.unix_ms
    }
}

impl RandomSource for Frozen {
    fn random(&self) -> f64 {
        self.random
    }
}

#[derive(Default)]
struct CaptureLogger(Mutex<Vec<(LogLevel, String)>>);

impl Logger for CaptureLogger {
    fn log(&self, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((level, message.to_owned()));
    }
}

impl CaptureLogger {
    fn lines(&self, level: LogLevel) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// Small timeouts so that the suite stays fast.
fn fast_delivery() -> DeliveryOptions {
    DeliveryOptions {
        connect_timeout: Duration::from_millis(300),
        timeout: Duration::from_millis(1000),
        proxy: None,
        max_attempts: Some(10),
        max_retry_time: Duration::from_secs(8),
        close_timeout: Duration::from_secs(2),
        flush_timeout: Duration::from_secs(5),
        ..DeliveryOptions::default()
    }
}

fn corpus(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/corpus")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn settings_text(doc: &Value) -> String {
    serde_json::to_string(&doc["settings"]).unwrap()
}

/// The AB settings of `events__ab_basic.json` (campaign `AB_T_100_W_50_50`, 100% traffic).
fn ab_settings() -> (String, Value) {
    let doc = corpus("events__ab_basic.json");
    (settings_text(&doc), doc["settings"].clone())
}

/// The same settings with the campaign's traffic at 0%: `activate` returns `None`.
fn ab_settings_no_traffic(settings: &Value) -> String {
    let mut s = settings.clone();
    s["campaigns"][0]["percentTraffic"] = Value::from(0);
    serde_json::to_string(&s).unwrap()
}

const AB: &str = "AB_T_100_W_50_50";

fn launch(settings: &str, server: &TestServer, delivery: DeliveryOptions) -> Client {
    Client::launch(
        settings,
        LaunchOptions {
            base_url: Some(server.base_url()),
            delivery,
            ..LaunchOptions::default()
        },
    )
    .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "vwo-client-http-{}-{name}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `%XX` and `+` decoding of a query component.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Path and decoded query pairs of a request target (or of a full URL).
fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let target = match target.find("://") {
        Some(p) => {
            let rest = &target[p + 3..];
            &rest[rest.find('/').unwrap_or(rest.len())..]
        }
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect();
    (path.to_owned(), pairs)
}

fn query_param(r: &Recorded, key: &str) -> Option<String> {
    split_target(&r.target)
        .1
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn path_of(r: &Recorded) -> String {
    split_target(&r.target).0
}

/// Query parameters whose values must differ (POLICY §2) or are not ours to match.
const IGNORED_PARAMS: &[&str] = &["random", "sId", "sdk", "sdk-v", "eTime"];

/// Headers the HTTP client adds on its own (not part of the event).
const TRANSPORT_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "content-length",
    "connection",
];

/// Compares what arrived with one corpus event: method, path, query (all keys in order; values except
/// the ignored ones), headers (except User-Agent; Content-Type on POSTs with a body), and the JSON body
/// except its time fields. The body comparison is skipped with `compare_body == false` (batches are
/// compared as a multiset of events).
fn compare_request(want: &Value, got: &Recorded, compare_body: bool) -> Result<(), String> {
    let want_method = want["method"].as_str().unwrap_or("");
    if got.method != want_method {
        return Err(format!("method: expected {want_method} got {}", got.method));
    }
    let (want_path, _) = split_target(want["url"].as_str().unwrap_or(""));
    let (got_path, got_q) = split_target(&got.target);
    if got_path != want_path {
        return Err(format!("path: expected {want_path} got {got_path}"));
    }
    // Query: every key, in order; values except those that must differ.
    let empty = Map::new();
    let params = want["params"].as_object().unwrap_or(&empty);
    let want_keys: Vec<&str> = params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    let got_keys: Vec<&str> = got_q.iter().map(|(k, _)| k.as_str()).collect();
    if want_keys != got_keys {
        return Err(format!(
            "query keys: expected {want_keys:?} got {got_keys:?}"
        ));
    }
    for ((k, want_v), (_, got_v)) in params.iter().filter(|(_, v)| !v.is_null()).zip(&got_q) {
        match k.as_str() {
            "sdk" => {
                if got_v != SDK_NAME {
                    return Err(format!("sdk: expected {SDK_NAME} got {got_v}"));
                }
            }
            "sdk-v" => {
                if got_v != SDK_VERSION {
                    return Err(format!("sdk-v: expected {SDK_VERSION} got {got_v}"));
                }
            }
            k if IGNORED_PARAMS.contains(&k) => {}
            _ => {
                let w = py_str(want_v);
                if *got_v != w {
                    return Err(format!("query {k}: expected {w:?} got {got_v:?}"));
                }
            }
        }
    }
    // The query's bytes, as encoded on the wire, equal the oracle's wire URL (ignored values aside).
    if let Some(wire) = want["wireUrl"].as_str() {
        let raw = |url: &str| -> Vec<String> {
            let q = url.split_once('?').map_or("", |(_, q)| q);
            q.split('&')
                .filter(|p| {
                    let k = p.split_once('=').map_or(*p, |(k, _)| k);
                    !IGNORED_PARAMS.contains(&k)
                })
                .map(str::to_owned)
                .collect()
        };
        let (w, g) = (raw(wire), raw(&got.target));
        if w != g {
            return Err(format!("raw query: expected {w:?} got {g:?}"));
        }
    }
    // Headers.
    let headers = want["headers"].as_object().unwrap_or(&empty);
    let mut want_h: BTreeMap<String, String> = headers
        .iter()
        .filter(|(k, _)| *k != "User-Agent")
        .map(|(k, v)| (k.to_ascii_lowercase(), py_str(v)))
        .collect();
    let has_body = !want["body"].is_null();
    if want_method == "POST" && has_body {
        want_h
            .entry("content-type".into())
            .or_insert_with(|| "application/json".into());
    }
    let got_h: BTreeMap<String, String> = got
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| !TRANSPORT_HEADERS.contains(&k.as_str()))
        .collect();
    if want_h != got_h {
        return Err(format!("headers: expected {want_h:?} got {got_h:?}"));
    }
    // Body.
    if !has_body {
        if !got.body.is_empty() {
            return Err(format!("body: expected none got {:?}", got.body));
        }
        return Ok(());
    }
    let mut got_body: Value = serde_json::from_str(&got.body)
        .map_err(|e| format!("body is not JSON ({e}): {}", got.body))?;
    if let Some(props) = got_body
        .pointer("/d/event/props")
        .and_then(Value::as_object)
    {
        if props.get("vwo_sdkName") != Some(&Value::from(SDK_NAME))
            || props.get("vwo_sdkVersion") != Some(&Value::from(SDK_VERSION))
        {
            return Err(format!("vwo_sdkName/vwo_sdkVersion: {props:?}"));
        }
    }
    if compare_body {
        let mut want_body = want["body"].clone();
        policy::normalize_body(&mut want_body);
        policy::normalize_body(&mut got_body);
        if want_body != got_body {
            return Err(format!("body: expected {want_body} got {got_body}"));
        }
    }
    Ok(())
}

/// JSON equality where object keys must also come in the same order.
fn ordered_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && ordered_eq(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| ordered_eq(p, q))
        }
        _ => a == b,
    }
}

/// Runs one request of the corpus format (the mapping of src/bin/vwo-conformance); `None` for requests
/// whose result is not compared here.
fn run_request(c: &Client, req: &Value) -> Option<Value> {
    let s = |k: &str| req[k].as_str().unwrap_or("");
    let options = match &req["options"] {
        Value::Null => None,
        o => Some(CallOptions::from_json(o).unwrap()),
    };
    let opts = options.as_ref();
    let opt_str = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
    let v = match s("api") {
        "activate" => opt_str(c.activate(s("campaignKey"), s("userId"), opts)),
        "getVariationName" | "getVariation" => {
            opt_str(c.get_variation_name(s("campaignKey"), s("userId"), opts))
        }
        "isFeatureEnabled" => {
            Value::Bool(c.is_feature_enabled(s("campaignKey"), s("userId"), opts))
        }
        "getFeatureVariableValue" => c
            .get_feature_variable_value(s("campaignKey"), s("variableKey"), s("userId"), opts)
            .unwrap_or(Value::Null),
        "track" => {
            let keys: Vec<&str>;
            let which = match &req["campaignKey"] {
                Value::String(k) => TrackCampaigns::One(k),
                Value::Array(a) => {
                    keys = a.iter().filter_map(Value::as_str).collect();
                    TrackCampaigns::List(&keys)
                }
                _ => TrackCampaigns::All,
            };
            match c.track(which, s("userId"), s("goalIdentifier"), opts) {
                None => Value::Null,
                Some(r) => Value::Object(r.into_iter().map(|(k, b)| (k, Value::Bool(b))).collect()),
            }
        }
        "push" => match &req["customDimensionMap"] {
            Value::Object(m) => Value::Bool(c.push_map(m, s("userId"))),
            _ => match (&req["tagKey"], &req["tagValue"], &req["userId"]) {
                (Value::String(k), Value::String(t), Value::String(u)) => {
                    Value::Bool(c.push(k, t, u))
                }
                _ => Value::Bool(false),
            },
        },
        "setOptOut" => Value::Bool(c.set_opt_out()),
        "flushEvents" => Value::Bool(c.flush_events()),
        "getUserStorage" => return None,
        other => panic!("request {other:?} not supported here"),
    };
    Some(v)
}

/// A client launched as the corpus file says, sending to `server` with frozen clock and random.
fn launch_corpus_client(doc: &Value, server: &TestServer) -> Client {
    let launch = &doc["launch"];
    let frozen = Frozen::of(doc);
    let user_storage = launch["userStorage"]
        .as_bool()
        .unwrap_or(false)
        .then(|| Arc::new(MemoryUserStorage::new()) as Arc<dyn vwo::UserStorage>);
    let goal_type_to_track = launch["goalTypeToTrack"]
        .as_str()
        .map(|g| GoalTypeToTrack::parse(g).unwrap());
    let batch_events = match &launch["batchEvents"] {
        Value::Null => None,
        b => Some(BatchEventsConfig::from_json(b).unwrap()),
    };
    assert!(!launch["isDevelopmentMode"].as_bool().unwrap_or(false));
    Client::launch(
        &settings_text(doc),
        LaunchOptions {
            user_storage,
            goal_type_to_track,
            batch_events,
            base_url: Some(server.base_url()),
            clock: Some(Arc::new(frozen)),
            random: Some(Arc::new(frozen)),
            delivery: fast_delivery(),
            // No logger: a custom logger adds the usage stat `cl` to events, unlike the oracle's launch.
            ..LaunchOptions::default()
        },
    )
    .unwrap()
}

/// The events of a batch body, normalized, as sortable texts.
fn batch_events(body: &Value) -> Vec<String> {
    let mut b = body.clone();
    policy::normalize_body(&mut b);
    b["ev"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn arrived_batch_events(r: &Recorded) -> Vec<String> {
    batch_events(&serde_json::from_str(&r.body).unwrap())
}

/// `a - b` as multisets; `Err` with what `b` has that `a` lacks.
fn multiset_minus(a: &[String], b: &[String]) -> Result<Vec<String>, Vec<String>> {
    let mut left: BTreeMap<&String, usize> = BTreeMap::new();
    for x in a {
        *left.entry(x).or_default() += 1;
    }
    let mut missing = Vec::new();
    for x in b {
        match left.get_mut(x) {
            Some(n) if *n > 0 => *n -= 1,
            _ => missing.push(x.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(left
        .into_iter()
        .flat_map(|(k, n)| std::iter::repeat_n(k.clone(), n))
        .collect())
}

fn check_corpus_file(name: &str) {
    let doc = corpus(name);
    let server = TestServer::start();
    let client = launch_corpus_client(&doc, &server);
    let batching = !doc["launch"]["batchEvents"].is_null();
    let events_per_request = doc["launch"]["batchEvents"]["eventsPerRequest"]
        .as_u64()
        .unwrap_or(0) as usize;
    let mut expected: Vec<Value> = Vec::new();
    for (i, case) in doc["cases"].as_array().unwrap().iter().enumerate() {
        let req = &case["request"];
        if let Some(got) = run_request(&client, req) {
            let want = &case["result"];
            let same = if req["api"] == "track" {
                ordered_eq(want, &got)
            } else {
                *want == got
            };
            assert!(same, "{name} case {i} {req}: expected {want} got {got}");
        }
        if let Some(evs) = case["events"].as_array() {
            expected.extend(evs.iter().cloned());
        }
        if batching && req["api"] == "flushEvents" {
            // flush_events returns once the queue is delivered: everything the oracle sent so far has
            // arrived, and nothing else.
            let mut arrived: Vec<String> = server
                .requests()
                .iter()
                .flat_map(arrived_batch_events)
                .collect();
            let mut sent: Vec<String> = expected
                .iter()
                .flat_map(|w| batch_events(&w["body"]))
                .collect();
            arrived.sort();
            sent.sort();
            assert_eq!(arrived, sent, "{name} case {i}: after flushEvents");
        }
    }
    let rep = client.flush(Duration::from_secs(10)).unwrap();
    assert!(rep.completed, "{name}: {rep:?}");
    let got = server.requests();
    assert!(
        got.iter().all(|r| r.status == 200),
        "{name}: every request answered 200"
    );
    let counters = client.delivery_counters().unwrap();
    assert_eq!(counters.failed, 0, "{name}: {counters:?}");
    assert_eq!(counters.retried, 0, "{name}: {counters:?}");
    if !batching {
        for (i, (w, g)) in expected.iter().zip(&got).enumerate() {
            if let Err(m) = compare_request(w, g, true) {
                panic!("{name}: event {i}: {m}\n  arrived: {} {}", g.target, g.body);
            }
        }
        assert_eq!(
            got.len(),
            expected.len(),
            "{name}: number of requests that arrived"
        );
        assert_eq!(counters.delivered, expected.len() as u64, "{name}");
    } else {
        // Batches may form differently in time (a flush can find the thread behind): every arrived
        // batch has the oracle's request shape; the events are the oracle's, as a multiset, plus at
        // most a partial batch the oracle never sent (left in its queue after the last request).
        let mut got_events = Vec::new();
        for (i, g) in got.iter().enumerate() {
            if let Err(m) = compare_request(&expected[0], g, false) {
                panic!("{name}: batch {i}: {m}\n  arrived: {} {}", g.target, g.body);
            }
            let evs = arrived_batch_events(g);
            assert!(
                !evs.is_empty() && evs.len() <= events_per_request,
                "{name}: batch {i} of {} events",
                evs.len()
            );
            got_events.extend(evs);
        }
        let want_events: Vec<String> = expected
            .iter()
            .flat_map(|w| batch_events(&w["body"]))
            .collect();
        let extra = multiset_minus(&got_events, &want_events)
            .unwrap_or_else(|missing| panic!("{name}: oracle events never arrived: {missing:?}"));
        assert!(
            extra.len() < events_per_request,
            "{name}: unexpected events {extra:?}"
        );
        assert_eq!(counters.delivered, got_events.len() as u64, "{name}");
    }
    // The frozen clock and random reached the wire.
    let frozen = Frozen::of(&doc);
    for r in &got {
        if let Some(random) = query_param(r, "random") {
            assert_eq!(random, py_str(&Value::from(frozen.random)));
        }
        if let Some(sid) = query_param(r, "sId") {
            assert_eq!(sid, (frozen.unix_ms / 1000).to_string());
        }
    }
    drop(client);
}

// ---------------------------------------------------------------------------------------------------
// 1. Corpus events over HTTP

#[test]
fn corpus_events_arrive_over_http() {
    for name in [
        "events__ab_basic.json",
        "events__batch_basic.json",
        "events__event_arch_event_properties.json",
        "events__global_track_goalType_ALL.json",
        "events__opt_out.json",
        "events__feature_test_with_user_storage.json",
    ] {
        check_corpus_file(name);
    }
}

/// The large decision corpora (about 17,000 legacy GETs): each arrives as the oracle sent it.
#[test]
fn large_corpus_files_arrive_over_http() {
    for name in [
        "ab_T100_33x3_revenue.json",
        "ab_segments_whitelisting.json",
        "feature_test_T75.json",
        "meg_advanced__SETTINGS_MEGNEW_ONLY_PRIORITY.json",
        "meg_random_groups.json",
    ] {
        check_corpus_file(name);
    }
}

// ---------------------------------------------------------------------------------------------------
// 2. Faults through the client

/// (path, visitor uuid) of every request answered 200.
fn delivered_events(server: &TestServer) -> Vec<(String, String)> {
    server
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| (path_of(r), query_param(r, "u").unwrap_or_default()))
        .collect()
}

#[test]
fn faults_are_retried_without_blocking_the_api() {
    let server = TestServer::start();
    server.script([
        Reply::Status(500),
        Reply::Status(500),
        Reply::Ok,
        Reply::RetryAfter(429, 1),
    ]);
    let (settings, _) = ab_settings();
    let client = launch(&settings, &server, fast_delivery());
    let opts = CallOptions {
        revenue_value: Some(Value::from(12.5)),
        ..CallOptions::default()
    };
    let mut slowest = Duration::ZERO;
    let mut users = Vec::new();
    for i in 0..5 {
        let user = format!("fault-user-{i}");
        let t = Instant::now();
        assert!(client.activate(AB, &user, None).is_some());
        slowest = slowest.max(t.elapsed());
        let t = Instant::now();
        let r = client
            .track(TrackCampaigns::One(AB), &user, "abcd", Some(&opts))
            .unwrap();
        slowest = slowest.max(t.elapsed());
        assert_eq!(r, vec![(AB.to_string(), true)]);
        users.push(user);
    }
    assert!(
        slowest < Duration::from_millis(50),
        "slowest API call {slowest:?}"
    );
    let rep = client.flush(Duration::from_secs(10)).unwrap();
    assert!(rep.completed, "{rep:?}");
    let got = delivered_events(&server);
    let distinct: BTreeSet<_> = got.iter().cloned().collect();
    assert_eq!(got.len(), 10, "each event delivered once: {got:?}");
    assert_eq!(distinct.len(), 10);
    for path in ["/server-side/track-user", "/server-side/track-goal"] {
        assert_eq!(got.iter().filter(|(p, _)| p == path).count(), 5, "{path}");
    }
    let all = server.requests();
    assert_eq!(all.len(), 13, "10 events, 3 answered with an error");
    // Retry-After: 1 was honoured.
    let i = all.iter().position(|r| r.status == 429).unwrap();
    let gap = all[i + 1].at - all[i].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert_eq!(all[i + 1].target, all[i].target, "the same event again");
    let n = client.delivery_counters().unwrap();
    assert_eq!(
        (n.accepted, n.delivered, n.failed, n.dropped, n.in_flight),
        (10, 10, 0, 0, 0),
        "{n:?}"
    );
    assert_eq!(n.retried, 3, "{n:?}");
}

// ---------------------------------------------------------------------------------------------------
// 3. Server down, then up

#[test]
fn an_outage_blocks_nothing_and_loses_nothing() {
    let server = TestServer::start();
    server.stop();
    let (settings, _) = ab_settings();
    let client = launch(&settings, &server, fast_delivery());
    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    for i in 0..100 {
        let t = Instant::now();
        assert!(client.activate(AB, &format!("down-{i}"), None).is_some());
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(50),
        "slowest activate {slowest:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.requests().is_empty());
    server.restart();
    let rep = client.flush(Duration::from_secs(10)).unwrap();
    assert!(rep.completed, "{rep:?}");
    let got = delivered_events(&server);
    let users: BTreeSet<_> = got.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(users.len(), 100, "every impression arrived");
    assert!(got.iter().all(|(p, _)| p == "/server-side/track-user"));
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.accepted, n.delivered, n.failed), (100, 100, 0), "{n:?}");
    assert!(n.retried > 0, "{n:?}");
}

// ---------------------------------------------------------------------------------------------------
// 4. flush and close limits

#[test]
fn flush_and_close_respect_their_limits() {
    let server = TestServer::start();
    server.set_default(Reply::Delay(Duration::from_secs(4)));
    let (settings, _) = ab_settings();
    let delivery = DeliveryOptions {
        timeout: Duration::from_secs(5),
        ..fast_delivery()
    };
    let client = launch(&settings, &server, delivery);
    for i in 0..5 {
        assert!(client.activate(AB, &format!("slow-{i}"), None).is_some());
    }
    assert!(
        server.wait_for(1, Duration::from_secs(2)),
        "sending started"
    );
    let t = Instant::now();
    let rep = client.flush(Duration::from_millis(200)).unwrap();
    let took = t.elapsed();
    assert!(!rep.completed, "{rep:?}");
    assert_eq!(rep.outstanding, 5);
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(1),
        "flush took {took:?}"
    );
    let t = Instant::now();
    let rep = client.close(Duration::from_millis(300)).unwrap();
    let took = t.elapsed();
    assert!(!rep.flush.completed, "{rep:?}");
    assert!(took < Duration::from_secs(1), "close took {took:?}");
    // Dropping after close does not wait again.
    let t = Instant::now();
    drop(client);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------------
// 5. Settings: fetch, webhook pull, polling

/// A settings fetch answered with any status gives that status and body (vwo-python-sdk returns a
/// non-200 body as the settings text); only the network and empty credentials are errors.
#[test]
fn settings_answer_of_any_status() {
    let server = TestServer::start();
    server.set_body("{\"accountId\": 1}");
    server.script([Reply::Status(404), Reply::Status(500), Reply::Ok]);
    let d = DeliveryOptions::default();
    let answer = |hook| get_settings_answer("1", "k", hook, &server.base_url(), &d).unwrap();
    assert_eq!(answer(false), (404, "err".to_string()));
    assert_eq!(answer(true), (500, "err".to_string()));
    assert_eq!(answer(false), (200, "{\"accountId\": 1}".to_string()));
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| split_target(&r.target).0)
        .collect();
    assert_eq!(
        paths,
        [
            "/server-side/settings",
            "/server-side/pull",
            "/server-side/settings"
        ]
    );
    assert!(get_settings_answer("", "k", false, &server.base_url(), &d).is_err());
    let dead = format!("http://127.0.0.1:{}", TestServer::dead_port());
    assert!(get_settings_answer("1", "k", false, &dead, &d).is_err());
}

#[test]
fn settings_fetch_pull_and_polling() {
    let (s1, value) = ab_settings();
    let s2 = ab_settings_no_traffic(&value);
    let server = TestServer::start();
    server.set_body(&s1);

    // get_settings_file_with
    let text = get_settings_file_with(
        "88888888",
        "someuniquestuff1234567",
        false,
        &server.base_url(),
        &DeliveryOptions::default(),
    )
    .unwrap();
    assert_eq!(text, s1);
    let got = server.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "GET");
    let (path, q) = split_target(&got[0].target);
    assert_eq!(path, "/server-side/settings");
    let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["a", "i", "r", "platform", "api-version", "sdk", "sdk-v"]
    );
    let r: f64 = q[2].1.parse().unwrap();
    assert!((0.0..1.0).contains(&r), "{r}");
    let rest: Vec<(&str, &str)> = q
        .iter()
        .filter(|(k, _)| k != "r")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        rest,
        [
            ("a", "88888888"),
            ("i", "someuniquestuff1234567"),
            ("platform", "server"),
            ("api-version", "1"),
            ("sdk", SDK_NAME),
            ("sdk-v", SDK_VERSION),
        ]
    );

    // get_and_update_settings_file
    let client = launch(&s1, &server, fast_delivery());
    assert!(client.get_variation_name(AB, "Ashley", None).is_some());
    server.set_body("{not json");
    assert!(client.get_and_update_settings_file(true).is_err());
    assert!(client.get_variation_name(AB, "Ashley", None).is_some());
    assert_eq!(client.settings_json(), s1);
    server.set_body(&s2);
    server.script([Reply::Status(500)]);
    assert!(client.get_and_update_settings_file(true).is_err());
    assert!(client.get_variation_name(AB, "Ashley", None).is_some());
    assert_eq!(client.settings_json(), s1);
    let before = server.requests().len();
    assert_eq!(client.get_and_update_settings_file(true).unwrap(), s2);
    let got = server.requests();
    assert_eq!(got.len(), before + 1);
    let (path, q) = split_target(&got[before].target);
    assert_eq!(path, "/server-side/pull");
    assert_eq!(
        q.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["a", "i", "r", "platform", "api-version", "sdk", "sdk-v"]
    );
    assert_eq!(
        (q[0].1.as_str(), q[1].1.as_str()),
        ("88888888", "someuniquestuff1234567")
    );
    assert_eq!(client.settings_json(), s2);
    assert_eq!(client.activate(AB, "Ashley", None), None);
    assert_eq!(client.get_variation_name(AB, "Ashley", None), None);
    // The webhook pull hits /server-side/settings without the webhook flag.
    let before = server.requests().len();
    client.get_and_update_settings_file(false).unwrap();
    assert_eq!(path_of(&server.requests()[before]), "/server-side/settings");
    drop(client);

    // Polling
    server.set_body(&s1);
    let client = Client::launch(
        &s1,
        LaunchOptions {
            base_url: Some(server.base_url()),
            delivery: fast_delivery(),
            polling_interval: Some(Duration::from_millis(200)),
            ..LaunchOptions::default()
        },
    )
    .unwrap();
    assert!(client.get_variation_name(AB, "Ashley", None).is_some());
    server.set_body(&s2);
    let t = Instant::now();
    while client.get_variation_name(AB, "Ashley", None).is_some() {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "polling did not swap the settings"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.activate(AB, "Ashley", None), None);
    assert_eq!(client.settings_json(), s2);
    let polls = server
        .requests()
        .iter()
        .filter(|r| path_of(r) == "/server-side/settings")
        .count();
    assert!(polls >= 2, "{polls}");
    // Closing stops polling.
    client.close(Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(100));
    let n = server.requests().len();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.requests().len(), n, "no polling after close");
}

// ---------------------------------------------------------------------------------------------------
// 6. Development mode

#[test]
fn development_mode_sends_nothing_and_logs_the_wire_url() {
    let doc = corpus("events__ab_basic.json");
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let frozen = Frozen::of(&doc);
    let client = Client::launch(
        &settings_text(&doc),
        LaunchOptions {
            base_url: Some(server.base_url()),
            delivery: fast_delivery(),
            development_mode: true,
            logger: Some(log.clone()),
            log_level: Some(LogLevel::Debug),
            clock: Some(Arc::new(frozen)),
            random: Some(Arc::new(frozen)),
            ..LaunchOptions::default()
        },
    )
    .unwrap();
    // The first case of the corpus: an activate and its impression.
    let case = &doc["cases"][0];
    assert_eq!(case["request"]["api"], "activate");
    let user = case["request"]["userId"].as_str().unwrap();
    assert_eq!(
        client.activate(AB, user, None).as_deref(),
        case["result"].as_str()
    );
    assert!(client.push("browser", "chrome", user));
    let rep = client.flush(Duration::from_secs(2)).unwrap();
    assert!(rep.completed, "{rep:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    let debug = log.lines(LogLevel::Debug);
    // The would-be wire URL: the oracle's, on our host, with our sdk name and version (development
    // mode has no usage stats, like the oracle's launch).
    let want = case["events"][0]["wireUrl"]
        .as_str()
        .unwrap()
        .replace("https://dev.visualwebsiteoptimizer.com", &server.base_url())
        .replace("sdk=vwo-python-sdk", &format!("sdk={SDK_NAME}"))
        .replace("sdk-v=1.68.2", &format!("sdk-v={SDK_VERSION}"));
    assert!(
        debug.iter().any(|m| m.contains(&want)),
        "no DEBUG line with {want}: {debug:#?}"
    );
    let push_prefix = format!("{}/server-side/push?", server.base_url());
    assert!(debug.iter().any(|m| m.contains(&push_prefix)), "{debug:#?}");
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.accepted, n.failed), (2, 0), "{n:?}");
}

// ---------------------------------------------------------------------------------------------------
// 7. Spool through the client

#[test]
fn spooled_events_are_sent_by_the_next_client() {
    let dir = temp_dir("spool");
    let server = TestServer::start();
    server.stop();
    let (settings, _) = ab_settings();
    let delivery = DeliveryOptions {
        spool_dir: Some(dir.clone()),
        ..fast_delivery()
    };
    let client = launch(&settings, &server, delivery.clone());
    for i in 0..20 {
        assert!(client.activate(AB, &format!("spooled-{i}"), None).is_some());
    }
    let t = Instant::now();
    let rep = client.close(Duration::from_millis(100)).unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(!rep.flush.completed, "{rep:?}");
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.accepted, n.spooled, n.delivered), (20, 20, 0), "{n:?}");
    drop(client);
    assert!(server.requests().is_empty());

    server.restart();
    let client = launch(&settings, &server, delivery);
    let rep = client.flush(Duration::from_secs(10)).unwrap();
    assert!(rep.completed, "{rep:?}");
    let got = delivered_events(&server);
    let users: BTreeSet<_> = got.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(users.len(), 20, "every spooled impression arrived: {got:?}");
    assert!(got.iter().all(|(p, _)| p == "/server-side/track-user"));
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.recovered, n.delivered, n.failed), (20, 20, 0), "{n:?}");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `settings` with `collectionPrefix` set to `prefix`.
fn with_collection_prefix(settings: &Value, prefix: &str) -> String {
    let mut s = settings.clone();
    s["collectionPrefix"] = Value::from(prefix);
    serde_json::to_string(&s).unwrap()
}

/// Issue 17 through the client: a client spools while its collector is down and is closed without
/// delivering; the next client on the directory has another base URL (a gateway with a path) and
/// its settings another collection prefix: every spooled event goes there, once, none to the old
/// collector (up again by then).
#[test]
fn a_client_with_another_base_url_delivers_the_previous_clients_spool_there() {
    let dir = temp_dir("spool-moved");
    let old = TestServer::start();
    old.stop();
    let (_, value) = ab_settings();
    let delivery = DeliveryOptions {
        spool_dir: Some(dir.clone()),
        ..fast_delivery()
    };
    let client = launch(
        &with_collection_prefix(&value, "eu01"),
        &old,
        delivery.clone(),
    );
    for i in 0..30 {
        assert!(client.activate(AB, &format!("moved-{i}"), None).is_some());
    }
    let rep = client.close(Duration::from_millis(100)).unwrap();
    assert!(!rep.flush.completed, "{rep:?}");
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.spooled, n.delivered, n.failed), (30, 0, 30), "{n:?}");
    drop(client);
    old.restart();

    let new = TestServer::start();
    let client = Client::launch(
        &with_collection_prefix(&value, "eu02"),
        LaunchOptions {
            base_url: Some(format!("{}/gw", new.base_url())),
            delivery,
            ..LaunchOptions::default()
        },
    )
    .unwrap();
    assert!(client.flush(Duration::from_secs(10)).unwrap().completed);
    let got = delivered_events(&new);
    assert_eq!(got.len(), 30, "{got:?}");
    assert!(
        got.iter()
            .all(|(p, _)| p == "/gw/eu02/server-side/track-user"),
        "{got:?}"
    );
    let users: BTreeSet<_> = got.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(users.len(), 30, "each event once");
    assert!(old.requests().is_empty(), "nothing to the old collector");
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.recovered, n.delivered, n.failed), (30, 30, 0), "{n:?}");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The users' visitor ids in the batch events of the requests answered 200, with how many times
/// each arrived.
fn delivered_batch_visitors(server: &TestServer) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in server.requests().iter().filter(|r| r.status == 200) {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        for e in body["ev"].as_array().unwrap() {
            *m.entry(e["u"].as_str().unwrap().to_owned()).or_insert(0) += 1;
        }
    }
    m
}

/// What became of the events of an outage.
struct Outage {
    counters: vwo::events::DeliveryCounters,
    /// Arrivals per visitor id.
    arrived: BTreeMap<String, usize>,
    /// From the collector's return to its first 200.
    resumed: Duration,
}

/// `n` impressions (batches of 100, no spool) at `rate` per second while the collector refuses
/// connections from `down_at` for `length`; then a flush of up to 60 s.
fn outage(
    name: &str,
    delivery: DeliveryOptions,
    n: usize,
    rate: f64,
    down_at: Duration,
    length: Duration,
) -> Outage {
    let server = TestServer::start();
    let (settings, _) = ab_settings();
    let client = Client::launch(
        &settings,
        LaunchOptions {
            base_url: Some(server.base_url()),
            batch_events: Some(BatchEventsConfig::default()),
            delivery,
            ..LaunchOptions::default()
        },
    )
    .unwrap();
    let start = Instant::now();
    let (mut down, mut back) = (false, None);
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let now = start.elapsed();
        if !down && now >= down_at {
            server.stop();
            down = true;
        }
        if down && back.is_none() && now >= down_at + length {
            server.restart();
            back = Some(Instant::now());
        }
        assert!(client.activate(AB, &format!("{name}-{i}"), None).is_some());
    }
    if back.is_none() {
        std::thread::sleep((start + down_at + length).saturating_duration_since(Instant::now()));
        server.restart();
        back = Some(Instant::now());
    }
    let back = back.unwrap();
    let during = client.delivery_counters().unwrap();
    let rep = client.flush(Duration::from_secs(60)).unwrap();
    assert!(rep.completed, "{rep:?}");
    let resumed = server
        .requests()
        .iter()
        .filter(|r| r.at >= back && r.status == 200)
        .map(|r| r.at - back)
        .min()
        .unwrap_or(Duration::MAX);
    let arrived = delivered_batch_visitors(&server);
    let k = client.delivery_counters().unwrap();
    println!(
        "{name}: {n} events at {rate}/s, collector down {length:?}: delivered {}, failed {}, \
         dropped {}, retried {}, arrivals {}, first delivery {resumed:?} after the return, \
         in flight after the last call {}",
        k.delivered,
        k.failed,
        k.dropped,
        k.retried,
        arrived.values().sum::<usize>(),
        during.in_flight
    );
    Outage {
        counters: k,
        arrived,
        resumed,
    }
}

/// Issue 17, part 2: with the default delivery options, once the collector is back every event
/// arrives, none is counted failed or dropped, nothing arrives more often than the retries allow,
/// and delivery resumes within seconds of its return.
fn defaults_ride_out_an_outage(
    name: &str,
    n: usize,
    rate: f64,
    down_at: Duration,
    length: Duration,
) {
    let Outage {
        counters: k,
        arrived,
        resumed,
    } = outage(name, DeliveryOptions::default(), n, rate, down_at, length);
    assert_eq!(
        (k.accepted, k.delivered, k.failed, k.dropped),
        (n as u64, n as u64, 0, 0),
        "{k:?}"
    );
    assert_eq!(arrived.len(), n, "every event arrived");
    let extra = arrived.values().map(|&c| c - 1).sum::<usize>() as u64;
    assert!(
        extra <= k.retried,
        "{extra} duplicates, {} retried",
        k.retried
    );
    assert!(k.retried > 0, "the outage was felt: {k:?}");
    assert!(
        resumed < Duration::from_secs(7),
        "resumed {resumed:?} after the return"
    );
}

/// The issue's traffic: 10,000 events at 500/s, the collector down for 10 s from the 5th second.
#[test]
fn the_defaults_ride_out_a_10_s_outage() {
    defaults_ride_out_an_outage(
        "out10s",
        10_000,
        500.0,
        Duration::from_secs(5),
        Duration::from_secs(10),
    );
}

/// A 2-minute outage at a gentler rate (what is measured is the retry budget, not the throughput):
/// 20 events/s for 2 min 3 s, the collector down from the 1st second for 120 s. The suite's
/// longest test: it sleeps most of its time, while the other tests of this binary run beside it.
#[test]
fn the_defaults_ride_out_a_2_minute_outage() {
    defaults_ride_out_an_outage(
        "out2min",
        2_460,
        20.0,
        Duration::from_secs(1),
        Duration::from_secs(120),
    );
}

/// A long retry budget does not lengthen `close`: with the default options and a collector that is
/// down, `close(timeout)` returns within its timeout, the unsent events counted failed; with a
/// spool they stay there and the next client sends them.
#[test]
fn close_stays_bounded_with_the_default_retry_budget() {
    let dir = temp_dir("spool-close");
    let server = TestServer::start();
    server.stop();
    let (settings, _) = ab_settings();
    for spool in [false, true] {
        let client = launch(
            &settings,
            &server,
            DeliveryOptions {
                spool_dir: spool.then(|| dir.clone()),
                ..DeliveryOptions::default()
            },
        );
        for i in 0..20 {
            assert!(client
                .activate(AB, &format!("close-{spool}-{i}"), None)
                .is_some());
        }
        std::thread::sleep(Duration::from_millis(300)); // retrying by now
        let t = Instant::now();
        let rep = client.close(Duration::from_millis(500)).unwrap();
        let took = t.elapsed();
        assert!(took < Duration::from_millis(1500), "close took {took:?}");
        assert!(!rep.flush.completed && rep.stopped, "{rep:?}");
        let n = client.delivery_counters().unwrap();
        assert_eq!((n.delivered, n.failed, n.in_flight), (0, 20, 0), "{n:?}");
    }
    // Dropping the last clone closes with `close_timeout`, also bounded.
    let client = launch(
        &settings,
        &server,
        DeliveryOptions {
            close_timeout: Duration::from_millis(500),
            ..DeliveryOptions::default()
        },
    );
    assert!(client.activate(AB, "close-drop", None).is_some());
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    drop(client);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );

    server.restart();
    let client = launch(
        &settings,
        &server,
        DeliveryOptions {
            spool_dir: Some(dir.clone()),
            ..DeliveryOptions::default()
        },
    );
    assert!(client.flush(Duration::from_secs(10)).unwrap().completed);
    let n = client.delivery_counters().unwrap();
    assert_eq!((n.recovered, n.delivered, n.failed), (20, 20, 0), "{n:?}");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One client per spool directory: a second client launched on the directory another client of the
/// process holds fails at launch (an options error naming the directory), the first goes on
/// delivering, and once it is closed (not yet dropped) a new client takes the directory over.
#[test]
fn a_spool_directory_serves_one_client_at_a_time() {
    let dir = temp_dir("spool-lock");
    let server = TestServer::start();
    let (settings, _) = ab_settings();
    let delivery = DeliveryOptions {
        spool_dir: Some(dir.clone()),
        ..fast_delivery()
    };
    let first = launch(&settings, &server, delivery.clone());
    let second = Client::launch(
        &settings,
        LaunchOptions {
            base_url: Some(server.base_url()),
            delivery: delivery.clone(),
            ..LaunchOptions::default()
        },
    );
    let Err(e) = second else {
        panic!("the second client must not launch");
    };
    assert_eq!(e.kind(), vwo::ErrorKind::InvalidOptions);
    let m = e.to_string();
    assert!(m.contains("delivery.spool_dir"), "{m}");
    assert!(m.contains(&dir.display().to_string()), "{m}");
    assert!(m.contains("another client of this process"), "{m}");

    for i in 0..5 {
        assert!(first.activate(AB, &format!("first-{i}"), None).is_some());
    }
    assert!(first.flush(Duration::from_secs(5)).unwrap().completed);
    assert_eq!(delivered_events(&server).len(), 5);

    let rep = first.close(Duration::from_secs(2)).unwrap();
    assert!(rep.stopped, "{rep:?}");
    let third = launch(&settings, &server, delivery);
    for i in 0..5 {
        assert!(third.activate(AB, &format!("third-{i}"), None).is_some());
    }
    assert!(third.flush(Duration::from_secs(5)).unwrap().completed);
    let users: BTreeSet<_> = delivered_events(&server)
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    assert_eq!(users.len(), 10, "{users:?}");
    let n = third.delivery_counters().unwrap();
    assert_eq!((n.recovered, n.spooled, n.delivered), (0, 5, 5), "{n:?}");
    drop((first, third));
    let _ = std::fs::remove_dir_all(&dir);
}
