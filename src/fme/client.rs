//! The FME client (`FME_SPEC.md` §1.3–§1.5, §2.2, §4.9, §7.5, §8, §9), exact to vwo-fme-python-sdk
//! 1.65.0 where `POLICY.md` §4 says so: init from options (settings given, or fetched from
//! `/server-side/v2-settings`), `get_flag`, `track_event`, `set_attribute`, `update_settings` (webhook
//! pull), polling on libvwo's own thread, `flush_events` and `close`.
//!
//! The decision is [`super::decision`]'s and the payloads [`super::events`]'; this room owns the order of
//! things around them: validation and its failure values, the storage record, hooks, which events go
//! out and how (one `batch-events-v2` request per call, the SDK batch queue, or `/events/t`), debug
//! events for every error, usage stats. Delivery is v1's (`crate::client::Delivery`: the dispatcher's
//! thread, retries, spool; or a host's event sink).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use serde_json::{Map, Value};

use super::decision::{self, FlagContext, FlagDecision, FlagReason, Impression};
use super::events::{self as wire, DebugProps, RenderedUsage, Sender, UsageStats, Visit};
use super::settings::FmeVariable;
use super::settings::{FmeSettings, RuleKind};
use super::storage::{FlagStorage, StorageSession};
use crate::client::Delivery;
use crate::client::{
    BatchEventsConfig, Clock, DeliveryOptions, EventSink, IntegrationsHook, RandomSource,
    SystemClock, ThreadRandom,
};
use crate::events::pyjson::{py_float_repr, py_str};
use crate::events::{Collector, EventRequest, HttpMethod, RenderedEvent, Stamp, Transport};
use crate::log::{LogLevel, Logger, StderrLogger};
use crate::settings::Id;
use crate::{Error, ErrorKind};

/// libvwo's FME SDK name (`sn`) when a binding gives none.
pub const SDK_NAME: &str = "libvwo-fme";

/// Which brand's hosts and names the client uses (§0: `vwo.init` vs `wingify.init`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Entry {
    /// VWO's hosts (`dev.visualwebsiteoptimizer.com`), what vwo-fme-python-sdk users get.
    #[default]
    Vwo,
    /// Wingify's hosts (`edge.wingify.net` for settings, `collect.wingify.net` for events).
    Wingify,
}

impl Entry {
    fn settings_base(&self) -> &'static str {
        match self {
            Entry::Vwo => "https://dev.visualwebsiteoptimizer.com",
            Entry::Wingify => "https://edge.wingify.net",
        }
    }

    fn events_base(&self) -> &'static str {
        match self {
            Entry::Vwo => "https://dev.visualwebsiteoptimizer.com",
            Entry::Wingify => "https://collect.wingify.net",
        }
    }
}

/// Options of [`FmeClient::init`] (§1.2).
#[derive(Clone, Default)]
pub struct FmeOptions {
    /// `sdk_key` (required).
    pub sdk_key: String,
    /// `account_id` (required): a number or a string, rendered with Python's `str()`.
    pub account_id: Value,
    /// Settings given directly (Go's `settings` option): no fetch at init.
    pub settings: Option<String>,
    /// Which hosts and names (default VWO's).
    pub entry: Entry,
    /// Replaces both hosts (scheme, host, port: `proxy_url` of the reference, or a test server).
    pub base_url: Option<String>,
    /// The VWO Gateway Service (`gateway_service.url`, §2.3, §5.5): settings and events go through it
    /// (no collection prefix; impressions one request each; SDK batching off), and user-agent and
    /// location segments are resolved by its `/get-user-details`. Takes precedence over `base_url`.
    pub gateway_service: Option<String>,
    /// Storage connector (§6).
    pub storage: Option<Arc<dyn FlagStorage>>,
    /// Receives the log.
    pub logger: Option<Arc<dyn Logger>>,
    /// Whether `logger` is the host's own (usage stat `cl`); default: whether `logger` is given.
    pub logger_is_custom: Option<bool>,
    /// Messages below this level are not built (default ERROR).
    pub log_level: Option<LogLevel>,
    /// Decision hook (`integrations.callback`).
    pub integrations: Option<Arc<dyn IntegrationsHook>>,
    /// SDK event batching (`batch_event_data`): payloads wait in the queue and go out as
    /// `batch-events-v2` requests of `events_per_request`, or every `request_time_interval` seconds.
    pub batch_events: Option<BatchEventsConfig>,
    /// Polling period (`poll_interval`, ≥ 1 s); default the settings' `pollInterval`, else 10 min.
    /// `Some(Duration::ZERO)` turns polling off.
    pub poll_interval: Option<Duration>,
    /// `isDevelopmentMode`: the settings fetch omits `s=prod`.
    pub development_mode: bool,
    /// `is_usage_stats_disabled`: no usage stats on the first impressions, no usage-stats event.
    pub usage_stats_disabled: bool,
    /// `threading.enabled` as the host configured it (only reported in usage stats: libvwo always sends
    /// on its dispatcher thread); `None` = absent.
    pub threading: Option<bool>,
    /// `threading.max_workers` as the host configured it (usage stat `th_mps` only).
    pub threading_max_workers: Option<u64>,
    /// `lv` of the usage stats: the host language's version (bindings give theirs).
    pub language_version: Option<String>,
    /// `sn` (default [`SDK_NAME`]); bindings give theirs.
    pub sdk_name: Option<String>,
    /// The init options as the host gave them (the usage-stats event's `initConfig`).
    pub init_config: Option<Value>,
    /// Hands events to the host instead of libvwo's dispatcher.
    pub event_sink: Option<Arc<dyn EventSink>>,
    /// libvwo's delivery (queue, retries, spool, timeouts, transport).
    pub delivery: DeliveryOptions,
    /// Time source (tests freeze it).
    pub clock: Option<Arc<dyn Clock>>,
    /// `random` source (tests freeze it).
    pub random: Option<Arc<dyn RandomSource>>,
}

/// The settings in force: compiled, and their source text (`GetOriginalSettings`).
pub struct Loaded {
    /// Compiled settings.
    pub settings: FmeSettings,
    /// The JSON text they were compiled from.
    pub source: String,
}

/// A rule's part in a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// Rule key.
    pub rule_key: String,
    /// Rule type.
    pub kind: RuleKind,
    /// Campaign id.
    pub campaign_id: Id,
    /// Campaign key as storage and logs use it (testing: the campaign key; else `<feature>_<rule>`).
    pub experiment_key: String,
    /// Variation id.
    pub variation_id: Id,
    /// Variation name.
    pub variation_name: String,
    /// Reached by whitelisting.
    pub whitelisted: bool,
}

/// Where a flag's decision came from, beyond [`FlagReason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionSource {
    /// Evaluated in this call.
    Evaluated,
    /// Read from the storage connector.
    Stored,
}

/// The answer of [`FmeClient::get_flag`] (`GetFlag` of the reference).
#[derive(Debug, Clone)]
pub struct Flag {
    enabled: bool,
    /// The variation's variables, shared with the settings (`None`: no variables).
    variables: Option<Arc<[FmeVariable]>>,
    uuid: Option<String>,
    session_id: u64,
    /// Why.
    pub reason: FlagReason,
    /// Evaluated or stored.
    pub source: DecisionSource,
    /// The rollout rule that passed.
    pub rollout: Option<RuleInfo>,
    /// The experiment rule that assigned the variation.
    pub experiment: Option<RuleInfo>,
}

impl Flag {
    fn disabled(reason: FlagReason, uuid: Option<String>, session_id: u64) -> Flag {
        Flag {
            enabled: false,
            variables: None,
            uuid,
            session_id,
            reason,
            source: DecisionSource::Evaluated,
            rollout: None,
            experiment: None,
        }
    }

