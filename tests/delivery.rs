//! Delivery over real HTTP to a collector on 127.0.0.1 (tests/common): wire bytes, retries, 413 splits,
//! timeouts, an outage, the queue bound, flush and close limits, development mode, the settings fetch,
//! the spool across a killed process, and fork.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{DateForm, Recorded, Reply, TestServer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vwo::events::{
    arch_goal, batch_request, batch_track_user, fetch_settings, track_user, BatchConfig, Collector,
    Dispatcher, DispatcherConfig, EventContext, EventRequest, FullPolicy, HttpTransport, Outgoing,
    RenderedEvent, Stamp, Transport, TransportConfig, Visitor,
};
use vwo::{Id, LogLevel, Logger};

const STAMP: Stamp = Stamp {
    random: 0.6584033606686923,
    unix_ms: 1_795_878_138_000,
};

#[derive(Default)]
struct CaptureLogger(Mutex<Vec<(LogLevel, String)>>);

impl Logger for CaptureLogger {
    fn log(&self, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((level, message.to_owned()));
    }
}

impl CaptureLogger {
    fn contains(&self, level: LogLevel, text: &str) -> bool {
        self.0
            .lock()
            .unwrap()
            .iter()
            .any(|(l, m)| *l == level && m.contains(text))
    }
}

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

fn uuid(i: usize) -> String {
    format!("EVT{i:06}")
}

/// A legacy impression GET whose visitor id carries the marker `EVT<i>`.
fn req(c: &EventContext, i: usize) -> EventRequest {
    let u = uuid(i);
    let v = Visitor {
        uuid: &u,
        user_agent: None,
        user_ip: None,
    };
    track_user(c, &v, &Id::Int(10), &Id::Int(2), STAMP)
}

/// Submits the queued impressions carrying the markers `EVT<i>`, `i` in `markers`.
fn submit_events(d: &Dispatcher, c: &Arc<EventContext>, markers: std::ops::Range<usize>) {
    for i in markers {
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(c),
            event: bev(i),
        })
        .unwrap();
    }
}

/// A queued impression carrying the marker `EVT<i>`.
fn bev(i: usize) -> RenderedEvent {
    let u = uuid(i);
    let v = Visitor {
        uuid: &u,
        user_agent: None,
        user_ip: None,
    };
    batch_track_user(&v, &Id::Int(10), &Id::Int(2), STAMP)
}

/// The markers in a recorded request (query and body).
fn markers(r: &Recorded) -> Vec<usize> {
    let mut out = Vec::new();
    for text in [&r.target, &r.body] {
        let b = text.as_bytes();
        let mut i = 0;
        while let Some(p) = text[i..].find("EVT") {
            let s = i + p + 3;
            if s + 6 <= b.len() && b[s..s + 6].iter().all(u8::is_ascii_digit) {
                out.push(text[s..s + 6].parse().unwrap());
            }
            i = s;
        }
    }
    out
}

/// How many times each marker arrived, over all recorded requests (answered or not).
fn arrivals(server: &TestServer) -> BTreeMap<usize, usize> {
    arrivals_where(server, |_| true)
}

/// How many times each marker arrived, over the recorded requests `keep` selects.
fn arrivals_where(server: &TestServer, keep: impl Fn(&Recorded) -> bool) -> BTreeMap<usize, usize> {
    let mut m = BTreeMap::new();
    for r in server.requests().iter().filter(|r| keep(r)) {
        for k in markers(r) {
            *m.entry(k).or_insert(0) += 1;
        }
    }
    m
}

fn http(timeout_ms: u64) -> Arc<dyn Transport> {
    Arc::new(
        HttpTransport::new(TransportConfig {
            connect_timeout: Duration::from_millis(500),
            timeout: Duration::from_millis(timeout_ms),
            proxy: None,
            use_env_proxy: false,
        })
        .unwrap(),
    )
}

/// Fast retries, sending to the collector at `base`.
fn config(logger: &Arc<CaptureLogger>, base: &str) -> DispatcherConfig {
    let mut c = DispatcherConfig::new(http(2000));
    c.collector = Collector::new(base, None);
    c.backoff_base = Duration::from_millis(10);
    c.backoff_cap = Duration::from_millis(200);
    c.max_retry_time = Duration::from_secs(10);
    c.close_timeout = Duration::from_secs(2);
    c.logger = Arc::clone(logger) as Arc<dyn Logger>;
    c.log_level = LogLevel::Debug;
    c
}

fn batch(n: usize, interval: Duration) -> BatchConfig {
    BatchConfig {
        events_per_request: n,
        request_time_interval: interval,
        flush_callback: None,
    }
}

type Calls = Arc<Mutex<Vec<(Option<String>, Vec<Value>)>>>;

fn recording_callback() -> (Calls, vwo::client::FlushCallback) {
    let calls: Calls = Arc::default();
    let c2 = Arc::clone(&calls);
    let cb: vwo::client::FlushCallback = Arc::new(move |e, evs| {
        c2.lock().unwrap().push((
            e.map(|e| e.to_string()),
            evs.iter().map(RenderedEvent::to_value).collect(),
        ));
    });
    (calls, cb)
}

/// Batches of `n` events (sent when full or flushed, the timer being far off) reported to a recording
/// flush callback.
fn reported_batches(cfg: &mut DispatcherConfig, n: usize) -> Calls {
    let (calls, cb) = recording_callback();
    cfg.batch = Some(BatchConfig {
        flush_callback: Some(cb),
        ..batch(n, Duration::from_secs(600))
    });
    calls
}

