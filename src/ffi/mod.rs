//! The C ABI of libvwo: every `extern "C"` item and every line of unsafe code of the crate.
//!
//! `include/vwo.h` is generated from this module by cbindgen (see `build.rs`); the `///` comments here
//! are the header's text, written for a C reader. The conventions are rustls-ffi's:
//!
//! * opaque handles (`vwo_client`), `vwo_<noun>_<verb>` names, `vwo_client_free(NULL)` is a no-op;
//! * fallible functions return a `vwo_status` with stable numbers; results go to trailing
//!   out-parameters written only on success; the text of the last error is per thread
//!   (`vwo_last_error_message`);
//! * every string libvwo allocates is freed with `vwo_string_free`;
//! * every export runs inside one panic boundary (`boundary::guard`): a panic becomes `VWO_PANIC`.
//!
//! This layer converts arguments and results; it decides nothing. Raw pointers are turned into Rust
//! values only in `convert` (strings, buffers, out-parameters) and `callbacks` (host functions).
#![allow(non_camel_case_types)]

mod boundary;
mod call_options;
mod callbacks;
mod compact;
mod convert;
mod fme;
mod options;
#[cfg(test)]
mod tests;

pub use callbacks::{
    vwo_callbacks, vwo_flush_fn, vwo_integrations_fn, vwo_logger_fn, vwo_storage_get_fn,
    vwo_storage_set_fn,
};
pub use fme::{vwo_flag, vwo_fme_client};

use crate::client::{DEFAULT_BASE_URL, NO_OPTIONS};
use crate::{
    CallOptions, Client, DeliveryCounters, DeliveryOptions, FlushReport, TrackCampaigns,
    TrackResult,
};
use boundary::{guard, guard_status, Failure};
use callbacks::Plugins;
use convert::{
    arg_opt_str, arg_str, copy_to_buffer, non_null, owned_c_string, parse_json, write_out,
};
use serde_json::{Map, Value};
use std::ffi::{c_char, CString};
use std::rc::Rc;
use std::time::Duration;

/// A status: what a fallible function did. The numbers are stable and never reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vwo_status {
    /// Success. The out-parameters were written.
    VWO_OK = 0,
    /// A pointer argument that must not be NULL was NULL.
    VWO_NULL_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    VWO_INVALID_UTF8 = 2,
    /// A JSON argument is not valid JSON (or is nested more than 128 levels deep).
    VWO_INVALID_JSON = 3,
    /// The settings are not a valid VWO settings file; the message names the JSON path.
    VWO_INVALID_SETTINGS = 4,
    /// A launch or per-call option is unknown (launch options only), of the wrong type or out of range;
    /// the message names it.
    VWO_INVALID_OPTIONS = 5,
    /// An argument has the wrong JSON type or value (e.g. a list of campaign keys that is not a list).
    VWO_INVALID_ARGUMENT = 6,
    /// A request to VWO failed (connection, timeout or HTTP status).
    VWO_NETWORK = 7,
    /// The caller's buffer is too small; the needed length was written (see the function).
    VWO_BUFFER_TOO_SMALL = 8,
    /// libvwo panicked inside the call. The client stays usable; please report the message.
    VWO_PANIC = 9,
    /// Something inside libvwo failed (e.g. a thread could not be started).
    VWO_INTERNAL = 10,
    /// The built-in user storage could not be opened at launch (launch option `user_storage`): its
    /// file is unreadable, not a directory, or corrupt; the message names the path.
    VWO_STORAGE = 11,
}

/// Passed as a timeout: use the launch option's default (`delivery.flush_timeout_ms` for a flush,
/// `delivery.close_timeout_ms` for a close).
pub const VWO_TIMEOUT_DEFAULT: u64 = u64::MAX;

/// A client: settings, user storage, hooks and the event delivery thread. Create with
/// `vwo_client_launch`, destroy with `vwo_client_free`. Every function taking a `const vwo_client *`
/// may be called from many threads at once; `vwo_client_free` must be the last call on it.
pub struct vwo_client {
    client: Client,
    batching: bool,
    flush_timeout: Duration,
    close_timeout: Duration,
    /// The name ids of the compact calls (`compact.rs`).
    names: compact::NameIds,
}

/// Delivery counters of a client's event thread (all since launch).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct vwo_delivery_counters {
    /// Events accepted for delivery.
    pub accepted: u64,
    /// Events found unacknowledged in the spool at launch and sent again (possible duplicates).
    pub recovered: u64,
    /// Events VWO acknowledged (or development mode swallowed).
    pub delivered: u64,
    /// Re-sends after a failed attempt, counted per event.
    pub retried: u64,
    /// Events that failed for good (rejected, retries exhausted, or unsent at close).
    pub failed: u64,
    /// Events refused (queue full, spool full, client closed).
    pub dropped: u64,
    /// Events written to the spool.
    pub spooled: u64,
    /// Events accepted or recovered and not yet delivered or failed.
    pub in_flight: u64,
}

/// User-storage counters of a client (all since launch). All zero for host storage callbacks.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct vwo_storage_counters {
    /// Lookups asked of the store.
    pub reads: u64,
    /// Lookups that found a record.
    pub hits: u64,
    /// Lookups that failed (timeout, Redis down, unreadable record): decided as "nothing stored".
    pub read_errors: u64,
    /// Records accepted for writing.
    pub writes: u64,
    /// Records the store acknowledged (Redis replied; the file store committed to disk).
    pub written: u64,
    /// Write attempts that failed (each failed attempt of a retried Redis write counts).
    pub write_errors: u64,
    /// Writes given up: retries exhausted, too many pending, or refused by the store.
    pub writes_dropped: u64,
    /// Writes accepted and not yet acknowledged nor given up (Redis writes in the background).
    pub pending: u64,
    /// Records evicted to stay within the memory store's `maxEntries`.
    pub evicted: u64,
}

