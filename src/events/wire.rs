//! The HTTP requests libvwo sends, built exactly as vwo-python-sdk 1.68.2 builds them (spec §7, policy §2):
//! same endpoints, parameter names and order, value renderings, headers and JSON bodies; only `sdk` /
//! `sdk-v` (and the SDK name and version inside event-architecture bodies) are libvwo's own, taken from
//! [`EventContext`].
//!
//! Every builder is a pure function of its arguments: randomness and clocks come in through [`Stamp`],
//! so tests can freeze them.

use super::pyjson::{py_float_repr, py_str, py_truthy, write_dumps, write_json_string};
use crate::settings::Id;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The default host of every event request.
pub const DEFAULT_BASE_URL: &str = "https://dev.visualwebsiteoptimizer.com";

/// HTTP method of an event request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// Legacy impression, goal and push calls.
    Get,
    /// Event-architecture and batch calls (JSON body).
    Post,
}

/// One HTTP request libvwo would send, without its host: what the event is (endpoint, query, headers,
/// body). Where it goes is the [`Collector`]'s business, resolved when it is sent: a request kept in
/// the spool goes to the collector configured when it is finally sent, not to the one of the process
/// that built it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// The endpoint below the collector's base URL and collection prefix: `/server-side/track-user`,
    /// `/events/t`, `/server-side/batch-events` and the like; no host, no prefix, no query.
    pub path: String,
    /// Query parameters in wire order; values rendered as Python's `str()` would, not URL-encoded.
    pub query: Vec<(&'static str, String)>,
    /// Headers in the order the Python SDK builds them; POSTs end with the `Content-Type` that
    /// `requests` adds for a JSON body.
    pub headers: Vec<(&'static str, String)>,
    /// The exact body of a POST (Python `json.dumps` style).
    pub body: Option<String>,
}

impl EventRequest {
    /// `path?query`, the query encoded as Python `requests` does (`urlencode` with `quote_plus`).
    pub fn wire_target(&self) -> String {
        let mut out = String::with_capacity(self.path.len() + self.query_len());
        out.push_str(&self.path);
        self.push_query(&mut out);
        out
    }

    /// The request's full URL at `collector`: `base[/prefix]path?query` ([`Collector::url`]).
    pub fn wire_url(&self, collector: &Collector) -> String {
        collector.url(self)
    }

    fn query_len(&self) -> usize {
        self.query
            .iter()
            .map(|(k, v)| k.len() + v.len() * 3 + 2)
            .sum()
    }

    fn push_query(&self, out: &mut String) {
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            quote_plus_into(out, k);
            out.push('=');
            quote_plus_into(out, v);
        }
    }
}

/// Where event requests go: the events base URL (VWO's [`DEFAULT_BASE_URL`], a proxy, a gateway) and
/// the account's collection prefix (`settings.collectionPrefix`, data residency). Both come from the
/// configuration in force when a request is sent; requests themselves carry only their endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collector {
    /// Scheme, host, port and an optional path, without a trailing `/`.
    pub base_url: String,
    /// Inserted as `/<prefix>` between the base URL and the endpoint when non-empty.
    pub collection_prefix: Option<String>,
}

impl Default for Collector {
    /// VWO's collector, no prefix.
    fn default() -> Self {
        Collector::new(DEFAULT_BASE_URL, None)
    }
}

impl Collector {
    /// The collector at `base_url` (a trailing `/` is dropped) with an optional collection prefix (an
    /// empty one is none).
    pub fn new(base_url: &str, collection_prefix: Option<&str>) -> Collector {
        Collector {
            base_url: base_url.trim_end_matches('/').to_owned(),
            collection_prefix: collection_prefix
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        }
    }

    /// `base_url[/<collection_prefix>]` + `req.path` + `?query` (encoded as `requests` does).
    pub fn url(&self, req: &EventRequest) -> String {
        let prefix = self.collection_prefix.as_deref().filter(|p| !p.is_empty());
        let mut out = String::with_capacity(
            self.base_url.len()
                + prefix.map_or(0, |p| p.len() + 1)
                + req.path.len()
                + req.query_len()
                + 1,
        );
        out.push_str(&self.base_url);
        if let Some(p) = prefix {
            out.push('/');
            out.push_str(p);
        }
        out.push_str(&req.path);
        req.push_query(&mut out);
        out
    }
}

