//! libvwo benchmark workloads W1–W4 (see `docs/PERFORMANCE.md`).
//!
//! Generates, call for call, the same workloads as the reference harness `bench_python.py` of the
//! official-SDK benchmarks (same LCG, same draws, same campaign rotation, same profile and revenue
//! draws), so the decision digests are comparable with vwo-python-sdk / vwo-node-sdk.
//!
//! Usage:
//!   cargo bench --bench workloads                     # everything, 3+ timed repetitions
//!   cargo bench --bench workloads -- --quick          # CI smoke: 1 repetition each (or VWO_BENCH_QUICK=1)
//!   cargo bench --bench workloads -- w1 w3d           # only some workloads (w1 w2 w3 w3d w4 mt fw1)
//!
//! The call sequences (keys, user ids, option structs) are built before any timing. Events are built and
//! queued (batching on, development mode off) and handed to a counting sink that sends nothing, like the
//! reference harness's stubbed network. Exits 1 when a digest or a cross-checked count differs from the
//! reference, or a workload panics; a missed performance target is reported but does not fail the run.

mod common;
mod fw1;

use common::{pick_user, profiles, Lcg};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;
use vwo::events::EventRequest;
use vwo::{BatchEventsConfig, CallOptions, Client, EventSink, LaunchOptions, TrackCampaigns};

const SETTINGS_BENCH: &str = include_str!("data/settings_bench.json");
const SETTINGS_500: &str = include_str!("data/settings_500.json");

const W1_DIGEST: &str = "b9c83e941c4c8c634609f9efe65381140f7b5f69d3ede05525fe228378104199";
const W1_DECIDED: usize = 126_243;
const W3D_DIGEST: &str = "6410f0a4e7cdd554e6e504950324eafea935f3b2e30f62cf7f6cd669fa2f215b";
const W3D_DECIDED: usize = 31_557;
// Cross-checks from the reference results (identical in vwo-python-sdk and vwo-node-sdk).
const W2A_DECIDED: usize = 58_212;
const W2T_TRACKED: usize = 75_905;
const W2_EVENTS_PER_REP: u64 = 134_117;
const W4_NON_NULL: usize = 48_265;
const W4_EVENTS_PER_REP: u64 = 36_726;

// ----------------------------------------------------------------------------- workload generation

/// (campaign key or None for "every campaign having the goal", goal identifier, is revenue goal)
const TRACK_SPECS: [(Option<&str>, &str, bool); 16] = [
    (Some("ab_homepage_hero"), "hero_click", false),
    (Some("ab_checkout_button"), "checkout_revenue", true),
    (Some("ab_pricing_page"), "pricing_view", false),
    (Some("ab_signup_flow"), "signup", false),
    (Some("ab_search_results"), "search_click", false),
    (Some("ab_product_detail"), "add_to_cart", false),
    (Some("ab_nav_menu"), "nav_revenue", true),
    (Some("ab_footer_cta"), "footer_click", false),
    (Some("meg_banner_a"), "banner_click", false),
    (Some("meg_banner_b"), "banner_b_click", false),
    (Some("ft_recommendation_engine"), "rec_click", false),
    (Some("ft_search_ranking"), "search_revenue", true),
    (Some("ft_checkout_v2"), "checkout_complete", false),
    (Some("ft_onboarding"), "onboarding_done", false),
    (Some("ft_pricing_algo"), "pricing_revenue", true),
    (None, "purchase", false),
];

/// The parsed settings, for the workload generator only (the library parses its own copy).
struct SettingsInfo {
    campaigns: Vec<Value>,
}

impl SettingsInfo {
    fn new(text: &str) -> SettingsInfo {
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        SettingsInfo {
            campaigns: v
                .get("campaigns")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }
    }
    fn keys_of(&self, types: &[&str]) -> Vec<String> {
        self.campaigns
            .iter()
            .filter(|c| {
                c.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| types.contains(&t))
            })
            .filter_map(|c| c.get("key").and_then(Value::as_str).map(str::to_string))
            .collect()
    }
    /// Python truthiness of `segments`: present and non-empty.
    fn is_segmented(&self, key: &str) -> bool {
        self.campaigns.iter().any(|c| {
            c.get("key").and_then(Value::as_str) == Some(key)
                && match c.get("segments") {
                    None | Some(Value::Null) => false,
                    Some(Value::Object(m)) => !m.is_empty(),
                    Some(Value::Array(a)) => !a.is_empty(),
                    Some(Value::String(s)) => !s.is_empty(),
                    Some(_) => true,
                }
        })
    }
    fn campaigns_with_goal(&self, goal: &str) -> Vec<String> {
        self.campaigns
            .iter()
            .filter(|c| {
                c.get("goals").and_then(Value::as_array).is_some_and(|gs| {
                    gs.iter()
                        .any(|g| g.get("identifier").and_then(Value::as_str) == Some(goal))
                })
            })
            .filter_map(|c| c.get("key").and_then(Value::as_str).map(str::to_string))
            .collect()
    }
    fn first_variable_key(&self, key: &str) -> String {
        self.campaigns
            .iter()
            .find(|c| c.get("key").and_then(Value::as_str) == Some(key))
            .and_then(|c| c.get("variables")?.get(0)?.get("key")?.as_str())
            .unwrap_or("")
            .to_string()
    }
}

