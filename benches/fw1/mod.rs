//! FW1: FME `get_flag` (docs/PERFORMANCE.md, "FME").
//!
//! 200,000 `FmeClient::get_flag` calls over the settings `benches/data/fme_settings_50.json` (written by
//! `benches/data/gen_fme_settings.py`: 50 features, each a segmented rollout rule and two testing rules of
//! three variations, two MEG groups), feature `i % 50`, user and profile from W1's LCG
//! (`shared/bench/workload_spec.md`, seed 1, warm-up seed 1001), the profile as `custom_variables` on
//! every call. No storage. SDK event batching on (100 events per request, 600 s), so every impression is
//! built and queued in the call, and libvwo's dispatcher posts the `batch-events-v2` requests to a
//! collector thread on 127.0.0.1 that answers 200. The same stream over `fme_settings_500.json` (ten
//! such blocks) in the same run gives the cost's dependence on the number of features.
//!
//! Digest: FNV-1a 64 over `"<featureKey>|<userId>|<true|false>|<variationId>\n"` per call in call order,
//! variationId = the experiment's variation id if any, else the rollout's, else 0. `benches/fme_reference.py`
//! computes the same over vwo-fme-python-sdk 1.65.0; when its venv exists (`VWO_FME_REF_PYTHON`, else
//! `target/fme-ref/bin/python`) the bench runs it in the same run and checks the digest.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vwo::fme::{Flag, FmeClient, FmeOptions};
use vwo::BatchEventsConfig;

use crate::common::{pick_user, profiles, Lcg};

pub const SETTINGS_50: &str = include_str!("../data/fme_settings_50.json");
pub const SETTINGS_500: &str = include_str!("../data/fme_settings_500.json");

/// The digest of the 200,000 timed calls over `fme_settings_50.json` (seed 1), as vwo-fme-python-sdk
/// 1.65.0 gives it (`benches/fme_reference.py`).
pub const FW1_DIGEST: &str = "a2784da89c6e32d4";

// ----------------------------------------------------------------------------- collector

/// Requests and `vwo_variationShown` payloads the collector received.
#[derive(Default)]
pub struct Collected {
    pub requests: AtomicU64,
    pub impressions: AtomicU64,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (keep-alive, `Content-Length` bodies, every request answered
/// 200 with an empty body): one thread per connection. Returns the port.
pub fn start_collector(counts: Arc<Collected>) -> u16 {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("collector: bind: {e}"),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counts = counts.clone();
            std::thread::spawn(move || serve(stream, &counts));
        }
    });
    port
}

fn serve(stream: TcpStream, counts: &Collected) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    const NEEDLE: &[u8] = b"\"vwo_variationShown\"";
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut length = 0usize;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let shown = body.windows(NEEDLE.len()).filter(|w| *w == NEEDLE).count();
        counts
            .impressions
            .fetch_add(shown as u64, Ordering::Relaxed);
        counts.requests.fetch_add(1, Ordering::Relaxed);
        let resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n";
        if writer.write_all(resp).is_err() {
            return;
        }
    }
}

// ----------------------------------------------------------------------------- workload