/// Every header of `req` arrived; non-ASCII bytes percent-encoded (the transport's one rewrite).
fn has_headers(r: &Recorded, req: &EventRequest) {
    for (k, v) in &req.headers {
        let safe = v.replace('ü', "%C3%BC");
        assert_eq!(r.header(k), Some(safe.as_str()), "header {k} of {r:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Wire bytes

#[test]
fn requests_arrive_byte_equal() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();

    // Legacy GET with visitor headers.
    let u = vwo::events::visitor_uuid("123456", "Ashley");
    let v = Visitor {
        uuid: &u,
        user_agent: Some("Mozilla/5.0 (X11; ü)"),
        user_ip: Some("10.0.0.1"),
    };
    let get = track_user(&c, &v, &Id::Int(10), &Id::Int(2), STAMP);
    // Event-architecture POST.
    let mut ep = serde_json::Map::new();
    ep.insert("x".into(), json!("y é"));
    let post = arch_goal(
        &c,
        &v,
        "CUSTOM",
        &[(Id::Int(10), Id::Int(201))],
        &[],
        Some(&ep),
        STAMP,
    );
    d.submit(Outgoing::Request(get.clone())).unwrap();
    d.submit(Outgoing::Request(post.clone())).unwrap();
    // Batch POST.
    let events: Vec<RenderedEvent> = (0..3).map(bev).collect();
    for e in &events {
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(&c),
            event: e.clone(),
        })
        .unwrap();
    }
    let rep = d.flush(Duration::from_secs(5));
    assert!(rep.completed, "{rep:?}");
    let got = server.requests();
    assert_eq!(got.len(), 5, "{got:?}");

    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].target, get.wire_target());
    has_headers(&got[0], &get);
    assert_eq!(got[0].body, "");

    assert_eq!(got[1].method, "POST");
    assert_eq!(got[1].target, post.wire_target());
    has_headers(&got[1], &post);
    assert_eq!(Some(got[1].body.as_str()), post.body.as_deref());

    // Without batching configured, each batch event is a batch of one.
    for (i, e) in events.iter().enumerate() {
        let b = batch_request(&c, std::slice::from_ref(e));
        let r = &got[2 + i];
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, b.wire_target());
        has_headers(r, &b);
        assert_eq!(Some(r.body.as_str()), b.body.as_deref());
    }
    assert!(got[2]
        .target
        .starts_with("/server-side/batch-events?a=123456&sdk=libvwo&sdk-v=0.1.0&env="));

    let n = d.counters();
    assert_eq!(
        (n.accepted, n.delivered, n.failed, n.in_flight),
        (5, 5, 0, 0)
    );

    // With batching: one POST carrying the three events, byte-equal to `batch_request`.
    let mut cfg = config(&log, &server.base_url());
    cfg.batch = Some(batch(3, Duration::from_secs(600)));
    let d = Dispatcher::new(cfg).unwrap();
    for e in &events {
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(&c),
            event: e.clone(),
        })
        .unwrap();
    }
    assert!(d.flush(Duration::from_secs(5)).completed);
    let got = server.requests();
    assert_eq!(got.len(), 6);
    let b = batch_request(&c, &events);
    assert_eq!(got[5].target, b.wire_target());
    has_headers(&got[5], &b);
    assert_eq!(Some(got[5].body.as_str()), b.body.as_deref());
}

#[test]
fn requests_keep_their_order() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();
    server.script([Reply::Status(503)]);
    for i in 0..50 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    assert!(d.flush(Duration::from_secs(10)).completed);
    let order: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .flat_map(markers)
        .collect();
    assert_eq!(order, (0..50).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------------
// Faults

#[test]
fn server_errors_are_retried_until_delivered() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();
    server.script([Reply::Status(500), Reply::Status(502), Reply::Status(503)]);
    for i in 0..10 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    assert!(d.flush(Duration::from_secs(10)).completed);
    let a = arrivals(&server);
    assert_eq!(a.len(), 10);
    assert_eq!(a[&0], 4, "3 failures then success");
    let n = d.counters();
    assert_eq!((n.delivered, n.retried, n.failed), (10, 3, 0));
    assert!(log.contains(LogLevel::Warning, "HTTP status 500"));
}

#[test]
fn too_many_requests_honours_retry_after() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();
    server.script([Reply::RetryAfter(429, 1)]);
    d.submit(Outgoing::Request(req(&c, 1))).unwrap();
    assert!(d.flush(Duration::from_secs(10)).completed);
    let got = server.requests();
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert!(gap < Duration::from_secs(3), "{gap:?}");
    assert_eq!(d.counters().delivered, 1);
}

/// `Retry-After` as an HTTP date: the wait is the time until it (a date two seconds ahead, truncated
/// to the second, is between one and two seconds away), for 503 and 429; the obsolete RFC 850 form
/// counts too (asctime, the third form, is covered by the transport's unit tests); a date already
/// passed means retry now, and one beyond `max_retry_time` ends the retries.
#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();
    server.script([
        Reply::RetryAfterDate(503, 2, DateForm::Imf),
        Reply::RetryAfterDate(429, 2, DateForm::Rfc850),
        Reply::RetryAfterDate(503, -3600, DateForm::Asctime),
    ]);
    d.submit(Outgoing::Request(req(&c, 1))).unwrap();
    assert!(d.flush(Duration::from_secs(15)).completed);
    let got = server.requests();
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 429, 503, 200]
    );
    // Without the date the backoff (10 ms base, 200 ms cap here) would have applied.
    for (i, w) in got.windows(2).take(2).enumerate() {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(900), "wait {i}: {gap:?}");
        assert!(gap < Duration::from_secs(4), "wait {i}: {gap:?}");
    }
    // A date in the past: retried at once (the backoff, well under the second a date would mean).
    let gap = got[3].at - got[2].at;
    assert!(gap < Duration::from_millis(900), "{gap:?}");
    let n = d.counters();
    assert_eq!((n.delivered, n.retried, n.failed), (1, 3, 0));

    // A date past the retry limit (10 s here): no wait, the event fails at once.
    server.script([Reply::RetryAfterDate(503, 3600, DateForm::Imf)]);
    let t = Instant::now();
    d.submit(Outgoing::Request(req(&c, 2))).unwrap();
    assert!(d.flush(Duration::from_secs(5)).completed);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(arrivals(&server)[&2], 1);
    let n = d.counters();
    assert_eq!((n.delivered, n.failed), (1, 1));
    assert!(log.contains(LogLevel::Error, "retry limit"));
}