    /// `is_enabled()`.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The variables of the variation in force, in settings order.
    pub fn variables(&self) -> &[FmeVariable] {
        self.variables.as_deref().unwrap_or(&[])
    }

    /// `get_variables()`: `[{"id", "value", "type", "key"}]`.
    pub fn variables_json(&self) -> Value {
        Value::Array(
            self.variables()
                .iter()
                .map(|v| {
                    let mut m = Map::new();
                    m.insert("id".into(), id_value(&v.id));
                    m.insert("value".into(), v.value.clone());
                    m.insert("type".into(), Value::from(v.kind.as_str()));
                    m.insert("key".into(), Value::from(v.key.as_str()));
                    Value::Object(m)
                })
                .collect(),
        )
    }

    /// `get_variable(key, default)`: the value as in settings (no coercion), else `None`.
    pub fn variable(&self, key: &str) -> Option<&Value> {
        self.variables()
            .iter()
            .find(|v| v.key == key)
            .map(|v| &v.value)
    }

    /// `get_uuid()`.
    pub fn uuid(&self) -> Option<&str> {
        self.uuid.as_deref()
    }

    /// `get_session_id()`.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }
}

fn id_value(id: &Id) -> Value {
    id.to_json()
}

use decision::python_type as py_type;

const INVALID_CONTEXT: &str =
    "Context should be of type:object and must contain a mandatory key: id, which is User ID";
const USER_ID_NOT_STRING: &str = "user_id under context must be a string value";

/// An FME client. Cheap to share (`Arc` inside); every method takes `&self` and may be called from any
/// thread. Dropping the last handle (or [`FmeClient::close`]) stops polling and delivers what is queued
/// (bounded by the delivery options' close timeout).
#[derive(Clone)]
pub struct FmeClient {
    inner: Arc<Inner>,
}

struct Inner {
    loaded: ArcSwapOption<Loaded>,
    sender: Sender,
    /// The dispatcher's context of this client's SDK batch queue (`batch-events-v2` batches).
    batch: Arc<crate::events::EventContext>,
    /// Where events go (the collection prefix of the settings in force is added).
    events_base: String,
    settings_base: String,
    sdk_uuid: String,
    storage: Option<Arc<dyn FlagStorage>>,
    logger: Arc<dyn Logger>,
    log_level: LogLevel,
    integrations: Option<Arc<dyn IntegrationsHook>>,
    batching: bool,
    /// The gateway's base URL, when one is configured.
    gateway: Option<String>,
    delivery: Delivery,
    transport: OnceLock<Arc<dyn Transport>>,
    delivery_options: DeliveryOptions,
    development_mode: bool,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    /// Usage stats still to be attached to rule impressions (§7.7), until an `/events/t` send.
    /// The usage stats impressions carry until the first visitor event is delivered.
    usage: Mutex<Option<Arc<RenderedUsage>>>,
    usage_sent: AtomicBool,
    poll_interval: Option<Duration>,
    poller: Mutex<Option<StopSignal>>,
    closed: AtomicBool,
}

/// The polling thread's stop flag and its wake-up.
type StopSignal = Arc<(Mutex<bool>, Condvar)>;

macro_rules! log_at {
    ($inner:expr, $level:expr, $($arg:tt)*) => {
        if $level >= $inner.log_level {
            $inner.logger.log($level, &format!($($arg)*));
        }
    };
}