/// Appends Python's `urllib.parse.quote_plus(s)` (safe: letters, digits, `_.-~`; space as `+`; every
/// other UTF-8 byte as upper-case `%XX`).
pub fn quote_plus_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~') {
            continue;
        }
        if i > start {
            // `start..i` is a non-empty run of safe ASCII bytes, so both ends are char boundaries.
            out.push_str(&s[start..i]);
        }
        start = i + 1;
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    if start < bytes.len() {
        out.push_str(&s[start..]);
    }
}

/// Everything constant for a client and settings snapshot that goes into an event (where it goes is
/// the [`Collector`]'s).
#[derive(Debug, Clone)]
pub struct EventContext {
    /// `settings.accountId` as given (number or string): `str()` form in queries.
    pub account_id: Value,
    /// `settings.sdkKey`; when the settings have none, `env` is left out of queries (as Python's
    /// `requests` drops `None` parameters) and `vwo_envKey` is null.
    pub sdk_key: Option<String>,
    /// `sdk` query value and `User-Agent` header ("libvwo", "libvwo-python", …).
    pub sdk_name: String,
    /// `sdk-v` query value.
    pub sdk_version: String,
    /// Usage stats computed by the client, in order (e.g. `[("ss","1"),("_l","1")]`); may be empty.
    pub usage_stats: Vec<(&'static str, String)>,
    /// Which generation's batch request carries the events.
    pub shape: BatchShape,
}

/// The batch request a context's events travel in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchShape {
    /// FullStack: `POST /server-side/batch-events?a&sdk&sdk-v&env` (vwo-python-sdk).
    #[default]
    V1,
    /// FME: `POST /server-side/batch-events-v2?a&env&sn&sv` (`crate::fme::events::batch_request`).
    Fme,
}

/// The visitor of one call.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    /// [`visitor_uuid`] of the user id.
    pub uuid: &'a str,
    /// The `userAgent` option, if given.
    pub user_agent: Option<&'a str>,
    /// The `userIpAddress` option, if given.
    pub user_ip: Option<&'a str>,
}

/// Randomness and time of one call (frozen in tests).
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// Uniform in [0, 1): the `random` parameter.
    pub random: f64,
    /// Unix time in milliseconds; `sId` / `sessionId` are `unix_ms / 1000`.
    pub unix_ms: u64,
}

impl Stamp {
    fn secs(&self) -> u64 {
        self.unix_ms / 1000
    }
}

/// The endpoints libvwo's event builders send to (below the collector and its prefix).
pub(crate) const ENDPOINTS: [&str; 5] = [TRACK_USER, TRACK_GOAL, PUSH, EVENTS, BATCH];

const TRACK_USER: &str = "/server-side/track-user";
const TRACK_GOAL: &str = "/server-side/track-goal";
const PUSH: &str = "/server-side/push";
const EVENTS: &str = "/events/t";
const BATCH: &str = "/server-side/batch-events";

/// `json.dumps({"p": "server"})`.
const ED: &str = "{\"p\": \"server\"}";

/// Event name of an impression under the event architecture.
pub const VARIATION_SHOWN: &str = "vwo_variationShown";
/// Event name of a push under the event architecture.
pub const SYNC_VISITOR_PROP: &str = "vwo_syncVisitorProp";

/// `random, sdk, sdk-v, ap, sId, u, account_id, env, visitor_ua, visitor_ip` (Python
/// `get_common_properties`).
fn legacy_common(
    ctx: &EventContext,
    v: &Visitor,
    s: Stamp,
    capacity: usize,
) -> Vec<(&'static str, String)> {
    let mut q = Vec::with_capacity(capacity);
    q.push(("random", py_float_repr(s.random)));
    q.push(("sdk", ctx.sdk_name.clone()));
    q.push(("sdk-v", ctx.sdk_version.clone()));
    q.push(("ap", "server".to_owned()));
    q.push(("sId", s.secs().to_string()));
    q.push(("u", v.uuid.to_owned()));
    q.push(("account_id", py_str(&ctx.account_id)));
    if let Some(key) = &ctx.sdk_key {
        q.push(("env", key.clone()));
    }
    q.push(("visitor_ua", v.user_agent.unwrap_or("").to_owned()));
    q.push(("visitor_ip", v.user_ip.unwrap_or("").to_owned()));
    q
}

