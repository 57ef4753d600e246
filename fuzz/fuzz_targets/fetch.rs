//! The settings fetch's response handling (src/events/fetch.rs `fetch_settings`, then the client's
//! `Settings::from_json` of what it returns), through a fake `Transport` that answers with a fuzzed
//! status and body, or a transport error. Input: 2 bytes of status (or 0xFFFF: a transport error),
//! then account id, SDK key and base URL separated by NUL bytes, then the body after a third NUL.
//!
//! Checks: never a panic; an empty account id or key is refused without a request; otherwise exactly
//! one GET, to the base URL's `/server-side/settings`; a 200 returns the body unchanged and anything
//! else (status or transport error) is an error naming it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Mutex;
use vwo::events::{fetch_settings, EventRequest, HttpMethod, Response, Transport, TransportError};
use vwo::{ErrorKind, Settings};

struct Fake {
    answer: Result<(u16, String), String>,
    seen: Mutex<Vec<(String, EventRequest)>>,
}

impl Transport for Fake {
    fn execute(&self, url: &str, req: &EventRequest) -> Result<Response, TransportError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((url.to_owned(), req.clone()));
        }
        match &self.answer {
            Ok((status, body)) => Ok(Response {
                status: *status,
                retry_after: None,
                body: body.clone(),
            }),
            Err(m) => Err(TransportError::Connect(m.clone())),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]);
    let mut parts = data[2..].splitn(4, |&b| b == 0);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (account, key, base) = (next(), next(), next());
    let body = next();
    let base = if base.is_empty() {
        "https://dev.visualwebsiteoptimizer.com".to_string()
    } else {
        base
    };
    let fake = Fake {
        answer: if status == u16::MAX {
            Err(body.clone())
        } else {
            Ok((status, body.clone()))
        },
        seen: Mutex::new(Vec::new()),
    };
    let got = fetch_settings(
        &fake,
        &base,
        &account,
        &key,
        data[0] & 1 == 1,
        "libvwo",
        "0.1.0",
        0.5,
    );
    let seen = fake.seen.lock().map(|s| s.clone()).unwrap_or_default();
    if account.trim().is_empty() || key.trim().is_empty() {
        let e = got.expect_err("an empty account id or key was accepted");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            seen.is_empty(),
            "a request was sent for an empty account id or key"
        );
        return;
    }
    assert_eq!(seen.len(), 1, "one request per fetch");
    let (url, req) = &seen[0];
    assert_eq!(req.method, HttpMethod::Get);
    assert!(url.starts_with(base.trim_end_matches('/')));
    assert!(req.path == "/server-side/settings" || req.path == "/server-side/pull");
    let _ = req.wire_target();
    match (status, got) {
        (200, Ok(text)) => {
            assert_eq!(text, body);
            // What the client does with it.
            if let Err(e) = Settings::from_json(&text) {
                assert!(!e.message().is_empty());
            }
        }
        (u16::MAX, Err(e)) => assert_eq!(e.kind(), ErrorKind::Internal),
        (s, Err(e)) if s != 200 => {
            assert_eq!(e.kind(), ErrorKind::Internal);
            assert!(
                e.message().contains(&format!("HTTP status {s}")),
                "{}",
                e.message()
            );
        }
        (s, r) => panic!("status {s} answered {r:?}"),
    }
});