impl FmeClient {
    /// `vwo.init(options)`: validates the options, takes the given settings or fetches them
    /// (`/server-side/v2-settings`, with the reference's retries), sends `vwo_fmeSdkInit` (and the
    /// usage-stats event when the settings ask for it) and starts polling. Fails with
    /// [`ErrorKind::InvalidOptions`] naming the option, or [`ErrorKind::InvalidSettings`] naming the JSON
    /// path, or the fetch's error.
    pub fn init(options: FmeOptions) -> Result<FmeClient, Error> {
        if options.sdk_key.is_empty() {
            return Err(Error::options(
                "sdk_key",
                "SDK key is required to initialize VWO. Please provide the sdk_key in the options.",
            ));
        }
        if !crate::python::py_truthy(&options.account_id) {
            return Err(Error::options(
                "account_id",
                "Account ID is required to initialize VWO. Please provide the account_id in the options.",
            ));
        }
        if let Some(interval) = options.poll_interval {
            if !interval.is_zero() && interval < Duration::from_secs(1) {
                return Err(Error::options(
                    "poll_interval",
                    "must be at least 1000 ms (or 0 to turn polling off)",
                ));
            }
        }
        if let Some(batch) = &options.batch_events {
            batch.validate()?;
        }
        let started = std::time::Instant::now();
        let log_level = options.log_level.unwrap_or(LogLevel::Error);
        let custom_logger = options.logger_is_custom.unwrap_or(options.logger.is_some());
        let logger: Arc<dyn Logger> = options
            .logger
            .clone()
            .unwrap_or_else(|| Arc::new(StderrLogger));
        let gateway = match &options.gateway_service {
            Some(url) => Some(gateway_base(url)?),
            None => None,
        };
        let base = gateway
            .as_deref()
            .or(options.base_url.as_deref())
            .map(|b| b.trim_end_matches('/'));
        if gateway.is_some() && options.batch_events.is_some() && LogLevel::Warning >= log_level {
            logger.log(
                LogLevel::Warning,
                "Gateway service is configured. Event batching will be handled by the gateway. SDK batching is disabled.",
            );
        }
        let batch_events = options.batch_events.clone().filter(|_| gateway.is_none());
        let events_base = base.unwrap_or(options.entry.events_base()).to_owned();
        let sender = Sender {
            account_id: options.account_id.clone(),
            sdk_key: options.sdk_key.clone(),
            sdk_name: options
                .sdk_name
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| SDK_NAME.to_owned()),
            sdk_version: crate::client::SDK_VERSION.to_owned(),
        };
        let settings_base = base.unwrap_or(options.entry.settings_base()).to_owned();
        let account_text = sender.account_text();
        let sdk_uuid = crate::events::visitor_uuid(
            &account_text,
            &format!("{account_text}_{}", options.sdk_key),
        );
        let delivery_options = options.delivery.clone();
        let transport = OnceLock::new();
        let collector = Collector::new(&events_base, None);
        let delivery = match options.event_sink.clone() {
            Some(sink) => Delivery::sink(sink, collector, batch_events.as_ref()),
            None => {
                let t = delivery_options.transport()?;
                let _ = transport.set(t.clone());
                Delivery::dispatcher(
                    &delivery_options,
                    collector,
                    t,
                    batch_events.as_ref(),
                    logger.clone(),
                    log_level,
                    false,
                )?
            }
        };
        let usage = (!options.usage_stats_disabled).then(|| {
            let mut u = Map::new();
            u.insert("a".into(), options.account_id.clone());
            u.insert("env".into(), Value::from(options.sdk_key.as_str()));
            let flags = [
                ("ig", options.integrations.is_some()),
                ("eb", options.batch_events.is_some()),
                ("gs", gateway.is_some()),
                ("cl", custom_logger),
                ("ss", options.storage.is_some()),
            ];
            for (k, on) in flags {
                if on {
                    u.insert(k.into(), Value::from(1));
                }
            }
            if let Some(level) = options.log_level {
                let ll = match level {
                    LogLevel::Debug => 1,
                    LogLevel::Info => 2,
                    LogLevel::Warning => 3,
                    LogLevel::Error => 4,
                };
                u.insert("ll".into(), Value::from(ll));
            }
            if options.poll_interval.is_some_and(|d| !d.is_zero()) {
                u.insert("pi".into(), Value::from(1));
            }
            u.insert(
                "lv".into(),
                Value::from(
                    options
                        .language_version
                        .clone()
                        .unwrap_or_else(|| concat!("libvwo ", env!("CARGO_PKG_VERSION")).into()),
                ),
            );
            if options.threading != Some(false) {
                u.insert("th".into(), Value::from(1));
                if let Some(w) = options.threading_max_workers {
                    u.insert("th_mps".into(), Value::from(w));
                }
            }
            u
        });
        let inner = Arc::new(Inner {
            loaded: ArcSwapOption::empty(),
            batch: Arc::new(sender.batch_context()),
            sender,
            events_base,
            settings_base,
            sdk_uuid,
            storage: options.storage.clone(),
            logger,
            log_level,
            integrations: options.integrations.clone(),
            batching: batch_events.is_some(),
            gateway: gateway.clone(),
            delivery,
            transport,
            delivery_options,
            development_mode: options.development_mode,
            clock: options
                .clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemClock)),
            random: options
                .random
                .clone()
                .unwrap_or_else(|| Arc::new(ThreadRandom)),
            usage: Mutex::new(usage.as_ref().and_then(RenderedUsage::of).map(Arc::new)),
            usage_sent: AtomicBool::new(false),
            poll_interval: options.poll_interval,
            poller: Mutex::new(None),
            closed: AtomicBool::new(false),
        });
        let fetch_started = std::time::Instant::now();
        let text = match &options.settings {
            Some(text) => text.clone(),
            None => inner.fetch_settings(false)?,
        };
        let fetch_ms = fetch_started.elapsed().as_millis() as u64;
        let settings = FmeSettings::from_json(&text).inspect_err(|e| {
            log_at!(
                inner,
                LogLevel::Error,
                "Settings are not valid. Failed schema validation: {e}"
            );
        })?;
        inner.install(settings, text);
        log_at!(inner, LogLevel::Info, "VWO Client initialized");
        let client = FmeClient { inner };
        client.after_init(usage, &options, fetch_ms, started);
        client.start_polling();
        Ok(client)
    }

    fn after_init(
        &self,
        usage: Option<UsageStats>,
        options: &FmeOptions,
        fetch_ms: u64,
        started: std::time::Instant,
    ) {
        let inner = &*self.inner;
        let Some(loaded) = inner.loaded.load_full() else {
            return;
        };
        let stamp = inner.stamp();
        if !loaded.settings.was_initialized_earlier {
            let payload = wire::sdk_init(&inner.sender, &inner.sdk_uuid, stamp);
            inner.send_single(wire::SDK_INIT, payload, None, None, false, stamp);
        }
        if let (Some(account), Some(usage)) = (&loaded.settings.usage_stats_account_id, usage) {
            if inner.sampled(&loaded.settings, loaded.settings.usage_sampling_percent) {
                let mut sender = inner.sender.clone();
                sender.account_id = account.clone();
                let account_text = py_str(account);
                let uuid = crate::events::visitor_uuid(
                    &account_text,
                    &format!("{}_{}", inner.sender.account_text(), inner.sender.sdk_key),
                );
                let mut props = Map::new();
                props.insert("vwo_sdkName".into(), Value::from(sender.sdk_name.as_str()));
                props.insert(
                    "vwo_sdkVersion".into(),
                    Value::from(sender.sdk_version.as_str()),
                );
                props.insert("product".into(), Value::from("fme"));
                props.insert("vwoMeta".into(), Value::Object(usage));
                let mut data = Map::new();
                data.insert("settingsFetchTime".into(), Value::from(fetch_ms));
                data.insert(
                    "sdkInitTime".into(),
                    Value::from(started.elapsed().as_millis() as u64),
                );
                // The reference reports its options as it holds them after init: with its entry
                // flag and the polling period in force.
                let mut config = match options.init_config.clone() {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                config
                    .entry("is_via_vwo")
                    .or_insert(Value::Bool(options.entry == Entry::Vwo));
                let poll_ms = match options.poll_interval {
                    Some(d) => d.as_millis() as u64,
                    None => loaded.settings.poll_interval_ms as u64,
                };
                config
                    .entry("poll_interval")
                    .or_insert(Value::from(poll_ms));
                data.insert("initConfig".into(), Value::Object(config));
                props.insert("data".into(), Value::Object(data));
                let payload = usage_stats_payload(&uuid, props, stamp);
                let req = wire::single_request(
                    &sender,
                    "vwo_sdkUsageStats",
                    &payload,
                    None,
                    None,
                    false,
                    stamp,
                );
                inner.hand_over(req);
            }
        }
    }

    /// The settings text in force (`GetOriginalSettings`); empty before any.
    pub fn settings_json(&self) -> String {
        self.inner
            .loaded
            .load()
            .as_ref()
            .map(|l| l.source.clone())
            .unwrap_or_default()
    }

    /// Runs `f` on the settings in force.
    pub fn with_settings<R>(&self, f: impl FnOnce(Option<&FmeSettings>) -> R) -> R {
        let loaded = self.inner.loaded.load();
        f(loaded.as_ref().map(|l| &l.settings))
    }

    /// `get_flag(feature_key, context)` for a string key.
    pub fn get_flag(&self, feature_key: &str, context: &Value) -> Flag {
        self.inner.get_flag(&Value::from(feature_key), context)
    }

    /// `get_flag` with the feature key as any JSON value (a binding's argument as the host passed it:
    /// a non-string key fails as in the reference).
    pub fn get_flag_value(&self, feature_key: &Value, context: &Value) -> Flag {
        self.inner.get_flag(feature_key, context)
    }

    /// `track_event(event_name, context, event_properties)`: `Some(true)` when the event is a metric of
    /// some feature or holdout and was queued; `Some(false)` when it is not (logged); `None`... never:
    /// the reference's `{name: bool}` is built by the bindings from this answer.
    pub fn track_event(
        &self,
        event_name: &Value,
        context: &Value,
        event_properties: Option<&Value>,
    ) -> bool {
        self.inner
            .track_event(event_name, context, event_properties)
    }

    /// `set_attribute(attribute_map, context)`.
    pub fn set_attributes(&self, attributes: &Value, context: &Value) {
        self.inner.set_attribute(None, attributes, context)
    }

    /// `set_attribute(key, value, context)`.
    pub fn set_attribute(&self, key: &Value, value: &Value, context: &Value) {
        self.inner.set_attribute(Some(key), value, context)
    }

    /// `update_settings(settings, is_via_webhook)`: with settings, validates and swaps them in; without,
    /// fetches them (`/server-side/v2-pull` when `is_via_webhook`, else `/server-side/v2-settings`). The
    /// current settings stay on any failure, which is returned (and logged, with a debug event).
    pub fn update_settings(
        &self,
        settings: Option<&str>,
        is_via_webhook: bool,
    ) -> Result<(), Error> {
        self.inner.update_settings(settings, is_via_webhook)
    }

    /// `flush_events()`: sends every queued batch now and waits (up to the flush timeout) for what was
    /// queued before the call. `true` when it was all delivered (POLICY F3).
    pub fn flush_events(&self) -> bool {
        self.flush(None).0
    }

    /// Sends every queued batch now and waits up to `timeout` (default: the delivery options' flush
    /// timeout) for what was queued before the call: whether all of it was delivered (nothing failed
    /// or dropped meanwhile), and the dispatcher's report (`None` for a host event sink, which gets
    /// everything at once).
    pub fn flush(&self, timeout: Option<Duration>) -> (bool, Option<crate::FlushReport>) {
        let before = self.inner.delivery.counters().map(|c| c.failed + c.dropped);
        let report = self.inner.delivery.flush(timeout);
        let delivered = match &report {
            Some(r) => r.completed && Some(r.counters.failed + r.counters.dropped) == before,
            None => true,
        };
        (delivered, report)
    }

    /// The delivery counters (`None` for a host event sink).
    pub fn counters(&self) -> Option<crate::DeliveryCounters> {
        self.inner.delivery.counters()
    }

    /// Whether SDK event batching is on.
    pub fn is_batching(&self) -> bool {
        self.inner.batching
    }

    /// Stops polling and delivers what is queued (bounded by the close timeout). Later calls still
    /// decide; their events are counted as dropped.
    pub fn close(&self) {
        self.inner.close();
    }
}