/// `User-Agent`, then the visitor headers when their value is non-empty.
fn headers(ctx: &EventContext, v: &Visitor, post: bool) -> Vec<(&'static str, String)> {
    let mut h = Vec::with_capacity(4);
    h.push(("User-Agent", ctx.sdk_name.clone()));
    if let Some(ua) = v.user_agent.filter(|s| !s.is_empty()) {
        h.push(("X-Device-User-Agent", ua.to_owned()));
    }
    if let Some(ip) = v.user_ip.filter(|s| !s.is_empty()) {
        h.push(("VWO-X-Forwarded-For", ip.to_owned()));
    }
    if post {
        h.push(("Content-Type", "application/json".to_owned()));
    }
    h
}

fn get(
    path: &str,
    query: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
) -> EventRequest {
    EventRequest {
        method: HttpMethod::Get,
        path: path.to_owned(),
        query,
        headers,
        body: None,
    }
}

/// The values `requests` puts on the wire for one typed parameter: a list gives one pair per non-null
/// element, a dict one pair per key, anything else its `str()`.
fn param_values(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(a) => a
            .iter()
            .filter(|e| !e.is_null())
            .flat_map(|e| match e {
                Value::Array(inner) => inner.iter().map(py_str).collect(),
                Value::Object(m) => m.keys().cloned().collect(),
                other => vec![py_str(other)],
            })
            .collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        other => vec![py_str(other)],
    }
}

/// `json.dumps({"u": {tag_key: tag_value}})`.
fn tags_json(tag_key: &str, tag_value: &Value) -> String {
    let mut t = String::with_capacity(16 + tag_key.len());
    t.push_str("{\"u\": {");
    write_json_string(&mut t, tag_key);
    t.push_str(": ");
    write_dumps(&mut t, tag_value);
    t.push_str("}}");
    t
}

/// Impression (activate, isFeatureEnabled): `GET /server-side/track-user`.
pub fn track_user(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    s: Stamp,
) -> EventRequest {
    let mut q = legacy_common(ctx, v, s, 13 + ctx.usage_stats.len());
    q.push(("experiment_id", campaign_id.to_string()));
    q.push(("combination", variation_id.to_string()));
    q.push(("ed", ED.to_owned()));
    q.extend(ctx.usage_stats.iter().cloned());
    get(TRACK_USER, q, headers(ctx, v, false))
}

/// Conversion (track, one campaign): `GET /server-side/track-goal`. `r` is sent when `revenue` is
/// truthy in Python's sense, rendered with `str()`.
pub fn track_goal(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    goal_id: &Id,
    revenue: Option<&Value>,
    s: Stamp,
) -> EventRequest {
    let mut q = legacy_common(ctx, v, s, 14);
    q.push(("experiment_id", campaign_id.to_string()));
    q.push(("combination", variation_id.to_string()));
    q.push(("goal_id", goal_id.to_string()));
    if let Some(r) = revenue.filter(|r| py_truthy(r)) {
        q.extend(param_values(r).into_iter().map(|x| ("r", x)));
    }
    get(TRACK_GOAL, q, headers(ctx, v, false))
}

/// Custom dimension (push, one tag): `GET /server-side/push` with `tags={"u": {key: value}}`.
pub fn push(
    ctx: &EventContext,
    v: &Visitor,
    tag_key: &str,
    tag_value: &Value,
    s: Stamp,
) -> EventRequest {
    let mut q = legacy_common(ctx, v, s, 11);
    q.push(("tags", tags_json(tag_key, tag_value)));
    get(PUSH, q, headers(ctx, v, false))
}

