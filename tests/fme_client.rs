//! The FME client over real sockets: settings fetched from a server on 127.0.0.1, events delivered to
//! it by libvwo's dispatcher, webhook pulls, polling and its end at `close`, two clients side by side
//! (POLICY F5), `flush_events` (F3), no request for a decision with nothing to send (F2), invalid
//! settings refused with their JSON path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use vwo::fme::{FmeClient, FmeOptions};
use vwo::ErrorKind;

fn settings(traffic: u32) -> String {
    json!({"version": 1, "accountId": 7, "sdkKey": "key", "pollInterval": 600000,
        "features": [{"id": 1, "key": "f", "name": "F", "type": "FEATURE_FLAG", "status": "ON",
            "metrics": [{"id": 1, "type": "CUSTOM_GOAL", "identifier": "e"}],
            "rules": [{"type": "FLAG_ROLLOUT", "ruleKey": "r", "campaignId": 1, "variationId": 1}]},
            {"id": 2, "key": "quiet", "name": "Q", "type": "FEATURE_FLAG", "status": "ON",
            "metrics": [], "rules": []}],
        "campaigns": [{"id": 1, "type": "FLAG_ROLLOUT", "key": "f_r", "name": "r", "status": "RUNNING",
            "segments": {}, "variations": [{"id": 1, "name": "on", "weight": traffic, "segments": {},
                "variables": [{"id": 1, "key": "v", "type": "integer", "value": traffic}]}]}]})
    .to_string()
}

fn options(server: &TestServer) -> FmeOptions {
    let mut o = FmeOptions {
        sdk_key: "key".into(),
        account_id: json!(7),
        base_url: Some(server.base_url()),
        ..FmeOptions::default()
    };
    o.delivery.flush_timeout = Duration::from_secs(5);
    o
}

fn paths(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.target.split('?').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn init_fetches_the_settings_and_events_arrive_over_http() {
    let server = TestServer::start();
    server.set_body(&settings(100));
    let client = FmeClient::init(options(&server)).unwrap();
    let first = &server.requests()[0];
    assert_eq!(first.method, "GET");
    let (path, query) = first.target.split_once('?').unwrap();
    assert_eq!(path, "/server-side/v2-settings");
    let keys: Vec<&str> = query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["i", "r", "a", "platform", "api-version", "sn", "sv", "s"]
    );
    assert!(
        query.starts_with("i=key&r=0.") && query.ends_with("&s=prod"),
        "{query}"
    );

    let flag = client.get_flag("f", &json!({"id": "u1"}));
    assert!(flag.is_enabled());
    assert_eq!(flag.variable("v"), Some(&json!(100)));
    assert!(client.track_event(&json!("e"), &json!({"id": "u1"}), None));
    assert!(!client.track_event(&json!("nope"), &json!({"id": "u1"}), None));
    client.set_attributes(&json!({"plan": "gold"}), &json!({"id": "u1"}));
    // F3: true once everything accepted before the call was delivered.
    assert!(client.flush_events());
    let got = paths(&server);
    assert_eq!(
        got,
        [
            "/server-side/v2-settings",
            "/events/t",                    // vwo_fmeSdkInit
            "/server-side/batch-events-v2", // the get_flag impression
            "/events/t",                    // the custom event
            "/events/t",                    // vwo_sdkDebug: EVENT_NOT_FOUND
            "/events/t",                    // vwo_syncVisitorProp
        ]
    );
    let reqs = server.requests();
    assert!(reqs[1]
        .target
        .starts_with("/events/t?en=vwo_fmeSdkInit&a=7&eTime="));
    assert_eq!(reqs[2].header("Authorization"), Some("key"));
    let batch: Value = serde_json::from_str(&reqs[2].body).unwrap();
    assert_eq!(batch["ev"][0]["d"]["event"]["props"]["id"], json!(1));
    assert!(reqs[4].target.starts_with("/events/t?en=vwo_sdkDebug"));
    let counters = client.counters().unwrap();
    assert_eq!((counters.delivered, counters.failed), (5, 0));
    client.close();
}

#[test]
fn a_decision_with_nothing_to_send_sends_nothing() {
    // F2: the reference posts `{"ev": []}` for it.
    let server = TestServer::start();
    server.set_body(&settings(100));
    let mut o = options(&server);
    o.settings = Some(settings(100));
    o.poll_interval = Some(Duration::ZERO);
    let client = FmeClient::init(o).unwrap();
    assert!(client.flush_events());
    let before = server.requests().len();
    let flag = client.get_flag("quiet", &json!({"id": "u1"}));
    assert!(!flag.is_enabled());
    assert!(client.flush_events());
    assert_eq!(server.requests().len(), before);
}