fn usage_stats_payload(uuid: &str, props: Map<String, Value>, stamp: Stamp) -> RenderedEvent {
    let mut event = Map::new();
    event.insert("props".into(), Value::Object(props));
    event.insert("name".into(), Value::from("vwo_sdkUsageStats"));
    event.insert("time".into(), Value::from(stamp.unix_ms));
    let mut d = Map::new();
    d.insert(
        "msgId".into(),
        Value::from(format!("{uuid}-{}", stamp.unix_ms)),
    );
    d.insert("visId".into(), Value::from(uuid));
    d.insert("sessionId".into(), Value::from(stamp.unix_ms / 1000));
    d.insert("event".into(), Value::Object(event));
    let mut root = Map::new();
    root.insert("d".into(), Value::Object(d));
    RenderedEvent::from(Value::Object(root))
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_polling();
    }
}

/// The outcome of validating an API's context.
enum ContextCheck<'a> {
    Ok(Box<FlagContext<'a>>),
    /// Error log lines (the first without a debug event) and the `EXECUTION_FAILED` error text.
    Failed(Option<&'static str>, String),
}

fn check_context(context: &Value) -> ContextCheck<'_> {
    match FlagContext::from_json(context) {
        Ok(c) if c.use_id_for_web && !decision::is_web_uuid(&c.id) => ContextCheck::Failed(
            None,
            "UUID passed in context is not a valid UUID".to_owned(),
        ),
        Ok(c) => ContextCheck::Ok(Box::new(c)),
        Err(decision::ContextError::IdNotAString) => {
            ContextCheck::Failed(Some(USER_ID_NOT_STRING), USER_ID_NOT_STRING.to_owned())
        }
        Err(_) => ContextCheck::Failed(Some(INVALID_CONTEXT), "Invalid context".to_owned()),
    }
}

impl Inner {
    fn stamp(&self) -> Stamp {
        Stamp {
            random: self.random.random(),
            unix_ms: self.clock.unix_ms(),
        }
    }

    fn now_secs(&self) -> u64 {
        self.clock.unix_ms() / 1000
    }

    fn install(&self, settings: FmeSettings, source: String) {
        let prefix = settings
            .collection_prefix
            .as_deref()
            .filter(|_| self.gateway.is_none());
        self.delivery
            .set_collector(Collector::new(&self.events_base, prefix));
        self.loaded
            .store(Some(Arc::new(Loaded { settings, source })));
    }

    /// Queues one payload in the SDK batch queue.
    fn enqueue(&self, payload: RenderedEvent) {
        if let Err(e) = self.delivery.enqueue(&self.batch, payload) {
            log_at!(
                self,
                LogLevel::Error,
                "event not accepted for delivery: {e}"
            );
        }
    }

    fn transport(&self) -> Result<Arc<dyn Transport>, Error> {
        if let Some(t) = self.transport.get() {
            return Ok(t.clone());
        }
        let t = self.delivery_options.transport()?;
        Ok(self.transport.get_or_init(|| t).clone())
    }

