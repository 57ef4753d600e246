//! The compact calls: the decision and track APIs again, shaped for bindings whose every argument and
//! out-parameter costs (Python's ctypes spends 60–120 ns converting each one, and a `c_bool()` or
//! `byref()` made for an out-parameter costs more than libvwo's whole decision). Each takes the client,
//! its strings and the options text, and returns its result as a plain value:
//!
//! * a signed 64-bit number: the result when `>= 0`, `-(vwo_status)` on failure (the last error says
//!   why), e.g. `vwo_client_get_variation_name_id`;
//! * or a borrowed text (`const char *`) valid until the next call of a `_text` function on the same
//!   thread, NULL on failure, e.g. `vwo_client_get_feature_variable_text`.
//!
//! Variation names come back as **name ids**: small numbers a client gives each distinct variation name
//! it has returned, stable for the client's lifetime (a settings update keeps them), so a binding turns
//! an id into its text once and then looks it up in its own table. The ids live in [`NameIds`].
//!
//! Everything here answers exactly what the out-parameter exports of `mod.rs` answer for the same call;
//! only the way the result travels differs.

use super::boundary::{guard, guard_status, set_last_error, Failure};
use super::convert::{arg_opt_str, arg_str, copy_to_buffer, non_null, write_out};
use super::{call_options, client_ref, vwo_client, vwo_status};
use crate::TrackCampaigns;
use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::ffi::c_char;
use std::sync::{Arc, Mutex, PoisonError};

/// The name ids of one client: a copy-on-write map read without a lock on every decision, and the
/// names in id order (id `n` is `names[n - 1]`). It grows by one entry per distinct variation name the
/// client ever returns — names come from settings, so it is bounded by the variations of the settings
/// the client has loaded, never by user input.
#[derive(Default)]
pub(crate) struct NameIds {
    by_name: ArcSwap<FxHashMap<Box<str>, i64>>,
    names: Mutex<Vec<Box<str>>>,
}

impl NameIds {
    /// The id of `name` (from 1), given now if it has none yet.
    pub(crate) fn id(&self, name: &str) -> i64 {
        if let Some(&id) = self.by_name.load().get(name) {
            return id;
        }
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have added it while this one waited for the lock.
        if let Some(&id) = self.by_name.load().get(name) {
            return id;
        }
        names.push(name.into());
        let id = i64::try_from(names.len()).unwrap_or(i64::MAX);
        let mut map = FxHashMap::clone(&self.by_name.load());
        map.insert(name.into(), id);
        self.by_name.store(Arc::new(map));
        id
    }

    /// Calls `f` with the name of `id`, or `None` when no name has that id.
    fn with_name<R>(&self, id: i64, f: impl FnOnce(Option<&str>) -> R) -> R {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let name = usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| names.get(i));
        f(name.map(|n| &**n))
    }
}

/// The number a compact call returns for `r`: the result, or `-(status)` with the last error set.
fn code(r: Result<i64, Failure>) -> i64 {
    match r {
        Ok(v) => v,
        Err(failure) => {
            set_last_error(&failure.message);
            -(failure.status as i64)
        }
    }
}

/// What a compact call returns when it panicked (the boundary has set the last error).
const PANICKED: i64 = -(vwo_status::VWO_PANIC as i64);

