//! The spool reader (src/events/spool.rs `Spool::open`) on corrupted segment and ack files. The input
//! describes up to 4 segments, each a `seg-<n>.log` made of valid request records, garbage lines,
//! context + batch-event records and a record cut short (as a crash leaves it), and an optional
//! `seg-<n>.ack` of acknowledged ids and garbage; they are written into a fresh directory, then opened.
//!
//! Checks, from the spool's documented contract (docs/RELIABILITY.md, "The spool"): opening never
//! panics; every valid record whose id is not acknowledged is recovered (garbage and cut lines are
//! skipped, not a reason to drop what follows), in file order; the opened spool takes a new event;
//! segment numbers and ids above 2^53 are not libvwo's and are ignored;
//! once everything recovered and the new event are acknowledged and the spool closed, opening the
//! directory again recovers nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;
use vwo::events::spool::Spool;
use vwo::events::{EventRequest, HttpMethod, Outgoing};

/// Segment numbers and record ids above this are not libvwo's (src/events/spool.rs `MAX_NUMBER`).
const MAX_NUMBER: u64 = 1 << 53;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("vwo-fuzz-spool-{}", std::process::id()))
}

fn target_of(o: &Outgoing) -> Option<String> {
    match o {
        Outgoing::Request(r) => Some(r.wire_target()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let dir = dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");

    // The request records that must come back, in the order the spool reads them (by segment number).
    let mut segments: Vec<(u64, Vec<String>)> = Vec::new();
    let count = b.byte() % 4 + 1;
    let mut used = HashSet::new();
    for s in 0..count {
        let no = match b.byte() % 4 {
            0 => u64::MAX - u64::from(b.byte() % 2),
            1 => b.u64(),
            _ => u64::from(b.byte()),
        };
        if !used.insert(no) {
            continue;
        }
        let mut log: Vec<u8> = Vec::new();
        let mut mine: Vec<(u64, String)> = Vec::new();
        let mut next_id = 1u64;
        let mut has_context = false;
        for r in 0..(b.byte() % 8) {
            match b.byte() % 5 {
                0 | 1 => {
                    let id = match b.byte() % 8 {
                        0 => b.u64(),
                        1 => u64::MAX,
                        _ => next_id,
                    };
                    next_id = next_id.wrapping_add(1);
                    // A format-1 record (a full URL, still read); it comes back as its endpoint and
                    // query.
                    let url = format!("https://fuzz.invalid/server-side/track-user?s={s}&r={r}");
                    let line = json!({"k": "r", "id": id, "m": "GET", "u": url,
                                      "h": [["User-Agent", "libvwo"]], "b": null});
                    log.extend_from_slice(line.to_string().as_bytes());
                    log.push(b'\n');
                    mine.push((id, format!("/server-side/track-user?s={s}&r={r}")));
                }
                2 => {
                    let n = b.byte() as usize % 64;
                    log.extend_from_slice(b.take(n));
                    log.push(b'\n');
                }
                3 => {
                    if !has_context {
                        let c = json!({"k": "c", "n": 0, "base": "https://dev.visualwebsiteoptimizer.com",
                                       "prefix": null, "acc": 1, "key": "k", "sdk": "libvwo",
                                       "sdkv": "0.1.0", "us": []});
                        log.extend_from_slice(c.to_string().as_bytes());
                        log.push(b'\n');
                        has_context = true;
                    }
                    let e = json!({"k": "e", "id": next_id, "c": 0, "e": {"eT": 1, "u": "x"}});
                    next_id = next_id.wrapping_add(1);
                    log.extend_from_slice(e.to_string().as_bytes());
                    log.push(b'\n');
                }
                _ => {
                    // A record cut by a crash: no newline, and the write after restart goes elsewhere,
                    // but the next record of this segment follows a newline the spool writes.
                    let line =
                        json!({"k": "r", "id": next_id, "m": "POST", "u": "https://cut.invalid/"});
                    let text = line.to_string();
                    let cut = b.byte() as usize % text.len();
                    log.extend_from_slice(&text.as_bytes()[..cut]);
                    log.push(b'\n');
                }
            }
        }
        let name_plain = b.byte() % 16 == 0;
        let name = if name_plain {
            format!("seg-{no}")
        } else {
            format!("seg-{no:012}")
        };
        std::fs::write(dir.join(format!("{name}.log")), &log).expect("write log");
        let mut acked: HashSet<u64> = HashSet::new();
        if b.byte() % 2 == 0 {
            let mut ack: Vec<u8> = Vec::new();
            for (id, _) in &mine {
                if b.byte() % 3 == 0 {
                    ack.extend_from_slice(format!("{id}\n").as_bytes());
                }
            }
            let n = b.byte() as usize % 32;
            ack.extend_from_slice(b.take(n));
            for line in ack.split(|&c| c == b'\n') {
                if let Ok(id) = String::from_utf8_lossy(line).trim().parse::<u64>() {
                    acked.insert(id);
                }
            }
            std::fs::write(dir.join(format!("{name}.ack")), &ack).expect("write ack");
        }
        if name_plain || no > MAX_NUMBER {
            // A name or number libvwo does not write: no promise about its records, only no panic.
            continue;
        }
        let expect: Vec<String> = mine
            .into_iter()
            .filter(|(id, _)| !acked.contains(id) && *id != 0 && *id <= MAX_NUMBER)
            .map(|(_, u)| u)
            .collect();
        segments.push((no, expect));
    }
    segments.sort_by_key(|(no, _)| *no);
    let expected: Vec<String> = segments.into_iter().flat_map(|(_, e)| e).collect();

    let (spool, recovered) = match Spool::open(&dir, 64 << 20) {
        Ok(x) => x,
        Err(e) => {
            // Only a directory holding a name libvwo does not write may fail to open.
            assert!(e.message().contains("seg-"), "open failed: {}", e.message());
            return;
        }
    };
    let urls: Vec<String> = recovered
        .iter()
        .filter_map(|r| target_of(&r.outgoing))
        .collect();
    let mut last = 0usize;
    for u in &expected {
        let Some(i) = urls.iter().position(|x| x == u) else {
            panic!("not recovered: {u}; recovered {urls:?}");
        };
        assert!(i >= last, "out of order: {u}");
        last = i;
    }

    // The spool still works: a new event, then everything acknowledged.
    let new = Outgoing::Request(EventRequest {
        method: HttpMethod::Get,
        path: "/server-side/track-user".into(),
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
    });
    let mut tickets: Vec<_> = recovered.iter().map(|r| r.ticket).collect();
    if let Ok(t) = spool.append(&new) {
        tickets.push(t);
    }
    spool.ack(&tickets);
    spool.close();
    drop(spool);
    let (again, left) = Spool::open(&dir, 64 << 20).expect("reopen");
    assert!(
        left.is_empty(),
        "acknowledged events came back: {}",
        left.len()
    );
    again.close();
});