    /// `GET /server-side/v2-settings` (or `v2-pull`), retried as the reference does (§8.3: 3 retries,
    /// 2/4/8 s apart, not on 400).
    fn fetch_settings(&self, via_webhook: bool) -> Result<String, Error> {
        let path = if via_webhook {
            "/server-side/v2-pull"
        } else {
            "/server-side/v2-settings"
        };
        let mut query = vec![
            ("i", self.sender.sdk_key.clone()),
            ("r", py_float_repr(self.random.random())),
            ("a", self.sender.account_text()),
            ("platform", "server".to_owned()),
            ("api-version", "1".to_owned()),
            ("sn", self.sender.sdk_name.clone()),
            ("sv", self.sender.sdk_version.clone()),
        ];
        if !self.development_mode {
            query.push(("s", "prod".to_owned()));
        }
        let target = wire::requote_query(path, &query);
        let url = format!("{}{target}", self.settings_base);
        let req = EventRequest {
            method: HttpMethod::Get,
            path: target,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        };
        let transport = self.transport()?;
        let mut last = String::new();
        for attempt in 0..4u32 {
            if attempt > 0 {
                let delay = Duration::from_secs(2u64 << (attempt - 1));
                log_at!(
                    self,
                    LogLevel::Error,
                    "Request failed for {}{path}, Error: {last}. Retrying in {} seconds, attempt {attempt} of 3",
                    self.settings_base,
                    delay.as_secs()
                );
                if self.wait_or_closed(delay) {
                    break;
                }
            }
            match transport.execute(&url, &req) {
                Ok(resp) if resp.status == 200 => return Ok(resp.body),
                Ok(resp) => {
                    last = format!("HTTP status {}", resp.status);
                    if resp.status == 400 {
                        break;
                    }
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::new(
            ErrorKind::Internal,
            format!(
                "fetching settings from {}{path}: {last}",
                self.settings_base
            ),
        ))
    }

    /// Sleeps `d` unless the client is closed first (then `true`).
    fn wait_or_closed(&self, d: Duration) -> bool {
        let step = Duration::from_millis(50);
        let mut left = d;
        while !left.is_zero() {
            if self.closed.load(Ordering::Acquire) {
                return true;
            }
            let s = left.min(step);
            std::thread::sleep(s);
            left -= s;
        }
        self.closed.load(Ordering::Acquire)
    }

    fn loaded(&self) -> Option<Arc<Loaded>> {
        self.loaded.load_full()
    }

    // ------------------------------------------------------------------------------------------------
    // Delivery

    fn hand_over(&self, req: EventRequest) {
        if let Err(e) = self.delivery.deliver(req) {
            log_at!(
                self,
                LogLevel::Error,
                "event not accepted for delivery: {e}"
            );
        }
    }

    /// One payload: queued in the SDK batch queue when batching, else its own `/events/t` POST.
    fn send_single(
        &self,
        name: &str,
        payload: RenderedEvent,
        ua: Option<&str>,
        ip: Option<&str>,
        visitor: bool,
        stamp: Stamp,
    ) {
        if self.batching {
            self.enqueue(payload);
            return;
        }
        let req = wire::single_request(&self.sender, name, &payload, ua, ip, visitor, stamp);
        self.hand_over(req);
    }

    /// A get_flag call's payloads: each into the SDK batch queue, or one `batch-events-v2` request
    /// (none when there is nothing to send: POLICY F2).
    fn send_batch(
        &self,
        payloads: Vec<RenderedEvent>,
        sender: &Sender,
        gateway_visitor: Option<(Option<&str>, Option<&str>)>,
    ) {
        if payloads.is_empty() {
            return;
        }
        if self.batching {
            for p in payloads {
                self.enqueue(p);
            }
            return;
        }
        if let Some((ua, ip)) = gateway_visitor {
            // With a gateway each impression is its own `/events/t` POST (§2.3).
            let stamp = self.stamp();
            for p in payloads {
                let req =
                    wire::single_request(sender, wire::VARIATION_SHOWN, &p, ua, ip, true, stamp);
                self.hand_over(req);
            }
            return;
        }
        self.hand_over(wire::batch_request(sender, &payloads));
    }

    /// With a gateway: the visitor's UA and IP for one-by-one impression requests.
    fn gateway_visitor<'v>(&self, visit: &Visit<'v>) -> Option<(Option<&'v str>, Option<&'v str>)> {
        self.gateway
            .as_ref()
            .map(|_| (visit.user_agent, visit.ip_address))
    }

    /// §5.5: the visitor's location and user-agent data from the gateway's `/get-user-details`, when
    /// the feature (or a holdout) needs it, the context has a user agent or an IP, and no `_vwo` data.
    fn resolve_gateway_data(
        &self,
        settings: &FmeSettings,
        feature_key: &str,
        ctx: &mut FlagContext,
    ) {
        let Some(gateway) = &self.gateway else {
            return;
        };
        if ctx.gateway_data.is_some() || (ctx.user_agent.is_none() && ctx.ip_address.is_none()) {
            return;
        }
        let needed = settings
            .feature(feature_key)
            .is_some_and(|f| f.needs_gateway)
            || settings.holdouts.iter().any(|h| h.needs_gateway);
        if !needed {
            return;
        }
        let mut query = Vec::with_capacity(2);
        if let Some(ua) = &ctx.user_agent {
            query.push(("userAgent", ua.clone()));
        }
        if let Some(ip) = &ctx.ip_address {
            query.push(("ipAddress", ip.clone()));
        }
        let req = EventRequest {
            method: HttpMethod::Get,
            path: "/get-user-details".to_owned(),
            query,
            headers: Vec::new(),
            body: None,
        };
        let url = Collector::new(gateway, None).url(&req);
        let answer = self
            .transport()
            .map_err(|e| e.to_string())
            .and_then(|t| t.execute(&url, &req).map_err(|e| e.to_string()))
            .and_then(|r| {
                if r.status == 200 {
                    serde_json::from_str::<Value>(&r.body).map_err(|e| e.to_string())
                } else {
                    Err(format!("HTTP status {}", r.status))
                }
            });
        match answer {
            Ok(Value::Object(m)) => ctx.gateway_data = Some(std::borrow::Cow::Owned(m)),
            Ok(_) => log_at!(
                self,
                LogLevel::Error,
                "gateway get-user-details: not a JSON object"
            ),
            Err(e) => log_at!(
                self,
                LogLevel::Error,
                "gateway get-user-details failed: {e}"
            ),
        }
    }

    fn sampled(&self, settings: &FmeSettings, percent: f64) -> bool {
        if !settings.apply_sampling {
            return true;
        }
        (self.random.random() * 101.0).floor() <= percent
    }

    /// An error log line, and its `vwo_sdkDebug` event (§7.4h) with `debug` props (`an` first).
    fn error(&self, message: &str, debug: Option<(Vec<(&str, Value)>, &str)>) {
        log_at!(self, LogLevel::Error, "{message}");
        let Some((props, msg_t)) = debug else {
            return;
        };
        let loaded = self.loaded();
        if let Some(l) = &loaded {
            let sampled_kind = matches!(msg_t, "EVENT_NOT_FOUND" | "FEATURE_NOT_FOUND");
            if sampled_kind && !self.sampled(&l.settings, l.settings.debug_sampling_percent) {
                return;
            }
        }
        let mut meta = Map::new();
        let mut tail = Vec::new();
        for (k, v) in props {
            if matches!(k, "an" | "fk" | "uuid" | "sId") {
                meta.insert(k.to_owned(), v);
            } else {
                tail.push((k, v));
            }
        }
        meta.insert("msg_t".into(), Value::from(msg_t));
        meta.insert("msg".into(), Value::from(message));
        meta.insert("lt".into(), Value::from("error"));
        meta.insert("cg".into(), Value::from("error"));
        for (k, v) in tail {
            meta.insert(k.to_owned(), v);
        }
        self.send_debug(DebugProps(meta));
    }

    fn send_debug(&self, props: DebugProps) {
        let stamp = self.stamp();
        let sender = &self.sender;
        let event_id = wire::debug_event_id(&self.sender.sdk_key, &random_uuid());
        let payload = wire::sdk_debug(sender, &self.sdk_uuid, props, &event_id, stamp);
        // Debug events are always sent on their own, never batched.
        let req = wire::single_request(sender, wire::SDK_DEBUG, &payload, None, None, false, stamp);
        self.hand_over(req);
    }

    fn api_failed(&self, api: &str, an: &str, err: &str) {
        self.error(
            &format!("API - {api} failed to execute. Error:{err}"),
            Some((vec![("an", Value::from(an))], "EXECUTION_FAILED")),
        );
    }

    fn take_usage(&self) -> Option<Arc<RenderedUsage>> {
        if self.usage_sent.load(Ordering::Relaxed) {
            return None;
        }
        self.usage.lock().ok().and_then(|u| u.clone())
    }

    /// The reference clears the usage stats after its first successful `/events/t` send of a visitor
    /// event (track, attribute): from then on impressions carry none.
    fn usage_delivered(&self) {
        if !self.usage_sent.swap(true, Ordering::Relaxed) {
            if let Ok(mut u) = self.usage.lock() {
                *u = None;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // get_flag

    fn get_flag(&self, feature_key: &Value, context: &Value) -> Flag {
        log_at!(self, LogLevel::Debug, "API - getFlag called");
        let now = self.now_secs();
        let ctx = match check_context(context) {
            ContextCheck::Ok(c) => c,
            ContextCheck::Failed(first, err) => {
                if let Some(first) = first {
                    log_at!(self, LogLevel::Error, "{first}");
                }
                self.api_failed("getFlag", "getFlag", &err);
                let session = context
                    .get("session_id")
                    .and_then(Value::as_u64)
                    .unwrap_or(now);
                return Flag::disabled(
                    FlagReason::InvalidContext(decision::ContextError::NotAnObject),
                    None,
                    session,
                );
            }
        };
        let Some(loaded) = self.loaded() else {
            self.error("Settings are not valid. Failed schema validation", None);
            self.api_failed("getFlag", "getFlag", "Invalid Settings schema");
            return Flag::disabled(FlagReason::FeatureNotFound, None, now);
        };
        let settings = &loaded.settings;
        let session_id = ctx.session_id.unwrap_or(now);
        if ctx.id.is_empty() {
            // The reference decides nothing for an empty id and sends nothing but the error of an
            // unknown feature.
            if let Value::String(key) = feature_key {
                if settings.feature_index(key).is_none() {
                    self.feature_not_found(key, None, session_id);
                }
            }
            log_at!(
                self,
                LogLevel::Warning,
                "getFlag: the context id is empty; the flag is disabled"
            );
            return Flag::disabled(
                FlagReason::InvalidContext(decision::ContextError::EmptyId),
                None,
                session_id,
            );
        }
        let uuid = decision::visitor_uuid(settings, &ctx.id);
        let Value::String(key) = feature_key else {
            log_at!(
                self,
                LogLevel::Error,
                "Key:{} passed to API:getFlag is not of valid type. Got type:{}, should be:string",
                py_str(feature_key),
                py_type(feature_key)
            );
            self.api_failed(
                "getFlag",
                "getFlag",
                "TypeError: featureKey should be a string",
            );
            return Flag::disabled(FlagReason::FeatureNotFound, Some(uuid), session_id);
        };
        let mut ctx = ctx;
        self.resolve_gateway_data(settings, key, &mut ctx);
        let sender = &self.sender;
        let visit = Visit {
            uuid: Some(&uuid),
            session_id: event_session(session_id, now),
            user_agent: ctx.user_agent.as_deref(),
            ip_address: ctx.ip_address.as_deref(),
        };
        let session = StorageSession::new(self.storage.as_deref(), &ctx.id, |msg: &str| {
            self.error(
                msg,
                Some((vec![("an", Value::from("getFlag"))], "ERROR_STORAGE")),
            );
        });
        let d = decision::get_flag_for(settings, key, &ctx, &session, &uuid);
        let flag = self.flag_of(&d, session_id);
        if !d.early_impressions.is_empty() {
            let stamp = self.stamp();
            let early = self.payloads(
                sender,
                settings,
                &ctx,
                &d.early_impressions,
                &visit,
                None,
                &[],
                now,
                stamp,
            );
            self.send_batch(early, sender, self.gateway_visitor(&visit));
        }
        if d.reason == FlagReason::InvalidContext(decision::ContextError::VariablesNotAnObject) {
            let t = ctx.unusable_variables.unwrap_or("NoneType");
            self.api_failed(
                "getFlag",
                "getFlag",
                &format!("'{t}' object is not a mapping"),
            );
            return flag;
        }
        // Storage write (§4.9 step 1), hooks, debugger.
        if matches!(d.reason, FlagReason::FeatureNotFound) {
            self.feature_not_found(key, Some(&uuid), session_id);
        }
        if d.feature.is_some() && !d.stored {
            self.run_hook(&d, &ctx, key);
        }
        if let Some(feature) = d.feature.filter(|f| f.is_debugger_enabled && !d.stored) {
            if !matches!(d.reason, FlagReason::InHoldout(_)) {
                self.debugger_event(feature, &d, &uuid, session_id);
            }
        }
        // Impressions (§4.9 steps 4–5).
        let usage = self.take_usage();
        let post_seg: Vec<(String, Value)> = ctx
            .post_segmentation_variables
            .iter()
            .filter_map(|k| ctx.custom_variables.get(k).map(|v| (k.clone(), v.clone())))
            .collect();
        let stamp = self.stamp();
        let shown = !d.impressions.is_empty() || !d.early_impressions.is_empty();
        let payloads = self.payloads(
            sender,
            settings,
            &ctx,
            &d.impressions,
            &visit,
            usage.as_deref(),
            &post_seg,
            now,
            stamp,
        );
        self.send_batch(payloads, sender, self.gateway_visitor(&visit));
        // A fresh holdout match sends no usage ping; the stored paths do (§4.2, §4.3).
        let fresh_holdout = matches!(d.reason, FlagReason::InHoldout(_)) && !d.stored;
        if settings.is_mau && !shown && !fresh_holdout {
            let payload = wire::fe_track_usage(sender, &visit, stamp);
            self.send_single(
                wire::FE_TRACK_USAGE,
                payload,
                visit.user_agent,
                visit.ip_address,
                true,
                stamp,
            );
        }
        flag
    }

    /// The payloads of a call's impressions (§7.4a, §7.4b).
    #[allow(clippy::too_many_arguments)]
    fn payloads(
        &self,
        sender: &Sender,
        settings: &FmeSettings,
        ctx: &FlagContext,
        impressions: &[Impression],
        visit: &Visit<'_>,
        usage: Option<&RenderedUsage>,
        post_seg: &[(String, Value)],
        now: u64,
        stamp: Stamp,
    ) -> Vec<RenderedEvent> {
        let mut payloads = Vec::with_capacity(impressions.len());
        for imp in impressions {
            match imp {
                Impression::Variation {
                    campaign_id,
                    variation_id,
                } => {
                    payloads.push(wire::variation_shown(
                        sender,
                        visit,
                        campaign_id,
                        &id_text(variation_id),
                        usage,
                        post_seg,
                        stamp,
                    ));
                }
                Impression::Impact {
                    campaign_id,
                    variation,
                } => {
                    payloads.push(wire::variation_shown(
                        sender,
                        visit,
                        campaign_id,
                        &variation.to_string(),
                        usage,
                        post_seg,
                        stamp,
                    ));
                }
                Impression::Holdout {
                    holdout_id,
                    variation,
                    feature_id,
                } => {
                    let raw_uuid =
                        crate::events::visitor_uuid_in(&settings.visitor_namespace, &ctx.id);
                    let holdout_visit = Visit {
                        uuid: Some(&raw_uuid),
                        session_id: now,
                        ..*visit
                    };
                    payloads.push(wire::holdout_shown(
                        sender,
                        &holdout_visit,
                        holdout_id,
                        *variation,
                        feature_id,
                        stamp,
                    ));
                }
            }
        }
        payloads
    }

    fn feature_not_found(&self, key: &str, uuid: Option<&str>, session_id: u64) {
        self.error(
            &format!("Feature not found for the key:{key}"),
            Some((
                vec![
                    ("an", Value::from("getFlag")),
                    ("fk", Value::from(key)),
                    ("uuid", uuid.map_or(Value::Null, Value::from)),
                    ("sId", Value::from(session_id)),
                ],
                "FEATURE_NOT_FOUND",
            )),
        );
    }

    fn flag_of(&self, d: &FlagDecision<'_>, session_id: u64) -> Flag {
        let info = |rv: &decision::RuleVariation<'_>| {
            let feature = d.feature;
            RuleInfo {
                rule_key: rv.rule.rule_key.clone(),
                kind: rv.campaign.kind,
                campaign_id: rv.campaign.id.clone(),
                experiment_key: feature.map(|f| rv.key(f)).unwrap_or_default(),
                variation_id: rv.variation.id.clone(),
                variation_name: rv.variation.name.clone(),
                whitelisted: rv.whitelisted,
            }
        };
        Flag {
            enabled: d.enabled,
            variables: d.shared_variables(),
            uuid: d.uuid.clone(),
            session_id,
            reason: d.reason.clone(),
            source: if d.stored {
                DecisionSource::Stored
            } else {
                DecisionSource::Evaluated
            },
            rollout: d.rollout.as_ref().map(info),
            experiment: d.experiment.as_ref().map(info),
        }
    }

    fn run_hook(&self, d: &FlagDecision<'_>, ctx: &FlagContext, key: &str) {
        let Some(hook) = &self.integrations else {
            return;
        };
        let Some(feature) = d.feature else {
            return;
        };
        let mut m = Map::new();
        m.insert("featureName".into(), Value::from(feature.name.as_str()));
        m.insert("featureId".into(), id_value(&feature.id));
        m.insert("featureKey".into(), Value::from(key));
        m.insert("userId".into(), Value::from(&*ctx.id));
        m.insert("api".into(), Value::from("getFlag"));
        let holdout_ids: Vec<Value> = d
            .holdouts
            .iter()
            .filter(|(_, inside)| *inside)
            .map(|(id, _)| id_value(id))
            .collect();
        let in_holdout = !holdout_ids.is_empty();
        m.insert("holdoutIDs".into(), Value::Array(holdout_ids));
        m.insert("isPartOfHoldout".into(), Value::Bool(in_holdout));
        m.insert("isHoldoutPresent".into(), Value::Bool(in_holdout));
        m.insert(
            "isUserPartOfCampaign".into(),
            Value::Bool(d.rollout.is_some() || d.experiment.is_some()),
        );
        if let Some(rv) = d
            .rollout
            .as_ref()
            .filter(|_| !d.stored_rollout || d.experiment.is_some())
        {
            m.insert("rolloutId".into(), id_value(&rv.campaign.id));
            m.insert("rolloutKey".into(), Value::from(rv.key(feature)));
            m.insert("rolloutVariationId".into(), id_value(&rv.variation.id));
        }
        if let Some(rv) = &d.experiment {
            m.insert("experimentId".into(), id_value(&rv.campaign.id));
            m.insert("experimentKey".into(), Value::from(rv.key(feature)));
            m.insert("experimentVariationId".into(), id_value(&rv.variation.id));
        }
        if in_holdout {
            m.insert("isEnabled".into(), Value::Bool(false));
        }
        m.insert(
            "custom_variables".into(),
            Value::Object(ctx.custom_variables.clone().into_owned()),
        );
        m.insert(
            "variation_targeting_variables".into(),
            Value::Object(ctx.variation_targeting_variables.clone().into_owned()),
        );
        let hook = hook.clone();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook.on_decision(&m)));
        if result.is_err() {
            log_at!(
                self,
                LogLevel::Error,
                "Error while executing integrations callback: the callback panicked"
            );
        }
    }

    fn debugger_event(
        &self,
        feature: &super::settings::Feature,
        d: &FlagDecision<'_>,
        uuid: &str,
        session_id: u64,
    ) {
        let strip = |key: &str| {
            key.strip_prefix(&format!("{}_", feature.key))
                .unwrap_or(key)
                .to_owned()
        };
        let mut msg = format!("Flag decision given for feature:{}.", feature.key);
        if let Some(rv) = d
            .rollout
            .as_ref()
            .filter(|_| !d.stored_rollout || d.experiment.is_some())
        {
            msg.push_str(&format!(
                " Got rollout:{} with variation:{}",
                strip(&rv.key(feature)),
                id_text(&rv.variation.id)
            ));
        }
        if let Some(rv) = &d.experiment {
            msg.push_str(&format!(
                " and experiment:{} with variation:{}",
                strip(&rv.key(feature)),
                id_text(&rv.variation.id)
            ));
        }
        let mut meta = Map::new();
        meta.insert("an".into(), Value::from("getFlag"));
        meta.insert("fk".into(), Value::from(feature.key.as_str()));
        meta.insert("uuid".into(), Value::from(uuid));
        meta.insert("sId".into(), Value::from(session_id));
        meta.insert("cg".into(), Value::from("decision"));
        meta.insert("lt".into(), Value::from("info"));
        meta.insert("msg_t".into(), Value::from("FLAG_DECISION_GIVEN"));
        meta.insert("msg".into(), Value::from(msg));
        self.send_debug(DebugProps(meta));
    }

    // ------------------------------------------------------------------------------------------------
    // track_event, set_attribute

    fn track_event(&self, name: &Value, context: &Value, properties: Option<&Value>) -> bool {
        log_at!(self, LogLevel::Debug, "API - track_event called");
        let Value::String(name) = name else {
            log_at!(
                self,
                LogLevel::Error,
                "Key:event_name passed to API:track_event is not of valid type. Got type:{}, should be:string",
                py_type(name)
            );
            self.api_failed(
                "track_event",
                "trackEvent",
                "TypeError: event_name should be a string",
            );
            return false;
        };
        let empty = Map::new();
        let properties = match properties {
            None => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                log_at!(
                    self,
                    LogLevel::Error,
                    "Key:event_properties passed to API:track_event is not of valid type. Got type:{}, should be:object",
                    py_type(other)
                );
                self.api_failed(
                    "track_event",
                    "trackEvent",
                    "TypeError: event_properties should be an object",
                );
                return false;
            }
        };
        let Some(loaded) = self.loaded() else {
            self.api_failed("track_event", "trackEvent", "Invalid Settings schema");
            return false;
        };
        let ctx = match check_context(context) {
            ContextCheck::Ok(c) => c,
            ContextCheck::Failed(first, err) => {
                if let Some(first) = first {
                    log_at!(self, LogLevel::Error, "{first}");
                }
                self.api_failed("track_event", "trackEvent", &err);
                return false;
            }
        };
        let settings = &loaded.settings;
        let uuid = (!ctx.id.is_empty()).then(|| decision::visitor_uuid(settings, &ctx.id));
        let now = self.now_secs();
        let raw_session = ctx.session_id.unwrap_or(now);
        let session_id = event_session(raw_session, now);
        let known = settings
            .features
            .iter()
            .any(|f| f.metrics.iter().any(|m| m == name))
            || settings
                .holdouts
                .iter()
                .any(|h| h.metrics.iter().any(|m| m == name));
        if !known {
            self.error(
                &format!("Event:{name} not found in any of the features' metrics, please ensure event API name is being used correctly"),
                Some((
                    vec![
                        ("an", Value::from("trackEvent")),
                        ("uuid", uuid.as_deref().map_or(Value::Null, Value::from)),
                        ("sId", Value::from(raw_session)),
                    ],
                    "EVENT_NOT_FOUND",
                )),
            );
            return false;
        }
        let sender = &self.sender;
        let visit = Visit {
            uuid: uuid.as_deref(),
            session_id,
            user_agent: ctx.user_agent.as_deref(),
            ip_address: ctx.ip_address.as_deref(),
        };
        let stamp = self.stamp();
        let payload = wire::custom_event(sender, &visit, name, properties, stamp);
        self.send_visitor_event(sender, name, payload, &visit, stamp);
        if let Some(hook) = &self.integrations {
            let mut m = Map::new();
            m.insert("event_name".into(), Value::from(name.as_str()));
            m.insert("api".into(), Value::from("trackEvent"));
            let hook = hook.clone();
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook.on_decision(&m)))
                .is_err()
            {
                log_at!(
                    self,
                    LogLevel::Error,
                    "Error while executing integrations callback: the callback panicked"
                );
            }
        }
        true
    }

    /// A track or attribute payload: into the batch queue, or its own `/events/t` POST (after which the
    /// usage stats are considered delivered).
    fn send_visitor_event(
        &self,
        sender: &Sender,
        name: &str,
        payload: RenderedEvent,
        visit: &Visit<'_>,
        stamp: Stamp,
    ) {
        if self.batching {
            self.enqueue(payload);
            return;
        }
        let req = wire::single_request(
            sender,
            name,
            &payload,
            visit.user_agent,
            visit.ip_address,
            true,
            stamp,
        );
        self.hand_over(req);
        self.usage_delivered();
    }

    fn set_attribute(&self, key: Option<&Value>, value: &Value, context: &Value) {
        log_at!(self, LogLevel::Debug, "API - set_attribute called");
        let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
        let attributes: Map<String, Value> = match key {
            Some(key) => {
                let key_ok = matches!(key, Value::String(s) if !s.is_empty());
                if !key_ok {
                    log_at!(
                        self,
                        LogLevel::Error,
                        "Key:key passed to API:set_attribute is not of valid type. Got type:{}, should be:string",
                        py_type(key)
                    );
                    self.api_failed(
                        "set_attribute",
                        "setAttribute",
                        "TypeError: key should be a string",
                    );
                    return;
                }
                let value_ok = scalar(value) && value.as_str() != Some("");
                if !value_ok {
                    log_at!(
                        self,
                        LogLevel::Error,
                        "Key:value passed to API:set_attribute is not of valid type. Got type:{}, should be:string, integer, float, or boolean",
                        py_type(value)
                    );
                    self.api_failed(
                        "set_attribute",
                        "setAttribute",
                        "TypeError: value should be a string, integer, float, or boolean",
                    );
                    return;
                }
                let mut m = Map::new();
                m.insert(key.as_str().unwrap_or_default().to_owned(), value.clone());
                m
            }
            None => {
                let map = match value {
                    Value::Object(m) if !m.is_empty() => m,
                    other => {
                        log_at!(
                            self,
                            LogLevel::Error,
                            "Key:attribute_map passed to API:set_attribute is not of valid type. Got type:{}, should be:object",
                            py_type(other)
                        );
                        self.api_failed(
                            "set_attribute",
                            "setAttribute",
                            "TypeError: attribute_map should be a non-empty object",
                        );
                        return;
                    }
                };
                if let Some((k, v)) = map.iter().find(|(_, v)| !scalar(v)) {
                    log_at!(
                        self,
                        LogLevel::Error,
                        "Key:value for key '{k}' passed to API:set_attribute is not of valid type. Got type:{}, should be:string, integer, float, or boolean",
                        py_type(v)
                    );
                    self.api_failed(
                        "set_attribute",
                        "setAttribute",
                        &format!("TypeError: value for key '{k}' should be a string, integer, float or boolean"),
                    );
                    return;
                }
                map.clone()
            }
        };
        let Some(loaded) = self.loaded() else {
            self.api_failed("set_attribute", "setAttribute", "Invalid Settings schema");
            return;
        };
        let ctx = match check_context(context) {
            ContextCheck::Ok(c) => c,
            ContextCheck::Failed(first, err) => {
                if let Some(first) = first {
                    log_at!(self, LogLevel::Error, "{first}");
                }
                self.api_failed("set_attribute", "setAttribute", &err);
                return;
            }
        };
        let settings = &loaded.settings;
        let uuid = (!ctx.id.is_empty()).then(|| decision::visitor_uuid(settings, &ctx.id));
        let now = self.now_secs();
        let session_id = event_session(ctx.session_id.unwrap_or(now), now);
        let sender = &self.sender;
        let visit = Visit {
            uuid: uuid.as_deref(),
            session_id,
            user_agent: ctx.user_agent.as_deref(),
            ip_address: ctx.ip_address.as_deref(),
        };
        let stamp = self.stamp();
        let payload = wire::sync_visitor_prop(sender, &visit, &attributes, stamp);
        self.send_visitor_event(sender, wire::SYNC_VISITOR_PROP, payload, &visit, stamp);
    }

    // ------------------------------------------------------------------------------------------------
    // Settings refresh

    fn update_settings(&self, settings: Option<&str>, via_webhook: bool) -> Result<(), Error> {
        let given = settings.filter(
            |s| !matches!(serde_json::from_str::<Value>(s), Ok(Value::Object(m)) if m.is_empty()),
        );
        let text = match given {
            Some(t) => t.to_owned(),
            None => match self.fetch_settings(via_webhook) {
                Ok(t) => t,
                Err(e) => {
                    self.update_failed(via_webhook, &e.to_string());
                    return Err(e);
                }
            },
        };
        match FmeSettings::from_json(&text) {
            Ok(s) => {
                self.install(s, text);
                log_at!(self, LogLevel::Info, "Settings updated successfully");
                Ok(())
            }
            Err(e) => {
                log_at!(self, LogLevel::Error, "settings rejected: {e}");
                self.update_failed(via_webhook, "TypeError: Invalid Settings schema");
                Err(e)
            }
        }
    }

    fn update_failed(&self, via_webhook: bool, err: &str) {
        let py_bool = if via_webhook { "True" } else { "False" };
        self.error(
            &format!("Failed to fetch settings. VWO client instance couldn't be updated. API:update_settings called having isViaWebhook:{py_bool}. Error: {err}"),
            Some((
                vec![("an", Value::from("updateSettings"))],
                "UPDATING_CLIENT_INSTANCE_FAILED_WHEN_WEBHOOK_TRIGGERED",
            )),
        );
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.stop_polling();
        let _ = self.delivery.close(self.delivery_options.close_timeout);
    }

    fn stop_polling(&self) {
        if let Ok(mut p) = self.poller.lock() {
            if let Some(stop) = p.take() {
                let (flag, wake) = &*stop;
                if let Ok(mut s) = flag.lock() {
                    *s = true;
                }
                wake.notify_all();
            }
        }
    }
}

