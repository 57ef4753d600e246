//! The C ABI of FME (Feature Management and Experimentation): a `vwo_fme_client` beside the v1
//! `vwo_client`, in the same conventions (status codes, per-thread last error, one panic boundary,
//! callbacks with `user_data`). A decision is a `vwo_flag` handle: its enabled bit and typed variable
//! getters are plain values; lists and the reason are JSON texts.

use super::boundary::{guard, guard_status, Failure};
use super::callbacks::{vwo_callbacks, Plugins};
use super::convert::{arg_opt_str, arg_str, non_null, owned_c_string, parse_json, write_out};
use super::options::{bad, boolean, count, delivery, object, string};
use super::{
    network_failure, report_of, vwo_delivery_counters, vwo_flush_report, vwo_status,
    VWO_TIMEOUT_DEFAULT,
};
use crate::client::BatchEventsConfig;
use crate::fme::{DecisionSource, Entry, Flag, FlagReason, FmeClient, FmeOptions, RuleInfo};
use crate::log::LogLevel;
use serde_json::{Map, Value};
use std::ffi::c_char;
use std::time::Duration;

/// An FME client: settings (given, or fetched from VWO), storage connector, hooks, polling and the
/// event delivery thread. Create with `vwo_fme_client_init`, destroy with `vwo_fme_client_free`.
/// Every function taking a `const vwo_fme_client *` may be called from many threads at once;
/// `vwo_fme_client_free` must be the last call on it.
pub struct vwo_fme_client {
    client: FmeClient,
    flush_timeout: Duration,
    close_timeout: Duration,
}

/// One `get_flag` decision: whether the flag is enabled, its variables, the visitor UUID, the session
/// id and the reason. Immutable; any thread may read it. Free with `vwo_flag_free`.
pub struct vwo_flag {
    flag: Flag,
}

const INIT_KEYS: &[&str] = &[
    "sdk_key",
    "sdkKey",
    "account_id",
    "accountId",
    "settings",
    "entry",
    "hostProfile",
    "base_url",
    "proxy_url",
    "proxyUrl",
    "log_level",
    "logger",
    "batch_event_data",
    "batchEventData",
    "poll_interval",
    "pollInterval",
    "is_development_mode",
    "isDevelopmentMode",
    "is_usage_stats_disabled",
    "isUsageStatsDisabled",
    "sdk_name",
    "language_version",
    "logger_is_custom",
    "threading",
    "gateway_service",
    "gatewayService",
    "delivery",
];

fn either<'a>(
    m: &'a Map<String, Value>,
    a: &str,
    b: &str,
) -> Result<Option<(&'a str, &'a Value)>, Failure> {
    match (m.get_key_value(a), m.get_key_value(b)) {
        (Some(_), Some(_)) => Err(bad(a, format_args!("given twice ({a} and {b})"))),
        (Some((k, v)), None) | (None, Some((k, v))) if !v.is_null() => Ok(Some((k.as_str(), v))),
        _ => Ok(None),
    }
}

fn log_level(v: &Value, key: &str) -> Result<LogLevel, Failure> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let text = match text.to_ascii_lowercase().as_str() {
        "trace" => "DEBUG".to_owned(),
        "warn" => "WARNING".to_owned(),
        _ => text,
    };
    LogLevel::parse(&text).ok_or_else(|| {
        bad(
            key,
            "expected \"TRACE\", \"DEBUG\", \"INFO\", \"WARN\", \"ERROR\" or 10, 20, 30, 40",
        )
    })
}