impl From<crate::StorageCounters> for vwo_storage_counters {
    fn from(c: crate::StorageCounters) -> Self {
        vwo_storage_counters {
            reads: c.reads,
            hits: c.hits,
            read_errors: c.read_errors,
            writes: c.writes,
            written: c.written,
            write_errors: c.write_errors,
            writes_dropped: c.writes_dropped,
            pending: c.pending,
            evicted: c.evicted,
        }
    }
}

/// What a flush (or the flush that starts a close) achieved.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct vwo_flush_report {
    /// Everything accepted before the call was delivered or failed for good.
    pub completed: bool,
    /// Events accepted before the call whose fate was still open when it returned.
    pub outstanding: u64,
    /// How long the call waited, in milliseconds.
    pub waited_ms: u64,
    /// Whether the launch options turned event batching on (vwo-python-sdk's `flush_events` result).
    pub batch_events_enabled: bool,
    /// The counters when the call returned.
    pub counters: vwo_delivery_counters,
}

impl From<DeliveryCounters> for vwo_delivery_counters {
    fn from(c: DeliveryCounters) -> Self {
        vwo_delivery_counters {
            accepted: c.accepted,
            recovered: c.recovered,
            delivered: c.delivered,
            retried: c.retried,
            failed: c.failed,
            dropped: c.dropped,
            spooled: c.spooled,
            in_flight: c.in_flight,
        }
    }
}

fn report_of(r: Option<FlushReport>, batching: bool) -> vwo_flush_report {
    match r {
        Some(r) => vwo_flush_report {
            completed: r.completed,
            outstanding: r.outstanding,
            waited_ms: u64::try_from(r.waited.as_millis()).unwrap_or(u64::MAX),
            batch_events_enabled: batching,
            counters: r.counters.into(),
        },
        None => vwo_flush_report {
            completed: true,
            batch_events_enabled: batching,
            ..Default::default()
        },
    }
}

/// The handle behind a `const vwo_client *`.
///
/// # Safety
/// `ptr` is NULL or a live handle from `vwo_client_launch` not yet passed to `vwo_client_free`.
unsafe fn client_ref<'a>(ptr: *const vwo_client) -> Result<&'a vwo_client, Failure> {
    non_null(ptr, "client")?;
    // SAFETY: non-NULL and, by the caller's contract, a live handle; only shared access is taken.
    Ok(unsafe { &*ptr })
}

/// Writes one of the client's counter sets (all zero when it has none) to `out`.
///
/// # Safety
/// `client` is NULL or a live handle; `out` is NULL or valid for a write.
unsafe fn counters_call<T: Default, C: Into<T>>(
    client: *const vwo_client,
    out: *mut T,
    get: impl FnOnce(&Client) -> Option<C>,
) -> Result<(), Failure> {
    // SAFETY: forwarded contract.
    let h = unsafe { client_ref(client) }?;
    non_null(out, "counters_out")?;
    let c = get(&h.client).map(Into::into).unwrap_or_default();
    // SAFETY: checked non-NULL; valid for a write (caller's contract).
    unsafe { write_out(out, c) };
    Ok(())
}

/// Per-call options: NULL is none (the fast path: no allocation, no JSON); a text seen before on this
/// thread is not parsed again (`call_options`).
///
/// # Safety
/// As `convert::arg_str`.
#[inline(always)]
unsafe fn call_options(ptr: *const c_char) -> Result<Option<Rc<CallOptions>>, Failure> {
    // SAFETY: forwarded contract.
    let Some(text) = (unsafe { arg_opt_str(ptr, "options_json") })? else {
        return Ok(None);
    };
    call_options::call_options(text).map(Some)
}

fn timeout(ms: u64, default: Duration) -> Duration {
    if ms == VWO_TIMEOUT_DEFAULT {
        default
    } else {
        Duration::from_millis(ms)
    }
}

// ------------------------------------------------------------------------------------------- library

/// The library version, e.g. `"0.1.0"` (the same as `VWO_VERSION_MAJOR.MINOR.PATCH`).
///
/// Returns a static string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn vwo_version() -> *const c_char {
    guard("vwo_version", c"?".as_ptr(), || VERSION.as_ptr())
}

static VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => c"?",
};

/// Copies the text of the last error on the calling thread — the most recent call on this thread that
/// returned a status other than `VWO_OK` — into `buf` (at most `len - 1` bytes and a NUL; nothing when
/// `buf` is NULL or `len` is 0). Returns the full length of the text without the NUL (0 when there was
/// no error), so a return value `>= len` means the text was cut. A successful call does not clear it.
///
/// Thread-safe; nothing to free.
///
/// # Safety
/// `buf` is NULL or valid for writes of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn vwo_last_error_message(buf: *mut c_char, len: usize) -> usize {
    guard("vwo_last_error_message", 0, || {
        boundary::with_last_error(|text| {
            if !buf.is_null() && len > 0 {
                let mut n = text.len().min(len - 1);
                while !text.is_char_boundary(n) {
                    n -= 1;
                }
                // SAFETY: `buf` has room for `len > n` bytes (caller's contract).
                unsafe { copy_to_buffer(&text[..n], buf, len) };
            }
            text.len()
        })
    })
}

