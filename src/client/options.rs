//! Launch options and per-call options, with the validation vwo-python-sdk applies to them, and the
//! traits a host implements to plug into the client (integrations hook, event sink, clock, randomness).

use crate::error::describe_json;
use crate::events::{EventRequest, RenderedEvent};
use crate::log::{LogLevel, Logger};
use crate::storage::{UserStorage, UserStorageConfig};
use crate::Error;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Which goal types `track` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GoalTypeToTrack {
    /// Every goal type (the default).
    #[default]
    All,
    /// Only `CUSTOM_GOAL` goals.
    Custom,
    /// Only `REVENUE_TRACKING` goals.
    Revenue,
}

impl GoalTypeToTrack {
    /// Parses the wire names `ALL`, `CUSTOM_GOAL` (or `CUSTOM`), `REVENUE_TRACKING` (or `REVENUE`).
    pub fn parse(text: &str) -> Option<GoalTypeToTrack> {
        match text {
            "ALL" => Some(GoalTypeToTrack::All),
            "CUSTOM_GOAL" | "CUSTOM" => Some(GoalTypeToTrack::Custom),
            "REVENUE_TRACKING" | "REVENUE" => Some(GoalTypeToTrack::Revenue),
            _ => None,
        }
    }
}

/// Called once per decision that yields a variation, with vwo-python-sdk's keys (`campaign_key`,
/// `variation_name`, `from_user_storage_service`, …). Runs on the calling thread; no libvwo lock is held.
pub trait IntegrationsHook: Send + Sync {
    /// Receives the decision's properties.
    fn on_decision(&self, properties: &Map<String, Value>);
}

impl<F: Fn(&Map<String, Value>) + Send + Sync> IntegrationsHook for F {
    fn on_decision(&self, properties: &Map<String, Value>) {
        self(properties)
    }
}

/// Where the client hands every event it builds. The HTTP dispatcher is one such sink; tests capture.
/// `send` must not block for long: it runs on the API caller's thread.
pub trait EventSink: Send + Sync {
    /// Accepts one request for delivery: `url` is where it goes, in full (`base_url[/<collection
    /// prefix>]<request.path>?<encoded query>`, from the launch options' `base_url` and the current
    /// settings), `request` the method, path, query, headers and body. An `Err` means it was not
    /// accepted (logged, and reported to a batch flush callback).
    fn send(&self, url: &str, request: &EventRequest) -> Result<(), Error>;
}

/// Receives each batch after it was handed over: `(error, events)`, like the SDKs' flush callbacks.
/// Each event is its JSON text as sent (`RenderedEvent::as_str`); `to_value` parses one, and
/// `events::json_list` gives the whole list as one JSON text.
pub type FlushCallback = Arc<dyn Fn(Option<&Error>, &[RenderedEvent]) + Send + Sync>;

/// The source of wall-clock time for event timestamps.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn unix_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// The source of the `random` parameter of events.
pub trait RandomSource: Send + Sync {
    /// A uniform float in [0, 1).
    fn random(&self) -> f64;
}

/// A fast thread-local generator (not for cryptography; the value only busts caches).
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadRandom;

impl RandomSource for ThreadRandom {
    fn random(&self) -> f64 {
        fastrand::f64()
    }
}

/// Event batching (`batch_events` of vwo-python-sdk).
#[derive(Clone)]
pub struct BatchEventsConfig {
    /// Events per `/server-side/batch-events` request: 1–5000 (default 100).
    pub events_per_request: usize,
    /// Seconds between flushes of a partly filled queue: ≥ 1 (default 600).
    pub request_time_interval: f64,
    /// Called once per batch when it is settled: delivered or failed by libvwo's dispatcher (a batch
    /// split after a 413 whose pieces ended differently is reported twice, delivered events then
    /// failed ones: docs/RELIABILITY.md), or handed to the host's event sink.
    pub flush_callback: Option<FlushCallback>,
}

impl Default for BatchEventsConfig {
    fn default() -> Self {
        BatchEventsConfig {
            events_per_request: 100,
            request_time_interval: 600.0,
            flush_callback: None,
        }
    }
}

impl std::fmt::Debug for BatchEventsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchEventsConfig")
            .field("events_per_request", &self.events_per_request)
            .field("request_time_interval", &self.request_time_interval)
            .field("flush_callback", &self.flush_callback.is_some())
            .finish()
    }
}