/// One decide-type call: campaign index into `keys`, user, profile index (when the campaign is segmented).
struct DecideOp {
    key: usize,
    user: String,
    profile: Option<usize>,
}

struct DecideOps {
    keys: Vec<String>,
    profiles: Vec<CallOptions>,
    ops: Vec<DecideOp>,
}

impl DecideOps {
    fn generate(info: &SettingsInfo, keys: Vec<String>, n: usize, seed: u32) -> DecideOps {
        let profs = profiles();
        let segmented: Vec<bool> = keys.iter().map(|k| info.is_segmented(k)).collect();
        let mut rng = Lcg(seed);
        let mut ops = Vec::with_capacity(n);
        for i in 0..n {
            let key = i % keys.len();
            let user = pick_user(&mut rng);
            let prof = rng.rand(profs.len() as u32) as usize;
            ops.push(DecideOp {
                key,
                user,
                profile: segmented[key].then_some(prof),
            });
        }
        let profiles = profs
            .into_iter()
            .map(|m| CallOptions {
                custom_variables: Some(m),
                ..Default::default()
            })
            .collect();
        DecideOps {
            keys,
            profiles,
            ops,
        }
    }
    #[inline(always)]
    fn get<'a>(&'a self, op: &'a DecideOp) -> (&'a str, &'a str, Option<&'a CallOptions>) {
        (
            &self.keys[op.key],
            &op.user,
            op.profile.map(|p| &self.profiles[p]),
        )
    }
}

struct TrackOp {
    spec: usize,
    user: String,
    options: Option<CallOptions>,
}

fn gen_track_ops(info: &SettingsInfo, n: usize, seed: u32) -> Vec<TrackOp> {
    let profs = profiles();
    let needs_cv: Vec<bool> = TRACK_SPECS
        .iter()
        .map(|(key, goal, _)| match key {
            Some(k) => info.is_segmented(k),
            None => info
                .campaigns_with_goal(goal)
                .iter()
                .any(|k| info.is_segmented(k)),
        })
        .collect();
    let mut rng = Lcg(seed);
    let mut ops = Vec::with_capacity(n);
    for i in 0..n {
        let spec = i % TRACK_SPECS.len();
        let user = pick_user(&mut rng);
        let prof = rng.rand(profs.len() as u32) as usize;
        let rev = rng.rand(100_000) as f64 / 100.0; // drawn every call, like the reference
        let is_rev = TRACK_SPECS[spec].2;
        let options = if is_rev || needs_cv[spec] {
            Some(CallOptions {
                custom_variables: needs_cv[spec].then(|| profs[prof].clone()),
                revenue_value: is_rev.then(|| json!(rev)),
                ..Default::default()
            })
        } else {
            None
        };
        ops.push(TrackOp {
            spec,
            user,
            options,
        });
    }
    ops
}

// ----------------------------------------------------------------------------- client setup

/// A sink that accepts every request without sending it (the reference harnesses stub the network).
#[derive(Default)]
struct CountingSink {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl EventSink for CountingSink {
    fn send(&self, _url: &str, request: &EventRequest) -> Result<(), vwo::Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(
            request.body.as_ref().map_or(0, |b| b.len()) as u64,
            Ordering::Relaxed,
        );
        Ok(())
    }
}

#[derive(Default)]
struct BatchCounter {
    batches: AtomicU64,
    events: AtomicU64,
}

impl BatchCounter {
    fn reset(&self) {
        self.batches.store(0, Ordering::Relaxed);
        self.events.store(0, Ordering::Relaxed);
    }
}

fn launch(settings: &str, batch: Option<Arc<BatchCounter>>) -> Client {
    let batch_events = batch.map(|counter| BatchEventsConfig {
        events_per_request: 100,
        request_time_interval: 600.0,
        flush_callback: Some(Arc::new(
            move |_err: Option<&vwo::Error>, events: &[vwo::RenderedEvent]| {
                counter.batches.fetch_add(1, Ordering::Relaxed);
                counter
                    .events
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
            },
        )),
    });
    let options = LaunchOptions {
        development_mode: false,
        batch_events,
        event_sink: Some(Arc::new(CountingSink::default())),
        ..Default::default()
    };
    match Client::launch(settings, options) {
        Ok(c) => c,
        Err(e) => panic!("launch failed: {e}"),
    }
}

// ----------------------------------------------------------------------------- measurement

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

struct Latency {
    p50: u64,
    p99: u64,
}