/// The feature keys of a settings file, in file order.
pub fn feature_keys(settings: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(settings).unwrap_or(Value::Null);
    v.get("features")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("key")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub struct Op {
    pub key: usize,
    pub user: String,
    pub profile: usize,
}

/// W1's stream: feature `i % n`, user (1–2 draws), profile (1 draw), every call.
pub fn gen_ops(n_keys: usize, n: usize, seed: u32) -> Vec<Op> {
    let mut rng = Lcg(seed);
    let n_profiles = profiles().len() as u32;
    (0..n)
        .map(|i| {
            let user = pick_user(&mut rng);
            let profile = rng.rand(n_profiles) as usize;
            Op {
                key: i % n_keys,
                user,
                profile,
            }
        })
        .collect()
}

/// One context per profile (`{"id", "custom_variables"}`); a call writes its user id into the
/// profile's context in place (no allocation), so the contexts need not exist per call.
pub struct Contexts(Vec<Value>);

impl Default for Contexts {
    fn default() -> Self {
        Contexts::new()
    }
}

impl Contexts {
    pub fn new() -> Contexts {
        Contexts(
            profiles()
                .into_iter()
                .map(|p| json!({"id": String::with_capacity(32), "custom_variables": p}))
                .collect(),
        )
    }

    #[inline(always)]
    pub fn with_user(&mut self, op: &Op) -> &Value {
        let ctx = &mut self.0[op.profile];
        if let Some(Value::String(id)) = ctx.get_mut("id") {
            id.clear();
            id.push_str(&op.user);
        }
        &self.0[op.profile]
    }
}

pub fn client(settings: &str, port: u16) -> FmeClient {
    let v: Value = serde_json::from_str(settings).unwrap_or(Value::Null);
    let options = FmeOptions {
        sdk_key: v
            .get("sdkKey")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        account_id: v.get("accountId").cloned().unwrap_or(Value::Null),
        settings: Some(settings.to_owned()),
        base_url: Some(format!("http://127.0.0.1:{port}")),
        batch_events: Some(BatchEventsConfig {
            events_per_request: 100,
            request_time_interval: 600.0,
            flush_callback: None,
        }),
        poll_interval: Some(Duration::ZERO),
        ..Default::default()
    };
    match FmeClient::init(options) {
        Ok(c) => c,
        Err(e) => panic!("FmeClient::init failed: {e}"),
    }
}

/// One timed pass (ns for the calls alone, ns including the final `flush_events`).
pub fn pass(client: &FmeClient, keys: &[String], ops: &[Op], ctx: &mut Contexts) -> (u64, u64) {
    let t0 = Instant::now();
    for op in ops {
        let c = ctx.with_user(op);
        black_box(client.get_flag(&keys[op.key], c));
    }
    let calls = t0.elapsed().as_nanos() as u64;
    client.flush_events();
    (calls, t0.elapsed().as_nanos() as u64)
}

/// The same loop without the call: what writing the user into the context costs.
pub fn context_only_pass(keys: &[String], ops: &[Op], ctx: &mut Contexts) -> u64 {
    let t0 = Instant::now();
    for op in ops {
        let c = ctx.with_user(op);
        black_box((c, &keys[op.key]));
    }
    t0.elapsed().as_nanos() as u64
}

pub struct Checked {
    pub digest: String,
    pub enabled: usize,
    pub experiments: usize,
    pub impressions: u64,
    pub latencies: Vec<u64>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn variation_id(flag: &Flag) -> String {
    flag.experiment
        .as_ref()
        .or(flag.rollout.as_ref())
        .map_or_else(|| "0".to_owned(), |r| r.variation_id.to_string())
}

/// A pass timing each call, computing the digest and the impressions the calls queued.
pub fn checked_pass(
    client: &FmeClient,
    keys: &[String],
    ops: &[Op],
    ctx: &mut Contexts,
) -> Checked {
    let mut h = FNV_OFFSET;
    let mut latencies = Vec::with_capacity(ops.len());
    let (mut enabled, mut experiments, mut impressions) = (0, 0, 0u64);
    let mut line = String::with_capacity(64);
    for op in ops {
        let c = ctx.with_user(op);
        let t0 = Instant::now();
        let flag = client.get_flag(&keys[op.key], c);
        latencies.push(t0.elapsed().as_nanos() as u64);
        line.clear();
        line.push_str(&keys[op.key]);
        line.push('|');
        line.push_str(&op.user);
        line.push('|');
        line.push_str(if flag.is_enabled() { "true" } else { "false" });
        line.push('|');
        line.push_str(&variation_id(&flag));
        line.push('\n');
        h = fnv1a(h, line.as_bytes());
        enabled += flag.is_enabled() as usize;
        experiments += flag.experiment.is_some() as usize;
        impressions += flag.rollout.is_some() as u64 + flag.experiment.is_some() as u64;
    }
    client.flush_events();
    Checked {
        digest: format!("{h:016x}"),
        enabled,
        experiments,
        impressions,
        latencies,
    }
}

// ----------------------------------------------------------------------------- the reference

/// The reference's interpreter: `VWO_FME_REF_PYTHON`, else `target/fme-ref/bin/python` when it exists.
pub fn reference_python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VWO_FME_REF_PYTHON") {
        if !p.is_empty() {
            return Some(PathBuf::from(p));
        }
        return None;
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fme-ref/bin/python");
    p.exists().then_some(p)
}

/// Runs `benches/fme_reference.py` (its JSON line), or says why not.
pub fn run_reference(python: &std::path::Path, ops: usize, memoize: bool) -> Result<Value, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/fme_reference.py");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(&script).arg("--ops").arg(ops.to_string());
    if memoize {
        cmd.arg("--memoize-validation");
    } else {
        cmd.arg("--warm-ops").arg("20");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("reference output {last:?}: {e}"))
}