/// `POST /events/t?en=…` with the body `{"d": {…}}` around `props` (added to `d.event.props` after the
/// SDK keys, replacing same-named keys in place as a Python dict update does) and `visitor_props`
/// (likewise into `d.visitor.props`).
fn arch_request(
    ctx: &EventContext,
    v: &Visitor,
    event_name: &str,
    props: Map<String, Value>,
    visitor_props: Map<String, Value>,
    s: Stamp,
) -> EventRequest {
    let ms = s.unix_ms.to_string();
    let mut q = Vec::with_capacity(8 + ctx.usage_stats.len());
    q.push(("en", event_name.to_owned()));
    q.push(("a", py_str(&ctx.account_id)));
    if let Some(key) = &ctx.sdk_key {
        q.push(("env", key.clone()));
    }
    q.push(("eTime", ms.clone()));
    q.push(("random", py_float_repr(s.random)));
    q.push(("p", "FS".to_owned()));
    q.push(("visitor_ua", v.user_agent.unwrap_or("").to_owned()));
    q.push(("visitor_ip", v.user_ip.unwrap_or("").to_owned()));
    if event_name == VARIATION_SHOWN {
        q.extend(ctx.usage_stats.iter().cloned());
    }

    let mut event_props = Map::with_capacity(3 + props.len());
    event_props.insert("vwo_sdkName".into(), Value::String(ctx.sdk_name.clone()));
    event_props.insert(
        "vwo_sdkVersion".into(),
        Value::String(ctx.sdk_version.clone()),
    );
    event_props.insert(
        "vwo_envKey".into(),
        ctx.sdk_key.clone().map_or(Value::Null, Value::String),
    );
    event_props.extend(props);
    let mut vis_props = Map::with_capacity(1 + visitor_props.len());
    vis_props.insert(
        "vwo_fs_environment".into(),
        ctx.sdk_key.clone().map_or(Value::Null, Value::String),
    );
    vis_props.extend(visitor_props);

    let mut b = String::with_capacity(512);
    b.push_str("{\"d\": {\"msgId\": ");
    let mut msg_id = String::with_capacity(v.uuid.len() + 1 + ms.len());
    msg_id.push_str(v.uuid);
    msg_id.push('-');
    msg_id.push_str(&ms);
    write_json_string(&mut b, &msg_id);
    b.push_str(", \"visId\": ");
    write_json_string(&mut b, v.uuid);
    let _ = write!(b, ", \"sessionId\": {}, \"event\": {{\"props\": ", s.secs());
    write_dumps(&mut b, &Value::Object(event_props));
    b.push_str(", \"name\": ");
    write_json_string(&mut b, event_name);
    let _ = write!(b, ", \"time\": {}}}, \"visitor\": {{\"props\": ", s.unix_ms);
    write_dumps(&mut b, &Value::Object(vis_props));
    b.push_str("}}}");

    EventRequest {
        method: HttpMethod::Post,
        path: EVENTS.to_owned(),
        query: q,
        headers: headers(ctx, v, true),
        body: Some(b),
    }
}

/// Impression under the event architecture: `en=vwo_variationShown`, props `id`, `variation`,
/// `isFirst: 1` and, when given (not null), `vwoMeta: custom_properties`.
pub fn arch_variation_shown(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    custom_properties: Option<&Value>,
    s: Stamp,
) -> EventRequest {
    let mut props = Map::with_capacity(4);
    props.insert("id".into(), campaign_id.to_json());
    props.insert("variation".into(), variation_id.to_json());
    props.insert("isFirst".into(), Value::from(1));
    if let Some(cp) = custom_properties.filter(|c| !c.is_null()) {
        props.insert("vwoMeta".into(), cp.clone());
    }
    arch_request(ctx, v, VARIATION_SHOWN, props, Map::new(), s)
}

/// Conversion under the event architecture: `en=<goal_identifier>`, props
/// `vwoMeta: {"metric": {"id_<c>": ["g_<g>"], …}, <revenue props>…}`, `isCustomEvent: true`, then every
/// event property.
pub fn arch_goal(
    ctx: &EventContext,
    v: &Visitor,
    goal_identifier: &str,
    metrics: &[(Id, Id)],
    revenue_props: &[(String, Value)],
    event_properties: Option<&Map<String, Value>>,
    s: Stamp,
) -> EventRequest {
    let mut metric = Map::with_capacity(metrics.len());
    for (c, g) in metrics {
        metric.insert(
            format!("id_{c}"),
            Value::Array(vec![Value::String(format!("g_{g}"))]),
        );
    }
    let mut meta = Map::with_capacity(1 + revenue_props.len());
    meta.insert("metric".into(), Value::Object(metric));
    for (k, r) in revenue_props {
        meta.insert(k.clone(), r.clone());
    }
    let mut props = Map::with_capacity(2 + event_properties.map_or(0, Map::len));
    props.insert("vwoMeta".into(), Value::Object(meta));
    props.insert("isCustomEvent".into(), Value::Bool(true));
    if let Some(ep) = event_properties {
        for (k, val) in ep {
            props.insert(k.clone(), val.clone());
        }
    }
    arch_request(ctx, v, goal_identifier, props, Map::new(), s)
}