#[test]
fn payload_too_large_splits_the_batch() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    let calls = reported_batches(&mut cfg, 8);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    // The whole batch and then its first half are too large; quarters pass.
    server.script([Reply::Status(413), Reply::Status(413)]);
    submit_events(&d, &c, 0..8);
    assert!(d.flush(Duration::from_secs(10)).completed);
    let sizes: Vec<usize> = server.requests().iter().map(|r| markers(r).len()).collect();
    assert_eq!(sizes, [8, 4, 2, 2, 4]);
    let a = arrivals(&server);
    assert!(a.values().all(|&k| k >= 1) && a.len() == 8);
    // One callback call for the batch, with its eight events in order, though it went in three pieces.
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, None);
    assert_eq!(
        calls[0].1,
        (0..8).map(|i| bev(i).to_value()).collect::<Vec<_>>()
    );
    let n = d.counters();
    assert_eq!((n.delivered, n.failed, n.retried), (8, 0, 0));
}

/// How many times each marker appears in the flush-callback calls, by outcome (delivered or failed).
fn reported(calls: &Calls) -> (BTreeMap<usize, usize>, BTreeMap<usize, usize>) {
    let (mut ok, mut failed) = (BTreeMap::new(), BTreeMap::new());
    for (err, events) in calls.lock().unwrap().iter() {
        let m = if err.is_none() { &mut ok } else { &mut failed };
        for e in events {
            let u = e["u"].as_str().unwrap();
            *m.entry(u[3..].parse::<usize>().unwrap()).or_insert(0) += 1;
        }
    }
    (ok, failed)
}

/// A collector that refuses bodies over a size: ten batches of eight split into forty pieces, yet the
/// flush callback is called once per batch with its events; a batch whose pieces ended differently (an
/// event too large even alone) is reported in two calls, delivered then failed. Every event is reported
/// exactly once, with its own outcome, and the counters agree.
#[test]
fn a_split_batch_is_reported_once_per_batch() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    let calls = reported_batches(&mut cfg, 8);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    // Two events fit in a body, three do not: each batch of eight goes 8 → 4 → 2.
    let two = batch_request(&c, &[bev(0), bev(1)]).body.unwrap().len();
    server.set_max_body(Some(two));
    submit_events(&d, &c, 0..80);
    // The eleventh batch holds event 85, too large to be sent even alone.
    let big = |i: usize| -> RenderedEvent {
        json!({"u": uuid(i), "pad": "x".repeat(3 * two), "eT": 1}).into()
    };
    for i in 80..88 {
        let event = if i == 85 { big(i) } else { bev(i) };
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(&c),
            event,
        })
        .unwrap();
    }
    assert!(d.flush(Duration::from_secs(20)).completed);

    let delivered_pieces = server.requests().iter().filter(|r| r.status == 200).count();
    assert_eq!(
        delivered_pieces,
        40 + 3 + 1,
        "forty pieces, then [80,81] [82,83] [84] [86,87]"
    );
    let calls_now = calls.lock().unwrap().clone();
    assert_eq!(calls_now.len(), 10 + 2);
    for (b, (err, events)) in calls_now.iter().take(10).enumerate() {
        assert_eq!(err, &None, "batch {b}");
        let want: Vec<Value> = (8 * b..8 * b + 8).map(|i| bev(i).to_value()).collect();
        assert_eq!(events, &want, "batch {b}: its events, in order");
    }
    let (err, events) = &calls_now[10];
    assert_eq!(err, &None);
    let want: Vec<Value> = [80, 81, 82, 83, 84, 86, 87]
        .into_iter()
        .map(|i| bev(i).to_value())
        .collect();
    assert_eq!(events, &want);
    let (err, events) = &calls_now[11];
    let err = err.as_deref().unwrap();
    assert!(
        err.starts_with("1 of the batch's 8 events not delivered")
            && err.contains("HTTP status 413"),
        "{err}"
    );
    assert_eq!(events, &vec![big(85).to_value()]);

    let (ok, failed) = reported(&calls);
    assert_eq!(ok.len() + failed.len(), 88);
    assert!(ok.values().chain(failed.values()).all(|&k| k == 1));
    assert_eq!(failed.keys().copied().collect::<Vec<_>>(), [85]);
    // What the server accepted is what the callback reported delivered, each once.
    assert_eq!(arrivals_where(&server, |r| r.status == 200), ok);
    let n = d.counters();
    assert_eq!(
        (n.delivered, n.failed, n.retried, n.in_flight),
        (87, 1, 0, 0)
    );
}

