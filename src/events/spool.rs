//! The on-disk spool: every event the dispatcher accepts is appended here before `submit` returns, and
//! acknowledged once its fate is settled, so a process killed mid-delivery loses nothing: the next
//! dispatcher started on the same directory sends what was never acknowledged (at least once).
//!
//! Layout: segment files `seg-<n>.log` (one JSON record per line: event contexts, requests, batch
//! events, each with a spool-wide increasing id) and beside each an append-only `seg-<n>.ack` (one id
//! per line).
//!
//! Format, versioned per segment: a segment starts with `{"k":"v","v":2}`; one without that line is
//! of format 1 (libvwo before the header existed). Records keep what an event *is* — a request's
//! endpoint path, query pairs, headers and body; a batch event's context (account, SDK key, SDK name
//! and version, usage stats) — never the host it was to go to: the dispatcher resolves that from its
//! current configuration when it sends, so a restart with another base URL or collection prefix
//! delivers to the new collector. Format 1 kept each request's full URL (host and prefix included):
//! such a record is read back as the endpoint its path ends with and its decoded query, and goes to
//! the current collector like any other; format 1's context records named a base URL and prefix,
//! which are ignored. Segments of a later format are left untouched: neither read nor deleted.
//! New records always go to a new segment of the current format, so no file mixes formats. A new segment starts when the current one passes its size; a segment whose records are
//! all acknowledged is deleted (that is the compaction: nothing is rewritten in place). The total size
//! is bounded: past it, new events are refused.
//!
//! Durability (see docs/RELIABILITY.md): a record is written with one `write(2)` before `submit`
//! returns, so it survives the process being killed; it is `fdatasync`ed by the dispatcher thread
//! before the event is first sent, so it survives a power loss from then on. Acknowledgements are not
//! synced: losing one only causes a duplicate.
//!
//! One dispatcher per directory: `open` takes an exclusive advisory lock (`flock(2)`) on the file
//! `spool.lock` in the directory and holds it until [`Spool::close`] or the spool is dropped; the
//! kernel releases it when the process ends, however it ends, so a killed process's spool is taken
//! over by the next one. A second open while it is held (another process, or another client of this
//! one) fails with an options error naming the directory and the holder's process id, which the lock
//! file records. The lock file is never deleted: removing it while another process waits to lock it
//! would let two processes each hold a lock on a different file of the same name.
//!
//! This module owns the files and nothing else: it does not send, retry or decide.

use super::dispatcher::Outgoing;
use super::pyjson::write_json_string;
use super::wire::{BatchShape, EventContext, EventRequest, HttpMethod, RenderedEvent, ENDPOINTS};
use crate::error::{Error, ErrorKind};
use arc_swap::ArcSwapOption;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Where an accepted event lives in the spool; handed back to [`Spool::ack`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolTicket {
    segment: u64,
    id: u64,
}

/// An event found unacknowledged when the spool was opened.
#[derive(Debug)]
pub struct Recovered {
    /// Its place in the spool.
    pub ticket: SpoolTicket,
    /// The event, as it was submitted (a format-1 request: its URL's endpoint and decoded query).
    pub outgoing: Outgoing,
}

struct Segment {
    log: File,
    ack: Option<File>,
    bytes: u64,
    outstanding: u64,
    dirty: bool,
    /// Contexts written to this segment, by identity, with their number in it.
    contexts: Vec<(Arc<EventContext>, u64)>,
}

struct State {
    next_id: u64,
    current_no: u64,
    segments: BTreeMap<u64, Segment>,
    total_bytes: u64,
    line: String,
    /// [`Spool::close`] was called: nothing is written any more (the lock is released).
    closed: bool,
}

/// An open spool directory. Shared by the callers of `submit` (append) and the dispatcher thread
/// (sync, ack); one lock, held for one `write(2)`.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    state: Mutex<State>,
    /// The locked `spool.lock`, held while this spool may write. Not behind `state`'s mutex, so that a
    /// forked child can let go of its inherited copy without taking a lock the parent's threads may
    /// have held at the fork.
    dir_lock: ArcSwapOption<File>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.dir)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("spool: {what} {}: {e}", path.display()),
    )
}

/// The format this spool writes (the header line of every segment it creates).
pub const FORMAT: u64 = 2;