/// Frees a string libvwo returned through a `char **` out-parameter. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string from libvwo not freed before; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn vwo_string_free(s: *mut c_char) {
    guard("vwo_string_free", (), || {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in this library (caller's contract).
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// Fetches the settings file of an account from VWO (`GET /server-side/settings`, or
/// `/server-side/pull` when `is_via_webhook`, as vwo-python-sdk's `get_settings_file`), for
/// `vwo_client_launch`. `base_url` may be NULL (VWO's collector). On success `*settings_json_out` is
/// the text as VWO sent it, to free with `vwo_string_free`. Blocks for up to the default timeouts
/// (5 s connect, 10 s request). Errors: `VWO_INVALID_ARGUMENT` (empty account id or SDK key),
/// `VWO_NETWORK` (connection, timeout, HTTP status).
///
/// Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `settings_json_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_get_settings_file(
    account_id: *const c_char,
    sdk_key: *const c_char,
    is_via_webhook: bool,
    base_url: *const c_char,
    settings_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_get_settings_file", || {
        // SAFETY: the caller's contract for each string.
        let account_id = unsafe { arg_str(account_id, "account_id") }?;
        // SAFETY: as above.
        let sdk_key = unsafe { arg_str(sdk_key, "sdk_key") }?;
        // SAFETY: as above.
        let base_url = unsafe { arg_opt_str(base_url, "base_url") }?.unwrap_or(DEFAULT_BASE_URL);
        non_null(settings_json_out, "settings_json_out")?;
        let text = crate::get_settings_file_with(
            account_id,
            sdk_key,
            is_via_webhook,
            base_url.trim_end_matches('/'),
            &DeliveryOptions::default(),
        )
        .map_err(network_failure)?;
        let text = owned_c_string(text)?;
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(settings_json_out, text) };
        Ok(())
    })
}

/// [`vwo_get_settings_file`] that also answers a non-200 status: `*status_out` is the HTTP status and
/// `*body_out` the body as VWO sent it, whatever the status (vwo-python-sdk's `get_settings_file`
/// returns the body of a failed fetch as the settings text). Free `*body_out` with `vwo_string_free`.
/// Errors: `VWO_INVALID_ARGUMENT` (empty account id or SDK key), `VWO_NETWORK` (connection, timeout);
/// nothing is written then.
///
/// Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `status_out` and `body_out` are NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn vwo_get_settings_answer(
    account_id: *const c_char,
    sdk_key: *const c_char,
    is_via_webhook: bool,
    base_url: *const c_char,
    status_out: *mut u16,
    body_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_get_settings_answer", || {
        // SAFETY: the caller's contract for each string.
        let account_id = unsafe { arg_str(account_id, "account_id") }?;
        // SAFETY: as above.
        let sdk_key = unsafe { arg_str(sdk_key, "sdk_key") }?;
        // SAFETY: as above.
        let base_url = unsafe { arg_opt_str(base_url, "base_url") }?.unwrap_or(DEFAULT_BASE_URL);
        non_null(status_out, "status_out")?;
        non_null(body_out, "body_out")?;
        let (status, body) = crate::client::get_settings_answer(
            account_id,
            sdk_key,
            is_via_webhook,
            base_url.trim_end_matches('/'),
            &DeliveryOptions::default(),
        )
        .map_err(network_failure)?;
        let body = owned_c_string(body)?;
        // SAFETY: both checked non-NULL; valid for a write (caller's contract).
        unsafe {
            write_out(status_out, status);
            write_out(body_out, body);
        }
        Ok(())
    })
}

/// A settings fetch error: `Internal` from the fetch is the network (connection, timeout, status).
fn network_failure(e: crate::Error) -> Failure {
    let mut f = Failure::from_error(&e);
    if f.status == vwo_status::VWO_INTERNAL {
        f.status = vwo_status::VWO_NETWORK;
    }
    f
}

// -------------------------------------------------------------------------------------- lifecycle