thread_local! {
    /// The text the last `_text` call on this thread returned (with its NUL).
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Stores `text` as this thread's borrowed result and returns a pointer to it (NULL, with the last
/// error set, when it holds a NUL or the thread is being torn down).
fn lend(r: Result<String, Failure>) -> *const c_char {
    let text = match r {
        Ok(t) => t,
        Err(failure) => {
            set_last_error(&failure.message);
            return std::ptr::null();
        }
    };
    if text.as_bytes().contains(&0) {
        set_last_error("the result contains a NUL byte and cannot be returned as a C string");
        return std::ptr::null();
    }
    let lent = TEXT.try_with(|slot| {
        let mut buf = slot.borrow_mut();
        buf.clear();
        buf.extend_from_slice(text.as_bytes());
        buf.push(0);
        buf.as_ptr().cast::<c_char>()
    });
    lent.unwrap_or_else(|_| {
        set_last_error("the thread is exiting; no result can be returned");
        std::ptr::null()
    })
}

/// The shared body of the two `_id` decision calls.
///
/// # Safety
/// As `vwo_client_activate_id`.
unsafe fn name_id_call(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
    activate: bool,
) -> Result<i64, Failure> {
    // SAFETY: the caller's contract, for each argument.
    let h = unsafe { client_ref(client) }?;
    // SAFETY: as above.
    let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
    // SAFETY: as above.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    // SAFETY: as above.
    let options = unsafe { call_options(options_json) }?;
    let answer = |name: Option<&str>| name.map_or(0, |n| h.names.id(n));
    Ok(if activate {
        h.client
            .activate_with(key, user, options.as_deref(), answer)
    } else {
        h.client
            .get_variation_name_with(key, user, options.as_deref(), answer)
    })
}

/// `vwo_client_activate` returning the variation as a name id: `> 0` the id of the variation's name
/// (`vwo_client_variation_name_of_id` gives its text), `0` no variation (vwo-python-sdk's None),
/// `< 0` `-(vwo_status)` of a failure (NULL handle or string, invalid UTF-8, invalid options), with the
/// last error set. The impression is sent as by `vwo_client_activate`.
///
/// Thread-safe. Callbacks (storage, integrations, logger) run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_activate_id(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> i64 {
    guard("vwo_client_activate_id", PANICKED, || {
        // SAFETY: forwarded contract.
        code(unsafe { name_id_call(client, campaign_key, user_id, options_json, true) })
    })
}

/// `vwo_client_get_variation_name` returning the variation as a name id; results as
/// `vwo_client_activate_id`. No event is sent.
///
/// Thread-safe. Callbacks (storage, integrations, logger) run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_get_variation_name_id(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> i64 {
    guard("vwo_client_get_variation_name_id", PANICKED, || {
        // SAFETY: forwarded contract.
        code(unsafe { name_id_call(client, campaign_key, user_id, options_json, false) })
    })
}

/// The variation name with id `name_id` (from `vwo_client_activate_id` or
/// `vwo_client_get_variation_name_id` on this client): its bytes and a NUL into `name_buf`, its length
/// without the NUL into `*name_len_out`. An id's name never changes while the client lives.
///
/// `VWO_INVALID_ARGUMENT`: the client never gave that id. `VWO_BUFFER_TOO_SMALL`: only `*name_len_out`
/// was written (the length needed, without the NUL). Thread-safe.
///
/// # Safety
/// `client` is NULL or a live handle; `name_buf` is NULL (with `name_buf_len` 0) or valid for
/// `name_buf_len` bytes; `name_len_out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_variation_name_of_id(
    client: *const vwo_client,
    name_id: i64,
    name_buf: *mut c_char,
    name_buf_len: usize,
    name_len_out: *mut usize,
) -> vwo_status {
    guard_status("vwo_client_variation_name_of_id", || {
        // SAFETY: the caller's contract.
        let h = unsafe { client_ref(client) }?;
        non_null(name_len_out, "name_len_out")?;
        h.names.with_name(name_id, |name| {
            let name = name.ok_or_else(|| {
                Failure::new(
                    vwo_status::VWO_INVALID_ARGUMENT,
                    format!("name_id {name_id} was not given by this client"),
                )
            })?;
            // SAFETY: checked non-NULL; valid for a write (caller's contract).
            unsafe { write_out(name_len_out, name.len()) };
            // SAFETY: `name_buf` is NULL or valid for `name_buf_len` bytes (caller's contract).
            if unsafe { copy_to_buffer(name, name_buf, name_buf_len) } {
                Ok(())
            } else {
                Err(Failure::new(
                    vwo_status::VWO_BUFFER_TOO_SMALL,
                    format!(
                        "the name needs {} bytes and a NUL; name_buf_len is {name_buf_len}",
                        name.len()
                    ),
                ))
            }
        })
    })
}

/// `vwo_client_is_feature_enabled` as a number: `1` on, `0` off (including every call
/// vwo-python-sdk answers False), `< 0` `-(vwo_status)` of a failure, with the last error set.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_is_feature_enabled_flag(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> i64 {
    guard("vwo_client_is_feature_enabled_flag", PANICKED, || {
        // SAFETY: forwarded contract.
        let on = unsafe { super::feature_enabled(client, campaign_key, user_id, options_json) };
        code(on.map(i64::from))
    })
}