/// Parses the options of `vwo_fme_client_init` (see its documentation).
pub(crate) fn fme_options(root: &Value) -> Result<FmeOptions, Failure> {
    let m = object(root, "", INIT_KEYS).map_err(|e| {
        if root.is_object() {
            e
        } else {
            Failure::new(
                vwo_status::VWO_INVALID_OPTIONS,
                "options: expected a JSON object",
            )
        }
    })?;
    let mut o = FmeOptions {
        init_config: Some(root.clone()),
        ..FmeOptions::default()
    };
    match either(m, "sdk_key", "sdkKey")? {
        Some((k, v)) => o.sdk_key = string(v, k)?.to_owned(),
        None => return Err(bad("sdk_key", "required (the SDK key of the VWO account)")),
    }
    match either(m, "account_id", "accountId")? {
        Some((k, v)) => match v {
            Value::String(s) if !s.is_empty() => o.account_id = v.clone(),
            Value::Number(n) if n.is_u64() || n.is_i64() => o.account_id = v.clone(),
            _ => return Err(bad(k, "expected a number or a non-empty string")),
        },
        None => return Err(bad("account_id", "required (the VWO account id)")),
    }
    if let Some(v) = m.get("settings").filter(|v| !v.is_null()) {
        o.settings = Some(match v {
            Value::String(s) => s.clone(),
            Value::Object(_) => v.to_string(),
            _ => {
                return Err(bad(
                    "settings",
                    "expected a settings JSON object or its text",
                ))
            }
        });
    }
    if let Some((k, v)) = either(m, "entry", "hostProfile")? {
        o.entry = match string(v, k)? {
            "vwo" => Entry::Vwo,
            "wingify" => Entry::Wingify,
            _ => return Err(bad(k, "expected \"vwo\" or \"wingify\"")),
        };
    }
    if let Some(v) = m.get("base_url").filter(|v| !v.is_null()) {
        o.base_url = Some(string(v, "base_url")?.trim_end_matches('/').to_owned());
    }
    if let Some((k, v)) = either(m, "proxy_url", "proxyUrl")? {
        if o.base_url.is_some() {
            return Err(bad(k, "given with base_url: give one of them"));
        }
        o.base_url = Some(string(v, k)?.trim_end_matches('/').to_owned());
    }
    if let Some(v) = m.get("log_level").filter(|v| !v.is_null()) {
        o.log_level = Some(log_level(v, "log_level")?);
    }
    if let Some(v) = m.get("logger").filter(|v| !v.is_null()) {
        // The reference's `logger: {"level": ...}`.
        let lm = object(v, "logger", &["level", "prefix"])?;
        if let Some(level) = lm.get("level").filter(|v| !v.is_null()) {
            o.log_level = Some(log_level(level, "logger.level")?);
        }
    }
    if let Some((k, v)) = either(m, "batch_event_data", "batchEventData")? {
        let bm = object(
            v,
            k,
            &[
                "events_per_request",
                "eventsPerRequest",
                "request_time_interval",
                "requestTimeInterval",
            ],
        )?;
        let mut b = BatchEventsConfig::default();
        if let Some((kk, n)) = either(bm, "events_per_request", "eventsPerRequest")? {
            b.events_per_request = usize::try_from(count(n, &format!("{k}.{kk}"))?)
                .ok()
                .filter(|n| (1..=5000).contains(n))
                .ok_or_else(|| bad(&format!("{k}.{kk}"), "expected an integer from 1 to 5000"))?;
        }
        if let Some((kk, n)) = either(bm, "request_time_interval", "requestTimeInterval")? {
            b.request_time_interval = n
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 1.0)
                .ok_or_else(|| bad(&format!("{k}.{kk}"), "expected a number of seconds ≥ 1"))?;
        }
        o.batch_events = Some(b);
    }
    if let Some((k, v)) = either(m, "poll_interval", "pollInterval")? {
        let ms = count(v, k)?;
        if ms != 0 && ms < 1000 {
            return Err(bad(k, "expected milliseconds ≥ 1000 (or 0: no polling)"));
        }
        o.poll_interval = Some(Duration::from_millis(ms));
    }
    if let Some((k, v)) = either(m, "is_development_mode", "isDevelopmentMode")? {
        o.development_mode = boolean(v, k)?;
    }
    if let Some((k, v)) = either(m, "is_usage_stats_disabled", "isUsageStatsDisabled")? {
        o.usage_stats_disabled = boolean(v, k)?;
    }
    if let Some(v) = m.get("sdk_name").filter(|v| !v.is_null()) {
        o.sdk_name = Some(string(v, "sdk_name")?.to_owned());
    }
    if let Some(v) = m.get("language_version").filter(|v| !v.is_null()) {
        o.language_version = Some(string(v, "language_version")?.to_owned());
    }
    if let Some(v) = m.get("logger_is_custom").filter(|v| !v.is_null()) {
        o.logger_is_custom = Some(boolean(v, "logger_is_custom")?);
    }
    if let Some((k, v)) = either(m, "gateway_service", "gatewayService")? {
        // `{"url", "protocol"?, "port"?}` (§2.3).
        let gm = object(v, k, &["url", "protocol", "port"])?;
        let url = gm
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| bad(&format!("{k}.url"), "required: the gateway's URL"))?;
        let mut full = url.trim().to_owned();
        if !(full.starts_with("http://") || full.starts_with("https://")) {
            if let Some(p) = gm.get("protocol").and_then(Value::as_str) {
                if p == "http" || p == "https" {
                    full = format!("{p}://{full}");
                }
            }
        }
        if let Some(port) = gm.get("port").and_then(Value::as_u64) {
            let has_port = full
                .split_once("://")
                .map_or(full.as_str(), |(_, r)| r)
                .split('/')
                .next()
                .is_some_and(|a| a.contains(':'));
            if !has_port {
                let (head, tail) = match full.split_once("://") {
                    Some((s, r)) => {
                        let (a, p) = r.split_once('/').map_or((r, ""), |(a, p)| (a, p));
                        (format!("{s}://{a}:{port}"), p.to_owned())
                    }
                    None => (format!("{full}:{port}"), String::new()),
                };
                full = if tail.is_empty() {
                    head
                } else {
                    format!("{head}/{tail}")
                };
            }
        }
        o.gateway_service = Some(full);
    }
    if let Some(v) = m.get("threading").filter(|v| !v.is_null()) {
        // The reference's `threading: {"enabled", "max_workers"}`: libvwo always sends on its own
        // thread; the values are reported in the usage stats as the reference reports them.
        let tm = object(v, "threading", &["enabled", "max_workers"])?;
        if let Some(e) = tm.get("enabled").filter(|v| !v.is_null()) {
            o.threading = Some(boolean(e, "threading.enabled")?);
        }
        if let Some(w) = tm.get("max_workers").filter(|v| !v.is_null()) {
            o.threading_max_workers = Some(count(w, "threading.max_workers")?);
        }
    }
    if let Some(v) = m.get("delivery").filter(|v| !v.is_null()) {
        o.delivery = delivery(v)?;
    }
    Ok(o)
}