/// The header line of a segment of the current format.
fn format_header() -> String {
    format!("{{\"k\":\"v\",\"v\":{FORMAT}}}\n")
}

/// The largest segment number and record id a spool writes or reads. Both start at 1 and grow by one
/// per segment or event, so no spool reaches 2^53; a larger one in a file was not written by libvwo,
/// and is ignored like any other line or file that is not ours (so that the numbers that follow it,
/// `+ 1`, cannot overflow).
const MAX_NUMBER: u64 = 1 << 53;

/// The lock file's name in the spool directory.
pub const LOCK_FILE: &str = "spool.lock";

/// Takes the exclusive advisory lock of `file` without waiting: `Ok(false)` when another open file
/// (of this process or another) holds it.
#[allow(unsafe_code)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd as _;
    loop {
        // SAFETY: `flock` takes two integers and touches no memory of ours; the descriptor is
        // `file`'s, open for the whole call since `file` is borrowed. (`File::try_lock` does the same
        // safely but needs Rust 1.89; the crate supports 1.82.)
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// Locks `dir`'s lock file for this process (writing its pid into it), or says who holds it.
fn lock_dir(dir: &Path) -> Result<File, Error> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_err("cannot open", &path, e))?;
    if !try_lock(&file).map_err(|e| io_err("cannot lock", &path, e))? {
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let holder = match text.trim().parse::<u32>() {
            Ok(pid) if pid == std::process::id() => {
                format!("another client of this process (pid {pid})")
            }
            Ok(pid) => format!("another libvwo process (pid {pid})"),
            Err(_) => "another libvwo process or client".to_owned(),
        };
        return Err(Error::options(
            "delivery.spool_dir",
            format_args!(
                "the spool directory {} is in use by {holder}: a spool directory serves one client \
                 at a time; close that client, or give this one another directory",
                dir.display()
            ),
        ));
    }
    // Who holds it, for the message above (informative only: the lock is what counts).
    let pid = format!("{}\n", std::process::id());
    if file.set_len(0).is_ok() {
        let _ = file.write_all(pid.as_bytes());
    }
    Ok(file)
}

fn seg_path(dir: &Path, no: u64, ext: &str) -> PathBuf {
    dir.join(format!("seg-{no:012}.{ext}"))
}

/// A `&'static str` for a header or query-parameter name read back from disk. The names libvwo uses
/// are known; others are leaked once each, at most 256 of them.
fn intern(s: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        // Query parameters of the event builders.
        "random",
        "sdk",
        "sdk-v",
        "ap",
        "sId",
        "u",
        "account_id",
        "env",
        "visitor_ua",
        "visitor_ip",
        "experiment_id",
        "combination",
        "ed",
        "goal_id",
        "r",
        "tags",
        "en",
        "a",
        "eTime",
        "p",
        // Headers.
        "User-Agent",
        "Content-Type",
        "Authorization",
        "X-Device-User-Agent",
        "VWO-X-Forwarded-For",
        "eb",
        "ig",
        "ss",
        "cl",
        "ll",
        "tr",
        "gt",
        "pi",
        "_l",
    ];
    if let Some(k) = KNOWN.iter().find(|k| **k == s) {
        return Some(k);
    }
    static EXTRA: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut extra = EXTRA.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = extra.iter().find(|k| **k == s) {
        return Some(k);
    }
    if extra.len() >= 256 {
        return None;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    extra.push(leaked);
    Some(leaked)
}