impl BatchEventsConfig {
    /// Checks the ranges of spec §1.2 (Python): `events_per_request` in 1..=5000, `request_time_interval` ≥ 1.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=5000).contains(&self.events_per_request) {
            return Err(Error::options(
                "batch_events.events_per_request",
                format_args!(
                    "expected an integer from 1 to 5000, got {}",
                    self.events_per_request
                ),
            ));
        }
        if self.request_time_interval.is_nan()
            || self.request_time_interval < 1.0
            || !self.request_time_interval.is_finite()
        {
            return Err(Error::options(
                "batch_events.request_time_interval",
                format_args!(
                    "expected a number of seconds ≥ 1, got {}",
                    self.request_time_interval
                ),
            ));
        }
        Ok(())
    }

    /// Reads `{"events_per_request"|"eventsPerRequest", "request_time_interval"|"requestTimeInterval"}`
    /// (at least one of the two), as vwo-python-sdk validates it.
    pub fn from_json(value: &Value) -> Result<BatchEventsConfig, Error> {
        let m = value.as_object().ok_or_else(|| {
            Error::options(
                "batch_events",
                format_args!("expected an object, got {}", describe_json(value)),
            )
        })?;
        let get = |a: &str, b: &str| m.get(a).or_else(|| m.get(b));
        let epr = get("events_per_request", "eventsPerRequest");
        let rti = get("request_time_interval", "requestTimeInterval");
        if epr.is_none() && rti.is_none() {
            return Err(Error::options(
                "batch_events",
                "expected events_per_request and/or request_time_interval",
            ));
        }
        let mut config = BatchEventsConfig::default();
        if let Some(v) = epr {
            match v.as_u64() {
                Some(n) => config.events_per_request = n.min(usize::MAX as u64) as usize,
                None => {
                    return Err(Error::options(
                        "batch_events.events_per_request",
                        format_args!(
                            "expected an integer from 1 to 5000, got {}",
                            describe_json(v)
                        ),
                    ))
                }
            }
        }
        if let Some(v) = rti {
            match v.as_f64() {
                Some(n) if !v.is_boolean() => config.request_time_interval = n,
                _ => {
                    return Err(Error::options(
                        "batch_events.request_time_interval",
                        format_args!("expected a number of seconds ≥ 1, got {}", describe_json(v)),
                    ))
                }
            }
        }
        config.validate()?;
        Ok(config)
    }
}

/// Options of [`crate::Client::launch`].
#[derive(Clone, Default)]
pub struct LaunchOptions {
    /// User storage (none by default). Takes precedence over `user_storage_config`.
    pub user_storage: Option<Arc<dyn UserStorage>>,
    /// A built-in user storage to open at launch (Redis, an embedded file, bounded memory). Ignored,
    /// with a warning, when `user_storage` is given.
    pub user_storage_config: Option<UserStorageConfig>,
    /// Logger (standard error by default).
    pub logger: Option<Arc<dyn Logger>>,
    /// Whether `logger` is the user's own logger, reported as `cl` in the usage stats of events. `None`:
    /// whether `logger` is given. A binding that routes its language's default logging (Python's
    /// `logging`, Go's `log`) through `logger` sets `Some(false)`, as the official SDK sends no `cl` there.
    pub logger_is_custom: Option<bool>,
    /// Log threshold (ERROR by default).
    pub log_level: Option<LogLevel>,
    /// Whether the user chose the log level, reported as `ll` in the usage stats of events. `None`:
    /// whether `log_level` is given. A binding that sets `log_level` for its own reasons (Python: a custom
    /// logger gets every message, as vwo-python-sdk sends it one whatever its `log_level` says) passes
    /// whether its user gave one.
    pub log_level_is_custom: Option<bool>,
    /// Development mode: decisions, storage and hooks run; no event is sent.
    pub development_mode: bool,
    /// Default goal type of `track`.
    pub goal_type_to_track: Option<GoalTypeToTrack>,
    /// vwo-go-sdk's flag: track a goal again for a user whose storage record already has it.
    pub should_track_returning_user: bool,
    /// Event batching.
    pub batch_events: Option<BatchEventsConfig>,
    /// Decision hook.
    pub integrations: Option<Arc<dyn IntegrationsHook>>,
    /// Appended to the SDK name on the wire (`libvwo-go`, `libvwo-python`): e.g. `"go"`.
    pub sdk_name_suffix: Option<String>,
    /// A host sink to hand every event request to, instead of libvwo's dispatcher (which sends them to
    /// VWO over HTTP from its own thread). With a sink, batches are built when full and on flush.
    pub event_sink: Option<Arc<dyn EventSink>>,
    /// HTTP and delivery settings of libvwo's dispatcher and settings fetches.
    pub delivery: super::DeliveryOptions,
    /// Re-fetch the settings from VWO this often and swap them in when they changed (default: never).
    pub polling_interval: Option<std::time::Duration>,
    /// Base URL of VWO's collector (default `https://dev.visualwebsiteoptimizer.com`).
    pub base_url: Option<String>,
    /// Clock for event timestamps.
    pub clock: Option<Arc<dyn Clock>>,
    /// Source of the `random` event parameter.
    pub random: Option<Arc<dyn RandomSource>>,
}