/// The handle behind a `const vwo_fme_client *`.
///
/// # Safety
/// `ptr` is NULL or a live handle from `vwo_fme_client_init` not yet passed to `vwo_fme_client_free`.
unsafe fn client_ref<'a>(ptr: *const vwo_fme_client) -> Result<&'a vwo_fme_client, Failure> {
    non_null(ptr, "client")?;
    // SAFETY: non-NULL and, by the caller's contract, a live handle; only shared access is taken.
    Ok(unsafe { &*ptr })
}

/// The flag behind a `const vwo_flag *`, or `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle from `vwo_fme_get_flag`.
unsafe fn flag_ref<'a>(ptr: *const vwo_flag) -> Option<&'a Flag> {
    // SAFETY: by the caller's contract a NULL or live handle; only shared access is taken.
    unsafe { ptr.as_ref() }.map(|f| &f.flag)
}

/// Parses a JSON argument given as NUL-terminated text (`None` for NULL when `optional`).
///
/// # Safety
/// As `convert::arg_opt_str`.
unsafe fn json_arg(ptr: *const c_char, name: &str) -> Result<Option<Value>, Failure> {
    // SAFETY: forwarded contract.
    let text = unsafe { arg_opt_str(ptr, name) }?;
    text.map(|t| parse_json(t, name)).transpose()
}

// -------------------------------------------------------------------------------------- lifecycle