/// `close` interrupting one piece of a split batch fails the pieces not yet sent with it: all four
/// events are counted failed and reported in the one callback call, none vanishes.
#[test]
fn a_split_batch_stopped_by_close_reports_every_event() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.max_attempts = Some(1000);
    let calls = reported_batches(&mut cfg, 4);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    // One event per body; what fits is answered 503 (retried until the close).
    let one = batch_request(&c, &[bev(0)]).body.unwrap().len();
    server.set_max_body(Some(one));
    server.set_default(Reply::Status(503));
    submit_events(&d, &c, 0..4);
    // [0..4] and [0, 1] are refused as too large, then [0] is retried.
    assert!(server.wait_for(4, Duration::from_secs(5)));
    let rep = d.close(Duration::from_millis(200));
    assert!(!rep.flush.completed);
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].0.as_deref().unwrap().contains("closed"));
    assert_eq!(
        calls[0].1,
        (0..4).map(|i| bev(i).to_value()).collect::<Vec<_>>()
    );
    let n = d.counters();
    assert_eq!((n.delivered, n.failed, n.in_flight), (0, 4, 0));
}

#[test]
fn client_errors_fail_at_once_and_are_reported() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    let calls = reported_batches(&mut cfg, 2);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    server.script([Reply::Status(400)]);
    submit_events(&d, &c, 0..4);
    assert!(d.flush(Duration::from_secs(5)).completed);
    assert_eq!(server.requests().len(), 2, "no retry of a 400");
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].0.as_deref().unwrap_or("").contains("400"));
    assert_eq!(calls[0].1, vec![bev(0).to_value(), bev(1).to_value()]);
    assert_eq!(calls[1].0, None);
    let n = d.counters();
    assert_eq!(
        (n.delivered, n.failed, n.retried, n.in_flight),
        (2, 2, 0, 0)
    );
    assert!(log.contains(LogLevel::Error, "HTTP status 400"));
}

#[test]
fn slow_responses_time_out_and_are_retried() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.transport = http(300);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    server.script([Reply::Delay(Duration::from_millis(1200))]);
    let t = Instant::now();
    d.submit(Outgoing::Request(req(&c, 7))).unwrap();
    d.submit(Outgoing::Request(req(&c, 8))).unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(50),
        "submit never waits"
    );
    assert!(d.flush(Duration::from_secs(10)).completed);
    let a = arrivals(&server);
    // The slow answer came too late: the event was sent again (a duplicate the server saw twice).
    assert_eq!(a[&7], 2);
    assert_eq!(a[&8], 1);
    let n = d.counters();
    assert_eq!((n.delivered, n.retried, n.failed), (2, 1, 0));
    assert!(log.contains(LogLevel::Warning, "timed out"));
}

#[test]
fn closed_connections_are_retried() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let d = Dispatcher::new(config(&log, &server.base_url())).unwrap();
    let c = ctx();
    server.script([Reply::Close, Reply::Close]);
    for i in 0..3 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    assert!(d.flush(Duration::from_secs(10)).completed);
    let ok: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .flat_map(markers)
        .collect();
    assert_eq!(ok, [0, 1, 2]);
    assert_eq!(d.counters().delivered, 3);
}

#[test]
fn an_outage_loses_nothing() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.max_attempts = Some(50);
    cfg.batch = Some(batch(10, Duration::from_millis(50)));
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    server.stop();
    let t = Instant::now();
    for i in 0..100 {
        d.submit(Outgoing::BatchEvent {
            ctx: Arc::clone(&c),
            event: bev(i),
        })
        .unwrap();
        if i % 2 == 0 {
            d.submit(Outgoing::Request(req(&c, 1000 + i))).unwrap();
        }
    }
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "submit never waits on the network"
    );
    std::thread::sleep(Duration::from_millis(600));
    assert!(d.counters().retried > 0);
    server.restart();
    let rep = d.flush(Duration::from_secs(15));
    assert!(rep.completed, "{rep:?}");
    let a = arrivals(&server);
    for i in 0..100 {
        assert!(a.get(&i).is_some_and(|&k| k >= 1), "event {i} lost");
        if i % 2 == 0 {
            assert!(a.contains_key(&(1000 + i)), "request {i} lost");
        }
    }
    let n = d.counters();
    assert_eq!(
        (n.accepted, n.delivered, n.failed, n.dropped),
        (150, 150, 0, 0)
    );
}

#[test]
fn exhausted_retries_fail_and_are_counted() {
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(
        &log,
        &format!("http://127.0.0.1:{}", TestServer::dead_port()),
    );
    cfg.max_attempts = Some(3);
    let calls = reported_batches(&mut cfg, 5);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    submit_events(&d, &c, 0..5);
    assert!(d.flush(Duration::from_secs(5)).completed);
    let n = d.counters();
    assert_eq!(
        (n.delivered, n.failed, n.retried, n.in_flight),
        (0, 5, 10, 0)
    );
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    assert!(calls[0]
        .0
        .as_deref()
        .unwrap_or("")
        .contains("after 3 attempts"));
    assert!(log.contains(LogLevel::Error, "connection failed"));
}

// ---------------------------------------------------------------------------------------------------
// Bounds and limits

#[test]
fn the_queue_bound_holds_and_drops_are_counted() {
    let server = TestServer::start();
    server.set_default(Reply::Delay(Duration::from_millis(300)));
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.queue_capacity = 10;
    cfg.when_full = FullPolicy::DropNewest;
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    let mut accepted = 0;
    let mut worst = Duration::ZERO;
    for i in 0..200 {
        let t = Instant::now();
        if d.submit(Outgoing::Request(req(&c, i))).is_ok() {
            accepted += 1;
        }
        worst = worst.max(t.elapsed());
    }
    // At most the queue plus the one request the thread holds.
    assert!((10..=11).contains(&accepted), "{accepted}");
    assert!(worst < Duration::from_millis(20), "{worst:?}");
    let n = d.counters();
    assert_eq!(n.accepted, accepted as u64);
    assert_eq!(n.dropped, 200 - accepted as u64);
    assert!(log.contains(LogLevel::Error, "queue is full"));
    drop(d);
}