/// Launches a client from a settings JSON text (e.g. a file the caller read, or
/// `vwo_get_settings_file`'s result).
///
/// `options_json` may be NULL (all defaults) or a JSON object with these keys, all optional (unknown
/// keys are `VWO_INVALID_OPTIONS`): `log_level` (`"DEBUG"`, `"INFO"`, `"WARNING"`, `"ERROR"` or
/// 10/20/30/40; default ERROR), `is_development_mode` (no events sent), `goal_type_to_track` (`"ALL"`,
/// `"CUSTOM_GOAL"`, `"REVENUE_TRACKING"`), `should_track_returning_user`, `batch_events`
/// (`{"events_per_request": 1..5000, "request_time_interval": seconds >= 1}`), `sdk_name_suffix`
/// (e.g. `"c"`), `base_url` (VWO's collector by default), `polling_interval_seconds` (re-fetch the
/// settings this often), `delivery` (`{"connect_timeout_ms", "timeout_ms", "proxy", "queue_capacity",
/// "when_full": "block"|"drop", "block_ms", "max_attempts", "max_retry_time_ms", "spool_dir",
/// "close_timeout_ms", "flush_timeout_ms"}`; defaults 5000, 10000, none, 10000 events, "block", 100,
/// not counted, 600000, none, 5000, 10000: a failed request is retried for up to 10 minutes, its
/// backoff capped at 5 s, however many attempts that takes — `max_attempts` adds a count — while new
/// events wait in the queue, past whose capacity they are dropped; close still returns within its
/// timeout, what is unsent then counted failed or left in the spool), `logger_is_custom` (whether the `logger`
/// callback is the user's own logger, reported as `cl` in the usage stats of events; default: whether
/// a `logger` callback is given — a binding forwarding to its language's default logging passes
/// false), `log_level_is_custom` (whether the user chose `log_level`, reported as `ll`; default:
/// whether `log_level` is given — a binding that sets `log_level` itself passes its user's choice),
/// `user_storage` (or `userStorage`: a built-in user storage, exactly one of):
///
/// * `{"redis": {"url", "username", "password", "keyPrefix", "ttlSeconds", "timeoutMs",
///   "connectTimeoutMs", "poolSize", "maxPendingWrites", "writeAttempts"}}`: `url` (required) is
///   `redis://[user:password@]host[:port][/db]` or a bare host (port 6379, db 0); keys are
///   `"<keyPrefix><campaignKey>:<userId>"` holding the record as JSON, as vwo-python-sdk's Redis storage
///   writes them (`keyPrefix` is empty by default, so both read each other's records); `ttlSeconds`:
///   expire records (default: never); `timeoutMs` bounds every call (default 100), `connectTimeoutMs`
///   a connect (default `timeoutMs`); `poolSize` idle connections kept (16); writes go in the background
///   (a decision costs one round trip), at most `maxPendingWrites` queued (100000), each tried
///   `writeAttempts` times (8). When Redis is slow or down, decisions go on as with nothing stored.
/// * `{"file": {"path", "maxSizeMb"}}`: an embedded LMDB store in the directory `path` (created when
///   missing), shared safely by the clients and processes of one machine; a write is on disk when the
///   API returns; `maxSizeMb` caps the file (default 1024). Launch fails with `VWO_STORAGE` when the
///   directory cannot be opened or holds a corrupt store.
/// * `{"memory": {"maxEntries"}}`: process memory; past `maxEntries` records (default: unbounded) the
///   oldest are evicted.
///
/// Keys inside `user_storage` may also be snake_case (`key_prefix`, `timeout_ms`, …). Storage callbacks
/// in `callbacks` take precedence: with both, the option is ignored and a WARNING is logged.
///
/// `callbacks` may be NULL; libvwo copies the struct (see `vwo_callbacks` for threads and ownership).
///
/// A `delivery.spool_dir` serves one client at a time: while a client (of this process or another)
/// holds it, a launch on it fails with `VWO_INVALID_OPTIONS`, the message naming the directory and the
/// holder's pid. Freeing or closing the holder releases it, and so does the end of its process.
///
/// On success `*client_out` is a new client, to free with `vwo_client_free`. Errors:
/// `VWO_INVALID_SETTINGS` (message names the JSON path), `VWO_INVALID_JSON`, `VWO_INVALID_OPTIONS`,
/// `VWO_STORAGE`.
///
/// Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `callbacks` is NULL or points to a `vwo_callbacks`
/// whose function pointers have the documented signatures; `client_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_launch(
    settings_json: *const c_char,
    options_json: *const c_char,
    callbacks: *const vwo_callbacks,
    client_out: *mut *mut vwo_client,
) -> vwo_status {
    guard_status("vwo_client_launch", || {
        // SAFETY: the caller's contract.
        let settings = unsafe { arg_str(settings_json, "settings_json") }?;
        // SAFETY: as above.
        let options = unsafe { arg_opt_str(options_json, "options_json") }?;
        non_null(client_out, "client_out")?;
        let options = options.map(|t| parse_json(t, "options_json")).transpose()?;
        let mut launch = options::launch_options(options.as_ref())?.options;
        if !callbacks.is_null() {
            // SAFETY: non-NULL and points to a vwo_callbacks (caller's contract); copied.
            let c = unsafe { *callbacks };
            let plugins = Plugins::from_c(&c)
                .map_err(|m| Failure::new(vwo_status::VWO_INVALID_OPTIONS, m))?;
            launch.user_storage = plugins.storage;
            launch.logger = plugins.logger;
            launch.integrations = plugins.integrations;
            if let Some(batch) = &mut launch.batch_events {
                batch.flush_callback = plugins.flush;
            }
        }
        let batching = launch.batch_events.is_some();
        let flush_timeout = launch.delivery.flush_timeout;
        let close_timeout = launch.delivery.close_timeout;
        let client = Client::launch(settings, launch)?;
        let handle = Box::into_raw(Box::new(vwo_client {
            client,
            batching,
            flush_timeout,
            close_timeout,
            names: compact::NameIds::default(),
        }));
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(client_out, handle) };
        Ok(())
    })
}

/// Frees a client: stops settings polling, flushes queued events (waiting up to the launch option
/// `delivery.close_timeout_ms`, default 5 s) and stops the event thread. NULL is a no-op.
///
/// Not thread-safe with respect to the same client: no other call on it may be running or follow.
/// Do not call it from a callback of the same client.
///
/// # Safety
/// `client` is NULL or a handle from `vwo_client_launch` not freed before.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_free(client: *mut vwo_client) {
    guard("vwo_client_free", (), || {
        if !client.is_null() {
            // SAFETY: from Box::into_raw in vwo_client_launch and not freed before (caller's contract).
            let handle = unsafe { Box::from_raw(client) };
            handle.client.close(handle.close_timeout);
            drop(handle);
        }
    })
}

/// Closes a client without freeing it: stops settings polling, flushes (waiting up to `timeout_ms`,
/// or `VWO_TIMEOUT_DEFAULT` for the launch option `delivery.close_timeout_ms`) and stops the event
/// thread. Decisions keep working afterwards; their events are refused and counted as dropped.
/// Closing twice is allowed (the second close has nothing to do). `report_out` may be NULL.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_close(
    client: *const vwo_client,
    timeout_ms: u64,
    report_out: *mut vwo_flush_report,
) -> vwo_status {
    guard_status("vwo_client_close", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        let report = h
            .client
            .close(timeout(timeout_ms, h.close_timeout))
            .map(|r| r.flush);
        if !report_out.is_null() {
            // SAFETY: non-NULL; valid for a write (caller's contract).
            unsafe { write_out(report_out, report_of(report, h.batching)) };
        }
        Ok(())
    })
}