/// Creates an FME client (vwo-fme-python-sdk's `vwo.init`).
///
/// `options_json` is a JSON object (unknown keys are `VWO_INVALID_OPTIONS`; the reference's
/// snake_case names and Go's camelCase ones are both accepted):
///
/// * `sdk_key` / `sdkKey` (required) and `account_id` / `accountId` (required: a number or a string);
/// * `settings`: the settings (a JSON object, or its text) — no fetch at init. Without it the settings
///   are fetched from `/server-side/v2-settings` (blocking, with the reference's 3 retries 2/4/8 s
///   apart on failure);
/// * `entry` / `hostProfile`: `"vwo"` (default: VWO's hosts and names) or `"wingify"`;
/// * `base_url` or `proxy_url` / `proxyUrl`: one URL (scheme, host, port) for the settings and the
///   events instead of VWO's hosts;
/// * `log_level` (or `logger: {"level"}`): `"TRACE"`, `"DEBUG"`, `"INFO"`, `"WARN"`, `"ERROR"` or
///   10/20/30/40; default ERROR;
/// * `batch_event_data` / `batchEventData`: `{"events_per_request": 1..5000 (100),
///   "request_time_interval": seconds ≥ 1 (600)}` — events wait in the batch queue and go out as
///   `batch-events-v2` requests (the `flush` callback reports each batch);
/// * `poll_interval` / `pollInterval`: milliseconds ≥ 1000 between settings fetches (default: the
///   settings' `pollInterval`, else 600000); 0 turns polling off;
/// * `is_development_mode` / `isDevelopmentMode`: the settings fetch omits `s=prod`;
/// * `is_usage_stats_disabled` / `isUsageStatsDisabled`;
/// * `sdk_name` (the `sn` of events; bindings give theirs), `language_version` (usage stat `lv`),
///   `logger_is_custom` (usage stat `cl`; default: whether a `logger` callback is given),
///   `threading` (`{"enabled", "max_workers"}`: accepted for the reference's sake and reported in the
///   usage stats; libvwo always sends on its own delivery thread);
/// * `gateway_service` / `gatewayService`: `{"url", "protocol"?, "port"?}`, the VWO Gateway Service:
///   settings and events go through it (impressions one request each, SDK batching off) and
///   user-agent and location segments are resolved by its `/get-user-details`;
/// * `delivery`: as `vwo_client_launch`'s (timeouts, proxy, queue, retries, spool, close/flush
///   timeouts).
///
/// `callbacks` may be NULL. Its `storage_get(user_data, user_id, feature_key)` / `storage_set(user_data,
/// record_json)` pair is the storage connector: records are the reference's FME records
/// (`{"featureKey", "userId", "rolloutId", "rolloutKey", "rolloutVariationId", "experimentId",
/// "experimentKey", "experimentVariationId", "isInHoldoutId", "notInHoldoutId"}`; MEG winners are stored
/// under the feature key `_vwo_meta_meg_<groupId>`). `integrations` receives each decision's
/// properties, `logger` the log, `flush` each batch's outcome.
///
/// On success `*client_out` is a new client, to free with `vwo_fme_client_free`. Errors:
/// `VWO_INVALID_JSON`, `VWO_INVALID_OPTIONS` (names the option), `VWO_INVALID_SETTINGS` (names the JSON
/// path), `VWO_NETWORK` (the fetch failed).
///
/// Thread-safe.
///
/// # Safety
/// `options_json` is NULL or NUL-terminated; `callbacks` is NULL or points to a `vwo_callbacks`;
/// `client_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_init(
    options_json: *const c_char,
    callbacks: *const vwo_callbacks,
    client_out: *mut *mut vwo_fme_client,
) -> vwo_status {
    guard_status("vwo_fme_client_init", || {
        // SAFETY: the caller's contract.
        let text = unsafe { arg_str(options_json, "options_json") }?;
        non_null(client_out, "client_out")?;
        let root = parse_json(text, "options_json")?;
        let mut options = fme_options(&root)?;
        if !callbacks.is_null() {
            // SAFETY: non-NULL and points to a vwo_callbacks (caller's contract); copied.
            let c = unsafe { *callbacks };
            let plugins = Plugins::from_c(&c)
                .map_err(|m| Failure::new(vwo_status::VWO_INVALID_OPTIONS, m))?;
            options.storage = plugins.flag_storage;
            options.logger = plugins.logger;
            options.integrations = plugins.integrations;
            if let Some(batch) = &mut options.batch_events {
                batch.flush_callback = plugins.flush;
            }
        }
        let flush_timeout = options.delivery.flush_timeout;
        let close_timeout = options.delivery.close_timeout;
        let client = FmeClient::init(options).map_err(network_failure)?;
        let handle = Box::into_raw(Box::new(vwo_fme_client {
            client,
            flush_timeout,
            close_timeout,
        }));
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(client_out, handle) };
        Ok(())
    })
}

/// Frees an FME client: stops polling, delivers queued events (waiting up to
/// `delivery.close_timeout_ms`, default 5 s) and stops the event thread. NULL is a no-op. No other call
/// on the client may be running or follow; do not call it from one of its callbacks.
///
/// # Safety
/// `client` is NULL or a handle from `vwo_fme_client_init` not freed before.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_free(client: *mut vwo_fme_client) {
    guard("vwo_fme_client_free", (), || {
        if !client.is_null() {
            // SAFETY: from Box::into_raw in vwo_fme_client_init and not freed before (caller's
            // contract).
            let handle = unsafe { Box::from_raw(client) };
            handle.client.close();
            drop(handle);
        }
    })
}

/// Closes an FME client without freeing it: stops polling and delivers what is queued (up to the
/// close timeout). Decisions keep working; their events are refused and counted as dropped. Closing
/// twice is allowed.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_close(client: *const vwo_fme_client) -> vwo_status {
    guard_status("vwo_fme_client_close", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        let _ = h.close_timeout;
        h.client.close();
        Ok(())
    })
}