fn percentiles(mut lat: Vec<u64>) -> Latency {
    lat.sort_unstable();
    let n = lat.len();
    let p = |q: f64| lat[((q * n as f64) as usize).min(n - 1)];
    Latency {
        p50: p(0.50),
        p99: p(0.99),
    }
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

struct Row {
    name: &'static str,
    ops: usize,
    reps: usize,
    ns_per_op: Vec<f64>,
    latency: Option<Latency>,
    target: Option<f64>, // ns/op
    python: String,
    node: &'static str,
    note: String,
}

impl Row {
    fn median(&self) -> f64 {
        median(&self.ns_per_op)
    }
}

struct Report {
    rows: Vec<Row>,
    extra: Vec<String>,
    failures: Vec<String>,
    missed: Vec<String>,
}

impl Report {
    fn check<T: PartialEq + std::fmt::Display>(&mut self, what: &str, got: T, want: T) -> bool {
        if got == want {
            true
        } else {
            self.failures
                .push(format!("{what}: got {got}, expected {want}"));
            false
        }
    }
    fn target(&mut self, what: &str, ok: bool, text: String) {
        if !ok {
            self.missed.push(format!("{what}: {text}"));
        }
    }
}

struct Config {
    quick: bool,
    reps: usize,
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e4 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

// ----------------------------------------------------------------------------- workloads

/// One timed pass of get_variation_name over `ops`; returns ns elapsed.
fn decide_pass(client: &Client, d: &DecideOps) -> u64 {
    let t0 = Instant::now();
    for op in &d.ops {
        let (key, user, opts) = d.get(op);
        black_box(client.get_variation_name(key, user, opts));
    }
    t0.elapsed().as_nanos() as u64
}

/// Timed reps, then one latency pass that also computes the digest and the decided count.
fn run_decide(client: &Client, d: &DecideOps, reps: usize) -> (Vec<f64>, Latency, String, usize) {
    let n = d.ops.len() as f64;
    let samples: Vec<f64> = (0..reps)
        .map(|_| decide_pass(client, d) as f64 / n)
        .collect();
    let mut h = Sha256::new();
    let mut lat = Vec::with_capacity(d.ops.len());
    let mut decided = 0;
    let mut line = String::with_capacity(64);
    for op in &d.ops {
        let (key, user, opts) = d.get(op);
        let t0 = Instant::now();
        let v = client.get_variation_name(key, user, opts);
        lat.push(t0.elapsed().as_nanos() as u64);
        line.clear();
        let _ = writeln!(line, "{key}|{user}|{}", v.as_deref().unwrap_or("None"));
        h.update(line.as_bytes());
        decided += v.is_some() as usize;
    }
    let digest = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (samples, percentiles(lat), digest, decided)
}

fn w1(cfg: &Config, rep: &mut Report) {
    let info = SettingsInfo::new(SETTINGS_BENCH);
    let keys = info.keys_of(&["VISUAL_AB", "FEATURE_TEST"]);
    let warm = DecideOps::generate(&info, keys.clone(), 20_000, 1001);
    let ops = DecideOps::generate(&info, keys, 200_000, 1);
    let client = launch(SETTINGS_BENCH, None);
    run_decide(&client, &warm, 1);
    let (samples, lat, digest, decided) = run_decide(&client, &ops, cfg.reps);
    let ok = rep.check("W1 digest", digest.as_str(), W1_DIGEST)
        & rep.check("W1 decided", decided, W1_DECIDED);
    rep.extra.push(format!(
        "W1 digest {digest} ({decided} decided) {}",
        if ok { "OK" } else { "MISMATCH" }
    ));
    rep.rows.push(Row {
        name: "W1 decide",
        ops: ops.ops.len(),
        reps: cfg.reps,
        ns_per_op: samples,
        latency: Some(lat),
        target: Some(300.0),
        python: "94.7 µs".into(),
        node: "66.2 µs",
        note: format!("{decided} decided"),
    });
}

fn w3d(cfg: &Config, rep: &mut Report) {
    let info = SettingsInfo::new(SETTINGS_500);
    let keys = info.keys_of(&["VISUAL_AB", "FEATURE_TEST"]);
    let warm = DecideOps::generate(&info, keys.clone(), 5_000, 1005);
    let ops = DecideOps::generate(&info, keys, 50_000, 5);
    let client = launch(SETTINGS_500, None);
    run_decide(&client, &warm, 1);
    let (samples, lat, digest, decided) = run_decide(&client, &ops, cfg.reps.max(3));
    let ok = rep.check("W3d digest", digest.as_str(), W3D_DIGEST)
        & rep.check("W3d decided", decided, W3D_DECIDED);
    rep.extra.push(format!(
        "W3d digest {digest} ({decided} decided) {}",
        if ok { "OK" } else { "MISMATCH" }
    ));
    rep.rows.push(Row {
        name: "W3d decide (500)",
        ops: ops.ops.len(),
        reps: cfg.reps.max(3),
        ns_per_op: samples,
        latency: Some(lat),
        target: Some(400.0),
        python: "131.0 µs".into(),
        node: "76.8 µs",
        note: format!("{decided} decided"),
    });
}

fn w3(cfg: &Config, rep: &mut Report) {
    let settings = SETTINGS_500.to_string(); // the text exists before launch, as in the reference
    let rss0 = rss_kb();
    let t0 = Instant::now();
    let client = launch(&settings, None);
    let cold = t0.elapsed().as_nanos() as f64;
    let rss1 = rss_kb();
    let delta_kb = rss1.saturating_sub(rss0);
    black_box(&client);
    // What of that is freed-but-retained heap (the parse DOM, temporaries) rather than live data.
    malloc_trim();
    let trimmed_kb = rss_kb().saturating_sub(rss0);
    let warm_n = if cfg.quick { 3 } else { 15 };
    drop(launch(&settings, None));
    let warm: Vec<f64> = (0..warm_n)
        .map(|_| {
            let t0 = Instant::now();
            let c = launch(&settings, None);
            let t = t0.elapsed().as_nanos() as f64;
            drop(black_box(c));
            t
        })
        .collect();
    // Breakdown: the JSON parse alone (serde_json::Value), for comparison.
    let parse: Vec<f64> = (0..warm_n)
        .map(|_| {
            let t0 = Instant::now();
            let v: Value = serde_json::from_str(&settings).unwrap_or(Value::Null);
            let t = t0.elapsed().as_nanos() as f64;
            drop(black_box(v));
            t
        })
        .collect();
    let compile: Vec<f64> = (0..warm_n)
        .map(|_| {
            let t0 = Instant::now();
            let v = vwo::Settings::from_json(&settings);
            let t = t0.elapsed().as_nanos() as f64;
            drop(black_box(v));
            t
        })
        .collect();
    let med = median(&warm);
    rep.target(
        "W3 launch time",
        med <= 5e6,
        format!("{} > 5 ms", fmt_ns(med)),
    );
    rep.target(
        "W3 launch memory",
        delta_kb <= 4096,
        format!("+{:.1} MiB > 4 MiB", delta_kb as f64 / 1024.0),
    );
    rep.extra.push(format!(
        "W3 launch settings_500.json ({} bytes): cold {}, warm median {} (of {warm_n}), of which Settings::from_json {} and a bare \
         serde_json::Value parse {}; RSS +{delta_kb} kB (+{:.2} MiB) after the first launch, client alive, +{trimmed_kb} kB \
         after malloc_trim(0) (target ≤ 5 ms, ≤ 4 MiB; \
         python 175 ms +2.8 MiB, node 74 ms +10 MiB)",
        settings.len(),
        fmt_ns(cold),
        fmt_ns(med),
        fmt_ns(median(&compile)),
        fmt_ns(median(&parse)),
        delta_kb as f64 / 1024.0
    ));
    rep.rows.push(Row {
        name: "W3 launch (500)",
        ops: 1,
        reps: warm_n,
        ns_per_op: warm,
        latency: None,
        target: Some(5e6),
        python: "175 ms".into(),
        node: "74 ms",
        note: format!(
            "cold {}, RSS +{:.2} MiB",
            fmt_ns(cold),
            delta_kb as f64 / 1024.0
        ),
    });
    drop(client);
}

fn activate_pass(client: &Client, d: &DecideOps) -> (u64, usize) {
    let t0 = Instant::now();
    let mut decided = 0;
    for op in &d.ops {
        let (key, user, opts) = d.get(op);
        decided += black_box(client.activate(key, user, opts)).is_some() as usize;
    }
    (t0.elapsed().as_nanos() as u64, decided)
}

fn track_call(client: &Client, op: &TrackOp) -> Option<vwo::TrackResult> {
    let (key, goal, _) = TRACK_SPECS[op.spec];
    let campaigns = match key {
        Some(k) => TrackCampaigns::One(k),
        None => TrackCampaigns::All,
    };
    client.track(campaigns, &op.user, goal, op.options.as_ref())
}

fn track_pass(client: &Client, ops: &[TrackOp]) -> (u64, usize) {
    let t0 = Instant::now();
    let mut tracked = 0;
    for op in ops {
        if let Some(r) = black_box(track_call(client, op)) {
            tracked += r.iter().filter(|(_, ok)| *ok).count();
        }
    }
    client.flush_events();
    (t0.elapsed().as_nanos() as u64, tracked)
}

fn w2(cfg: &Config, rep: &mut Report) {
    let info = SettingsInfo::new(SETTINGS_BENCH);
    let ab = info.keys_of(&["VISUAL_AB"]);
    let warm_a = DecideOps::generate(&info, ab.clone(), 10_000, 1002);
    let warm_t = gen_track_ops(&info, 10_000, 1003);
    let ops_a = DecideOps::generate(&info, ab, 100_000, 2);
    let ops_t = gen_track_ops(&info, 100_000, 3);
    let counter = Arc::new(BatchCounter::default());
    let client = launch(SETTINGS_BENCH, Some(counter.clone()));
    activate_pass(&client, &warm_a);
    track_pass(&client, &warm_t);
    let (mut a_s, mut t_s) = (Vec::new(), Vec::new());
    let (mut a_dec, mut t_dec, mut events, mut batches) = (0, 0, 0, 0);
    for _ in 0..cfg.reps {
        counter.reset();
        let (ta, d) = activate_pass(&client, &ops_a);
        let (tt, t) = track_pass(&client, &ops_t);
        a_s.push(ta as f64 / ops_a.ops.len() as f64);
        t_s.push(tt as f64 / ops_t.len() as f64);
        (a_dec, t_dec) = (d, t);
        events = counter.events.load(Ordering::Relaxed);
        batches = counter.batches.load(Ordering::Relaxed);
    }
    // latency pass
    let mut lat_a = Vec::with_capacity(ops_a.ops.len());
    for op in &ops_a.ops {
        let (key, user, opts) = ops_a.get(op);
        let t0 = Instant::now();
        black_box(client.activate(key, user, opts));
        lat_a.push(t0.elapsed().as_nanos() as u64);
    }
    let mut lat_t = Vec::with_capacity(ops_t.len());
    for op in &ops_t {
        let t0 = Instant::now();
        black_box(track_call(&client, op));
        lat_t.push(t0.elapsed().as_nanos() as u64);
    }
    client.flush_events();
    rep.check("W2 activate decided", a_dec, W2A_DECIDED);
    rep.check("W2 track goals tracked", t_dec, W2T_TRACKED);
    rep.check("W2 events per rep", events, W2_EVENTS_PER_REP);
    rep.extra.push(format!(
        "W2 per rep: {a_dec} activations decided, {t_dec} goals tracked, {events} events in {batches} batches \
         (reference: {W2A_DECIDED}, {W2T_TRACKED}, {W2_EVENTS_PER_REP} in 1342)"
    ));
    rep.rows.push(Row {
        name: "W2 activate",
        ops: ops_a.ops.len(),
        reps: cfg.reps,
        ns_per_op: a_s,
        latency: Some(percentiles(lat_a)),
        target: Some(2000.0),
        python: "202.6 µs".into(),
        node: "97.0 µs",
        note: format!("{a_dec} decided"),
    });
    rep.rows.push(Row {
        name: "W2 track",
        ops: ops_t.len(),
        reps: cfg.reps,
        ns_per_op: t_s,
        latency: Some(percentiles(lat_t)),
        target: Some(2000.0),
        python: "257.2 µs".into(),
        node: "129.3 µs",
        note: format!("{t_dec} goals tracked"),
    });
}

fn w4(cfg: &Config, rep: &mut Report) {
    let info = SettingsInfo::new(SETTINGS_BENCH);
    let keys = info.keys_of(&["FEATURE_TEST", "FEATURE_ROLLOUT"]);
    let first_var: Vec<String> = keys.iter().map(|k| info.first_variable_key(k)).collect();
    let warm = DecideOps::generate(&info, keys.clone(), 10_000, 1004);
    let ops = DecideOps::generate(&info, keys, 100_000, 4);
    let counter = Arc::new(BatchCounter::default());
    let client = launch(SETTINGS_BENCH, Some(counter.clone()));
    let call = |i: usize, op: &DecideOp, d: &DecideOps| -> bool {
        let (key, user, opts) = d.get(op);
        if i & 1 == 0 {
            black_box(client.is_feature_enabled(key, user, opts))
        } else {
            black_box(client.get_feature_variable_value(key, &first_var[op.key], user, opts))
                .is_some()
        }
    };
    let once = |d: &DecideOps| -> (u64, usize) {
        let t0 = Instant::now();
        let mut on = 0;
        for (i, op) in d.ops.iter().enumerate() {
            on += call(i, op, d) as usize;
        }
        client.flush_events();
        (t0.elapsed().as_nanos() as u64, on)
    };
    once(&warm);
    let mut samples = Vec::new();
    let (mut on, mut events) = (0, 0);
    for _ in 0..cfg.reps {
        counter.reset();
        let (t, o) = once(&ops);
        samples.push(t as f64 / ops.ops.len() as f64);
        on = o;
        events = counter.events.load(Ordering::Relaxed);
    }
    let mut lat = Vec::with_capacity(ops.ops.len());
    for (i, op) in ops.ops.iter().enumerate() {
        let t0 = Instant::now();
        call(i, op, &ops);
        lat.push(t0.elapsed().as_nanos() as u64);
    }
    client.flush_events();
    rep.check("W4 non-null results", on, W4_NON_NULL);
    rep.check("W4 events per rep", events, W4_EVENTS_PER_REP);
    rep.extra.push(format!(
        "W4 per rep: {on} true/non-null results, {events} impression events (reference: {W4_NON_NULL}, {W4_EVENTS_PER_REP})"
    ));
    rep.rows.push(Row {
        name: "W4 feature",
        ops: ops.ops.len(),
        reps: cfg.reps,
        ns_per_op: samples,
        latency: Some(percentiles(lat)),
        target: None,
        python: "160.5 µs".into(),
        node: "78.3 µs",
        note: format!("{on} non-null"),
    });
}

/// Returns free heap pages to the kernel (glibc).
#[allow(unsafe_code)]
fn malloc_trim() {
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe { libc::malloc_trim(0) };
}

/// CPU time of the calling thread (to tell lock/cache-line contention from a machine busy with other work).
#[allow(unsafe_code)]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A decide pass that also returns the thread's CPU time spent.
fn decide_pass_cpu(client: &Client, d: &DecideOps) -> (u64, u64) {
    let c0 = thread_cpu_ns();
    let wall = decide_pass(client, d);
    (wall, thread_cpu_ns() - c0)
}

/// W1 on one shared client from two threads at once vs one thread.
fn mt(cfg: &Config, rep: &mut Report) {
    let info = SettingsInfo::new(SETTINGS_BENCH);
    let keys = info.keys_of(&["VISUAL_AB", "FEATURE_TEST"]);
    let ops = DecideOps::generate(&info, keys, 200_000, 1);
    let client = launch(SETTINGS_BENCH, None);
    decide_pass(&client, &ops);
    let n = ops.ops.len() as f64;
    let reps = cfg.reps.max(3);
    let mut cpu1 = Vec::new();
    let one: Vec<f64> = (0..reps)
        .map(|_| {
            let (wall, cpu) = decide_pass_cpu(&client, &ops);
            cpu1.push(cpu as f64 / n);
            n / (wall as f64 / 1e9)
        })
        .collect();
    let mut cpu2 = Vec::new();
    let two: Vec<f64> = (0..reps)
        .map(|_| {
            let barrier = Barrier::new(3);
            let (t0, cpus) = std::thread::scope(|s| {
                let hs: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            decide_pass_cpu(&client, &ops).1
                        })
                    })
                    .collect();
                barrier.wait();
                let t0 = Instant::now();
                let cpus: Vec<u64> = hs.into_iter().map(|h| h.join().unwrap_or(0)).collect();
                (t0, cpus)
            });
            let wall = t0.elapsed().as_nanos() as f64;
            cpu2.push(cpus.iter().sum::<u64>() as f64 / (2.0 * n));
            2.0 * n / (wall / 1e9)
        })
        .collect();
    let (m1, m2) = (median(&one), median(&two));
    let speedup = m2 / m1;
    let (c1, c2) = (median(&cpu1), median(&cpu2));
    // Baseline in the same run: how a pure arithmetic loop (no memory, no library) scales from one
    // thread to two on this machine right now. On a quiet 2-core machine it is ~2×; under other load,
    // or on vCPUs that share a physical core, it is lower, and no library can do better.
    let machine: Vec<f64> = (0..reps).map(|_| spin_scaling()).collect();
    let machine = median(&machine);
    rep.target(
        "2-thread scaling",
        speedup >= 1.7,
        format!("{speedup:.2}× < 1.7×"),
    );
    rep.extra.push(format!(
        "W1 on 2 threads sharing one client: {:.2} Mops/s vs {:.2} Mops/s on 1 thread = {speedup:.2}× (target ≥ 1.7×; {} cores); \
         thread CPU time per call {c2:.0} ns on 2 threads vs {c1:.0} ns on 1 ({:.2}×: near 1 means no contention in \
         the library, so a low speedup comes from other load on the machine); a pure arithmetic loop scaled \
         {machine:.2}× in the same run, so the library reaches {:.0} % of what the machine gave",
        m2 / 1e6,
        m1 / 1e6,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        c2 / c1,
        100.0 * speedup / machine
    ));
    rep.rows.push(Row {
        name: "W1 ×2 threads",
        ops: 2 * ops.ops.len(),
        reps,
        ns_per_op: two.iter().map(|t| 1e9 / t).collect(),
        latency: None,
        target: None,
        python: "".into(),
        node: "",
        note: format!(
            "{speedup:.2}× the 1-thread throughput (arithmetic loop: {machine:.2}×); CPU/call ×{:.2}",
            c2 / c1
        ),
    });
}