// -------------------------------------------------------------------------------------- decisions

/// The shared body of activate / get_variation_name.
///
/// # Safety
/// As those exports.
#[allow(clippy::too_many_arguments)]
unsafe fn variation_call(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
    has_out: *mut bool,
    call: impl FnOnce(
        &Client,
        &str,
        &str,
        Option<&CallOptions>,
        &mut dyn FnMut(Option<&str>) -> Result<(), Failure>,
    ) -> Result<(), Failure>,
) -> Result<(), Failure> {
    // SAFETY: the caller's contract, for each argument.
    let h = unsafe { client_ref(client) }?;
    // SAFETY: as above.
    let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
    // SAFETY: as above.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    non_null(len_out, "variation_len_out")?;
    non_null(has_out, "has_variation_out")?;
    if buf.is_null() && buf_len > 0 {
        return Err(Failure::new(
            vwo_status::VWO_NULL_ARGUMENT,
            "variation_buf is NULL but variation_buf_len is not 0",
        ));
    }
    // SAFETY: as above.
    let options = unsafe { call_options(options_json) }?;
    let mut answer = |name: Option<&str>| -> Result<(), Failure> {
        match name {
            None => {
                // SAFETY: checked non-NULL; valid for writes (caller's contract).
                unsafe {
                    write_out(len_out, 0);
                    write_out(has_out, false);
                }
                if !buf.is_null() {
                    // SAFETY: buf_len > 0 here (buf non-NULL with len 0 is not written by copy_to_buffer).
                    unsafe { copy_to_buffer("", buf, buf_len) };
                }
                Ok(())
            }
            Some(name) => {
                // SAFETY: `buf` is valid for `buf_len` bytes (caller's contract).
                let fits = unsafe { copy_to_buffer(name, buf, buf_len) };
                // SAFETY: checked non-NULL; valid for a write.
                unsafe { write_out(len_out, name.len()) };
                if !fits {
                    return Err(Failure::new(
                        vwo_status::VWO_BUFFER_TOO_SMALL,
                        format!(
                            "the variation name needs {} bytes and a NUL; variation_buf_len is {buf_len}",
                            name.len()
                        ),
                    ));
                }
                // SAFETY: checked non-NULL; valid for a write.
                unsafe { write_out(has_out, true) };
                Ok(())
            }
        }
    };
    call(&h.client, key, user, options.as_deref(), &mut answer)
}

/// vwo-python-sdk's `activate`: the variation of a VISUAL_AB campaign for the user, sending an
/// impression the first time (through the event thread; this call does not wait for the network).
///
/// On `VWO_OK`: `*has_variation_out` says whether the user got a variation; if so its name and a NUL
/// are in `variation_buf` and `*variation_len_out` is its length in bytes (without the NUL); if not,
/// `*variation_len_out` is 0 (and `variation_buf`, if not NULL, holds ""). Calls vwo-python-sdk answers
/// with None — empty campaign key or user id, unknown or paused campaign, wrong campaign type, opted
/// out — are `VWO_OK` without a variation (the reason is logged). Variation names are short: 64 bytes
/// suffice in practice.
///
/// `VWO_BUFFER_TOO_SMALL`: the name does not fit `variation_buf_len` (with its NUL); only
/// `*variation_len_out` was written (the needed length without the NUL). The decision was made and
/// its impression sent: get the name with `vwo_client_get_variation_name` (no event) and a bigger
/// buffer. `options_json`: NULL or a JSON object of per-call options (`custom_variables`,
/// `variation_targeting_variables`, `user_agent`, `user_ip_address`, `custom_properties`; camelCase
/// also accepted; unknown keys ignored); wrong types are `VWO_INVALID_OPTIONS`.
///
/// Thread-safe. Callbacks (storage, integrations, logger) run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `variation_buf` is NULL
/// (with `variation_buf_len` 0) or valid for `variation_buf_len` bytes; the `_out` pointers are NULL
/// or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_activate(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    variation_buf: *mut c_char,
    variation_buf_len: usize,
    variation_len_out: *mut usize,
    has_variation_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_client_activate", || {
        // SAFETY: forwarded contract.
        unsafe {
            variation_call(
                client,
                campaign_key,
                user_id,
                options_json,
                variation_buf,
                variation_buf_len,
                variation_len_out,
                has_variation_out,
                |c, k, u, o, answer| c.activate_with(k, u, o, answer),
            )
        }
    })
}

/// vwo-python-sdk's `get_variation_name`: the variation of a VISUAL_AB or FEATURE_TEST campaign for the
/// user, without sending an event. Arguments, results and errors as `vwo_client_activate`.
///
/// Thread-safe. Callbacks (storage, integrations, logger) run on this thread.
///
/// # Safety
/// As `vwo_client_activate`.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_get_variation_name(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    variation_buf: *mut c_char,
    variation_buf_len: usize,
    variation_len_out: *mut usize,
    has_variation_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_client_get_variation_name", || {
        // SAFETY: forwarded contract.
        unsafe {
            variation_call(
                client,
                campaign_key,
                user_id,
                options_json,
                variation_buf,
                variation_buf_len,
                variation_len_out,
                has_variation_out,
                |c, k, u, o, answer| c.get_variation_name_with(k, u, o, answer),
            )
        }
    })
}