fn write_pairs(out: &mut String, pairs: &[(&'static str, String)]) {
    out.push('[');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_json_string(out, k);
        out.push(',');
        write_json_string(out, v);
        out.push(']');
    }
    out.push(']');
}

fn read_pairs(v: Option<&Value>) -> Vec<(&'static str, String)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let k = intern(p.get(0)?.as_str()?)?;
                    Some((k, p.get(1)?.as_str()?.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn write_context(out: &mut String, no: u64, ctx: &EventContext) {
    use std::fmt::Write as _;
    let _ = write!(out, "{{\"k\":\"c\",\"n\":{no},\"acc\":");
    out.push_str(&serde_json::to_string(&ctx.account_id).unwrap_or_else(|_| "null".into()));
    out.push_str(",\"key\":");
    match &ctx.sdk_key {
        Some(k) => write_json_string(out, k),
        None => out.push_str("null"),
    }
    out.push_str(",\"sdk\":");
    write_json_string(out, &ctx.sdk_name);
    out.push_str(",\"sdkv\":");
    write_json_string(out, &ctx.sdk_version);
    out.push_str(",\"us\":");
    write_pairs(out, &ctx.usage_stats);
    if ctx.shape == BatchShape::Fme {
        out.push_str(",\"shape\":\"fme\"");
    }
    out.push_str("}\n");
}

/// A context record read back (format 1's `base` and `prefix`, where its events were to go, are
/// ignored: the dispatcher's collector decides).
fn read_context(v: &Value) -> Option<EventContext> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(EventContext {
        account_id: v.get("acc").cloned().unwrap_or(Value::Null),
        sdk_key: s("key"),
        sdk_name: s("sdk")?,
        sdk_version: s("sdkv")?,
        usage_stats: read_pairs(v.get("us")),
        shape: match v.get("shape").and_then(Value::as_str) {
            Some("fme") => BatchShape::Fme,
            _ => BatchShape::V1,
        },
    })
}

fn write_request(out: &mut String, id: u64, req: &EventRequest) {
    use std::fmt::Write as _;
    let m = match req.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let _ = write!(out, "{{\"k\":\"r\",\"id\":{id},\"m\":\"{m}\",\"p\":");
    write_json_string(out, &req.path);
    out.push_str(",\"q\":");
    write_pairs(out, &req.query);
    out.push_str(",\"h\":");
    write_pairs(out, &req.headers);
    out.push_str(",\"b\":");
    match &req.body {
        Some(b) => write_json_string(out, b),
        None => out.push_str("null"),
    }
    out.push_str("}\n");
}

/// A request record: format 2's path and query pairs, or format 1's full URL.
fn read_request(v: &Value, format: u64) -> Option<EventRequest> {
    let (path, query) = if format >= 2 {
        (v.get("p")?.as_str()?.to_owned(), read_pairs(v.get("q")))
    } else {
        endpoint_of_v1_url(v.get("u")?.as_str()?)
    };
    Some(EventRequest {
        method: match v.get("m")?.as_str()? {
            "GET" => HttpMethod::Get,
            _ => HttpMethod::Post,
        },
        path,
        query,
        headers: read_pairs(v.get("h")),
        body: v.get("b").and_then(Value::as_str).map(str::to_owned),
    })
}

/// The endpoint and query of a format-1 record's URL (`scheme://host[/base path][/prefix]endpoint?query`,
/// the query encoded by `quote_plus`). The path is the builders' endpoint it ends with, so that the
/// old base URL's path and the old prefix go with the old host and the current collector supplies
/// its own; a path libvwo never built is kept whole below the host. The query is decoded into its
/// pairs, which encode back to the same bytes. A key past the interned names' limit is dropped.
fn endpoint_of_v1_url(url: &str) -> (String, Vec<(&'static str, String)>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let below_host = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
    let (path, query) = below_host.split_once('?').unwrap_or((below_host, ""));
    let path = match ENDPOINTS.iter().find(|e| path.ends_with(**e)) {
        Some(e) => (*e).to_owned(),
        None if path.is_empty() => "/".to_owned(),
        None => path.to_owned(),
    };
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((intern(&form_decode(k))?, form_decode(v)))
        })
        .collect();
    (path, pairs)
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space, `%XX` a byte), lossy UTF-8.
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let hex = |c: u8| (c as char).to_digit(16);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Spool {
    /// Opens (creating it if needed) the spool in `dir`, bounded to `max_bytes` on disk, and returns
    /// the events never acknowledged, oldest first. Fully acknowledged segments are deleted. Fails
    /// with an [`ErrorKind::InvalidOptions`] error naming `delivery.spool_dir` and the directory when
    /// another spool (another process, or another client of this one) holds the directory.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<(Spool, Vec<Recovered>), Error> {
        fs::create_dir_all(dir).map_err(|e| io_err("cannot create", dir, e))?;
        // Before anything is read: the segments are the holder's until it lets go.
        let lock = lock_dir(dir)?;
        let mut logs = Vec::new();
        let mut acks = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| io_err("cannot read", dir, e))? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(rest) = name.strip_prefix("seg-") else {
                continue;
            };
            let number = |ext: &str| {
                rest.strip_suffix(ext)
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|&n| n <= MAX_NUMBER)
            };
            if let Some(no) = number(".log") {
                logs.push(no);
            } else if let Some(no) = number(".ack") {
                acks.push(no);
            }
        }
        logs.sort_unstable();
        let mut max_id = 0u64;
        let mut recovered = Vec::new();
        let mut segments = BTreeMap::new();
        let mut total_bytes = 0u64;
        for &no in &logs {
            let ack_path = seg_path(dir, no, "ack");
            let mut acked = HashSet::new();
            if let Ok(f) = File::open(&ack_path) {
                // Lines as bytes: one that is not UTF-8 is skipped, not the end of the file.
                for line in BufReader::new(f).split(b'\n').map_while(Result::ok) {
                    if let Some(id) = std::str::from_utf8(&line)
                        .ok()
                        .and_then(|l| l.trim().parse::<u64>().ok())
                        .filter(|&id| id <= MAX_NUMBER)
                    {
                        max_id = max_id.max(id);
                        acked.insert(id);
                    }
                }
            }
            let log_path = seg_path(dir, no, "log");
            let f = File::open(&log_path).map_err(|e| io_err("cannot open", &log_path, e))?;
            let mut contexts: Vec<(u64, Arc<EventContext>)> = Vec::new();
            let mut outstanding = 0u64;
            // Format 1 until a header says otherwise (format 1 had none).
            let mut format = 1u64;
            let mut seg_recovered = Vec::new();
            for line in BufReader::new(f).split(b'\n').map_while(Result::ok) {
                // A line cut by a crash, or not ours, is skipped: its event was never acknowledged
                // to anyone as spooled (the write that carried it did not complete). Read as bytes,
                // so that a line that is not UTF-8 (a write cut inside a character) is skipped too
                // rather than ending the segment.
                let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                    continue;
                };
                // Ids never repeat within the directory, whatever the format of the segment.
                let id = v.get("id").and_then(Value::as_u64).unwrap_or(0);
                if id > MAX_NUMBER {
                    continue;
                }
                max_id = max_id.max(id);
                if format > FORMAT {
                    continue;
                }
                let outgoing = match v.get("k").and_then(Value::as_str) {
                    Some("v") => {
                        format = v.get("v").and_then(Value::as_u64).unwrap_or(u64::MAX);
                        continue;
                    }
                    Some("c") => {
                        if let (Some(n), Some(ctx)) =
                            (v.get("n").and_then(Value::as_u64), read_context(&v))
                        {
                            contexts.push((n, Arc::new(ctx)));
                        }
                        continue;
                    }
                    _ if acked.contains(&id) => continue,
                    Some("r") => read_request(&v, format).map(Outgoing::Request),
                    Some("e") => {
                        let n = v.get("c").and_then(Value::as_u64);
                        let ctx = contexts
                            .iter()
                            .rev()
                            .find(|(k, _)| Some(*k) == n)
                            .map(|(_, c)| Arc::clone(c));
                        match (ctx, v.get("e")) {
                            (Some(ctx), Some(event)) => Some(Outgoing::BatchEvent {
                                ctx,
                                event: RenderedEvent::from(event),
                            }),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let Some(outgoing) = outgoing {
                    outstanding += 1;
                    seg_recovered.push(Recovered {
                        ticket: SpoolTicket { segment: no, id },
                        outgoing,
                    });
                }
            }
            if format > FORMAT {
                // Written by a later libvwo: not ours to send or delete; it counts against the bound.
                total_bytes += fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
                continue;
            }
            recovered.append(&mut seg_recovered);
            if outstanding == 0 {
                let _ = fs::remove_file(&log_path);
                let _ = fs::remove_file(&ack_path);
                continue;
            }
            let bytes = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
            total_bytes += bytes;
            let log = OpenOptions::new()
                .append(true)
                .open(&log_path)
                .map_err(|e| io_err("cannot open", &log_path, e))?;
            segments.insert(
                no,
                Segment {
                    log,
                    ack: None,
                    bytes,
                    outstanding,
                    dirty: false,
                    contexts: Vec::new(),
                },
            );
        }
        // Acknowledgement files whose log is gone (deleted just before a crash) mean nothing now.
        for no in acks {
            if !segments.contains_key(&no) {
                let _ = fs::remove_file(seg_path(dir, no, "ack"));
            }
        }
        let current_no = logs.last().map_or(1, |n| n + 1);
        let seg = Self::new_segment(dir, current_no)?;
        total_bytes += seg.bytes;
        segments.insert(current_no, seg);
        let segment_bytes = (max_bytes / 8).clamp(64 * 1024, 8 * 1024 * 1024);
        Ok((
            Spool {
                dir: dir.to_owned(),
                max_bytes,
                segment_bytes,
                state: Mutex::new(State {
                    next_id: max_id + 1,
                    current_no,
                    segments,
                    total_bytes,
                    line: String::with_capacity(1024),
                    closed: false,
                }),
                dir_lock: ArcSwapOption::from_pointee(lock),
            },
            recovered,
        ))
    }

    fn new_segment(dir: &Path, no: u64) -> Result<Segment, Error> {
        let path = seg_path(dir, no, "log");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err("cannot create", &path, e))?;
        let header = format_header();
        (&log)
            .write_all(header.as_bytes())
            .map_err(|e| io_err("cannot write", &path, e))?;
        // The new file's name must survive a power loss too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Segment {
            log,
            ack: None,
            bytes: header.len() as u64,
            outstanding: 0,
            dirty: false,
            contexts: Vec::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends `outgoing` with one `write(2)` (not synced: see [`Spool::sync`]). Fails when the spool
    /// would pass its size bound or the write fails; nothing is then recorded.
    pub fn append(&self, outgoing: &Outgoing) -> Result<SpoolTicket, Error> {
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.closed {
            return Err(Error::new(
                ErrorKind::Internal,
                "the dispatcher is closed (its spool is released)",
            ));
        }
        let needs_rotation = st
            .segments
            .get(&st.current_no)
            .is_none_or(|s| s.bytes >= self.segment_bytes);
        if needs_rotation {
            self.rotate(st)?;
        }
        let id = st.next_id;
        let no = st.current_no;
        let mut line = std::mem::take(&mut st.line);
        line.clear();
        let Some(seg) = st.segments.get_mut(&no) else {
            return Err(Error::new(ErrorKind::Internal, "spool: no current segment"));
        };
        // A context record is remembered only once its line is on disk.
        let mut new_context = None;
        match outgoing {
            Outgoing::Request(req) => write_request(&mut line, id, req),
            Outgoing::BatchEvent { ctx, event } => {
                let known = seg
                    .contexts
                    .iter()
                    .find(|(c, _)| Arc::ptr_eq(c, ctx))
                    .map(|(_, n)| *n);
                let n = match known {
                    Some(n) => n,
                    None => {
                        let n = seg.contexts.len() as u64;
                        write_context(&mut line, n, ctx);
                        new_context = Some((Arc::clone(ctx), n));
                        n
                    }
                };
                use std::fmt::Write as _;
                let _ = write!(line, "{{\"k\":\"e\",\"id\":{id},\"c\":{n},\"e\":");
                line.push_str(event.as_str());
                line.push_str("}\n");
            }
        }
        let len = line.len() as u64;
        if st.total_bytes + len > self.max_bytes {
            st.line = line;
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "spool {} is full ({} of {} bytes)",
                    self.dir.display(),
                    st.total_bytes,
                    self.max_bytes
                ),
            ));
        }
        let result = seg.log.write_all(line.as_bytes());
        st.line = line;
        if let Err(e) = result {
            // A partial line is skipped when read back; the next record starts on a fresh line.
            let _ = seg.log.write_all(b"\n");
            return Err(io_err("cannot write", &seg_path(&self.dir, no, "log"), e));
        }
        if let Some(c) = new_context {
            seg.contexts.push(c);
        }
        seg.bytes += len;
        seg.outstanding += 1;
        seg.dirty = true;
        st.total_bytes += len;
        st.next_id += 1;
        Ok(SpoolTicket { segment: no, id })
    }

    /// Starts a new current segment; the old one is deleted if nothing in it is outstanding.
    fn rotate(&self, st: &mut State) -> Result<(), Error> {
        let old = st.current_no;
        let no = old + 1;
        let seg = Self::new_segment(&self.dir, no)?;
        st.total_bytes += seg.bytes;
        st.segments.insert(no, seg);
        st.current_no = no;
        if st.segments.get(&old).is_some_and(|s| s.outstanding == 0) {
            self.delete(st, old);
        }
        Ok(())
    }

    fn delete(&self, st: &mut State, no: u64) {
        if let Some(seg) = st.segments.remove(&no) {
            st.total_bytes = st.total_bytes.saturating_sub(seg.bytes);
            // The log goes first: an orphan ack file is harmless, an orphan log would be resent.
            let _ = fs::remove_file(seg_path(&self.dir, no, "log"));
            let _ = fs::remove_file(seg_path(&self.dir, no, "ack"));
        }
    }

    /// `fdatasync`s every segment written since the last sync. Called by the dispatcher thread before
    /// it sends what it has just taken from the queue.
    pub fn sync(&self) -> Result<(), Error> {
        // The files are synced outside the lock so that `submit` never waits for a disk flush.
        let files: Vec<(u64, File)> = {
            let mut st = self.lock();
            st.segments
                .iter_mut()
                .filter(|(_, s)| s.dirty)
                .filter_map(|(no, s)| {
                    s.dirty = false;
                    s.log.try_clone().ok().map(|f| (*no, f))
                })
                .collect()
        };
        for (no, f) in files {
            f.sync_data()
                .map_err(|e| io_err("cannot sync", &seg_path(&self.dir, no, "log"), e))?;
        }
        Ok(())
    }

    /// Marks events as settled (delivered, or failed for good). Segments left with nothing outstanding
    /// are deleted, the current one too once it has grown past a quarter of its size.
    pub fn ack(&self, tickets: &[SpoolTicket]) {
        if tickets.is_empty() {
            return;
        }
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.closed {
            // The directory may belong to another spool by now: an event settled this late is sent
            // again by it (a duplicate, never a loss).
            return;
        }
        let mut text = String::with_capacity(tickets.len() * 8);
        let mut i = 0;
        while i < tickets.len() {
            let no = tickets[i].segment;
            text.clear();
            let mut n = 0u64;
            while i < tickets.len() && tickets[i].segment == no {
                text.push_str(&tickets[i].id.to_string());
                text.push('\n');
                n += 1;
                i += 1;
            }
            let Some(seg) = st.segments.get_mut(&no) else {
                continue;
            };
            seg.outstanding = seg.outstanding.saturating_sub(n);
            let done = seg.outstanding == 0;
            if done && (no != st.current_no || seg.bytes >= self.segment_bytes / 4) {
                if no == st.current_no {
                    if self.rotate(st).is_err() {
                        continue;
                    }
                } else {
                    self.delete(st, no);
                }
                continue;
            }
            if seg.ack.is_none() {
                seg.ack = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(seg_path(&self.dir, no, "ack"))
                    .ok();
            }
            if let Some(f) = seg.ack.as_mut() {
                let _ = f.write_all(text.as_bytes());
            }
        }
    }

    /// Bytes on disk, all segments.
    pub fn bytes(&self) -> u64 {
        self.lock().total_bytes
    }

    /// Deletes every segment with nothing outstanding (called when the dispatcher closes).
    pub fn compact(&self) {
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.closed {
            return;
        }
        let done: Vec<u64> = st
            .segments
            .iter()
            .filter(|(_, s)| s.outstanding == 0)
            .map(|(no, _)| *no)
            .collect();
        for no in done {
            self.delete(st, no);
        }
    }

    /// Compacts, stops writing (later appends fail, acknowledgements are ignored) and releases the
    /// directory's lock, so that another spool may open it. Idempotent.
    pub fn close(&self) {
        self.compact();
        let mut st = self.lock();
        st.closed = true;
        // Released while `state` is held, so that no write of this spool can follow.
        self.dir_lock.store(None);
    }

    /// In a forked child: closes the child's copy of the lock file's descriptor (the parent's keeps
    /// the lock), so that the lock goes with the parent even if the child lives on. Touches no mutex.
    pub fn release_in_forked_child(&self) {
        self.dir_lock.store(None);
    }

    /// Whether this spool still holds its directory.
    pub fn holds_lock(&self) -> bool {
        self.dir_lock.load().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Collector;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vwo-spool-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn ctx() -> Arc<EventContext> {
        Arc::new(EventContext {
            account_id: serde_json::json!(123456),
            sdk_key: Some("k".into()),
            sdk_name: "libvwo".into(),
            sdk_version: "0.1.0".into(),
            usage_stats: vec![("ss", "1".into()), ("_l", "1".into())],
            shape: BatchShape::V1,
        })
    }

    #[test]
    fn round_trip_ack_and_compaction() {
        let dir = tmp("rt");
        let req = EventRequest {
            method: HttpMethod::Get,
            path: "/server-side/track-user".into(),
            query: vec![("a", "1 2".into()), ("visitor_ua", "ü a/b".into())],
            headers: vec![("User-Agent", "libvwo".into())],
            body: None,
        };
        let c = ctx();
        {
            let (s, rec) = Spool::open(&dir, 1 << 20).unwrap();
            assert!(rec.is_empty());
            let t1 = s.append(&Outgoing::Request(req.clone())).unwrap();
            let _t2 = s
                .append(&Outgoing::BatchEvent {
                    ctx: Arc::clone(&c),
                    event: serde_json::json!({"u": "U", "eT": 1}).into(),
                })
                .unwrap();
            s.sync().unwrap();
            s.ack(&[t1]);
        }
        let (s, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert_eq!(rec.len(), 1);
        match &rec[0].outgoing {
            Outgoing::BatchEvent { ctx, event } => {
                assert_eq!(ctx.account_id, c.account_id);
                assert_eq!(ctx.usage_stats, c.usage_stats);
                assert_eq!(event.as_str(), r#"{"u": "U", "eT": 1}"#);
            }
            Outgoing::Request(_) => panic!("expected the batch event"),
        }
        s.ack(&[rec[0].ticket]);
        drop(s);
        let (s, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert!(rec.is_empty());
        let t = s.append(&Outgoing::Request(req.clone())).unwrap();
        drop(s);
        let (_s, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert_eq!(rec.len(), 1);
        assert!(rec[0].ticket.id > t.id || rec[0].ticket == t);
        match &rec[0].outgoing {
            Outgoing::Request(r) => assert_eq!(r, &req),
            Outgoing::BatchEvent { .. } => panic!("expected the request"),
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_spool_per_directory() {
        let dir = tmp("lock");
        let (a, _) = Spool::open(&dir, 1 << 20).unwrap();
        assert!(a.holds_lock());
        let e = Spool::open(&dir, 1 << 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOptions);
        let m = e.to_string();
        assert!(m.starts_with("delivery.spool_dir: "), "{m}");
        assert!(m.contains(&dir.display().to_string()), "{m}");
        assert!(
            m.contains(&format!(
                "another client of this process (pid {})",
                std::process::id()
            )),
            "{m}"
        );
        // Refused before anything was read or created: the holder's files are as they were.
        let req = Outgoing::Request(EventRequest {
            method: HttpMethod::Get,
            path: "/x".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        });
        let t = a.append(&req).unwrap();
        a.close();
        assert!(!a.holds_lock());
        assert!(a.append(&req).is_err(), "a closed spool writes nothing");
        a.ack(&[t]);
        // Released by close: the next one takes over, and finds the unacknowledged event.
        let (b, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert_eq!(rec.len(), 1);
        assert!(Spool::open(&dir, 1 << 20).is_err());
        // Released by drop as well.
        drop(b);
        let (c, _) = Spool::open(&dir, 1 << 20).unwrap();
        drop(c);
        assert!(
            dir.join(LOCK_FILE).exists(),
            "the lock file is never deleted"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn bounded() {
        let dir = tmp("bound");
        let (s, _) = Spool::open(&dir, 4096).unwrap();
        let req = Outgoing::Request(EventRequest {
            method: HttpMethod::Post,
            path: "/x".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Some("x".repeat(500)),
        });
        let mut ok = 0;
        for _ in 0..20 {
            if s.append(&req).is_ok() {
                ok += 1;
            }
        }
        assert!((5..10).contains(&ok), "{ok}");
        assert!(s.bytes() <= 4096);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn format_1_records_keep_their_endpoint_and_query_and_lose_their_host() {
        let dir = tmp("v1");
        fs::create_dir_all(&dir).unwrap();
        // Lines as format 1 wrote them (no header; requests with their full URL; contexts with the
        // base URL and prefix of the process that spooled them).
        let get = "http://old-host:8080/gw/eu01/server-side/track-user?random=0.5&sdk=libvwo&u=ABC&visitor_ua=%C3%BC+a%2Fb&ed=%7B%22p%22%3A+%22server%22%7D";
        let post = "https://old-host/events/t?en=CUSTOM&a=1&p=FS";
        let odd = "http://old-host/custom/hook";
        let lines = [
            format!(r#"{{"k":"r","id":1,"m":"GET","u":"{get}","h":[["User-Agent","libvwo"]],"b":null}}"#),
            format!(r#"{{"k":"r","id":2,"m":"POST","u":"{post}","h":[["Content-Type","application/json"]],"b":"{{\"d\": 1}}"}}"#),
            format!(r#"{{"k":"r","id":3,"m":"GET","u":"{odd}","h":[],"b":null}}"#),
            r#"{"k":"c","n":0,"base":"http://old-host:8080","prefix":"eu01","acc":123456,"key":"k","sdk":"libvwo","sdkv":"0.1.0","us":[["ss","1"]]}"#.to_owned(),
            r#"{"k":"e","id":4,"c":0,"e":{"u": "ABC", "eT": 1}}"#.to_owned(),
            r#"{"k":"e","id":5,"c":0,"e":{"u": "DEF", "eT": 1}}"#.to_owned(),
        ];
        fs::write(seg_path(&dir, 7, "log"), lines.join("\n") + "\n").unwrap();
        fs::write(seg_path(&dir, 7, "ack"), "5\n").unwrap();
        let now = Collector::new("http://new-host:9/base/", Some("eu02"));
        let (s, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert_eq!(rec.len(), 4);
        let urls: Vec<String> = rec[..3]
            .iter()
            .map(|r| match &r.outgoing {
                Outgoing::Request(req) => req.wire_url(&now),
                Outgoing::BatchEvent { .. } => panic!("expected a request"),
            })
            .collect();
        assert_eq!(
            urls,
            [
                "http://new-host:9/base/eu02/server-side/track-user?random=0.5&sdk=libvwo&u=ABC&visitor_ua=%C3%BC+a%2Fb&ed=%7B%22p%22%3A+%22server%22%7D",
                "http://new-host:9/base/eu02/events/t?en=CUSTOM&a=1&p=FS",
                "http://new-host:9/base/eu02/custom/hook",
            ]
        );
        match &rec[0].outgoing {
            Outgoing::Request(req) => {
                assert_eq!(req.query[3], ("visitor_ua", "ü a/b".to_owned()));
                assert_eq!(req.headers, [("User-Agent", "libvwo".to_owned())]);
            }
            Outgoing::BatchEvent { .. } => unreachable!(),
        }
        match &rec[3].outgoing {
            Outgoing::BatchEvent { ctx, event } => {
                assert_eq!(ctx.account_id, serde_json::json!(123456));
                assert_eq!(ctx.usage_stats, [("ss", "1".to_owned())]);
                assert_eq!(event.as_str(), r#"{"u": "ABC", "eT": 1}"#);
            }
            Outgoing::Request(_) => panic!("expected the batch event"),
        }
        // New records go to a new segment of the current format; the old one goes once settled.
        let t = s.append(&rec[0].outgoing).unwrap();
        assert!(t.segment > 7);
        let text = fs::read_to_string(seg_path(&dir, t.segment, "log")).unwrap();
        assert!(text.starts_with(&format_header()), "{text}");
        assert!(
            text.contains(r#""p":"/server-side/track-user","q":[["random","0.5"]"#),
            "{text}"
        );
        s.ack(&rec.iter().map(|r| r.ticket).collect::<Vec<_>>());
        s.ack(&[t]);
        s.close();
        assert!(!seg_path(&dir, 7, "log").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn segments_of_a_later_format_are_left_alone() {
        let dir = tmp("v9");
        fs::create_dir_all(&dir).unwrap();
        let later = "{\"k\":\"v\",\"v\":9}\n{\"k\":\"r\",\"id\":1,\"m\":\"GET\",\"z\":1}\n";
        fs::write(seg_path(&dir, 1, "log"), later).unwrap();
        let (s, rec) = Spool::open(&dir, 1 << 20).unwrap();
        assert!(rec.is_empty());
        assert!(s.bytes() >= later.len() as u64);
        s.close();
        assert_eq!(fs::read_to_string(seg_path(&dir, 1, "log")).unwrap(), later);
        let _ = fs::remove_dir_all(&dir);
    }
}