#[test]
fn a_full_queue_blocks_at_most_the_bound() {
    let server = TestServer::start();
    server.set_default(Reply::Delay(Duration::from_millis(500)));
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.queue_capacity = 2;
    cfg.when_full = FullPolicy::Block(Duration::from_millis(80));
    cfg.close_timeout = Duration::from_millis(100);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    for i in 0..3 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    let r = d.submit(Outgoing::Request(req(&c, 99)));
    let waited = t.elapsed();
    assert!(r.is_err());
    assert!(
        waited >= Duration::from_millis(75) && waited < Duration::from_millis(300),
        "{waited:?}"
    );
    assert_eq!(d.counters().dropped, 1);
}

#[test]
fn flush_and_close_respect_their_limits() {
    let server = TestServer::start();
    server.set_default(Reply::Delay(Duration::from_secs(2)));
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.transport = http(5000);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    for i in 0..5 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    let t = Instant::now();
    let rep = d.flush(Duration::from_millis(200));
    let took = t.elapsed();
    assert!(!rep.completed);
    assert_eq!(rep.outstanding, 5);
    assert!(
        took >= Duration::from_millis(195) && took < Duration::from_millis(400),
        "{took:?}"
    );
    let t = Instant::now();
    let rep = d.close(Duration::from_millis(300));
    let took = t.elapsed();
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert!(!rep.flush.completed);
    assert!(d.submit(Outgoing::Request(req(&c, 9))).is_err(), "closed");
    // Dropping after close does not wait again.
    let t = Instant::now();
    drop(d);
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[test]
fn drop_flushes_within_close_timeout() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.batch = Some(batch(100, Duration::from_secs(600)));
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    submit_events(&d, &c, 0..7);
    assert!(server.requests().is_empty(), "a partial batch waits");
    drop(d);
    assert_eq!(arrivals(&server).len(), 7);
}

#[test]
fn a_batch_is_sent_when_full_or_when_its_timer_fires() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.batch = Some(batch(4, Duration::from_millis(300)));
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    let t = Instant::now();
    submit_events(&d, &c, 0..6);
    assert!(server.wait_for(1, Duration::from_secs(2)));
    assert_eq!(markers(&server.requests()[0]), [0, 1, 2, 3]);
    assert!(server.wait_for(2, Duration::from_secs(2)));
    let waited = server.requests()[1].at - t;
    assert!(waited >= Duration::from_millis(290), "{waited:?}");
    assert_eq!(markers(&server.requests()[1]), [4, 5]);
    // A new settings context starts a new batch.
    let c2 = Arc::new(EventContext {
        sdk_key: Some("otherkey".into()),
        ..(*c).clone()
    });
    d.submit(Outgoing::BatchEvent {
        ctx: Arc::clone(&c),
        event: bev(10),
    })
    .unwrap();
    d.submit(Outgoing::BatchEvent {
        ctx: c2,
        event: bev(11),
    })
    .unwrap();
    let rep = d.flush(Duration::from_secs(2));
    let got = server.requests();
    assert!(rep.completed);
    assert_eq!(got.len(), 4);
    assert!(got[2].target.contains("env=abcdef"));
    assert!(got[3].target.contains("env=otherkey"));
    assert_eq!(got[3].header("Authorization"), Some("otherkey"));
}

/// The thread is woken when the queue holds the events that fill its partly filled batch, not for each
/// event: a queue smaller than a batch must still drain (submitters never wait for room the thread
/// will not make), and a request sent on its own goes out while a batch is filling.
#[test]
fn a_queue_smaller_than_a_batch_drains_and_requests_do_not_wait_for_the_batch() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.batch = Some(batch(100, Duration::from_secs(60)));
    cfg.queue_capacity = 3;
    cfg.when_full = FullPolicy::Block(Duration::from_secs(5));
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    submit_events(&d, &c, 0..40);
    assert_eq!(d.counters().dropped, 0);
    d.submit(Outgoing::Request(req(&c, 77))).unwrap();
    // The request goes out though the batch (40 of 100, timer at 60 s) is not due.
    assert!(server.wait_for(1, Duration::from_secs(5)));
    let rep = d.flush(Duration::from_secs(5));
    assert!(rep.completed);
    let got = server.requests();
    assert_eq!(got.len(), 2);
    let batch_request = got
        .iter()
        .find(|r| r.target.contains("batch-events"))
        .unwrap();
    assert_eq!(markers(batch_request), (0..40).collect::<Vec<_>>());
}

#[test]
fn development_mode_sends_nothing_and_logs_what_it_would_send() {
    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.development_mode = true;
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    let r = req(&c, 3);
    d.submit(Outgoing::Request(r.clone())).unwrap();
    assert!(d.flush(Duration::from_secs(2)).completed);
    assert!(server.requests().is_empty());
    assert_eq!(d.counters().delivered, 1);
    let url = r.wire_url(&Collector::new(&server.base_url(), None));
    assert!(log.contains(LogLevel::Debug, &url), "{url}");
}

// ---------------------------------------------------------------------------------------------------
// Settings fetch