/// Custom dimensions under the event architecture (one request for all of them):
/// `en=vwo_syncVisitorProp`, `isCustomEvent: true`, each dimension in `d.visitor.props` as `str(value)`.
pub fn arch_push(
    ctx: &EventContext,
    v: &Visitor,
    dimensions: &[(String, Value)],
    s: Stamp,
) -> EventRequest {
    let mut props = Map::with_capacity(1);
    props.insert("isCustomEvent".into(), Value::Bool(true));
    let mut vis = Map::with_capacity(dimensions.len());
    for (k, val) in dimensions {
        vis.insert(k.clone(), Value::String(py_str(val)));
    }
    arch_request(ctx, v, SYNC_VISITOR_PROP, props, vis, s)
}

/// One queued event of a batch, rendered as `json.dumps` renders the event object: the text the batch
/// body carries between its `", "`s. Built once, on the caller's thread, straight into one string; the
/// event thread only copies it into the body. (As a `serde_json::Value` tree an event cost a map, a
/// dozen allocations, a second rendering on the event thread and the tree's teardown.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEvent(String);

impl RenderedEvent {
    /// Wraps an event already rendered as `json.dumps` renders it (the FME builders).
    pub(crate) fn from_text(text: String) -> RenderedEvent {
        RenderedEvent(text)
    }

    /// The `json.dumps` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The event as a JSON value (for a flush callback).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

impl From<&Value> for RenderedEvent {
    /// Renders an event object given as a value (a spooled event read back, tests).
    fn from(v: &Value) -> RenderedEvent {
        let mut out = String::with_capacity(192);
        write_dumps(&mut out, v);
        RenderedEvent(out)
    }
}

impl From<Value> for RenderedEvent {
    fn from(v: Value) -> RenderedEvent {
        RenderedEvent::from(&v)
    }
}

/// The events as one JSON list text, `[e1, e2, …]` (json.dumps' separators).
pub fn json_list(events: &[RenderedEvent]) -> String {
    let len: usize = events.iter().map(|e| e.0.len() + 2).sum();
    let mut out = String::with_capacity(2 + len);
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&e.0);
    }
    out.push(']');
    out
}

fn write_id(out: &mut String, id: &Id) {
    match id {
        Id::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Id::Str(s) => write_json_string(out, s),
    }
}

/// `{"u": …, "sId": …, "visitor_ua": …, "visitor_ip": …`, the start of every queued event (unclosed).
fn batch_common(v: &Visitor, s: Stamp) -> String {
    let mut out = String::with_capacity(192);
    out.push_str("{\"u\": ");
    write_json_string(&mut out, v.uuid);
    out.push_str(", \"sId\": ");
    out.push_str(itoa::Buffer::new().format(s.secs()));
    out.push_str(", \"visitor_ua\": ");
    write_json_string(&mut out, v.user_agent.unwrap_or(""));
    out.push_str(", \"visitor_ip\": ");
    write_json_string(&mut out, v.user_ip.unwrap_or(""));
    out
}

/// [`batch_common`] and `"c": variation, "e": campaign` (unclosed).
fn batch_campaign(v: &Visitor, campaign_id: &Id, variation_id: &Id, s: Stamp) -> String {
    let mut out = batch_common(v, s);
    out.push_str(", \"c\": ");
    write_id(&mut out, variation_id);
    out.push_str(", \"e\": ");
    write_id(&mut out, campaign_id);
    out
}

/// Queued impression: `{…, "c": variation, "e": campaign, "eT": 1}`.
pub fn batch_track_user(
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    s: Stamp,
) -> RenderedEvent {
    let mut out = batch_campaign(v, campaign_id, variation_id, s);
    out.push_str(", \"eT\": 1}");
    RenderedEvent(out)
}

/// Queued conversion: `{…, "c", "e", "g", "eT": 2[, "r"]}`; `r` (the caller's value, its type kept) when
/// truthy.
pub fn batch_track_goal(
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    goal_id: &Id,
    revenue: Option<&Value>,
    s: Stamp,
) -> RenderedEvent {
    let mut out = batch_campaign(v, campaign_id, variation_id, s);
    out.push_str(", \"g\": ");
    write_id(&mut out, goal_id);
    out.push_str(", \"eT\": 2");
    if let Some(r) = revenue.filter(|r| py_truthy(r)) {
        out.push_str(", \"r\": ");
        write_dumps(&mut out, r);
    }
    out.push('}');
    RenderedEvent(out)
}