/// vwo-python-sdk's `is_feature_enabled`: whether the feature of a FEATURE_TEST or FEATURE_ROLLOUT
/// campaign is on for the user (an impression is sent the first time). `*enabled_out` is false for
/// the calls vwo-python-sdk answers False (invalid or unknown campaign, opted out, …).
/// `options_json` as for `vwo_client_activate`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `enabled_out` is NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_is_feature_enabled(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    enabled_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_client_is_feature_enabled", || {
        non_null(enabled_out, "enabled_out")?;
        // SAFETY: forwarded contract.
        let on = unsafe { feature_enabled(client, campaign_key, user_id, options_json) }?;
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(enabled_out, on) };
        Ok(())
    })
}

/// The shared body of the feature-flag exports.
///
/// # Safety
/// As those exports.
unsafe fn feature_enabled(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> Result<bool, Failure> {
    // SAFETY: the caller's contract, for each argument.
    let h = unsafe { client_ref(client) }?;
    // SAFETY: as above.
    let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
    // SAFETY: as above.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    // SAFETY: as above.
    let options = unsafe { call_options(options_json) }?;
    Ok(h.client.is_feature_enabled(key, user, options.as_deref()))
}

/// vwo-python-sdk's `get_feature_variable_value`: the value of a feature variable for the user, cast
/// to its declared type. On `VWO_OK`, `*value_json_out` is the value as a JSON text (`"text"`, `12`,
/// `1.5`, `true`, an object for a json variable), to free with `vwo_string_free`, or NULL when there
/// is no value (vwo-python-sdk's None). `options_json` as for `vwo_client_activate`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `value_json_out` is NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_get_feature_variable_value(
    client: *const vwo_client,
    campaign_key: *const c_char,
    variable_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    value_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_client_get_feature_variable_value", || {
        non_null(value_json_out, "value_json_out")?;
        // SAFETY: forwarded contract.
        let value =
            unsafe { feature_variable(client, campaign_key, variable_key, user_id, options_json) }?;
        let out = match value {
            None => std::ptr::null_mut(),
            Some(v) => owned_c_string(v.to_string())?,
        };
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(value_json_out, out) };
        Ok(())
    })
}

/// The shared body of the feature-variable exports: the value, `None` where vwo-python-sdk returns None.
///
/// # Safety
/// As those exports.
unsafe fn feature_variable(
    client: *const vwo_client,
    campaign_key: *const c_char,
    variable_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> Result<Option<Value>, Failure> {
    // SAFETY: the caller's contract, for each argument.
    let h = unsafe { client_ref(client) }?;
    // SAFETY: as above.
    let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
    // SAFETY: as above.
    let variable = unsafe { arg_str(variable_key, "variable_key") }?;
    // SAFETY: as above.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    // SAFETY: as above.
    let options = unsafe { call_options(options_json) }?;
    Ok(h.client
        .get_feature_variable_value(key, variable, user, options.as_deref()))
}

// ----------------------------------------------------------------------------------------- events

/// The shared body of the track exports: `None` where vwo-python-sdk returns None.
///
/// # Safety
/// As those exports.
unsafe fn track_outcome(
    client: *const vwo_client,
    campaigns: TrackCampaigns<'_>,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
) -> Result<Option<TrackResult>, Failure> {
    // SAFETY: forwarded contract.
    unsafe {
        track_outcome_with(
            client,
            campaigns,
            user_id,
            goal_identifier,
            options_json,
            None,
        )
    }
}

/// [`track_outcome`] with `revenue`, when given, as the call's revenue (any `revenue_value` of the
/// options text is then not used).
///
/// # Safety
/// As the track exports.
pub(crate) unsafe fn track_outcome_with(
    client: *const vwo_client,
    campaigns: TrackCampaigns<'_>,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
    revenue: Option<Value>,
) -> Result<Option<TrackResult>, Failure> {
    // SAFETY: the caller's contract, for each argument.
    let h = unsafe { client_ref(client) }?;
    // SAFETY: as above.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    // SAFETY: as above.
    let goal = unsafe { arg_str(goal_identifier, "goal_identifier") }?;
    // SAFETY: as above.
    let text = unsafe { arg_opt_str(options_json, "options_json") }?;
    let (options, text_revenue) = match text {
        None => (None, None),
        Some(text) => {
            let (options, revenue) = call_options::track_options(text)?;
            (Some(options), revenue)
        }
    };
    let revenue = revenue.or(text_revenue);
    let options = options.as_deref().unwrap_or(&NO_OPTIONS);
    Ok(h.client
        .track_with_revenue(campaigns, user, goal, options, revenue.as_ref()))
}

/// [`track_outcome`] as a JSON object text `{"<campaign key>": true|false, …}`.
///
/// # Safety
/// As the track exports.
unsafe fn track_result(
    client: *const vwo_client,
    campaigns: TrackCampaigns<'_>,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
) -> Result<Option<String>, Failure> {
    // SAFETY: forwarded contract.
    let outcome =
        unsafe { track_outcome(client, campaigns, user_id, goal_identifier, options_json) }?;
    Ok(outcome.map(|result| {
        let m: Map<String, Value> = result
            .into_iter()
            .map(|(k, b)| (k, Value::Bool(b)))
            .collect();
        Value::Object(m).to_string()
    }))
}

/// [`track_result`] written to `result_json_out` (checked before anything is tracked).
///
/// # Safety
/// As the track exports.
unsafe fn track_call(
    client: *const vwo_client,
    campaigns: TrackCampaigns<'_>,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
    result_json_out: *mut *mut c_char,
) -> Result<(), Failure> {
    non_null(result_json_out, "result_json_out")?;
    // SAFETY: forwarded contract.
    let out =
        match unsafe { track_result(client, campaigns, user_id, goal_identifier, options_json) }? {
            None => std::ptr::null_mut(),
            Some(text) => owned_c_string(text)?,
        };
    // SAFETY: checked non-NULL; valid for a write.
    unsafe { write_out(result_json_out, out) };
    Ok(())
}

/// vwo-python-sdk's `track`: converts `goal_identifier` for the user in one campaign
/// (`campaign_key`), or, when `campaign_key` is NULL, in every running campaign that has the goal.
/// On `VWO_OK`, `*result_json_out` is a JSON object `{"<campaign key>": true|false, …}` (converted or
/// not, in campaign order), to free with `vwo_string_free`, or NULL where vwo-python-sdk returns None
/// (invalid call, unknown campaign or goal, nothing to track, opted out). Events are queued for the
/// event thread; this call does not wait for the network. `options_json` as for
/// `vwo_client_activate`, plus `revenue_value`, `goal_type_to_track`, `should_track_returning_user`,
/// `event_properties`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `result_json_out` is NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_track(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
    result_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_client_track", || {
        // SAFETY: the caller's contract.
        let key = unsafe { arg_opt_str(campaign_key, "campaign_key") }?;
        let which = key.map_or(TrackCampaigns::All, TrackCampaigns::One);
        // SAFETY: forwarded contract.
        unsafe {
            track_call(
                client,
                which,
                user_id,
                goal_identifier,
                options_json,
                result_json_out,
            )
        }
    })
}

