//! W1 (docs/PERFORMANCE.md, "Built-in user storage") with each built-in user storage: memory, the
//! embedded LMDB file, and Redis on loopback (a redis-server this bench starts on a free port; skipped
//! with a message when redis-server is not installed).
//!
//! Usage:
//!   cargo bench --bench storage                 # every store
//!   cargo bench --bench storage -- memory file  # some stores (memory, file, redis)
//!
//! Per store, three passes over W1's 200,000 timed calls (seed 1; same generator as `workloads.rs`,
//! checked by W1's digest):
//!   1. `get_variation_name`, nothing stored: with a storage, vwo-python-sdk answers "not activated"
//!      for users it never stored, so this is the cost of a lookup that finds nothing;
//!   2. `activate` (`is_feature_enabled` for FEATURE_TEST campaigns) on the same calls: first sight, a
//!      lookup plus a write for each new (user, campaign);
//!   3. `get_variation_name` again: returning users, a lookup that finds the record. Its digest differs
//!      from W1's on purpose (a stored variation wins over segments that another profile fails), and
//!      must be the same for every store.
//!
//! Latency is measured per call (p50/p99/p99.9). For Redis, the server's command count per call
//! is reported too (a returning user's decision must cost one round trip at most).

mod common;

use common::{pick_user, profiles, Lcg};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vwo::events::EventRequest;
use vwo::{
    CallOptions, Client, EventSink, FileStorageConfig, LaunchOptions, RedisStorageConfig,
    UserStorageConfig,
};

const SETTINGS_BENCH: &str = include_str!("data/settings_bench.json");
/// W1's whitelisted calls: the only ones decided when nothing is stored (vwo-python-sdk's "not activated").
const W1_QA_CALLS: usize = 207;

struct Op {
    key: String,
    feature: bool,
    user: String,
    options: Option<CallOptions>,
}

/// W1's calls: every VISUAL_AB and FEATURE_TEST campaign in settings order, rotated.
fn w1_ops(n: usize, seed: u32) -> Vec<Op> {
    let settings: Value = serde_json::from_str(SETTINGS_BENCH).unwrap_or(Value::Null);
    let campaigns: Vec<&Value> = settings["campaigns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| matches!(c["type"].as_str(), Some("VISUAL_AB" | "FEATURE_TEST")))
                .collect()
        })
        .unwrap_or_default();
    let profs = profiles();
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| {
            let c = campaigns[i % campaigns.len()];
            let user = pick_user(&mut rng);
            let prof = rng.rand(profs.len() as u32) as usize;
            let segmented = match &c["segments"] {
                Value::Null => false,
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            Op {
                key: c["key"].as_str().unwrap_or("").to_string(),
                feature: c["type"].as_str() == Some("FEATURE_TEST"),
                user,
                options: segmented.then(|| CallOptions {
                    custom_variables: Some(profs[prof].clone()),
                    ..Default::default()
                }),
            }
        })
        .collect()
}

struct NoEvents;

impl EventSink for NoEvents {
    fn send(&self, _url: &str, _request: &EventRequest) -> Result<(), vwo::Error> {
        Ok(())
    }
}

struct Pass {
    ns_per_op: f64,
    p50: u64,
    p99: u64,
    p999: u64,
    digest: String,
    decided: usize,
}