/// Queued push of one tag: `{…, "t": "{\"u\": {\"k\": \"v\"}}", "eT": 3}`.
pub fn batch_push(v: &Visitor, tag_key: &str, tag_value: &Value, s: Stamp) -> RenderedEvent {
    let mut out = batch_common(v, s);
    out.push_str(", \"t\": ");
    write_json_string(&mut out, &tags_json(tag_key, tag_value));
    out.push_str(", \"eT\": 3}");
    RenderedEvent(out)
}

/// `POST /server-side/batch-events?a&sdk&sdk-v&env[&usage stats]` with body `{"ev": [events…]}`.
pub fn batch_request(ctx: &EventContext, events: &[RenderedEvent]) -> EventRequest {
    if ctx.shape == BatchShape::Fme {
        return crate::fme::events::batch_request(&crate::fme::events::Sender::of(ctx), events);
    }
    let mut q = Vec::with_capacity(4 + ctx.usage_stats.len());
    q.push(("a", py_str(&ctx.account_id)));
    q.push(("sdk", ctx.sdk_name.clone()));
    q.push(("sdk-v", ctx.sdk_version.clone()));
    if let Some(key) = &ctx.sdk_key {
        q.push(("env", key.clone()));
    }
    q.extend(ctx.usage_stats.iter().cloned());
    let mut headers = Vec::with_capacity(3);
    if let Some(key) = &ctx.sdk_key {
        headers.push(("Authorization", key.clone()));
    }
    headers.push(("User-Agent", ctx.sdk_name.clone()));
    headers.push(("Content-Type", "application/json".to_owned()));
    let b = format!("{{\"ev\": {}}}", json_list(events));
    EventRequest {
        method: HttpMethod::Post,
        path: BATCH.to_owned(),
        query: q,
        headers,
        body: Some(b),
    }
}

/// The VWO namespace, `uuid5(NAMESPACE_URL, "https://vwo.com")` (checked by a test).
const VWO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x11e13cd7_6c48_53ec_8679_7e9c752273c5);

/// The visitor UUID of spec §7.1: `uuid5(uuid5(VWO_NAMESPACE, account_id), user_id)`, upper-case hex
/// without dashes (32 characters).
pub fn visitor_uuid(account_id: &str, user_id: &str) -> String {
    visitor_uuid_in(&account_namespace(account_id), user_id)
}

/// The per-account namespace of visitor UUIDs, `uuid5(VWO_NAMESPACE, account_id)`: computed once per
/// settings snapshot so that each visitor UUID costs one SHA-1, not two.
pub fn account_namespace(account_id: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&VWO_NAMESPACE, account_id.as_bytes())
}