/// Sends every queued batch now and waits up to `timeout_ms` (`VWO_TIMEOUT_DEFAULT`: the option
/// `delivery.flush_timeout_ms`) for the events accepted before the call. `*delivered_out` (may be
/// NULL) is true when all of them were delivered; `report_out` (may be NULL) gets the details.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; the out-parameters are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_flush(
    client: *const vwo_fme_client,
    timeout_ms: u64,
    delivered_out: *mut bool,
    report_out: *mut vwo_flush_report,
) -> vwo_status {
    guard_status("vwo_fme_client_flush", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        let timeout = if timeout_ms == VWO_TIMEOUT_DEFAULT {
            h.flush_timeout
        } else {
            Duration::from_millis(timeout_ms)
        };
        let (delivered, report) = h.client.flush(Some(timeout));
        if !delivered_out.is_null() {
            // SAFETY: non-NULL; valid for a write (caller's contract).
            unsafe { write_out(delivered_out, delivered) };
        }
        if !report_out.is_null() {
            // SAFETY: as above.
            unsafe { write_out(report_out, report_of(report, h.client.is_batching())) };
        }
        Ok(())
    })
}

/// Writes the client's delivery counters (all zero for none) to `counters_out`.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `counters_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_delivery_counters(
    client: *const vwo_fme_client,
    counters_out: *mut vwo_delivery_counters,
) -> vwo_status {
    guard_status("vwo_fme_client_delivery_counters", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        non_null(counters_out, "counters_out")?;
        let c = h.client.counters().map(Into::into).unwrap_or_default();
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(counters_out, c) };
        Ok(())
    })
}

/// The settings text in force (`GetOriginalSettings`), to free with `vwo_string_free`.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `settings_json_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_client_settings(
    client: *const vwo_fme_client,
    settings_json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_fme_client_settings", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        non_null(settings_json_out, "settings_json_out")?;
        let text = owned_c_string(h.client.settings_json())?;
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(settings_json_out, text) };
        Ok(())
    })
}

/// `update_settings`: with `settings_json` (a settings object's text) validates and swaps it in; with
/// NULL fetches the settings (`/server-side/v2-pull` when `is_via_webhook`, as a webhook asks; else
/// `/server-side/v2-settings`). On any failure the current settings stay. Errors:
/// `VWO_INVALID_SETTINGS` (names the JSON path), `VWO_NETWORK`.
///
/// Thread-safe; decisions in flight finish on the settings they started with.
///
/// # Safety
/// `client` is NULL or a live handle; `settings_json` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_update_settings(
    client: *const vwo_fme_client,
    settings_json: *const c_char,
    is_via_webhook: bool,
) -> vwo_status {
    guard_status("vwo_fme_update_settings", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let text = unsafe { arg_opt_str(settings_json, "settings_json") }?;
        h.client
            .update_settings(text, is_via_webhook)
            .map_err(network_failure)
    })
}

// -------------------------------------------------------------------------------------- decisions

/// `get_flag(feature_key, context)`: decides the feature for the user of `context_json` (the
/// reference's context object: `{"id", "custom_variables", "variation_targeting_variables",
/// "user_agent", "ip_address", "bucketingSeed", "session_id", "post_segmentation_variables", ...}`) and
/// queues its impressions. A context the reference refuses (no `id`, an `id` that is not a string,
/// variables that are not objects) gives a disabled flag, an ERROR log and the reference's debug event.
///
/// On success `*flag_out` is a new flag, to free with `vwo_flag_free`. Errors: `VWO_NULL_ARGUMENT`,
/// `VWO_INVALID_UTF8`, `VWO_INVALID_JSON` (the context is not JSON).
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; the strings are NULL or NUL-terminated; `flag_out` is NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_get_flag(
    client: *const vwo_fme_client,
    feature_key: *const c_char,
    context_json: *const c_char,
    flag_out: *mut *mut vwo_flag,
) -> vwo_status {
    guard_status("vwo_fme_get_flag", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let key = unsafe { arg_str(feature_key, "feature_key") }?;
        // SAFETY: as above.
        let context = unsafe { json_arg(context_json, "context_json") }?
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "context_json is NULL"))?;
        non_null(flag_out, "flag_out")?;
        let flag = h.client.get_flag(key, &context);
        let handle = Box::into_raw(Box::new(vwo_flag { flag }));
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(flag_out, handle) };
        Ok(())
    })
}

/// Frees a flag. NULL is a no-op.
///
/// # Safety
/// `flag` is NULL or a handle from `vwo_fme_get_flag` not freed before.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_free(flag: *mut vwo_flag) {
    guard("vwo_flag_free", (), || {
        if !flag.is_null() {
            // SAFETY: from Box::into_raw in vwo_fme_get_flag, not freed before (caller's contract).
            drop(unsafe { Box::from_raw(flag) });
        }
    })
}

/// Whether the flag is enabled (false for NULL).
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_is_enabled(flag: *const vwo_flag) -> bool {
    guard("vwo_flag_is_enabled", false, || {
        // SAFETY: the caller's contract.
        unsafe { flag_ref(flag) }.is_some_and(Flag::is_enabled)
    })
}