impl FmeClient {
    fn start_polling(&self) {
        let interval = match self.inner.poll_interval {
            Some(d) if d.is_zero() => return,
            Some(d) => d,
            None => {
                let ms = self
                    .inner
                    .loaded()
                    .map_or(600_000.0, |l| l.settings.poll_interval_ms);
                if !(ms.is_finite() && ms >= 1000.0) {
                    return;
                }
                Duration::from_millis(ms as u64)
            }
        };
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let signal = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("vwo-fme-poll".into())
            .spawn(move || poll(weak, signal, interval));
        match spawned {
            Ok(_) => {
                if let Ok(mut p) = self.inner.poller.lock() {
                    *p = Some(stop);
                }
            }
            Err(e) => log_at!(
                self.inner,
                LogLevel::Error,
                "cannot start the polling thread: {e}"
            ),
        }
    }
}

/// The polling loop (§2.2): every `interval`, fetch `v2-settings`; swap them in when they differ and
/// are valid (an invalid answer keeps the current settings: `docs/COMPATIBILITY.md`, Q7). Holds only a
/// weak reference: a dropped client ends it; `close` wakes it.
fn poll(client: Weak<Inner>, stop: Arc<(Mutex<bool>, Condvar)>, interval: Duration) {
    let (flag, wake) = &*stop;
    loop {
        {
            let Ok(stopped) = flag.lock() else { return };
            let Ok((stopped, _)) = wake.wait_timeout_while(stopped, interval, |s| !*s) else {
                return;
            };
            if *stopped {
                return;
            }
        }
        let Some(inner) = client.upgrade() else {
            return;
        };
        match inner.fetch_settings(false) {
            Ok(text) => {
                let same = inner.loaded().is_some_and(|l| {
                    l.source == text
                        || serde_json::from_str::<Value>(&l.source).ok()
                            == serde_json::from_str::<Value>(&text).ok()
                });
                if same {
                    log_at!(inner, LogLevel::Info, "No changes in settings with polling");
                } else {
                    match FmeSettings::from_json(&text) {
                        Ok(s) => {
                            inner.install(s, text);
                            log_at!(
                                inner,
                                LogLevel::Info,
                                "Settings fetched and updated successfully from polling"
                            );
                        }
                        Err(e) => log_at!(
                            inner,
                            LogLevel::Error,
                            "Error while fetching VWO settings with polling: {e}"
                        ),
                    }
                }
            }
            Err(e) => log_at!(
                inner,
                LogLevel::Error,
                "Error while fetching VWO settings with polling: {e}"
            ),
        }
    }
}

