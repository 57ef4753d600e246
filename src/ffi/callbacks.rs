//! The host's C callbacks behind the core's traits: user storage, logger, integrations hook and
//! batch flush result. Each adapter copies what C hands back before returning and never holds a
//! libvwo lock while calling out (the core calls these with none held).

use super::convert::message_c_string;
use crate::client::FlushCallback;
use crate::events::{json_list, RenderedEvent};
use crate::log::{LogLevel, Logger};
use crate::storage::{UserStorage, UserStorageRecord};
use crate::{Error, IntegrationsHook};
use serde_json::{Map, Value};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Arc;

/// `storage_get`: the stored record of `user_id` in `campaign_key` as a JSON object text, or NULL.
pub type vwo_storage_get_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        user_id: *const c_char,
        campaign_key: *const c_char,
    ) -> *const c_char,
>;
/// `storage_set`: saves a record (JSON object text); returns 0 on success.
pub type vwo_storage_set_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char) -> c_int>;
/// `logger`: one message at `level` (10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR).
pub type vwo_logger_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: c_int, message: *const c_char)>;
/// `integrations`: the properties of one decision, as a JSON object text.
pub type vwo_integrations_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, payload_json: *const c_char)>;
/// `flush`: one batch of events was settled; `error_message` is NULL when it was delivered. Called once
/// per batch, with the batch's events, also when a 413 made libvwo send it in pieces; only a batch
/// whose pieces ended differently is reported twice: its delivered events (NULL error), then its
/// failed ones.
pub type vwo_flush_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        error_message: *const c_char,
        events_json: *const c_char,
    ),
>;

/// The host's callbacks, all optional (NULL). libvwo copies the struct at launch; `user_data` is
/// passed, as is, first to every callback, and must stay valid until `vwo_client_free` returns.
///
/// Threads: `storage_get`, `storage_set` and `integrations` run on the thread that called the API
/// (activate, track, …); `logger` runs there or on libvwo's delivery thread; `flush` runs on the
/// delivery thread. Several threads may call a callback at once, so each must be thread-safe.
/// libvwo holds no lock while calling out: a callback may call libvwo, including on the same client
/// (except `vwo_client_free`). Strings passed to a callback are valid only during the call.
///
/// User storage: give both `storage_get` and `storage_set`, or neither. Records are JSON objects
/// `{"userId", "campaignKey", "variationName"[, "goalIdentifiers"]}` (vwo-python-sdk's dict).
/// `storage_get` returns a NUL-terminated JSON text, or NULL for "nothing stored"; libvwo copies it
/// before `storage_get` returns control to it, so the pointer need only stay valid until the next
/// `storage_get` call on the same thread (a thread-local buffer works; libvwo never frees it). Text
/// that is not a JSON object is logged at ERROR and treated as nothing stored. `storage_set` returns 0
/// on success; any other value is logged at ERROR.
///
/// `flush` is called only when the launch options set `batch_events`: `events_json` is the JSON array
/// of the batch's events.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct vwo_callbacks {
    /// Passed first to every callback; libvwo never dereferences it.
    pub user_data: *mut c_void,
    /// User storage lookup (see above).
    pub storage_get: vwo_storage_get_fn,
    /// User storage write (see above).
    pub storage_set: vwo_storage_set_fn,
    /// Receives every log message at or above the launch option `log_level` (default ERROR). NULL:
    /// messages go to standard error.
    pub logger: vwo_logger_fn,
    /// The integrations hook: called once per decision that yields a variation.
    pub integrations: vwo_integrations_fn,
    /// The batch flush result.
    pub flush: vwo_flush_fn,
}

/// `user_data` shared with the threads that call back.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);

// SAFETY: libvwo never dereferences `user_data`; the header requires callbacks (the only users of the
// pointer) to be callable from any thread at once.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

struct CStorage {
    user_data: UserData,
    get: unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> *const c_char,
    set: unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int,
}

impl UserStorage for CStorage {
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String> {
        let user = message_c_string(user_id);
        let key = message_c_string(campaign_key);
        // SAFETY: the host promised a callback of this signature, callable from any thread; the two
        // strings outlive the call.
        let ptr = unsafe { (self.get)(self.user_data.0, user.as_ptr(), key.as_ptr()) };
        if ptr.is_null() {
            return Ok(None);
        }
        // SAFETY: the callback's contract: a NUL-terminated string valid until the next storage_get
        // on this thread; it is copied (parsed) right here, before any other call.
        let text = unsafe { CStr::from_ptr(ptr) };
        let text = text
            .to_str()
            .map_err(|_| "storage_get returned text that is not UTF-8".to_string())?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("storage_get returned text that is not JSON: {e}"))?;
        if !value.is_object() {
            return Err("storage_get returned JSON that is not an object".to_string());
        }
        Ok(UserStorageRecord::from_json(&value))
    }

    fn set(&self, record: &UserStorageRecord) -> Result<(), String> {
        let text = message_c_string(&record.to_json().to_string());
        // SAFETY: as in `get`; the string outlives the call.
        let rc = unsafe { (self.set)(self.user_data.0, text.as_ptr()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(format!("storage_set returned {rc}"))
        }
    }
}