/// The session id of the decision (0 for NULL).
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_session_id(flag: *const vwo_flag) -> u64 {
    guard("vwo_flag_session_id", 0, || {
        // SAFETY: the caller's contract.
        unsafe { flag_ref(flag) }.map_or(0, Flag::session_id)
    })
}

/// The variable `key`'s value as a `bool`: `default_value` when the flag is NULL, the key NULL or not
/// UTF-8, the variable absent, or its value not a JSON boolean (no coercion, as the reference).
///
/// # Safety
/// `flag` is NULL or a live handle; `key` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_bool(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: bool,
) -> bool {
    guard("vwo_flag_get_bool", default_value, || {
        // SAFETY: the caller's contract.
        unsafe { variable(flag, key) }
            .and_then(Value::as_bool)
            .unwrap_or(default_value)
    })
}

/// The variable `key`'s value as an `int64_t`: `default_value` unless it is a JSON integer that fits.
///
/// # Safety
/// `flag` is NULL or a live handle; `key` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_int(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: i64,
) -> i64 {
    guard("vwo_flag_get_int", default_value, || {
        // SAFETY: the caller's contract.
        unsafe { variable(flag, key) }
            .and_then(Value::as_i64)
            .unwrap_or(default_value)
    })
}

/// The variable `key`'s value as a `double`: `default_value` unless it is a JSON number.
///
/// # Safety
/// `flag` is NULL or a live handle; `key` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_double(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: f64,
) -> f64 {
    guard("vwo_flag_get_double", default_value, || {
        // SAFETY: the caller's contract.
        unsafe { variable(flag, key) }
            .and_then(Value::as_f64)
            .unwrap_or(default_value)
    })
}

/// The variable `key`'s value when it is a JSON string: `*value_out` is a copy to free with
/// `vwo_string_free`, or NULL when the variable is absent or not a string (then `VWO_OK` too).
///
/// # Safety
/// `flag` is NULL or a live handle; `key` is NULL or NUL-terminated; `value_out` is NULL or valid for
/// a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_string(
    flag: *const vwo_flag,
    key: *const c_char,
    value_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_flag_get_string", || {
        // SAFETY: the caller's contract.
        let v = unsafe { checked_variable(flag, key, value_out.cast_const().cast()) }?;
        let out = match v.and_then(Value::as_str) {
            Some(s) => owned_c_string(s.to_owned())?,
            None => std::ptr::null_mut(),
        };
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(value_out, out) };
        Ok(())
    })
}

/// The variable `key`'s value as JSON text (any type: `"\"text\""`, `"12"`, `"{\"a\": 1}"`), to free
/// with `vwo_string_free`; NULL when the variable is absent.
///
/// # Safety
/// As `vwo_flag_get_string`.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_json(
    flag: *const vwo_flag,
    key: *const c_char,
    value_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_flag_get_json", || {
        // SAFETY: the caller's contract.
        let v = unsafe { checked_variable(flag, key, value_out.cast_const().cast()) }?;
        let out = match v {
            Some(v) => owned_c_string(v.to_string())?,
            None => std::ptr::null_mut(),
        };
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(value_out, out) };
        Ok(())
    })
}

/// The variables as a JSON array `[{"id", "value", "type", "key"}, ...]` (the reference's
/// `get_variables()`), to free with `vwo_string_free`.
///
/// # Safety
/// `flag` is NULL or a live handle; `json_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_variables(
    flag: *const vwo_flag,
    json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_flag_variables", || {
        non_null(flag, "flag")?;
        non_null(json_out, "json_out")?;
        // SAFETY: the caller's contract; checked non-NULL.
        let f = unsafe { flag_ref(flag) }
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "flag is NULL"))?;
        let text = owned_c_string(f.variables_json().to_string())?;
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(json_out, text) };
        Ok(())
    })
}

/// The visitor UUID of the decision (32 upper-case hex digits), to free with `vwo_string_free`; NULL
/// when the context had no usable id.
///
/// # Safety
/// `flag` is NULL or a live handle; `uuid_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_uuid(
    flag: *const vwo_flag,
    uuid_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_flag_uuid", || {
        non_null(flag, "flag")?;
        non_null(uuid_out, "uuid_out")?;
        // SAFETY: the caller's contract; checked non-NULL.
        let f = unsafe { flag_ref(flag) }
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "flag is NULL"))?;
        let out = match f.uuid() {
            Some(u) => owned_c_string(u.to_owned())?,
            None => std::ptr::null_mut(),
        };
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(uuid_out, out) };
        Ok(())
    })
}