/// The visitor UUID of `user_id` in an account namespace from [`account_namespace`].
///
/// This is `Uuid::new_v5(account_namespace, user_id)` with the SHA-1 of the `sha1` crate, which uses the
/// CPU's SHA instructions when it has them (every event computes one).
pub fn visitor_uuid_in(account_namespace: &uuid::Uuid, user_id: &str) -> String {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    hasher.update(account_namespace.as_bytes());
    hasher.update(user_id.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let id = uuid::Builder::from_sha1_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Simple::LENGTH];
    id.simple().encode_upper(&mut buf).to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> EventContext {
        EventContext {
            account_id: json!(123456),
            sdk_key: Some("abcdef0123456789abcdef0123456789".into()),
            sdk_name: "vwo-python-sdk".into(),
            sdk_version: "1.68.2".into(),
            usage_stats: vec![],
            shape: BatchShape::V1,
        }
    }

    #[test]
    fn visitor_uuids_are_the_v5_uuids_of_the_user_ids() {
        let ns = account_namespace("123456");
        for name in [
            "",
            "a",
            "user_1",
            "Ashley",
            "é🙂",
            &"x".repeat(55),
            &"y".repeat(64),
            &"z".repeat(1000),
        ] {
            let want = uuid::Uuid::new_v5(&ns, name.as_bytes())
                .simple()
                .to_string()
                .to_uppercase();
            assert_eq!(visitor_uuid_in(&ns, name), want, "{name}");
        }
    }

    const STAMP: Stamp = Stamp {
        random: 0.6584033606686923,
        unix_ms: 1795878138000,
    };

    #[test]
    fn quote_plus_like_python() {
        let q = |s: &str| {
            let mut o = String::new();
            quote_plus_into(&mut o, s);
            o
        };
        assert_eq!(q(""), "");
        assert_eq!(q("aü"), "a%C3%BC");
        assert_eq!(q("üü"), "%C3%BC%C3%BC");
        assert_eq!(q("a ü b~_.-"), "a+%C3%BC+b~_.-");
        assert_eq!(
            q("{\"p\": 1}&=+/%😀"),
            "%7B%22p%22%3A+1%7D%26%3D%2B%2F%25%F0%9F%98%80"
        );
    }

    #[test]
    fn vwo_namespace() {
        let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"https://vwo.com");
        assert_eq!(ns, VWO_NAMESPACE);
        let acc = uuid::Uuid::new_v5(&VWO_NAMESPACE, b"123456");
        assert_eq!(acc.to_string(), "2c8c0b1f-b085-5312-ab17-3c3533b2b3c7");
    }

    #[test]
    fn spec_track_user_example() {
        let u = visitor_uuid("123456", "Ashley");
        let v = Visitor {
            uuid: &u,
            user_agent: None,
            user_ip: None,
        };
        let r = track_user(&ctx(), &v, &Id::Int(10), &Id::Int(2), STAMP);
        assert_eq!(
            r.wire_url(&Collector::default()),
            "https://dev.visualwebsiteoptimizer.com/server-side/track-user?random=0.6584033606686923&sdk=vwo-python-sdk&sdk-v=1.68.2&ap=server&sId=1795878138&u=4C9BA81BAF53591488EB5FD5E66A98B9&account_id=123456&env=abcdef0123456789abcdef0123456789&visitor_ua=&visitor_ip=&experiment_id=10&combination=2&ed=%7B%22p%22%3A+%22server%22%7D"
        );
        assert_eq!(r.headers, vec![("User-Agent", "vwo-python-sdk".to_owned())]);
        assert_eq!(r.method, HttpMethod::Get);
        assert!(r.body.is_none());
    }

    #[test]
    fn spec_arch_goal_example() {
        let c = ctx();
        let eu = Collector::new(DEFAULT_BASE_URL, Some("eu01"));
        let u = visitor_uuid("123456", "Ashley");
        let v = Visitor {
            uuid: &u,
            user_agent: None,
            user_ip: None,
        };
        let mut ep = Map::new();
        ep.insert("x".into(), json!("y"));
        let s = Stamp {
            random: 0.9233558625340283,
            unix_ms: 1795878143253,
        };
        let r = arch_goal(
            &c,
            &v,
            "CUSTOM",
            &[(Id::Int(10), Id::Int(201)), (Id::Int(11), Id::Int(201))],
            &[],
            Some(&ep),
            s,
        );
        assert_eq!(r.wire_url(&eu), "https://dev.visualwebsiteoptimizer.com/eu01/events/t?en=CUSTOM&a=123456&env=abcdef0123456789abcdef0123456789&eTime=1795878143253&random=0.9233558625340283&p=FS&visitor_ua=&visitor_ip=");
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"{"d": {"msgId": "4C9BA81BAF53591488EB5FD5E66A98B9-1795878143253", "visId": "4C9BA81BAF53591488EB5FD5E66A98B9", "sessionId": 1795878143, "event": {"props": {"vwo_sdkName": "vwo-python-sdk", "vwo_sdkVersion": "1.68.2", "vwo_envKey": "abcdef0123456789abcdef0123456789", "vwoMeta": {"metric": {"id_10": ["g_201"], "id_11": ["g_201"]}}, "isCustomEvent": true, "x": "y"}, "name": "CUSTOM", "time": 1795878143253}, "visitor": {"props": {"vwo_fs_environment": "abcdef0123456789abcdef0123456789"}}}}"#
            )
        );
        assert_eq!(
            r.headers,
            vec![
                ("User-Agent", "vwo-python-sdk".to_owned()),
                ("Content-Type", "application/json".to_owned())
            ]
        );
    }

    #[test]
    fn revenue_renderings() {
        let u = visitor_uuid("123456", "Ashley");
        let v = Visitor {
            uuid: &u,
            user_agent: Some(""),
            user_ip: None,
        };
        let r_of = |rev: Value| {
            let r = track_goal(
                &ctx(),
                &v,
                &Id::Int(1),
                &Id::Int(2),
                &Id::Int(3),
                Some(&rev),
                STAMP,
            );
            assert_eq!(r.headers.len(), 1, "empty UA gives no header");
            r.query
                .iter()
                .filter(|(k, _)| *k == "r")
                .map(|(_, x)| x.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(r_of(json!(12)), ["12"]);
        assert_eq!(r_of(json!(12.0)), ["12.0"]);
        assert_eq!(r_of(json!(12.5)), ["12.5"]);
        assert_eq!(r_of(json!(1e16)), ["1e+16"]);
        assert_eq!(r_of(json!("10")), ["10"]);
        assert_eq!(r_of(json!(true)), ["True"]);
        assert_eq!(r_of(json!(0)), Vec::<String>::new());
        assert_eq!(r_of(json!("")), Vec::<String>::new());
        assert_eq!(r_of(json!(false)), Vec::<String>::new());
        assert_eq!(r_of(json!([1, null, "a"])), ["1", "a"]);
        assert_eq!(r_of(json!({"k": 1})), ["k"]);
        let b = batch_track_goal(
            &v,
            &Id::Int(1),
            &Id::Int(2),
            &Id::Int(3),
            Some(&json!(12.0)),
            STAMP,
        );
        assert_eq!(
            b.as_str(),
            r#"{"u": "4C9BA81BAF53591488EB5FD5E66A98B9", "sId": 1795878138, "visitor_ua": "", "visitor_ip": "", "c": 2, "e": 1, "g": 3, "eT": 2, "r": 12.0}"#
        );
    }

    #[test]
    fn push_and_prefix_and_quoting() {
        let mut c = ctx();
        c.account_id = json!("acc 1");
        let u = visitor_uuid("123456", "Ashley");
        let v = Visitor {
            uuid: &u,
            user_agent: Some("ü a/b"),
            user_ip: Some("::1"),
        };
        let r = push(&c, &v, "tag key", &json!("val&ue"), STAMP);
        let w = r.wire_url(&Collector::new(DEFAULT_BASE_URL, Some("")));
        assert!(
            w.starts_with("https://dev.visualwebsiteoptimizer.com/server-side/push?"),
            "{w}"
        );
        assert!(w.contains("&account_id=acc+1&"), "{w}");
        assert!(
            w.contains("&visitor_ua=%C3%BC+a%2Fb&visitor_ip=%3A%3A1&"),
            "{w}"
        );
        assert!(
            w.ends_with("&tags=%7B%22u%22%3A+%7B%22tag+key%22%3A+%22val%26ue%22%7D%7D"),
            "{w}"
        );
        assert_eq!(
            r.headers,
            vec![
                ("User-Agent", "vwo-python-sdk".to_owned()),
                ("X-Device-User-Agent", "ü a/b".to_owned()),
                ("VWO-X-Forwarded-For", "::1".to_owned())
            ]
        );
        let r = push(&c, &v, "k2", &json!(2), STAMP);
        assert_eq!(
            r.query.last().map(|(_, t)| t.as_str()),
            Some("{\"u\": {\"k2\": 2}}")
        );
    }

    #[test]
    fn arch_push_and_shown() {
        let mut c = ctx();
        c.usage_stats = vec![("ss", "1".into()), ("_l", "1".into())];
        let u = visitor_uuid("123456", "Ashley");
        let v = Visitor {
            uuid: &u,
            user_agent: None,
            user_ip: None,
        };
        let r = arch_push(
            &c,
            &v,
            &[
                ("b".into(), json!(true)),
                ("n".into(), json!(1.0)),
                ("vwo_fs_environment".into(), json!("x")),
            ],
            STAMP,
        );
        assert!(!r.query.iter().any(|(k, _)| *k == "ss"));
        let body = r.body.unwrap_or_default();
        assert!(
            body.ends_with(
                r#""visitor": {"props": {"vwo_fs_environment": "x", "b": "True", "n": "1.0"}}}}"#
            ),
            "{body}"
        );
        let r = arch_variation_shown(
            &c,
            &v,
            &Id::Str("c1".into()),
            &Id::Int(2),
            Some(&json!({"a": "é"})),
            STAMP,
        );
        let keys: Vec<&str> = r.query.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "en",
                "a",
                "env",
                "eTime",
                "random",
                "p",
                "visitor_ua",
                "visitor_ip",
                "ss",
                "_l"
            ]
        );
        let body = r.body.unwrap_or_default();
        assert!(
            body.contains(
                r#""id": "c1", "variation": 2, "isFirst": 1, "vwoMeta": {"a": "\u00e9"}}"#
            ),
            "{body}"
        );
    }
}
