//! What every format needs: a client launched as a vector file says (frozen clock and random, captured
//! events, in-memory user storage), requests in the oracle's format run against it, and JSON helpers.

use serde_json::{Map, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use vwo::client::{Clock, RandomSource};
use vwo::events::EventRequest;
use vwo::{
    BatchEventsConfig, CallOptions, Client, EventSink, GoalTypeToTrack, LaunchOptions,
    MemoryUserStorage, TrackCampaigns,
};

/// One event the client handed over: where it was to go, and the request.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The full URL, query included.
    pub url: String,
    pub request: EventRequest,
}

impl Captured {
    /// The URL without its query.
    pub fn url_without_query(&self) -> &str {
        self.url.split('?').next().unwrap_or(&self.url)
    }

    /// The base URL and collection prefix the URL was built with (the URL without the request's
    /// path and query).
    pub fn collector_part(&self) -> &str {
        self.url
            .strip_suffix(&self.request.wire_target())
            .unwrap_or(&self.url)
    }
}

/// Captures every event the client hands over, in order.
#[derive(Default)]
pub struct CaptureSink {
    events: Mutex<Vec<Captured>>,
}

impl CaptureSink {
    /// Takes the events captured so far.
    pub fn take(&self) -> Vec<Captured> {
        match self.events.lock() {
            Ok(mut e) => std::mem::take(&mut *e),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }
}

impl EventSink for CaptureSink {
    fn send(&self, url: &str, request: &EventRequest) -> Result<(), vwo::Error> {
        let c = Captured {
            url: url.to_owned(),
            request: request.clone(),
        };
        match self.events.lock() {
            Ok(mut e) => e.push(c),
            Err(p) => p.into_inner().push(c),
        }
        Ok(())
    }
}

/// The file's frozen clock and random number.
#[derive(Debug, Clone, Copy)]
pub struct Frozen {
    pub random: f64,
    pub unix_ms: u64,
}

impl Default for Frozen {
    fn default() -> Self {
        Frozen {
            random: 0.123456789,
            unix_ms: 1_700_000_000_000,
        }
    }
}

impl Frozen {
    pub fn from_json(v: Option<&Value>) -> Frozen {
        let d = Frozen::default();
        match v {
            Some(v) => Frozen {
                random: v.get("random").and_then(Value::as_f64).unwrap_or(d.random),
                unix_ms: v
                    .get("unixTsMs")
                    .and_then(Value::as_u64)
                    .unwrap_or(d.unix_ms),
            },
            None => d,
        }
    }
}

impl Clock for Frozen {
    fn unix_ms(&self) -> u64 {
        self.unix_ms
    }
}

impl RandomSource for Frozen {
    fn random(&self) -> f64 {
        self.random
    }
}

/// The `launch` object of a vector file.
#[derive(Clone, Default)]
pub struct Launch {
    pub development_mode: bool,
    pub user_storage: bool,
    pub goal_type_to_track: Option<GoalTypeToTrack>,
    pub batch_events: Option<BatchEventsConfig>,
    pub frozen: Frozen,
}

impl Launch {
    pub fn from_json(v: Option<&Value>, frozen: Frozen) -> Result<Launch, String> {
        let empty = Value::Object(Map::new());
        let v = v.unwrap_or(&empty);
        let goal_type_to_track = match v.get("goalTypeToTrack") {
            None | Some(Value::Null) => None,
            Some(g) => Some(
                g.as_str()
                    .and_then(GoalTypeToTrack::parse)
                    .ok_or_else(|| format!("launch.goalTypeToTrack: bad value {g}"))?,
            ),
        };
        let batch_events = match v.get("batchEvents") {
            None | Some(Value::Null) => None,
            Some(b) => Some(
                BatchEventsConfig::from_json(b).map_err(|e| format!("launch.batchEvents: {e}"))?,
            ),
        };
        Ok(Launch {
            development_mode: truthy(v.get("isDevelopmentMode").unwrap_or(&Value::Null)),
            user_storage: truthy(v.get("userStorage").unwrap_or(&Value::Null)),
            goal_type_to_track,
            batch_events,
            frozen,
        })
    }
}

/// A client as a vector file launches it, with what is needed to relaunch it (`setSettings`,
/// `patchSettings`) keeping the user storage, as the oracle does.
pub struct Harness {
    pub client: Client,
    pub storage: Option<Arc<MemoryUserStorage>>,
    pub sink: Arc<CaptureSink>,
    pub settings: Value,
    launch: Launch,
}

impl Harness {
    pub fn new(settings: Value, launch: Launch) -> Result<Harness, String> {
        let storage = launch
            .user_storage
            .then(|| Arc::new(MemoryUserStorage::new()));
        let sink = Arc::new(CaptureSink::default());
        let client = launch_client(&settings, &launch, storage.clone(), sink.clone())?;
        Ok(Harness {
            client,
            storage,
            sink,
            settings,
            launch,
        })
    }