/// Why the flag is what it is, as a JSON object: `{"reason": "<kind>", "source": "evaluated" |
/// "stored", "rollout": <rule> | null, "experiment": <rule> | null, "holdoutIds": [...]}` where a rule
/// is `{"ruleKey", "type": "FLAG_ROLLOUT" | "FLAG_TESTING" | "FLAG_PERSONALIZE", "campaignId",
/// "experimentKey", "variationId", "variationName", "whitelisted"}` and `reason` is one of
/// `INVALID_CONTEXT`, `FEATURE_NOT_FOUND`, `IN_HOLDOUT`, `NO_ROLLOUT_TARGETED`,
/// `ROLLOUT_OUT_OF_TRAFFIC`, `ROLLOUT`, `EXPERIMENT`, `NO_EXPERIMENT_ASSIGNED`. To free with
/// `vwo_string_free`.
///
/// # Safety
/// `flag` is NULL or a live handle; `json_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_reason(
    flag: *const vwo_flag,
    json_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_flag_reason", || {
        non_null(flag, "flag")?;
        non_null(json_out, "json_out")?;
        // SAFETY: the caller's contract; checked non-NULL.
        let f = unsafe { flag_ref(flag) }
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "flag is NULL"))?;
        let text = owned_c_string(reason_json(f).to_string())?;
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(json_out, text) };
        Ok(())
    })
}

/// The JSON of `vwo_flag_reason`.
pub(crate) fn reason_json(f: &Flag) -> Value {
    let rule = |r: &Option<RuleInfo>| match r {
        None => Value::Null,
        Some(r) => serde_json::json!({
            "ruleKey": r.rule_key,
            "type": r.kind.as_str(),
            "campaignId": r.campaign_id.to_json(),
            "experimentKey": r.experiment_key,
            "variationId": r.variation_id.to_json(),
            "variationName": r.variation_name,
            "whitelisted": r.whitelisted,
        }),
    };
    let (reason, holdouts) = match &f.reason {
        FlagReason::InvalidContext(_) => ("INVALID_CONTEXT", Vec::new()),
        FlagReason::FeatureNotFound => ("FEATURE_NOT_FOUND", Vec::new()),
        FlagReason::InHoldout(ids) => ("IN_HOLDOUT", ids.iter().map(|i| i.to_json()).collect()),
        FlagReason::NoRolloutTargeted => ("NO_ROLLOUT_TARGETED", Vec::new()),
        FlagReason::RolloutOutOfTraffic => ("ROLLOUT_OUT_OF_TRAFFIC", Vec::new()),
        FlagReason::Rollout => ("ROLLOUT", Vec::new()),
        FlagReason::Experiment => ("EXPERIMENT", Vec::new()),
        FlagReason::NoExperimentAssigned => ("NO_EXPERIMENT_ASSIGNED", Vec::new()),
    };
    serde_json::json!({
        "reason": reason,
        "source": match f.source {
            DecisionSource::Evaluated => "evaluated",
            DecisionSource::Stored => "stored",
        },
        "rollout": rule(&f.rollout),
        "experiment": rule(&f.experiment),
        "holdoutIds": holdouts,
    })
}

/// The variable `key` of `flag`; `None` when either is NULL, the key is not UTF-8 or absent.
///
/// # Safety
/// `flag` is NULL or a live handle; `key` is NULL or NUL-terminated.
unsafe fn variable<'a>(flag: *const vwo_flag, key: *const c_char) -> Option<&'a Value> {
    // SAFETY: the caller's contract.
    let f = unsafe { flag_ref(flag) }?;
    // SAFETY: the caller's contract.
    let key = unsafe { arg_str(key, "key") }.ok()?;
    f.variable(key)
}

/// As [`variable`], with the NULL checks of a status-returning getter.
///
/// # Safety
/// As [`variable`]; `out` is NULL or valid.
unsafe fn checked_variable<'a>(
    flag: *const vwo_flag,
    key: *const c_char,
    out: *const u8,
) -> Result<Option<&'a Value>, Failure> {
    non_null(flag, "flag")?;
    non_null(out, "value_out")?;
    // SAFETY: the caller's contract.
    let key = unsafe { arg_str(key, "key") }?;
    // SAFETY: the caller's contract; checked non-NULL.
    let f = unsafe { flag_ref(flag) }
        .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "flag is NULL"))?;
    Ok(f.variable(key))
}

// -------------------------------------------------------------------------------------- events