#[test]
fn update_settings_pulls_validates_and_keeps_the_old_on_failure() {
    let server = TestServer::start();
    server.set_body(&settings(0));
    let mut o = options(&server);
    o.settings = Some(settings(100));
    o.poll_interval = Some(Duration::ZERO);
    let client = FmeClient::init(o).unwrap();
    assert!(client.get_flag("f", &json!({"id": "u1"})).is_enabled());
    // Webhook: `/server-side/v2-pull`.
    client.update_settings(None, true).unwrap();
    assert!(!client.get_flag("f", &json!({"id": "u1"})).is_enabled());
    assert!(paths(&server).contains(&"/server-side/v2-pull".to_owned()));
    // Given settings.
    client.update_settings(Some(&settings(100)), true).unwrap();
    assert!(client.get_flag("f", &json!({"id": "u1"})).is_enabled());
    // Invalid: an error naming the path; the current settings stay.
    let err = client
        .update_settings(
            Some(
                r#"{"version": 1, "accountId": 7, "sdkKey": "k", "features": 5, "campaigns": []}"#,
            ),
            true,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSettings);
    assert!(err.message().contains("features"), "{}", err.message());
    assert!(client.get_flag("f", &json!({"id": "u1"})).is_enabled());
    assert!(client.settings_json().contains("\"weight\":100"));
    client.close();
}