    /// Relaunches with `settings`, keeping the user storage (a new client: opt-out and batch queue reset).
    pub fn relaunch(&mut self, settings: Value) -> Result<(), String> {
        self.client = launch_client(
            &settings,
            &self.launch,
            self.storage.clone(),
            self.sink.clone(),
        )?;
        self.settings = settings;
        Ok(())
    }

    /// Runs one request of the oracle's format and returns the result as the oracle's JSON shape.
    pub fn run(&mut self, req: &Value) -> Result<Value, String> {
        let api = req.get("api").and_then(Value::as_str).unwrap_or("");
        let s = |k: &str| req.get(k).and_then(Value::as_str).unwrap_or("");
        let options = match req.get("options") {
            None | Some(Value::Null) => None,
            Some(o) => Some(CallOptions::from_json(o).map_err(|e| format!("options: {e}"))?),
        };
        let opts = options.as_ref();
        let c = &self.client;
        let v = match api {
            "activate" => opt_str(c.activate(s("campaignKey"), s("userId"), opts)),
            "getVariationName" | "getVariation" => {
                opt_str(c.get_variation_name(s("campaignKey"), s("userId"), opts))
            }
            "isFeatureEnabled" => {
                Value::Bool(c.is_feature_enabled(s("campaignKey"), s("userId"), opts))
            }
            "getFeatureVariableValue" => c
                .get_feature_variable_value(s("campaignKey"), s("variableKey"), s("userId"), opts)
                .unwrap_or(Value::Null),
            "track" => {
                let keys: Vec<&str>;
                let which = match req.get("campaignKey") {
                    Some(Value::String(k)) => TrackCampaigns::One(k),
                    Some(Value::Array(a)) => {
                        keys = a.iter().filter_map(Value::as_str).collect();
                        TrackCampaigns::List(&keys)
                    }
                    _ => TrackCampaigns::All,
                };
                match c.track(which, s("userId"), s("goalIdentifier"), opts) {
                    None => Value::Null,
                    Some(r) => {
                        Value::Object(r.into_iter().map(|(k, b)| (k, Value::Bool(b))).collect())
                    }
                }
            }
            "push" => match req.get("customDimensionMap") {
                Some(Value::Object(m)) => Value::Bool(c.push_map(m, s("userId"))),
                // `push` takes strings: a tag key or value of another JSON type is what vwo-python-sdk
                // rejects with `False` (its type validation), which a binding does before calling in.
                _ => match (req.get("tagKey"), req.get("tagValue"), req.get("userId")) {
                    (Some(Value::String(k)), Some(Value::String(t)), Some(Value::String(u))) => {
                        Value::Bool(c.push(k, t, u))
                    }
                    _ => Value::Bool(false),
                },
            },
            "setOptOut" => Value::Bool(c.set_opt_out()),
            "flushEvents" => Value::Bool(c.flush_events()),
            "getUserStorage" => match &self.storage {
                None => Value::Null,
                Some(st) => Value::Array(st.records().iter().map(|r| r.to_json()).collect()),
            },
            "setSettings" => {
                let settings = req
                    .get("settings")
                    .cloned()
                    .ok_or("setSettings without settings")?;
                self.relaunch(settings)?;
                Value::Bool(true)
            }
            "patchSettings" => {
                let mut settings = self.settings.clone();
                apply_ops(&mut settings, req.get("ops").unwrap_or(&Value::Null))?;
                self.relaunch(settings)?;
                Value::Bool(true)
            }
            other => return Err(format!("unknown api {other:?}")),
        };
        Ok(v)
    }
}

fn launch_client(
    settings: &Value,
    launch: &Launch,
    storage: Option<Arc<MemoryUserStorage>>,
    sink: Arc<CaptureSink>,
) -> Result<Client, String> {
    let text = serde_json::to_string(settings).map_err(|e| e.to_string())?;
    let options = LaunchOptions {
        user_storage: storage.map(|s| s as Arc<dyn vwo::UserStorage>),
        development_mode: launch.development_mode,
        goal_type_to_track: launch.goal_type_to_track,
        batch_events: launch.batch_events.clone(),
        event_sink: Some(sink),
        clock: Some(Arc::new(launch.frozen)),
        random: Some(Arc::new(launch.frozen)),
        // No logger outside development mode: a custom logger adds the usage stat `cl` to events,
        // unlike the oracle's launch. In development mode (no events) the expected errors stay quiet.
        logger: launch
            .development_mode
            .then(|| Arc::new(NullLogger) as Arc<dyn vwo::Logger>),
        ..Default::default()
    };
    Client::launch(&text, options).map_err(|e| format!("launch failed: {e}"))
}

struct NullLogger;

impl vwo::Logger for NullLogger {
    fn log(&self, _level: vwo::LogLevel, _message: &str) {}
}

fn opt_str(s: Option<String>) -> Value {
    s.map(Value::String).unwrap_or(Value::Null)
}

/// The oracle's `apply_ops`: `set`, `append`, `remove` (by value), `delete`.
pub fn apply_ops(settings: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("ops must be a list")?;
    for op in ops {
        let op = op.as_array().ok_or("op must be a list")?;
        let kind = op.first().and_then(Value::as_str).ok_or("op kind")?;
        let path = op.get(1).and_then(Value::as_array).ok_or("op path")?;
        let value = op.get(2).cloned().unwrap_or(Value::Null);
        let (last, parents) = path.split_last().ok_or("empty op path")?;
        let mut target = &mut *settings;
        for p in parents {
            target = step(target, p).ok_or_else(|| format!("op path {p} not found"))?;
        }
        match kind {
            "set" => match (target, last) {
                (Value::Object(m), Value::String(k)) => {
                    m.insert(k.clone(), value);
                }
                (Value::Array(a), Value::Number(n)) => {
                    let slot = n
                        .as_u64()
                        .and_then(|i| a.get_mut(i as usize))
                        .ok_or("set: bad index")?;
                    *slot = value;
                }
                _ => return Err(format!("set: cannot index with {last}")),
            },
            "append" | "remove" | "delete" => {
                if kind == "delete" {
                    match (target, last) {
                        (Value::Object(m), Value::String(k)) => {
                            m.shift_remove(k);
                        }
                        (Value::Array(a), Value::Number(n)) => {
                            let i = n.as_u64().ok_or("delete: bad index")? as usize;
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                        _ => return Err(format!("delete: cannot index with {last}")),
                    }
                    continue;
                }
                let list = step(target, last)
                    .and_then(Value::as_array_mut)
                    .ok_or_else(|| format!("{kind}: {last} is not a list"))?;
                if kind == "append" {
                    list.push(value);
                } else {
                    let i = list
                        .iter()
                        .position(|x| *x == value)
                        .ok_or("remove: value not in list")?;
                    list.remove(i);
                }
            }
            other => return Err(format!("bad op {other}")),
        }
    }
    Ok(())
}

fn step<'a>(v: &'a mut Value, key: &Value) -> Option<&'a mut Value> {
    match (v, key) {
        (Value::Object(m), Value::String(k)) => m.get_mut(k),
        (Value::Array(a), Value::Number(n)) => a.get_mut(n.as_u64()? as usize),
        _ => None,
    }
}

/// Python truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compact JSON, cut to `max` characters for messages.
pub fn short(v: &Value, max: usize) -> String {
    let s = v.to_string();
    cut(&s, max)
}

pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Python's `==` on JSON values: an int equals a float of the same value (`0 == 0.0`).
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => a == b,
    }
}
