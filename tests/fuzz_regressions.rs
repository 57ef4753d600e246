//! Regression tests for what the fuzz targets of `fuzz/` found (docs/RELIABILITY.md, "Fuzzing"): each
//! test is a crashing or failing input, reduced to what matters, in the ordinary test suite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use std::path::PathBuf;
use vwo::events::spool::Spool;
use vwo::events::Outgoing;

fn spool_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vwo-fuzz-regression-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A request record of spool format 1 (a full URL): format 1 is still read, and it is what these
/// crashes were found with.
fn request_line(id: u64, marker: &str) -> String {
    let url = format!("https://h/server-side/track-user?m={marker}");
    json!({"k": "r", "id": id, "m": "GET", "u": url, "h": [], "b": null}).to_string() + "\n"
}

fn target(marker: &str) -> String {
    format!("/server-side/track-user?m={marker}")
}

fn recovered_urls(dir: &std::path::Path) -> Vec<String> {
    let (spool, recovered) = Spool::open(dir, 64 << 20).unwrap();
    spool.close();
    recovered
        .iter()
        .filter_map(|r| match &r.outgoing {
            Outgoing::Request(req) => Some(req.wire_target()),
            _ => None,
        })
        .collect()
}

/// fuzz target `spool`, crash-da39a3ee (the empty input): a segment file numbered u64::MAX made
/// `Spool::open` overflow computing the next segment's number (a panic in a debug build, a wrap to
/// segment 0 in release); so did a record or acknowledged id of u64::MAX for the next id.
#[test]
fn spool_numbers_near_u64_max_do_not_overflow() {
    let dir = spool_dir("max");
    std::fs::write(
        dir.join(format!("seg-{:012}.log", u64::MAX)),
        request_line(1, "max-segment"),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("seg-{:012}.log", 7)),
        request_line(u64::MAX, "max-id") + &request_line(3, "ok"),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("seg-{:012}.ack", 7)),
        format!("{}\n", u64::MAX),
    )
    .unwrap();
    // Numbers libvwo cannot have written are not ours: ignored, and the rest is recovered.
    assert_eq!(recovered_urls(&dir), vec![target("ok")]);
    let (spool, _) = Spool::open(&dir, 64 << 20).unwrap();
    let t = spool
        .append(&Outgoing::Request(vwo::events::EventRequest {
            method: vwo::events::HttpMethod::Get,
            path: "/server-side/track-user".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }))
        .unwrap();
    spool.ack(&[t]);
    spool.close();
    let _ = std::fs::remove_dir_all(&dir);
}

/// fuzz target `spool`, crash-107d8ace: a line that is not UTF-8 (garbage, or a record cut inside a
/// multi-byte character by a failed write, after which the spool writes a newline and goes on in the
/// same segment) ended the reading of its segment: the records after it were not recovered, and a
/// segment left with nothing outstanding was deleted with them.
#[test]
fn a_line_that_is_not_utf8_does_not_hide_the_records_after_it() {
    let dir = spool_dir("utf8");
    let mut log = request_line(1, "before").into_bytes();
    log.extend_from_slice(b"{\"k\":\"r\",\"id\":2,\"u\":\"\xc3\n");
    log.extend_from_slice(b"\xff\xfe garbage\n");
    log.extend_from_slice(request_line(3, "after").as_bytes());
    std::fs::write(dir.join(format!("seg-{:012}.log", 1)), log).unwrap();
    let mut ack = b"\xff\n".to_vec();
    ack.extend_from_slice(b"1\n");
    std::fs::write(dir.join(format!("seg-{:012}.ack", 1)), ack).unwrap();
    assert_eq!(recovered_urls(&dir), vec![target("after")]);
    let _ = std::fs::remove_dir_all(&dir);
}