#[test]
fn settings_fetch() {
    let server = TestServer::start();
    server.set_body("{\"accountId\": 123456}");
    let t = http(2000);
    let body = fetch_settings(
        &*t,
        &server.base_url(),
        "123456",
        "key 1",
        false,
        "libvwo",
        "0.1.0",
        0.25,
    )
    .unwrap();
    assert_eq!(body, "{\"accountId\": 123456}");
    let _ = fetch_settings(
        &*t,
        &server.base_url(),
        "123456",
        "k",
        true,
        "libvwo",
        "0.1.0",
        0.5,
    )
    .unwrap();
    let got = server.requests();
    assert_eq!(got[0].method, "GET");
    assert_eq!(
        got[0].target,
        "/server-side/settings?a=123456&i=key+1&r=0.25&platform=server&api-version=1&sdk=libvwo&sdk-v=0.1.0"
    );
    assert!(got[1].target.starts_with("/server-side/pull?a=123456&i=k&"));

    server.script([Reply::Status(404)]);
    let e = fetch_settings(
        &*t,
        &server.base_url(),
        "1",
        "k",
        false,
        "libvwo",
        "0.1.0",
        0.5,
    )
    .unwrap_err();
    assert!(e.to_string().contains("HTTP status 404"), "{e}");

    let before = server.requests().len();
    assert!(fetch_settings(&*t, &server.base_url(), "", "k", false, "l", "v", 0.5).is_err());
    assert!(fetch_settings(&*t, &server.base_url(), "1", "", false, "l", "v", 0.5).is_err());
    assert_eq!(server.requests().len(), before, "no request for empty ids");

    let dead = format!("http://127.0.0.1:{}", TestServer::dead_port());
    let e = fetch_settings(&*t, &dead, "1", "k", false, "l", "v", 0.5).unwrap_err();
    assert!(e.to_string().contains("connection failed"), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// Spool: a process killed mid-delivery loses nothing

const CHILD_ENV: &str = "VWO_DELIVERY_TEST_CHILD";

fn spool_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vwo-delivery-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs only inside the child process of `a_killed_process_loses_no_spooled_event`: it submits events
/// to a dead server, says so, and waits to be killed mid-retry.
#[test]
fn child_process_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '|');
    let (dir, port, n) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &format!("http://127.0.0.1:{port}"));
    cfg.spool_dir = Some(dir.into());
    cfg.max_attempts = Some(1000);
    cfg.max_retry_time = Duration::from_secs(600);
    cfg.batch = Some(batch(10, Duration::from_millis(20)));
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    for i in 0..n {
        if i % 3 == 0 {
            d.submit(Outgoing::Request(req(&c, i))).unwrap();
        } else {
            d.submit(Outgoing::BatchEvent {
                ctx: Arc::clone(&c),
                event: bev(i),
            })
            .unwrap();
        }
    }
    println!("CHILD-READY {}", d.counters().spooled);
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(30));
    panic!("the parent should have killed this process");
}

/// Starts `child_process_entry` in a child process, which spools `n` events in `dir` for a server on
/// `port` (down) and retries them until killed; returns once they are all spooled.
fn spawn_spooling_child(dir: &std::path::Path, port: u16, n: usize) -> std::process::Child {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}|{port}|{n}", dir.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("CHILD-READY") {
                let _ = tx.send(line);
                return;
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(20));
    let Ok(line) = line else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child did not get ready");
    };
    assert!(line.ends_with(&format!(" {n}")), "{line}");
    child
}