/// `track` with a list of campaigns: `campaign_keys_json` is a JSON array of campaign key strings
/// (`VWO_INVALID_ARGUMENT` otherwise). Results as `vwo_client_track`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// As `vwo_client_track`.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_track_list(
    client: *const vwo_client,
    campaign_keys_json: *const c_char,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
    result_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_client_track_list", || {
        // SAFETY: the caller's contract.
        let text = unsafe { arg_str(campaign_keys_json, "campaign_keys_json") }?;
        let value = parse_json(text, "campaign_keys_json")?;
        let list = value.as_array().ok_or_else(|| {
            Failure::new(
                vwo_status::VWO_INVALID_ARGUMENT,
                "campaign_keys_json: expected a JSON array of strings",
            )
        })?;
        let keys = list
            .iter()
            .map(|k| {
                k.as_str().ok_or_else(|| {
                    Failure::new(
                        vwo_status::VWO_INVALID_ARGUMENT,
                        "campaign_keys_json: every campaign key must be a string",
                    )
                })
            })
            .collect::<Result<Vec<&str>, Failure>>()?;
        // SAFETY: forwarded contract.
        unsafe {
            track_call(
                client,
                TrackCampaigns::List(&keys),
                user_id,
                goal_identifier,
                options_json,
                result_json_out,
            )
        }
    })
}

/// vwo-python-sdk's `push` of one custom dimension (tag key and value at most 255 characters).
/// `*ok_out` is vwo-python-sdk's result (false for an invalid call or when opted out).
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `ok_out` is NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_push(
    client: *const vwo_client,
    tag_key: *const c_char,
    tag_value: *const c_char,
    user_id: *const c_char,
    ok_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_client_push", || {
        // SAFETY: the caller's contract, for each argument.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let k = unsafe { arg_str(tag_key, "tag_key") }?;
        // SAFETY: as above.
        let v = unsafe { arg_str(tag_value, "tag_value") }?;
        // SAFETY: as above.
        let u = unsafe { arg_str(user_id, "user_id") }?;
        non_null(ok_out, "ok_out")?;
        let ok = h.client.push(k, v, u);
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(ok_out, ok) };
        Ok(())
    })
}

/// vwo-python-sdk's `push(custom_dimension_map, user_id)`: several custom dimensions at once.
/// `dimensions_json` is a JSON object (`VWO_INVALID_ARGUMENT` otherwise). `*ok_out` as `vwo_client_push`.
///
/// Thread-safe.
///
/// # Safety
/// As `vwo_client_push`.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_push_map(
    client: *const vwo_client,
    dimensions_json: *const c_char,
    user_id: *const c_char,
    ok_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_client_push_map", || {
        // SAFETY: the caller's contract, for each argument.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let text = unsafe { arg_str(dimensions_json, "dimensions_json") }?;
        // SAFETY: as above.
        let u = unsafe { arg_str(user_id, "user_id") }?;
        non_null(ok_out, "ok_out")?;
        let value = parse_json(text, "dimensions_json")?;
        let map = value.as_object().ok_or_else(|| {
            Failure::new(
                vwo_status::VWO_INVALID_ARGUMENT,
                "dimensions_json: expected a JSON object",
            )
        })?;
        let ok = h.client.push_map(map, u);
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(ok_out, ok) };
        Ok(())
    })
}

/// vwo-python-sdk's `flush_events`: sends every queued event now and waits until everything accepted
/// before the call is delivered or has failed for good, or `timeout_ms` passes (`VWO_TIMEOUT_DEFAULT`:
/// the launch option `delivery.flush_timeout_ms`, default 10 s). `report_out` may be NULL; its
/// `batch_events_enabled` is vwo-python-sdk's return value.
///
/// Thread-safe. The `flush` callback runs on the event thread, possibly while this call waits.
///
/// # Safety
/// `client` is NULL or a live handle; `report_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_flush_events(
    client: *const vwo_client,
    timeout_ms: u64,
    report_out: *mut vwo_flush_report,
) -> vwo_status {
    guard_status("vwo_client_flush_events", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        let report = h.client.flush(timeout(timeout_ms, h.flush_timeout));
        if !report_out.is_null() {
            // SAFETY: non-NULL; valid for a write (caller's contract).
            unsafe { write_out(report_out, report_of(report, h.batching)) };
        }
        Ok(())
    })
}