/// Per-call options (spec §1.4). Every field is optional; JSON callers use [`CallOptions::from_json`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// Variables for pre-segmentation.
    pub custom_variables: Option<Map<String, Value>>,
    /// Variables for whitelisting.
    pub variation_targeting_variables: Option<Map<String, Value>>,
    /// The visitor's user agent (sent as `visitor_ua` and `X-Device-User-Agent`).
    pub user_agent: Option<String>,
    /// The visitor's IP address (sent as `visitor_ip` and `VWO-X-Forwarded-For`).
    pub user_ip_address: Option<String>,
    /// Revenue of a revenue goal: a number, a numeric string or a boolean, as Python accepts.
    pub revenue_value: Option<Value>,
    /// Goal type of this `track` call.
    pub goal_type_to_track: Option<GoalTypeToTrack>,
    /// vwo-go-sdk's per-call `shouldTrackReturningUser`.
    pub should_track_returning_user: Option<bool>,
    /// Event properties of a `track` call (event architecture).
    pub event_properties: Option<Map<String, Value>>,
    /// Custom properties of an impression (event architecture).
    pub custom_properties: Option<Value>,
}

impl CallOptions {
    /// Reads options from JSON. Keys may be camelCase (vwo-go-sdk, Node) or snake_case (Python);
    /// unknown keys are ignored, as the SDKs do; a known key with a value of the wrong type is an error
    /// naming the key. `null` means "not given".
    pub fn from_json(value: &Value) -> Result<CallOptions, Error> {
        CallOptions::from_value(value.clone())
    }

    /// [`CallOptions::from_json`] taking the value, so that its maps move in without a copy.
    pub fn from_value(value: Value) -> Result<CallOptions, Error> {
        let m = match value {
            Value::Null => return Ok(CallOptions::default()),
            Value::Object(m) => m,
            v => {
                return Err(Error::options(
                    "options",
                    format_args!("expected an object, got {}", describe_json(&v)),
                ))
            }
        };
        let mut out = CallOptions::default();
        for (key, v) in m {
            if v.is_null() {
                continue;
            }
            let wrong = |what: &str, v: &Value| {
                Error::options(
                    &key,
                    format_args!("expected {what}, got {}", describe_json(v)),
                )
            };
            let object = |v: Value| match v {
                Value::Object(m) => Ok(m),
                v => Err(wrong("an object", &v)),
            };
            let string = |v: Value| match v {
                Value::String(s) => Ok(s),
                v => Err(wrong("a string", &v)),
            };
            match key.as_str() {
                "customVariables" | "custom_variables" => out.custom_variables = Some(object(v)?),
                "variationTargetingVariables" | "variation_targeting_variables" => {
                    out.variation_targeting_variables = Some(object(v)?)
                }
                "userAgent" | "user_agent" => out.user_agent = Some(string(v)?),
                "userIpAddress" | "user_ip_address" => out.user_ip_address = Some(string(v)?),
                "revenueValue" | "revenue_value" => {
                    if !(v.is_number() || v.is_string() || v.is_boolean()) {
                        return Err(wrong("a number, string or boolean", &v));
                    }
                    out.revenue_value = Some(v)
                }
                "goalTypeToTrack" | "goal_type_to_track" => {
                    out.goal_type_to_track =
                        Some(v.as_str().and_then(GoalTypeToTrack::parse).ok_or_else(|| {
                            wrong("\"ALL\", \"CUSTOM_GOAL\" or \"REVENUE_TRACKING\"", &v)
                        })?)
                }
                "shouldTrackReturningUser" | "should_track_returning_user" => {
                    out.should_track_returning_user =
                        Some(v.as_bool().ok_or_else(|| wrong("a boolean", &v))?)
                }
                "eventProperties" | "event_properties" => out.event_properties = Some(object(v)?),
                "customProperties" | "custom_properties" => out.custom_properties = Some(v),
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn call_options_name_the_wrong_key() {
        let e = CallOptions::from_json(&json!({"customVariables": [1]})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "customVariables: expected an object, got an array"
        );
        let e = CallOptions::from_json(&json!({"goal_type_to_track": "X"})).unwrap_err();
        assert!(e.to_string().starts_with("goal_type_to_track: expected"));
        let o = CallOptions::from_json(&json!({"revenueValue": "12", "unknown": 1})).unwrap();
        assert_eq!(o.revenue_value, Some(json!("12")));
    }

    #[test]
    fn batch_config_ranges() {
        assert!(BatchEventsConfig::from_json(&json!({"events_per_request": 0})).is_err());
        assert!(BatchEventsConfig::from_json(&json!({"events_per_request": 5001})).is_err());
        assert!(BatchEventsConfig::from_json(&json!({"request_time_interval": 0.5})).is_err());
        assert!(BatchEventsConfig::from_json(&json!({})).is_err());
        let c = BatchEventsConfig::from_json(&json!({"eventsPerRequest": 5})).unwrap();
        assert_eq!((c.events_per_request, c.request_time_interval), (5, 600.0));
    }
}