/// Throughput of two threads over one for an arithmetic loop that touches no memory.
fn spin_scaling() -> f64 {
    fn spin(iterations: u64) -> u64 {
        let mut x = black_box(1u64);
        for _ in 0..iterations {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
        }
        black_box(x)
    }
    const N: u64 = 50_000_000;
    let t0 = Instant::now();
    spin(N);
    let one = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    std::thread::scope(|s| {
        let a = s.spawn(|| spin(N));
        let b = s.spawn(|| spin(N));
        let _ = (a.join(), b.join());
    });
    let two = t1.elapsed().as_secs_f64();
    2.0 * one / two
}

/// FW1: FME `get_flag` over 50 and 500 features, events to a loopback collector (benches/fw1).
fn fw1_workload(cfg: &Config, rep: &mut Report) {
    const OPS: usize = 200_000;
    let counts = Arc::new(fw1::Collected::default());
    let port = fw1::start_collector(counts.clone());
    let keys50 = fw1::feature_keys(fw1::SETTINGS_50);
    let keys500 = fw1::feature_keys(fw1::SETTINGS_500);
    let c50 = fw1::client(fw1::SETTINGS_50, port);
    let c500 = fw1::client(fw1::SETTINGS_500, port);
    let ops50 = fw1::gen_ops(keys50.len(), OPS, 1);
    let ops500 = fw1::gen_ops(keys500.len(), OPS, 1);
    let mut ctx = fw1::Contexts::new();
    fw1::pass(
        &c50,
        &keys50,
        &fw1::gen_ops(keys50.len(), 20_000, 1001),
        &mut ctx,
    );
    fw1::pass(
        &c500,
        &keys500,
        &fw1::gen_ops(keys500.len(), 20_000, 1001),
        &mut ctx,
    );

    // The checked passes: digest, and every impression the calls queued reached the collector.
    let shown0 = counts.impressions.load(Ordering::Relaxed);
    let chk50 = fw1::checked_pass(&c50, &keys50, &ops50, &mut ctx);
    let shown = counts.impressions.load(Ordering::Relaxed) - shown0;
    rep.check("FW1 impressions at the collector", shown, chk50.impressions);
    let chk500 = fw1::checked_pass(&c500, &keys500, &ops500, &mut ctx);
    let ok = rep.check("FW1 digest", chk50.digest.as_str(), fw1::FW1_DIGEST);
    rep.extra.push(format!(
        "FW1 digest {} ({} enabled, {} with an experiment variation, {} impressions delivered to the collector) {}; \
         500 features: digest {} ({} enabled)",
        chk50.digest,
        chk50.enabled,
        chk50.experiments,
        shown,
        if ok { "OK (= vwo-fme-python-sdk 1.65.0)" } else { "MISMATCH" },
        chk500.digest,
        chk500.enabled,
    ));

    // Timed passes, 50 and 500 features alternately, and the context-writing loop alone.
    let n = OPS as f64;
    let (mut s50, mut s500, mut f50, mut base) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut timed =
        |s50: &mut Vec<f64>, s500: &mut Vec<f64>, f50: &mut Vec<f64>, base: &mut Vec<f64>| {
            for _ in 0..cfg.reps {
                let (calls, with_flush) = fw1::pass(&c50, &keys50, &ops50, &mut ctx);
                s50.push(calls as f64 / n);
                f50.push(with_flush as f64 / n);
                s500.push(fw1::pass(&c500, &keys500, &ops500, &mut ctx).0 as f64 / n);
                base.push(fw1::context_only_pass(&keys50, &ops50, &mut ctx) as f64 / n);
            }
        };
    timed(&mut s50, &mut s500, &mut f50, &mut base);

    // vwo-fme-python-sdk over the same stream, in the same run, then the Rust passes again.
    let mut python = String::new();
    match (cfg.quick, fw1::reference_python()) {
        (true, _) => rep
            .extra
            .push("FW1 reference (vwo-fme-python-sdk): skipped in quick mode".into()),
        (false, None) => rep.extra.push(
            "FW1 reference (vwo-fme-python-sdk): skipped, no venv: create it with `make fme-ref-venv` \
             (target/fme-ref) or point VWO_FME_REF_PYTHON at a python that has vwo-fme-python-sdk 1.65.0"
                .into(),
        ),
        (false, Some(py)) => {
            let as_is_ops: usize = std::env::var("VWO_FME_REF_AS_IS_OPS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300);
            eprintln!("[fw1: vwo-fme-python-sdk, {as_is_ops} calls as it is, then {OPS} with the schema check memoized]");
            let as_is = fw1::run_reference(&py, as_is_ops, false);
            let full = fw1::run_reference(&py, OPS, true);
            timed(&mut s50, &mut s500, &mut f50, &mut base);
            let ours = median(&s50);
            match (&as_is, &full) {
                (Ok(a), Ok(f)) => {
                    let a_ns = a["median_ns"].as_f64().unwrap_or(f64::NAN);
                    let f_ns = f["median_ns"].as_f64().unwrap_or(f64::NAN);
                    let digest = f["digest"].as_str().unwrap_or("");
                    rep.check("FW1 digest of vwo-fme-python-sdk", digest, chk50.digest.as_str());
                    python = fmt_ns(a_ns);
                    rep.extra.push(format!(
                        "FW1 vwo-fme-python-sdk 1.65.0, same run: {} per get_flag as the SDK is (first {as_is_ops} calls; \
                         it validates the whole settings document against its JSON schema on every call) = {:.0}× libvwo's {}; \
                         {} per call with that check memoized (all {OPS} calls, digest {digest} {}) = {:.0}×",
                        fmt_ns(a_ns),
                        a_ns / ours,
                        fmt_ns(ours),
                        fmt_ns(f_ns),
                        if digest == chk50.digest { "equal to libvwo's" } else { "DIFFERENT" },
                        f_ns / ours,
                    ));
                }
                _ => {
                    let why = [as_is.err(), full.err()].into_iter().flatten().collect::<Vec<_>>().join("; ");
                    rep.failures.push(format!("FW1 reference: {why}"));
                }
            }
        }
    }
    let (m50, m500) = (median(&s50), median(&s500));
    rep.target(
        "FW1 flat in features",
        m500 <= 1.25 * m50,
        format!(
            "500 features {} vs 50 features {}",
            fmt_ns(m500),
            fmt_ns(m50)
        ),
    );
    rep.extra.push(format!(
        "FW1 per get_flag: 50 features {} (with the final flush_events {}), 500 features {} = {:.2}× (same run, \
         alternating passes); writing the user id into the context alone {}",
        fmt_ns(m50),
        fmt_ns(median(&f50)),
        fmt_ns(m500),
        m500 / m50,
        fmt_ns(median(&base)),
    ));
    rep.rows.push(Row {
        name: "FW1 get_flag (50)",
        ops: OPS,
        reps: s50.len(),
        ns_per_op: s50,
        latency: Some(percentiles(chk50.latencies)),
        target: Some(500.0),
        python,
        node: "",
        note: format!("{} enabled", chk50.enabled),
    });
    rep.rows.push(Row {
        name: "FW1 get_flag (500)",
        ops: OPS,
        reps: s500.len(),
        ns_per_op: s500,
        latency: Some(percentiles(chk500.latencies)),
        target: Some(500.0),
        python: "".into(),
        node: "",
        note: format!("{:.2}× the 50-feature cost", m500 / m50),
    });
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ----------------------------------------------------------------------------- main

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var("VWO_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let selected: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let cfg = Config {
        quick,
        reps: if quick { 1 } else { 5 },
    };
    let mut rep = Report {
        rows: Vec::new(),
        extra: Vec::new(),
        failures: Vec::new(),
        missed: Vec::new(),
    };

    // W3 first: its RSS delta is cleanest in a fresh process.
    type Workload = fn(&Config, &mut Report);
    let workloads: [(&str, Workload); 7] = [
        ("w3", w3),
        ("w1", w1),
        ("w3d", w3d),
        ("w2", w2),
        ("w4", w4),
        ("mt", mt),
        ("fw1", fw1_workload),
    ];
    let load0 = loadavg();
    let t_all = Instant::now();
    for (name, f) in workloads {
        if !selected.is_empty() && !selected.contains(&name) {
            continue;
        }
        let t0 = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&cfg, &mut rep)));
        if r.is_err() {
            rep.failures.push(format!("{name}: panicked"));
        }
        eprintln!("[{name} done in {:.1} s]", t0.elapsed().as_secs_f64());
    }

    println!(
        "\nlibvwo workloads ({}; {} cores; load average {load0} before, {} after)\n",
        if quick {
            "quick mode: 1 repetition"
        } else {
            "median of repetitions"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!(
        "| {:<17} | {:>7} | {:>4} | {:>10} | {:>10} | {:>19} | {:>10} | {:>9} | {:>9} | notes",
        "workload",
        "ops",
        "reps",
        "median/op",
        "min/op",
        "latency p50 / p99",
        "target",
        "python",
        "node",
    );
    println!(
        "|{}|",
        ["-"; 10]
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 9 { "---" } else { "---:" })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in &rep.rows {
        let med = r.median();
        let min = r.ns_per_op.iter().cloned().fold(f64::INFINITY, f64::min);
        let lat = r.latency.as_ref().map_or("–".to_string(), |l| {
            format!("{} / {}", fmt_ns(l.p50 as f64), fmt_ns(l.p99 as f64))
        });
        let target = r.target.map_or("–".to_string(), |t| {
            format!("≤ {} {}", fmt_ns(t), if med <= t { "ok" } else { "MISS" })
        });
        if let Some(t) = r.target {
            if r.name != "W3 launch (500)" {
                rep.missed.extend(
                    (med > t).then(|| format!("{}: {} > {}", r.name, fmt_ns(med), fmt_ns(t))),
                );
            }
        }
        println!(
            "| {:<17} | {:>7} | {:>4} | {:>10} | {:>10} | {:>19} | {:>10} | {:>9} | {:>9} | {}",
            r.name,
            r.ops,
            r.reps,
            fmt_ns(med),
            fmt_ns(min),
            lat,
            target,
            r.python,
            r.node,
            r.note
        );
    }
    println!();
    for e in &rep.extra {
        println!("{e}");
    }
    println!("\nlatency percentiles come from a separate pass timing each call (includes ~20–40 ns of clock reads)");
    println!("total {:.1} s", t_all.elapsed().as_secs_f64());
    if !rep.missed.is_empty() {
        println!("\ntargets missed:");
        for m in &rep.missed {
            println!("  - {m}");
        }
    }
    if !rep.failures.is_empty() {
        println!("\nFAILED:");
        for f in &rep.failures {
            println!("  - {f}");
        }
        std::process::exit(1);
    }
    println!("\nall digests and cross-checked counts match the reference SDKs");
}