/// `track_event(event_name, context, event_properties)`: queues the custom event when `event_name` is a
/// metric of some feature (or holdout); `*tracked_out` (may be NULL) says whether it was (the
/// reference's `{event_name: bool}`). `properties_json` may be NULL (none) or a JSON object.
///
/// Errors: `VWO_NULL_ARGUMENT`, `VWO_INVALID_UTF8`, `VWO_INVALID_JSON`. A context the reference refuses
/// is `VWO_OK` with `false` (and the reference's error log and debug event).
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; the strings are NULL or NUL-terminated; `tracked_out` is NULL
/// or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_track_event(
    client: *const vwo_fme_client,
    event_name: *const c_char,
    context_json: *const c_char,
    properties_json: *const c_char,
    tracked_out: *mut bool,
) -> vwo_status {
    guard_status("vwo_fme_track_event", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let name = unsafe { arg_str(event_name, "event_name") }?;
        // SAFETY: as above.
        let context = unsafe { json_arg(context_json, "context_json") }?
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "context_json is NULL"))?;
        // SAFETY: as above.
        let properties = unsafe { json_arg(properties_json, "properties_json") }?;
        let tracked = h
            .client
            .track_event(&Value::from(name), &context, properties.as_ref());
        if !tracked_out.is_null() {
            // SAFETY: non-NULL; valid for a write (caller's contract).
            unsafe { write_out(tracked_out, tracked) };
        }
        Ok(())
    })
}

/// `set_attribute(attribute_map, context)`: sends one `vwo_syncVisitorProp` event with every attribute
/// of `attributes_json` (a non-empty JSON object of strings, numbers and booleans). Invalid attributes
/// are `VWO_OK` with the reference's error log and debug event and nothing sent.
///
/// Errors: `VWO_NULL_ARGUMENT`, `VWO_INVALID_UTF8`, `VWO_INVALID_JSON`.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_set_attributes(
    client: *const vwo_fme_client,
    attributes_json: *const c_char,
    context_json: *const c_char,
) -> vwo_status {
    guard_status("vwo_fme_set_attributes", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let attributes =
            unsafe { json_arg(attributes_json, "attributes_json") }?.ok_or_else(|| {
                Failure::new(vwo_status::VWO_NULL_ARGUMENT, "attributes_json is NULL")
            })?;
        // SAFETY: as above.
        let context = unsafe { json_arg(context_json, "context_json") }?
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "context_json is NULL"))?;
        h.client.set_attributes(&attributes, &context);
        Ok(())
    })
}

/// `set_attribute(key, value, context)`: sends one `vwo_syncVisitorProp` event with the attribute `key`
/// = `value_json` (a JSON string, number or boolean). An empty key or string value, or another JSON
/// type, is `VWO_OK` with the reference's error log and debug event and nothing sent.
///
/// Errors: `VWO_NULL_ARGUMENT`, `VWO_INVALID_UTF8`, `VWO_INVALID_JSON`.
///
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_set_attribute(
    client: *const vwo_fme_client,
    key: *const c_char,
    value_json: *const c_char,
    context_json: *const c_char,
) -> vwo_status {
    guard_status("vwo_fme_set_attribute", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        // SAFETY: as above.
        let key = unsafe { arg_str(key, "key") }?;
        // SAFETY: as above.
        let value = unsafe { json_arg(value_json, "value_json") }?
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "value_json is NULL"))?;
        // SAFETY: as above.
        let context = unsafe { json_arg(context_json, "context_json") }?
            .ok_or_else(|| Failure::new(vwo_status::VWO_NULL_ARGUMENT, "context_json is NULL"))?;
        h.client.set_attribute(&Value::from(key), &value, &context);
        Ok(())
    })
}

/// The visitor UUID of `(user_id, account_id)` (vwo-fme-python-sdk's `getUUID`), to free with
/// `vwo_string_free`. Errors: `VWO_INVALID_ARGUMENT` when either is empty.
///
/// Thread-safe.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `uuid_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_fme_get_uuid(
    user_id: *const c_char,
    account_id: *const c_char,
    uuid_out: *mut *mut c_char,
) -> vwo_status {
    guard_status("vwo_fme_get_uuid", || {
        // SAFETY: the caller's contract.
        let user = unsafe { arg_str(user_id, "user_id") }?;
        // SAFETY: as above.
        let account = unsafe { arg_str(account_id, "account_id") }?;
        non_null(uuid_out, "uuid_out")?;
        let uuid =
            crate::fme::get_uuid(&Value::from(user), &Value::from(account)).ok_or_else(|| {
                Failure::new(
                    vwo_status::VWO_INVALID_ARGUMENT,
                    "user_id and account_id must be non-empty",
                )
            })?;
        let out = owned_c_string(uuid)?;
        // SAFETY: checked non-NULL; valid for a write (caller's contract).
        unsafe { write_out(uuid_out, out) };
        Ok(())
    })
}