/// The gateway's base URL (§2.3): a URL with a scheme is parsed as it is; without one, `https://` is
/// assumed; any path is dropped (only scheme, host and port are kept).
fn gateway_base(url: &str) -> Result<String, Error> {
    let url = url.trim();
    let with_scheme = if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    let (scheme, rest) = with_scheme
        .split_once("://")
        .ok_or_else(|| Error::options("gateway_service.url", "expected a URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(Error::options(
            "gateway_service.url",
            format_args!("no host in {url:?}"),
        ));
    }
    Ok(format!("{scheme}://{authority}"))
}

/// The `sessionId` events carry: the context's when non-zero, else now.
fn event_session(session_id: u64, now: u64) -> u64 {
    if session_id == 0 {
        now
    } else {
        session_id
    }
}

fn id_text(id: &Id) -> String {
    id.to_string()
}

fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// `vwo.getUUID(user_id, account_id)` (§1.1): the visitor UUID, 32 upper-case hex digits. Both must be
/// non-empty strings (an integer account id is refused here, as in the reference: §10 Q17); `None`
/// otherwise.
pub fn get_uuid(user_id: &Value, account_id: &Value) -> Option<String> {
    match (user_id, account_id) {
        (Value::String(u), Value::String(a)) if !u.is_empty() && !a.is_empty() => {
            Some(crate::events::visitor_uuid(a, u))
        }
        _ => None,
    }
}