/// vwo-python-sdk's `set_opt_out`: flushes queued events, then every API of this client answers its
/// failure value (no variation, false, NULL) and sends nothing, for good.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_set_opt_out(client: *const vwo_client) -> vwo_status {
    guard_status("vwo_client_set_opt_out", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        h.client.set_opt_out();
        Ok(())
    })
}

/// The client's delivery counters.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `counters_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_delivery_counters(
    client: *const vwo_client,
    counters_out: *mut vwo_delivery_counters,
) -> vwo_status {
    guard_status("vwo_client_delivery_counters", || {
        // SAFETY: the caller's contract.
        unsafe { counters_call(client, counters_out, Client::delivery_counters) }
    })
}

/// The client's user-storage counters (all zero without a built-in storage). Pending Redis writes are
/// sent by `vwo_client_close`/`vwo_client_free` within the close timeout.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `counters_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_storage_counters(
    client: *const vwo_client,
    counters_out: *mut vwo_storage_counters,
) -> vwo_status {
    guard_status("vwo_client_storage_counters", || {
        // SAFETY: the caller's contract.
        unsafe { counters_call(client, counters_out, Client::storage_counters) }
    })
}

// --------------------------------------------------------------------------------------- settings

/// Replaces the client's settings atomically with a settings JSON text; decisions in flight finish on
/// the old ones. `VWO_INVALID_SETTINGS` leaves the current settings in place.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `settings_json` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_replace_settings(
    client: *const vwo_client,
    settings_json: *const c_char,
) -> vwo_status {
    guard_status("vwo_client_replace_settings", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let text = unsafe { arg_str(settings_json, "settings_json") }?;
        h.client.replace_settings(text)?;
        Ok(())
    })
}

/// The JSON text of the client's current settings, to free with `vwo_string_free`.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `settings_json_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_settings_json(
    client: *const vwo_client,
    settings_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_client_settings_json", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        non_null(settings_json_out, "settings_json_out")?;
        let text = owned_c_string(h.client.settings_json())?;
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(settings_json_out, text) };
        Ok(())
    })
}

/// vwo-python-sdk's `get_and_update_settings_file`: fetches the settings of `account_id` with
/// `sdk_key` (each NULL: the current settings' `accountId` / `sdkKey`) from the launch option
/// `base_url` (`/server-side/pull` when `is_via_webhook`, else `/server-side/settings`) and swaps them
/// in when valid and changed. On `VWO_OK`, `*settings_json_out` is the settings text now in
/// force, to free with `vwo_string_free`. `VWO_NETWORK` / `VWO_INVALID_SETTINGS`: the current settings
/// stay. Blocks for the request (timeouts: launch options `delivery.*`).
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated; `settings_json_out` is NULL
/// or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_get_and_update_settings_file(
    client: *const vwo_client,
    account_id: *const c_char,
    sdk_key: *const c_char,
    is_via_webhook: bool,
    settings_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_client_get_and_update_settings_file", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let account_id = unsafe { arg_opt_str(account_id, "account_id") }?;
        // SAFETY: as above.
        let sdk_key = unsafe { arg_opt_str(sdk_key, "sdk_key") }?;
        non_null(settings_json_out, "settings_json_out")?;
        let text = h
            .client
            .get_and_update_settings_file_of(account_id, sdk_key, is_via_webhook)
            .map_err(network_failure)?;
        let text = owned_c_string(text)?;
        // SAFETY: checked non-NULL; valid for a write.
        unsafe { write_out(settings_json_out, text) };
        Ok(())
    })
}

// ------------------------------------------------------------------------------------------ tests

/// Test builds only (cargo feature `panic-injection`): from now on, on the calling thread, the export
/// named `export_name` (e.g. `"vwo_client_activate"`) panics inside its panic boundary; NULL stops it.
///
/// # Safety
/// `export_name` is NULL or NUL-terminated.
#[cfg(feature = "panic-injection")]
#[no_mangle]
pub unsafe extern "C" fn vwo_test_panic_on(export_name: *const c_char) -> vwo_status {
    guard_status("vwo_test_panic_on", || {
        // SAFETY: the caller's contract.
        let name = unsafe { arg_opt_str(export_name, "export_name") }?;
        boundary::injection::panic_on(name);
        Ok(())
    })
}

/// The option parsers of this layer as plain functions, for the fuzz targets in `fuzz/` (which cannot
/// reach the crate-private modules). Not part of the API: hidden, and may change at any time. A failure
/// is the status and the message the export would return.
#[doc(hidden)]
pub mod fuzzing {
    use super::boundary::Failure;
    use super::vwo_status;
    use crate::{CallOptions, LaunchOptions};
    use serde_json::Value;

    fn plain(f: Failure) -> (vwo_status, String) {
        (f.status, f.message)
    }

    /// The `options_json` text of `vwo_client_launch`, parsed (nothing is launched or opened).
    pub fn launch_options(text: &str) -> Result<LaunchOptions, (vwo_status, String)> {
        let v = super::parse_json(text, "options_json").map_err(plain)?;
        super::options::launch_options(Some(&v))
            .map(|p| p.options)
            .map_err(plain)
    }

    /// The `options_json` text of a decision export, through the per-thread cache those use.
    pub fn call_options(text: &str) -> Result<CallOptions, (vwo_status, String)> {
        super::call_options::call_options(text)
            .map(|o| (*o).clone())
            .map_err(plain)
    }

    /// The `options_json` text of a track export: the options and the revenue apart.
    pub fn track_options(text: &str) -> Result<(CallOptions, Option<Value>), (vwo_status, String)> {
        super::call_options::track_options(text)
            .map(|(o, r)| ((*o).clone(), r))
            .map_err(plain)
    }
}
