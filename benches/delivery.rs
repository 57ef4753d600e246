//! Delivery benchmarks (`cargo bench --bench delivery`): the cost of `submit` on the caller's thread
//! while the dispatcher is busy sending, and the throughput of batches of 100 to a loopback collector
//! (the test collector of tests/common). Prints figures; asserts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Reply, TestServer};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vwo::events::{
    batch_track_user, track_user, BatchConfig, Collector, Dispatcher, DispatcherConfig,
    EventContext, FullPolicy, HttpTransport, Outgoing, RenderedEvent, Stamp, TransportConfig,
    Visitor,
};
use vwo::Id;

const STAMP: Stamp = Stamp {
    random: 0.6584033606686923,
    unix_ms: 1_795_878_138_000,
};

fn ctx() -> Arc<EventContext> {
    Arc::new(EventContext {
        account_id: json!(123456),
        sdk_key: Some("abcdef0123456789abcdef0123456789".into()),
        sdk_name: "libvwo".into(),
        sdk_version: "0.1.0".into(),
        usage_stats: vec![("ss", "1".into()), ("_l", "1".into())],
        shape: vwo::events::BatchShape::V1,
    })
}

fn event(i: usize) -> RenderedEvent {
    let u = format!("{i:032X}");
    let v = Visitor {
        uuid: &u,
        user_agent: None,
        user_ip: None,
    };
    batch_track_user(&v, &Id::Int(10), &Id::Int(2), STAMP)
}

/// The defaults, sending to `base`.
fn config(base: &str) -> DispatcherConfig {
    let t = HttpTransport::new(TransportConfig {
        use_env_proxy: false,
        ..TransportConfig::default()
    })
    .unwrap();
    let mut c = DispatcherConfig::new(Arc::new(t));
    c.collector = Collector::new(base, None);
    c.close_timeout = Duration::from_millis(200);
    c
}

fn percentiles(mut ns: Vec<u64>) -> (u64, u64, u64) {
    ns.sort_unstable();
    let p = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize];
    (p(0.5), p(0.99), p(0.999))
}

/// `submit` while the thread is stuck in a slow request, so every call only enqueues.
fn enqueue_cost(label: &str, spool: bool, batch: bool) {
    let server = TestServer::start();
    server.set_default(Reply::Delay(Duration::from_secs(3)));
    let c = ctx();
    let mut cfg = config(&server.base_url());
    cfg.queue_capacity = 1_000_000;
    cfg.when_full = FullPolicy::DropNewest;
    let dir = std::env::temp_dir().join(format!("vwo-bench-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if spool {
        cfg.spool_dir = Some(dir.clone());
        cfg.spool_max_bytes = 1 << 30;
    }
    if batch {
        cfg.batch = Some(BatchConfig {
            events_per_request: 1, // the first event is sent (and stuck) at once
            request_time_interval: Duration::from_secs(600),
            flush_callback: None,
        });
    }
    let d = Dispatcher::new(cfg).unwrap();
    let n = 100_000;
    let items: Vec<Outgoing> = (0..n)
        .map(|i| {
            if batch {
                Outgoing::BatchEvent {
                    ctx: Arc::clone(&c),
                    event: event(i),
                }
            } else {
                let u = format!("{i:032X}");
                let v = Visitor {
                    uuid: &u,
                    user_agent: None,
                    user_ip: None,
                };
                Outgoing::Request(track_user(&c, &v, &Id::Int(10), &Id::Int(2), STAMP))
            }
        })
        .collect();
    // Start the thread and let it get stuck in the slow request.
    d.submit(items[0].clone()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut ns = Vec::with_capacity(n);
    for it in items.into_iter().skip(1) {
        let t = Instant::now();
        let r = d.submit(it);
        ns.push(t.elapsed().as_nanos() as u64);
        assert!(r.is_ok());
    }
    let (p50, p99, p999) = percentiles(ns);
    println!(
        "enqueue while busy, {label}: median {p50} ns, p99 {p99} ns, p99.9 {p999} ns ({} events)",
        n - 1
    );
    drop(d);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Events per second, batches of 100, one submitting thread, to the loopback collector.
fn throughput(label: &str, spool: bool) {
    let server = TestServer::start();
    let c = ctx();
    let mut cfg = config(&server.base_url());
    cfg.when_full = FullPolicy::Block(Duration::from_secs(10));
    cfg.batch = Some(BatchConfig {
        events_per_request: 100,
        request_time_interval: Duration::from_secs(600),
        flush_callback: None,
    });
    let dir = std::env::temp_dir().join(format!("vwo-bench-tp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if spool {
        cfg.spool_dir = Some(dir.clone());
    }
    let d = Dispatcher::new(cfg).unwrap();
    let n = 300_000;
    let events: Vec<RenderedEvent> = (0..n).map(event).collect();
    let t = Instant::now();
    for e in events {
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(&c),
            event: e,
        })
        .unwrap();
    }
    let rep = d.flush(Duration::from_secs(60));
    let secs = t.elapsed().as_secs_f64();
    assert!(rep.completed);
    assert_eq!(rep.counters.delivered, n as u64);
    println!(
        "throughput, batches of 100, {label}: {:.0} events/s ({n} events, {} requests, {secs:.2} s)",
        n as f64 / secs,
        server.requests().len()
    );
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    enqueue_cost("requests, no spool", false, false);
    enqueue_cost("batch events, no spool", false, true);
    enqueue_cost("batch events, spool", true, true);
    throughput("no spool", false);
    throughput("spool", true);
}