/// The same two callbacks as an FME storage connector: `campaign_key` is the feature key (or
/// `_vwo_meta_meg_<groupId>`), records are FME records.
struct CFlagStorage {
    user_data: UserData,
    get: unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> *const c_char,
    set: unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int,
}

impl crate::fme::FlagStorage for CFlagStorage {
    fn get(&self, feature_key: &str, user_id: &str) -> Result<Option<Value>, Error> {
        let user = message_c_string(user_id);
        let key = message_c_string(feature_key);
        // SAFETY: the host promised a callback of this signature, callable from any thread; the two
        // strings outlive the call.
        let ptr = unsafe { (self.get)(self.user_data.0, user.as_ptr(), key.as_ptr()) };
        if ptr.is_null() {
            return Ok(None);
        }
        // SAFETY: the callback's contract: a NUL-terminated string valid until the next storage_get
        // on this thread; it is copied (parsed) right here, before any other call.
        let text = unsafe { CStr::from_ptr(ptr) };
        let bad = |m: &str| Error::new(crate::ErrorKind::Internal, m);
        let text = text
            .to_str()
            .map_err(|_| bad("storage_get returned text that is not UTF-8"))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| bad(&format!("storage_get returned text that is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(bad("storage_get returned JSON that is not an object"));
        }
        Ok(Some(value))
    }

    fn set(&self, record: &Map<String, Value>) -> Result<(), Error> {
        let text = message_c_string(&crate::events::pyjson::dumps(&Value::Object(
            record.clone(),
        )));
        // SAFETY: as in `get`; the string outlives the call.
        let rc = unsafe { (self.set)(self.user_data.0, text.as_ptr()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(Error::new(
                crate::ErrorKind::Internal,
                format!("storage_set returned {rc}"),
            ))
        }
    }
}

struct CLogger {
    user_data: UserData,
    log: unsafe extern "C" fn(*mut c_void, c_int, *const c_char),
}

impl Logger for CLogger {
    fn log(&self, level: LogLevel, message: &str) {
        let text = message_c_string(message);
        // SAFETY: the host's callback, callable from any thread; the string outlives the call.
        unsafe { (self.log)(self.user_data.0, level as c_int, text.as_ptr()) }
    }
}

struct CIntegrations {
    user_data: UserData,
    hook: unsafe extern "C" fn(*mut c_void, *const c_char),
}

impl IntegrationsHook for CIntegrations {
    fn on_decision(&self, properties: &Map<String, Value>) {
        let text = match serde_json::to_string(properties) {
            Ok(t) => message_c_string(&t),
            Err(_) => return,
        };
        // SAFETY: the host's callback, callable from any thread; the string outlives the call.
        unsafe { (self.hook)(self.user_data.0, text.as_ptr()) }
    }
}

/// The core's plug-ins built from a `vwo_callbacks`.
#[derive(Default)]
pub(crate) struct Plugins {
    pub(crate) storage: Option<Arc<dyn UserStorage>>,
    /// The storage callbacks as an FME connector.
    pub(crate) flag_storage: Option<Arc<dyn crate::fme::FlagStorage>>,
    pub(crate) logger: Option<Arc<dyn Logger>>,
    pub(crate) integrations: Option<Arc<dyn IntegrationsHook>>,
    pub(crate) flush: Option<FlushCallback>,
}

impl Plugins {
    /// Adapters for the non-NULL callbacks. `Err` names the problem (storage half given).
    pub(crate) fn from_c(c: &vwo_callbacks) -> Result<Plugins, String> {
        let user_data = UserData(c.user_data);
        let (storage, flag_storage) = match (c.storage_get, c.storage_set) {
            (Some(get), Some(set)) => {
                let v1: Arc<dyn UserStorage> = Arc::new(CStorage {
                    user_data,
                    get,
                    set,
                });
                let fme: Arc<dyn crate::fme::FlagStorage> = Arc::new(CFlagStorage {
                    user_data,
                    get,
                    set,
                });
                (Some(v1), Some(fme))
            }
            (None, None) => (None, None),
            _ => {
                return Err(
                    "callbacks: storage_get and storage_set must be given together".to_string(),
                )
            }
        };
        let logger = c
            .logger
            .map(|log| Arc::new(CLogger { user_data, log }) as Arc<dyn Logger>);
        let integrations = c
            .integrations
            .map(|hook| Arc::new(CIntegrations { user_data, hook }) as Arc<dyn IntegrationsHook>);
        let flush = c.flush.map(|cb| {
            let f = move |error: Option<&Error>, events: &[RenderedEvent]| {
                let events = message_c_string(&json_list(events));
                let error = error.map(|e| message_c_string(e.message()));
                let error_ptr = error.as_ref().map_or(std::ptr::null(), |e| e.as_ptr());
                let user_data = user_data;
                // SAFETY: the host's callback, callable from any thread; both strings outlive the call.
                unsafe { cb(user_data.0, error_ptr, events.as_ptr()) }
            };
            Arc::new(f) as FlushCallback
        });
        Ok(Plugins {
            storage,
            flag_storage,
            logger,
            integrations,
            flush,
        })
    }
}