fn pass(ops: &[Op], mut call: impl FnMut(&Op) -> Option<String>) -> Pass {
    let mut lat = Vec::with_capacity(ops.len());
    let mut h = Sha256::new();
    let mut line = String::new();
    let mut decided = 0;
    let t0 = Instant::now();
    for op in ops {
        let t = Instant::now();
        let v = call(op);
        lat.push(t.elapsed().as_nanos() as u64);
        line.clear();
        let _ = writeln!(
            line,
            "{}|{}|{}",
            op.key,
            op.user,
            v.as_deref().unwrap_or("None")
        );
        h.update(line.as_bytes());
        decided += usize::from(v.is_some());
    }
    let total = t0.elapsed().as_nanos() as f64;
    lat.sort_unstable();
    let q = |f: f64| lat[((f * lat.len() as f64) as usize).min(lat.len() - 1)];
    Pass {
        ns_per_op: total / ops.len() as f64,
        p50: q(0.50),
        p99: q(0.99),
        p999: q(0.999),
        digest: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        decided,
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A throwaway redis-server on 127.0.0.1 (no persistence), killed on drop.
struct Redis {
    port: u16,
    child: Child,
    dir: PathBuf,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("vwo-bench-redis-{port}"));
        std::fs::create_dir_all(&dir).ok()?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let r = Redis { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if r.commands().is_some() {
                return Some(r);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `total_commands_processed` of `INFO stats` (the INFO call itself included).
    fn commands(&self) -> Option<u64> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n").ok()?;
        let mut buf = vec![0u8; 65536];
        let mut got = 0;
        while got < buf.len() {
            let n = s.read(&mut buf[got..]).ok()?;
            got += n;
            let text = String::from_utf8_lossy(&buf[..got]);
            if n == 0 || text.contains("total_net_input_bytes") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&buf[..got]);
        text.lines()
            .find_map(|l| l.strip_prefix("total_commands_processed:"))
            .and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the three passes; returns the digest of the returning-users pass.
fn run(
    name: &str,
    config: UserStorageConfig,
    redis: Option<&Redis>,
    ops: &[Op],
    ok: &mut bool,
) -> String {
    let options = LaunchOptions {
        user_storage_config: Some(config),
        event_sink: Some(Arc::new(NoEvents)),
        ..Default::default()
    };
    let client = match Client::launch(SETTINGS_BENCH, options) {
        Ok(c) => c,
        Err(e) => panic!("{name}: launch failed: {e}"),
    };
    let count = || redis.and_then(Redis::commands);
    let mut returning = String::new();
    let passes: [(&str, bool); 3] = [
        ("get_variation_name, nothing stored", false),
        (
            "activate / is_feature_enabled, first sight (lookup + write)",
            true,
        ),
        ("get_variation_name, returning users", false),
    ];
    for (label, activate) in passes {
        let before = count();
        let p = pass(ops, |op| {
            if activate && op.feature {
                // FEATURE_TEST campaigns are activated by is_feature_enabled.
                client
                    .is_feature_enabled(&op.key, &op.user, op.options.as_ref())
                    .then(|| "enabled".to_string())
            } else if activate {
                client.activate(&op.key, &op.user, op.options.as_ref())
            } else {
                client.get_variation_name(&op.key, &op.user, op.options.as_ref())
            }
        });
        let flushed = client.flush_storage(Duration::from_secs(60));
        let commands = match (before, count()) {
            (Some(a), Some(b)) => format!(" | {:.2}", (b - a - 1) as f64 / ops.len() as f64),
            _ => String::new(),
        };
        println!(
            "| {name} | {label} | {} | {:.0} | {} | {} | {} | {}{commands} |",
            fmt_ns(p.ns_per_op),
            1e9 / p.ns_per_op,
            fmt_ns(p.p50 as f64),
            fmt_ns(p.p99 as f64),
            fmt_ns(p.p999 as f64),
            p.decided,
        );
        if !flushed {
            println!("  {name}: storage writes still pending after 60 s");
            *ok = false;
        }
        if label.ends_with("nothing stored") && p.decided != W1_QA_CALLS {
            println!(
                "  {name}: {} decided, expected only the {W1_QA_CALLS} whitelisted",
                p.decided
            );
            *ok = false;
        }
        if label.ends_with("returning users") {
            returning = p.digest;
        }
    }
    if let Some(c) = client.storage_counters() {
        println!("  {name} counters: {c:?}");
    }
    returning
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    let ops = w1_ops(200_000, 1);
    let mut ok = true;
    println!("W1 (200,000 calls, one thread) with each built-in user storage\n");
    println!(
        "| store | pass | mean | decisions/s | p50 | p99 | p99.9 | decided | Redis commands/call |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut digests: Vec<(String, String)> = Vec::new();
    if wanted("memory") {
        let d = run(
            "memory",
            UserStorageConfig::Memory { max_entries: None },
            None,
            &ops,
            &mut ok,
        );
        digests.push(("memory".into(), d));
    }
    if wanted("file") {
        let dir = std::env::temp_dir().join(format!("vwo-bench-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let d = run(
            "file (LMDB)",
            UserStorageConfig::File(FileStorageConfig::new(&dir)),
            None,
            &ops,
            &mut ok,
        );
        digests.push(("file".into(), d));
        let _ = std::fs::remove_dir_all(&dir);
    }
    if wanted("redis") {
        match Redis::start() {
            Some(r) => {
                let config = RedisStorageConfig::new(format!("redis://127.0.0.1:{}/0", r.port));
                let d = run(
                    "Redis (loopback)",
                    UserStorageConfig::Redis(config),
                    Some(&r),
                    &ops,
                    &mut ok,
                );
                digests.push(("redis".into(), d));
            }
            None => println!("  redis: redis-server not found or did not start: skipped"),
        }
    }
    for (store, d) in &digests {
        let same = d == &digests[0].1;
        println!(
            "  returning-users digest {store}: {d} {}",
            if same { "OK" } else { "MISMATCH" }
        );
        ok &= same;
    }
    if !ok {
        std::process::exit(1);
    }
}