/// `vwo_client_track` of one campaign (`campaign_key` not NULL) as a number: `2` the goal was
/// converted (`{campaign_key: true}`), `1` it was not (`{campaign_key: false}`), `0` vwo-python-sdk's
/// None (invalid call, unknown campaign or goal, opted out), `< 0` `-(vwo_status)` of a failure, with
/// the last error set. Events as `vwo_client_track`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_track_one(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
) -> i64 {
    guard("vwo_client_track_one", PANICKED, || {
        code((|| {
            // SAFETY: the caller's contract.
            let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
            let which = TrackCampaigns::One(key);
            // SAFETY: forwarded contract.
            let outcome = unsafe {
                super::track_outcome(client, which, user_id, goal_identifier, options_json)
            }?;
            one_campaign_code(outcome)
        })())
    })
}

/// The number `vwo_client_track_one` answers for the outcome of a one-campaign track.
fn one_campaign_code(outcome: Option<crate::TrackResult>) -> Result<i64, Failure> {
    Ok(match outcome.as_deref() {
        None => 0,
        Some([(_, converted)]) => 1 + i64::from(*converted),
        Some(other) => {
            return Err(Failure::new(
                vwo_status::VWO_INTERNAL,
                format!("track of one campaign gave {} results", other.len()),
            ))
        }
    })
}

/// `vwo_client_track_one` with the revenue as a number: `revenue` is the call's `revenue_value` (any
/// `revenue_value` in `options_json` is not used), read as the JSON number of the same double would be
/// (`12.5`, `-0.0`; `0.0` is no revenue, as in vwo-python-sdk). For a service that sends the same
/// options (the user's profile) with every call and a new revenue each time: the options text stays the
/// same, so it is not parsed again. A NaN or infinite `revenue` is `VWO_INVALID_ARGUMENT` (no JSON
/// number is). Answers as `vwo_client_track_one`.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_track_one_revenue(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
    revenue: f64,
) -> i64 {
    guard("vwo_client_track_one_revenue", PANICKED, || {
        code((|| {
            let revenue = serde_json::Number::from_f64(revenue).ok_or_else(|| {
                Failure::new(
                    vwo_status::VWO_INVALID_ARGUMENT,
                    format!("revenue: {revenue} is not a finite number"),
                )
            })?;
            // SAFETY: the caller's contract.
            let key = unsafe { arg_str(campaign_key, "campaign_key") }?;
            // SAFETY: forwarded contract.
            let outcome = unsafe {
                super::track_outcome_with(
                    client,
                    TrackCampaigns::One(key),
                    user_id,
                    goal_identifier,
                    options_json,
                    Some(serde_json::Value::Number(revenue)),
                )
            }?;
            one_campaign_code(outcome)
        })())
    })
}

/// `vwo_client_track` with the result lent instead of allocated: the JSON text `{"<campaign key>":
/// true|false, …}`, or `null` where vwo-python-sdk returns None, valid until the next `_text` call on
/// this thread (copy it; never free it). NULL on failure, with the last error set. `campaign_key` NULL
/// tracks every running campaign having the goal.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_track_text(
    client: *const vwo_client,
    campaign_key: *const c_char,
    user_id: *const c_char,
    goal_identifier: *const c_char,
    options_json: *const c_char,
) -> *const c_char {
    guard("vwo_client_track_text", std::ptr::null(), || {
        lend((|| {
            // SAFETY: the caller's contract.
            let key = unsafe { arg_opt_str(campaign_key, "campaign_key") }?;
            let which = key.map_or(TrackCampaigns::All, TrackCampaigns::One);
            // SAFETY: forwarded contract.
            unsafe { super::track_result(client, which, user_id, goal_identifier, options_json) }
                .map(|r| r.unwrap_or_else(|| "null".to_string()))
        })())
    })
}

/// `vwo_client_get_feature_variable_value` with the result lent instead of allocated: the value as a
/// JSON text, or `null` where vwo-python-sdk returns None, valid until the next `_text` call on this
/// thread (copy it; never free it). NULL on failure, with the last error set.
///
/// Thread-safe. Callbacks run on this thread.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_get_feature_variable_text(
    client: *const vwo_client,
    campaign_key: *const c_char,
    variable_key: *const c_char,
    user_id: *const c_char,
    options_json: *const c_char,
) -> *const c_char {
    guard(
        "vwo_client_get_feature_variable_text",
        std::ptr::null(),
        || {
            lend((|| {
                // SAFETY: forwarded contract.
                let value = unsafe {
                    super::feature_variable(
                        client,
                        campaign_key,
                        variable_key,
                        user_id,
                        options_json,
                    )
                }?;
                Ok(value.map_or_else(|| "null".to_string(), |v| v.to_string()))
            })())
        },
    )
}