#[test]
fn a_killed_process_loses_no_spooled_event() {
    let dir = spool_dir("kill");
    let server = TestServer::start();
    let port = server.port();
    server.stop(); // down while the child runs
    let n = 200;
    let mut child = spawn_spooling_child(&dir, port, n);
    std::thread::sleep(Duration::from_millis(200)); // let it retry a few times
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();

    server.restart();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.spool_dir = Some(dir.clone());
    cfg.batch = Some(batch(10, Duration::from_millis(20)));
    let d = Dispatcher::new(cfg).unwrap();
    assert_eq!(d.counters().recovered, n as u64);
    let rep = d.flush(Duration::from_secs(10));
    assert!(rep.completed, "{rep:?}");
    let a = arrivals(&server);
    for i in 0..n {
        assert!(a.contains_key(&i), "event {i} lost");
    }
    // Recovered events are sent as they were built, byte for byte.
    let c = ctx();
    let wire = req(&c, 0).wire_target();
    assert!(server.requests().iter().any(|r| r.target == wire));
    assert_eq!(d.counters().delivered, n as u64);
    d.close(Duration::from_secs(2));
    // Everything acknowledged: a new start finds nothing to resend, and the files are gone.
    let d = Dispatcher::new({
        let mut cfg = config(&log, &server.base_url());
        cfg.spool_dir = Some(dir.clone());
        cfg
    })
    .unwrap();
    assert_eq!(d.counters().recovered, 0);
    drop(d);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.len() <= 1, "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 17: a process spools 5,000 events (a third of them requests sent on their own, the rest batch
/// events) while its collector is down and is SIGKILLed; the next process on the directory is
/// configured with another collector (another host, a base path, a collection prefix) and delivers
/// every event there, once, and none to the old collector, which is up again by then.
#[test]
fn a_restart_with_another_collector_delivers_the_spool_there() {
    let dir = spool_dir("moved");
    let old = TestServer::start();
    let port = old.port();
    old.stop();
    let n = 5000;
    let mut child = spawn_spooling_child(&dir, port, n);
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    old.restart();

    let new = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let spooled = || {
        let mut cfg = config(&log, "unused");
        cfg.collector = Collector::new(&format!("{}/gateway/", new.base_url()), Some("eu02"));
        cfg.spool_dir = Some(dir.clone());
        cfg.batch = Some(batch(100, Duration::from_millis(20)));
        cfg
    };
    let d = Dispatcher::new(spooled()).unwrap();
    assert_eq!(d.counters().recovered, n as u64);
    let t = Instant::now();
    let rep = d.flush(Duration::from_secs(60));
    assert!(rep.completed, "{rep:?}");
    println!("{n} spooled events resent in {:?}", t.elapsed());
    let a = arrivals(&new);
    assert_eq!(a.len(), n, "every event arrived at the new collector");
    assert!(a.values().all(|&k| k == 1), "no duplicate");
    assert!(
        old.requests().is_empty(),
        "nothing went to the old collector"
    );
    let got = new.requests();
    assert!(got
        .iter()
        .all(|r| r.target.starts_with("/gateway/eu02/server-side/")));
    // The requests are the ones the child built, but for the address.
    let c = ctx();
    let first = format!("/gateway/eu02{}", req(&c, 0).wire_target());
    assert!(got.iter().any(|r| r.target == first), "{first}");
    let k = d.counters();
    assert_eq!(
        (k.recovered, k.delivered, k.failed, k.retried),
        (n as u64, n as u64, 0, 0),
        "{k:?}"
    );
    drop(d);
    // All acknowledged: the next start has nothing to resend.
    let d = Dispatcher::new(spooled()).unwrap();
    assert_eq!(d.counters().recovered, 0);
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A spool written in format 1 (before issue 17: no version line, each request with the full URL it
/// was built with, contexts with their base URL and prefix), here built by hand as that code wrote
/// it, is delivered to the current collector: the requests' endpoints and queries byte for byte, the
/// batch events under their recorded context; nothing to the address the records name.
#[test]
fn a_spool_of_the_previous_format_goes_to_the_current_collector() {
    let dir = spool_dir("format1");
    std::fs::create_dir_all(&dir).unwrap();
    let old_base = format!("http://127.0.0.1:{}/old-prefix", TestServer::dead_port());
    let c = ctx();
    let mut lines = Vec::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };
    for i in 0..4 {
        let r = req(&c, i);
        let headers: Vec<Value> = r.headers.iter().map(|(k, v)| json!([k, v])).collect();
        lines.push(json!({"k": "r", "id": next(), "m": "GET",
                          "u": format!("{old_base}{}", r.wire_target()), "h": headers, "b": null}));
    }
    let us: Vec<Value> = c.usage_stats.iter().map(|(k, v)| json!([k, v])).collect();
    lines.push(
        json!({"k": "c", "n": 0, "base": old_base, "prefix": "eu01", "acc": c.account_id,
                      "key": c.sdk_key, "sdk": c.sdk_name, "sdkv": c.sdk_version, "us": us}),
    );
    for i in 10..15 {
        lines.push(json!({"k": "e", "id": next(), "c": 0, "e": bev(i).to_value()}));
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("seg-000000000001.log"), text).unwrap();

    let server = TestServer::start();
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &server.base_url());
    cfg.spool_dir = Some(dir.clone());
    cfg.batch = Some(batch(10, Duration::from_millis(20)));
    let d = Dispatcher::new(cfg).unwrap();
    assert_eq!(d.counters().recovered, 9);
    assert!(d.flush(Duration::from_secs(10)).completed);
    let got = server.requests();
    assert_eq!(got.len(), 5, "{got:?}");
    for (i, r) in got[..4].iter().enumerate() {
        assert_eq!(r.target, req(&c, i).wire_target());
        has_headers(r, &req(&c, i));
    }
    let events: Vec<RenderedEvent> = (10..15).map(bev).collect();
    let b = batch_request(&c, &events);
    assert_eq!(got[4].target, b.wire_target());
    assert_eq!(Some(got[4].body.as_str()), b.body.as_deref());
    assert_eq!(d.counters().delivered, 9);
    drop(d);
    assert!(
        !dir.join("seg-000000000001.log").exists(),
        "settled, deleted"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One dispatcher per spool directory, across processes: while a child process holds the spool, a
/// dispatcher started on it in this process fails (an options error naming the directory and the
/// child's pid) and touches nothing; once the child is SIGKILLed, its lock goes with it and the next
/// start takes the spool over and delivers the child's events.
#[test]
fn a_spool_held_by_another_process_is_refused_until_that_process_dies() {
    let dir = spool_dir("held");
    let server = TestServer::start();
    let port = server.port();
    server.stop();
    let n = 30;
    let mut child = spawn_spooling_child(&dir, port, n);
    let files_before = std::fs::read_dir(&dir).unwrap().count();
    let log = Arc::new(CaptureLogger::default());
    let spooled = |log: &Arc<CaptureLogger>| {
        let mut cfg = config(log, &server.base_url());
        cfg.spool_dir = Some(dir.clone());
        cfg.batch = Some(batch(10, Duration::from_millis(20)));
        cfg
    };
    let e = Dispatcher::new(spooled(&log)).unwrap_err();
    let alive = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    assert!(alive, "the child held the spool while the parent tried");
    assert_eq!(e.kind(), vwo::ErrorKind::InvalidOptions);
    let m = e.to_string();
    assert!(m.starts_with("delivery.spool_dir: "), "{m}");
    assert!(m.contains(&dir.display().to_string()), "{m}");
    assert!(
        m.contains(&format!("another libvwo process (pid {})", child.id())),
        "{m}"
    );
    // The refused start created no segment of its own.
    assert!(std::fs::read_dir(&dir).unwrap().count() <= files_before);

    server.restart();
    let d = Dispatcher::new(spooled(&log)).unwrap();
    assert_eq!(d.counters().recovered, n as u64);
    assert!(d.flush(Duration::from_secs(10)).completed);
    let a = arrivals(&server);
    assert_eq!(
        a.keys().copied().collect::<Vec<_>>(),
        (0..n).collect::<Vec<_>>()
    );
    assert_eq!(d.counters().delivered, n as u64);
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failed_events_stay_in_the_spool_for_the_next_start() {
    let dir = spool_dir("exhaust");
    let log = Arc::new(CaptureLogger::default());
    let server = TestServer::start();
    server.set_default(Reply::Status(503));
    let mut cfg = config(&log, &server.base_url());
    cfg.spool_dir = Some(dir.clone());
    cfg.max_attempts = Some(2);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    for i in 0..3 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    assert!(d.flush(Duration::from_secs(5)).completed);
    assert_eq!(d.counters().failed, 3);
    drop(d);
    server.set_default(Reply::Ok);
    let mut cfg = config(&log, &server.base_url());
    cfg.spool_dir = Some(dir.clone());
    let d = Dispatcher::new(cfg).unwrap();
    assert!(d.flush(Duration::from_secs(5)).completed);
    let n = d.counters();
    assert_eq!((n.recovered, n.delivered), (3, 3));
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------------
// Fork: the child starts afresh and does not send what the parent queued

const FORK_ENV: &str = "VWO_DELIVERY_TEST_FORK";

/// Runs only in a child process of `a_forked_child_does_not_resend_the_parents_events` (so that the
/// process that forks has few threads).
#[test]
fn fork_entry() {
    let Ok(port) = std::env::var(FORK_ENV) else {
        return;
    };
    let log = Arc::new(CaptureLogger::default());
    let mut cfg = config(&log, &format!("http://127.0.0.1:{port}"));
    cfg.transport = http(5000);
    let d = Dispatcher::new(cfg).unwrap();
    let c = ctx();
    // The server answers slowly: while the thread waits on event 0, events 1..4 stay queued.
    for i in 0..5 {
        d.submit(Outgoing::Request(req(&c, i))).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: the child only runs the dispatcher (fresh thread, sockets) and then `_exit`s.
    #[allow(unsafe_code)]
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let ok = (|| {
            for i in 100..103 {
                d.submit(Outgoing::Request(req(&c, i))).ok()?;
            }
            let rep = d.flush(Duration::from_secs(10));
            (rep.completed && d.counters().accepted == 3 && d.counters().delivered == 3)
                .then_some(())
        })()
        .is_some();
        // SAFETY: leave without running the parent's destructors or the test harness.
        #[allow(unsafe_code)]
        unsafe {
            libc::_exit(if ok { 0 } else { 3 })
        };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    #[allow(unsafe_code)]
    let w = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(w, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    assert!(d.flush(Duration::from_secs(15)).completed);
    assert_eq!(d.counters().delivered, 5);
}

#[test]
fn a_forked_child_does_not_resend_the_parents_events() {
    let server = TestServer::start();
    server.script([Reply::Delay(Duration::from_millis(400))]);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fork_entry", "--nocapture", "--test-threads=1"])
        .env(FORK_ENV, server.port().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let a = arrivals(&server);
    let expect: BTreeMap<usize, usize> = [0, 1, 2, 3, 4, 100, 101, 102]
        .into_iter()
        .map(|k| (k, 1))
        .collect();
    assert_eq!(a, expect, "each event exactly once");
}

const FORK_SPOOL_ENV: &str = "VWO_DELIVERY_TEST_FORK_SPOOL";

/// Runs only in a child process of `a_forked_child_does_not_keep_the_spool_locked`: a dispatcher with
/// a spool forks; the child uses it (a fresh dispatcher without the spool) and lives on, while the
/// parent closes its dispatcher and starts a new one on the same directory.
#[test]
fn fork_spool_entry() {
    let Ok(spec) = std::env::var(FORK_SPOOL_ENV) else {
        return;
    };
    let (dir, port) = spec.split_once('|').unwrap();
    let dir = std::path::PathBuf::from(dir);
    let log = Arc::new(CaptureLogger::default());
    let spooled = || {
        let mut cfg = config(&log, &format!("http://127.0.0.1:{port}"));
        cfg.spool_dir = Some(dir.clone());
        cfg
    };
    let d = Dispatcher::new(spooled()).unwrap();
    let c = ctx();
    d.submit(Outgoing::Request(req(&c, 0))).unwrap();
    assert!(d.flush(Duration::from_secs(5)).completed);
    let ready = dir.join("child-ready");
    // SAFETY: the child only runs the dispatcher (fresh thread, sockets), sleeps and `_exit`s.
    #[allow(unsafe_code)]
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let ok = d.submit(Outgoing::Request(req(&c, 1))).is_ok()
            && d.flush(Duration::from_secs(5)).completed
            && std::fs::write(&ready, b"1").is_ok();
        std::thread::sleep(Duration::from_secs(10));
        // SAFETY: leave without running the parent's destructors or the test harness.
        #[allow(unsafe_code)]
        unsafe {
            libc::_exit(if ok { 0 } else { 3 })
        };
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ready.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let child_ready = ready.exists();
    // The child is alive, holding a copy of every descriptor the parent had at the fork.
    d.close(Duration::from_secs(2));
    let next = Dispatcher::new(spooled());
    // SAFETY: signalling and reaping our own child.
    #[allow(unsafe_code)]
    let reaped = unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0)
    };
    assert!(child_ready, "the child did not submit its event");
    assert_eq!(reaped, pid);
    let next = next.expect("the spool must be free once the parent closed, the child alive or not");
    next.submit(Outgoing::Request(req(&c, 2))).unwrap();
    assert!(next.flush(Duration::from_secs(5)).completed);
}

#[test]
fn a_forked_child_does_not_keep_the_spool_locked() {
    let dir = spool_dir("fork");
    let server = TestServer::start();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "fork_spool_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            FORK_SPOOL_ENV,
            format!("{}|{}", dir.display(), server.port()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let a = arrivals(&server);
    let expect: BTreeMap<usize, usize> = [0, 1, 2].into_iter().map(|k| (k, 1)).collect();
    assert_eq!(a, expect, "each event exactly once");
    let _ = std::fs::remove_dir_all(&dir);
}