#[test]
fn invalid_settings_fail_init_naming_the_json_path() {
    let server = TestServer::start();
    let mut o = options(&server);
    o.settings = Some(r#"{"version": 1, "accountId": 7, "sdkKey": "k", "features": [], "campaigns": [{"id": 1}]}"#.into());
    let err = FmeClient::init(o).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidSettings);
    assert!(err.message().contains("campaigns[0]"), "{}", err.message());
    let err = FmeClient::init(FmeOptions::default()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidOptions);
    assert!(err.message().contains("sdk_key"));
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn polling_refreshes_without_pausing_decisions_and_stops_at_close() {
    let server = TestServer::start();
    server.set_body(&settings(100));
    let mut a = options(&server);
    a.poll_interval = Some(Duration::from_secs(1));
    let polled = FmeClient::init(a).unwrap();
    let mut b = options(&server);
    b.poll_interval = Some(Duration::from_secs(1));
    let other = FmeClient::init(b).unwrap();
    assert!(polled.get_flag("f", &json!({"id": "u1"})).is_enabled());
    server.set_body(&settings(0));
    assert!(
        wait_until(Duration::from_secs(5), || !polled
            .get_flag("f", &json!({"id": "u1"}))
            .is_enabled()),
        "the poll did not bring the new settings"
    );
    // F5: closing one client stops its polling, not the other's.
    polled.close();
    server.set_body(&settings(100));
    assert!(
        wait_until(Duration::from_secs(5), || other
            .get_flag("f", &json!({"id": "u1"}))
            .is_enabled()),
        "the other client stopped polling"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !polled.get_flag("f", &json!({"id": "u1"})).is_enabled(),
        "a closed client went on polling"
    );
    // Dropping a client ends its polling thread: the drop does not wait for the next poll.
    let t = Instant::now();
    drop(other);
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn batched_events_go_out_as_batch_events_v2_requests() {
    let server = TestServer::start();
    let mut o = options(&server);
    o.settings = Some(settings(100));
    o.poll_interval = Some(Duration::ZERO);
    o.batch_events = Some(vwo::client::BatchEventsConfig {
        events_per_request: 3,
        request_time_interval: 600.0,
        flush_callback: None,
    });
    let client = FmeClient::init(o).unwrap();
    for i in 0..5 {
        client.get_flag("f", &json!({"id": format!("u{i}")}));
    }
    assert!(client.flush_events());
    let reqs = server.requests();
    let batches: Vec<usize> = reqs
        .iter()
        .filter(|r| {
            r.target
                .starts_with("/server-side/batch-events-v2?a=7&env=key&sn=")
        })
        .map(|r| {
            let v: Value = serde_json::from_str(&r.body).unwrap();
            v["ev"].as_array().unwrap().len()
        })
        .collect();
    // The init event and five impressions: two full batches of 3 (the flush sends the rest).
    assert_eq!(batches.iter().sum::<usize>(), 6, "{batches:?}");
    assert!(batches.iter().all(|&n| n <= 3));
    assert!(reqs.iter().all(|r| !r.target.starts_with("/events/t")));
}

#[test]
fn an_invalid_polled_answer_keeps_the_current_settings() {
    // docs/COMPATIBILITY.md: 1.65.0 applies a polled answer unvalidated (Q7); libvwo keeps what works.
    let server = TestServer::start();
    server.set_body(&settings(100));
    let mut o = options(&server);
    o.poll_interval = Some(Duration::from_secs(1));
    let client = FmeClient::init(o).unwrap();
    server.set_body(r#"{"version": 1, "accountId": 7, "sdkKey": "key", "features": 5}"#);
    let polls = || {
        paths(&server)
            .iter()
            .filter(|p| *p == "/server-side/v2-settings")
            .count()
    };
    assert!(wait_until(Duration::from_secs(5), || polls() >= 3));
    assert!(client.get_flag("f", &json!({"id": "u1"})).is_enabled());
    assert!(client.settings_json().contains("\"weight\":100"));
    client.close();
}

#[test]
fn a_gateway_resolves_location_segments_and_receives_every_event() {
    // §5.5 against a fake gateway on 127.0.0.1 that answers `/get-user-details` (and everything else)
    // with the visitor's details.
    let server = TestServer::start();
    server.set_body(
        r#"{"location": {"country": "India", "city": "Pune"}, "userAgent": {"os": "Linux"}}"#,
    );
    let s = json!({"version": 1, "accountId": 7, "sdkKey": "key", "collectionPrefix": "eu01",
        "features": [{"id": 1, "key": "geo", "name": "G", "type": "FEATURE_FLAG", "status": "ON",
            "metrics": [], "rules": [{"type": "FLAG_ROLLOUT", "ruleKey": "r", "campaignId": 1, "variationId": 1}]}],
        "campaigns": [{"id": 1, "type": "FLAG_ROLLOUT", "key": "geo_r", "name": "r", "status": "RUNNING",
            "segments": {}, "variations": [{"id": 1, "name": "on", "weight": 100,
                "segments": {"or": [{"and": [{"country": "India"}]}]}, "variables": []}]}]});
    let mut o = options(&server);
    o.base_url = None;
    o.gateway_service = Some(format!("{}/some/path", server.base_url()));
    o.settings = Some(s.to_string());
    o.poll_interval = Some(Duration::ZERO);
    o.batch_events = Some(vwo::client::BatchEventsConfig::default());
    let client = FmeClient::init(o).unwrap();
    // No IP, no user agent: no gateway call, and the location leaf sees no data.
    assert!(!client.get_flag("geo", &json!({"id": "u1"})).is_enabled());
    assert!(!paths(&server).contains(&"/get-user-details".to_owned()));
    let flag = client.get_flag(
        "geo",
        &json!({"id": "u1", "ip_address": "203.0.113.9", "user_agent": "Mozilla/5.0 (X11)"}),
    );
    assert!(flag.is_enabled());
    // Pre-resolved `_vwo` data: no call.
    let calls = || {
        paths(&server)
            .iter()
            .filter(|p| *p == "/get-user-details")
            .count()
    };
    let before = calls();
    let flag = client.get_flag(
        "geo",
        &json!({"id": "u2", "ip_address": "1.2.3.4", "_vwo": {"location": {"country": "Peru"}}}),
    );
    assert!(!flag.is_enabled());
    assert_eq!(calls(), before);
    assert!(client.flush_events());
    let reqs = server.requests();
    let details = reqs
        .iter()
        .find(|r| r.target.starts_with("/get-user-details"))
        .unwrap();
    assert_eq!(
        details.target,
        "/get-user-details?userAgent=Mozilla%2F5.0+%28X11%29&ipAddress=203.0.113.9"
    );
    // Through the gateway: no collection prefix, no batch endpoint (SDK batching is off), each
    // impression its own `/events/t` POST.
    assert!(reqs
        .iter()
        .all(|r| !r.target.starts_with("/eu01") && !r.target.contains("batch-events")));
    let shown = reqs
        .iter()
        .filter(|r| r.target.starts_with("/events/t?en=vwo_variationShown"))
        .count();
    assert_eq!(shown, 1);
    client.close();
}
