//! FME events on the wire (`FME_SPEC.md` §7), exact to vwo-fme-python-sdk 1.65.0: the `{"d": …}`
//! payloads (`vwo_variationShown` for rules, holdouts and impact campaigns, custom events,
//! `vwo_syncVisitorProp`, `vwo_feTrackUsage`, `vwo_fmeSdkInit`, `vwo_sdkDebug`), the single-event
//! `POST /events/t` request with its query in the reference's order, and the
//! `POST /server-side/batch-events-v2` request that carries a list of payloads.
//!
//! Builders only: what to send and when is the client's; delivery is `crate::events`' dispatcher. The
//! shared pieces (Python `json.dumps` rendering, `str()` of query values, visitor UUIDs, the request
//! type) are v1's.

use serde_json::{Map, Value};

use crate::events::pyjson::{py_float_repr, py_str, write_dumps, write_json_string};
use crate::events::{BatchShape, EventContext, EventRequest, HttpMethod, RenderedEvent, Stamp};
use crate::settings::Id;

/// `/events/t`.
pub const EVENTS_PATH: &str = "/events/t";
/// `/server-side/batch-events-v2`.
pub const BATCH_PATH: &str = "/server-side/batch-events-v2";
/// Event name of an impression.
pub const VARIATION_SHOWN: &str = "vwo_variationShown";
/// Event name of `set_attribute`.
pub const SYNC_VISITOR_PROP: &str = "vwo_syncVisitorProp";
/// Event name of a monthly-active-user ping.
pub const FE_TRACK_USAGE: &str = "vwo_feTrackUsage";
/// Event name of the init event.
pub const SDK_INIT: &str = "vwo_fmeSdkInit";
/// Event name of a debug (error, decision) event.
pub const SDK_DEBUG: &str = "vwo_sdkDebug";

/// What is constant for a client: who it is. Where its events go (host, collection prefix) is the
/// dispatcher's [`crate::events::Collector`], resolved when they are sent.
#[derive(Debug, Clone)]
pub struct Sender {
    /// The `account_id` option as given (number or string): `str()` in queries.
    pub account_id: Value,
    /// The `sdk_key` option.
    pub sdk_key: String,
    /// `sn`, `vwo_sdkName`.
    pub sdk_name: String,
    /// `sv`, `vwo_sdkVersion`.
    pub sdk_version: String,
}

impl Sender {
    /// The sender a batch context was made for ([`Sender::batch_context`]).
    pub fn of(ctx: &EventContext) -> Sender {
        Sender {
            account_id: ctx.account_id.clone(),
            sdk_key: ctx.sdk_key.clone().unwrap_or_default(),
            sdk_name: ctx.sdk_name.clone(),
            sdk_version: ctx.sdk_version.clone(),
        }
    }

    /// The dispatcher's context for this sender's SDK batch queue: its batches are
    /// [`batch_request`]s.
    pub fn batch_context(&self) -> EventContext {
        EventContext {
            account_id: self.account_id.clone(),
            sdk_key: Some(self.sdk_key.clone()),
            sdk_name: self.sdk_name.clone(),
            sdk_version: self.sdk_version.clone(),
            usage_stats: Vec::new(),
            shape: BatchShape::Fme,
        }
    }

    /// `str(account_id)`.
    pub fn account_text(&self) -> String {
        py_str(&self.account_id)
    }
}

/// The visitor of a context-based event.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    /// The visitor UUID (`visId`, the `msgId` prefix); `None` for an empty user id (`visId: null`,
    /// `msgId: "None-<ms>"`, as the reference sends it).
    pub uuid: Option<&'a str>,
    /// `sessionId`.
    pub session_id: u64,
    /// `user_agent` of the context.
    pub user_agent: Option<&'a str>,
    /// `ip_address` of the context.
    pub ip_address: Option<&'a str>,
}

fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

fn write_id(out: &mut String, id: &Id) {
    match id {
        Id::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Id::Str(s) => write_json_string(out, s),
    }
}

/// `{"d": {"msgId": …, "visId": …, "sessionId": …, "event": {"props": {"vwo_sdkName": …,
/// "vwo_sdkVersion": …, "vwo_envKey": …` — the start of every ordinary payload, left open inside
/// `props`.
fn open_payload(out: &mut String, s: &Sender, uuid: Option<&str>, session_id: u64, stamp: Stamp) {
    out.push_str("{\"d\": {\"msgId\": ");
    let visitor = uuid.unwrap_or("None");
    if visitor.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // Nothing to escape: written in place.
        out.push('"');
        out.push_str(visitor);
        out.push('-');
        push_u64(out, stamp.unix_ms);
        out.push('"');
    } else {
        let mut msg = String::with_capacity(visitor.len() + 21);
        msg.push_str(visitor);
        msg.push('-');
        push_u64(&mut msg, stamp.unix_ms);
        write_json_string(out, &msg);
    }
    out.push_str(", \"visId\": ");
    match uuid {
        Some(u) => write_json_string(out, u),
        None => out.push_str("null"),
    }
    out.push_str(", \"sessionId\": ");
    push_u64(out, session_id);
    out.push_str(", \"event\": {\"props\": {\"vwo_sdkName\": ");
    write_json_string(out, &s.sdk_name);
    out.push_str(", \"vwo_sdkVersion\": ");
    write_json_string(out, &s.sdk_version);
    out.push_str(", \"vwo_envKey\": ");
    write_json_string(out, &s.sdk_key);
}

/// Closes `props`, writes the event name and time, the visitor keys, and `visitor.props` starting with
/// `vwo_fs_environment` followed by `extra` (already rendered `, "k": v` pairs), and closes the payload.
fn close_payload(
    out: &mut String,
    s: &Sender,
    name: &str,
    stamp: Stamp,
    ua: Option<&str>,
    ip: Option<&str>,
    extra_visitor_props: &str,
) {
    out.push_str("}, \"name\": ");
    write_json_string(out, name);
    out.push_str(", \"time\": ");
    push_u64(out, stamp.unix_ms);
    out.push('}');
    if let Some(ua) = ua {
        out.push_str(", \"visitor_ua\": ");
        write_json_string(out, ua);
    }
    if let Some(ip) = ip {
        out.push_str(", \"visitor_ip\": ");
        write_json_string(out, ip);
    }
    out.push_str(", \"visitor\": {\"props\": {\"vwo_fs_environment\": ");
    write_json_string(out, &s.sdk_key);
    out.push_str(extra_visitor_props);
    out.push_str("}}}}");
}

/// The usage statistics attached to rule impressions (§7.7), as an ordered map (empty: none).
pub type UsageStats = Map<String, Value>;

/// Usage stats as impressions carry them (`vwoMeta`): rendered once, as `json.dumps` writes the map.
#[derive(Debug, Clone)]
pub struct RenderedUsage(String);

impl RenderedUsage {
    /// `None` for empty stats (impressions carry no `vwoMeta` then).
    pub fn of(stats: &UsageStats) -> Option<RenderedUsage> {
        if stats.is_empty() {
            return None;
        }
        let mut out = String::new();
        write_dumps(&mut out, &Value::Object(stats.clone()));
        Some(RenderedUsage(out))
    }
}

/// A rule's or whitelisting's `vwo_variationShown` (§7.4a): `id` = campaign id, `variation` = the
/// variation id as a string, `isFirst: 1`, the usage stats when non-empty; visitor props: the
/// post-segmentation variables present in `custom_variables`, then `ip` when an IP was given.
#[allow(clippy::too_many_arguments)]
pub fn variation_shown(
    s: &Sender,
    v: &Visit,
    campaign_id: &Id,
    variation: &str,
    usage: Option<&RenderedUsage>,
    post_segmentation: &[(String, Value)],
    stamp: Stamp,
) -> RenderedEvent {
    // What the payload takes besides the user agent and the usage stats: about 600 bytes.
    let mut out = String::with_capacity(
        640 + v.user_agent.map_or(0, str::len) + usage.map_or(0, |u| u.0.len()),
    );
    open_payload(&mut out, s, v.uuid, v.session_id, stamp);
    out.push_str(", \"id\": ");
    write_id(&mut out, campaign_id);
    out.push_str(", \"variation\": ");
    write_json_string(&mut out, variation);
    out.push_str(", \"isFirst\": 1");
    if let Some(u) = usage {
        out.push_str(", \"vwoMeta\": ");
        out.push_str(&u.0);
    }
    let mut extra = String::new();
    for (k, val) in post_segmentation {
        extra.push_str(", ");
        write_json_string(&mut extra, k);
        extra.push_str(": ");
        write_dumps(&mut extra, val);
    }
    if let Some(ip) = v.ip_address.filter(|ip| !ip.is_empty()) {
        extra.push_str(", \"ip\": ");
        write_json_string(&mut extra, ip);
    }
    close_payload(
        &mut out,
        s,
        VARIATION_SHOWN,
        stamp,
        v.user_agent,
        v.ip_address,
        &extra,
    );
    RenderedEvent::from_text(out)
}

/// A holdout's `vwo_variationShown` (§7.4b): the raw user id's UUID and the current time as the session
/// (§10 Q6), `variation` an integer (1 in, 2 not in), `fId` the feature id.
pub fn holdout_shown(
    s: &Sender,
    v: &Visit,
    holdout_id: &Id,
    variation: u8,
    feature_id: &Id,
    stamp: Stamp,
) -> RenderedEvent {
    let mut out = String::with_capacity(420);
    open_payload(&mut out, s, v.uuid, v.session_id, stamp);
    out.push_str(", \"id\": ");
    write_id(&mut out, holdout_id);
    out.push_str(", \"variation\": ");
    push_u64(&mut out, u64::from(variation));
    out.push_str(", \"isFirst\": 1, \"fId\": ");
    write_id(&mut out, feature_id);
    close_payload(
        &mut out,
        s,
        VARIATION_SHOWN,
        stamp,
        v.user_agent,
        v.ip_address,
        "",
    );
    RenderedEvent::from_text(out)
}

/// A `track_event` custom event (§7.4c): `isCustomEvent: true, variation: 1, id: 1`, then the event
/// properties in order (a property named like one of those three replaces its value in place, as a
/// Python dict update does).
pub fn custom_event(
    s: &Sender,
    v: &Visit,
    event_name: &str,
    properties: &Map<String, Value>,
    stamp: Stamp,
) -> RenderedEvent {
    let mut props = Map::new();
    props.insert("isCustomEvent".into(), Value::Bool(true));
    props.insert("variation".into(), Value::from(1));
    props.insert("id".into(), Value::from(1));
    for (k, val) in properties {
        props.insert(k.clone(), val.clone());
    }
    with_props(s, v, event_name, &props, stamp, &Map::new())
}

/// `vwo_syncVisitorProp` (§7.4d): `isCustomEvent: true, vwo_fs_environment: <sdk key>`; the attributes
/// go into `visitor.props` after `vwo_fs_environment`.
pub fn sync_visitor_prop(
    s: &Sender,
    v: &Visit,
    attributes: &Map<String, Value>,
    stamp: Stamp,
) -> RenderedEvent {
    let mut props = Map::new();
    props.insert("isCustomEvent".into(), Value::Bool(true));
    props.insert("vwo_fs_environment".into(), Value::from(s.sdk_key.as_str()));
    with_props(s, v, SYNC_VISITOR_PROP, &props, stamp, attributes)
}

/// `vwo_feTrackUsage` (§7.4e): the base payload only.
pub fn fe_track_usage(s: &Sender, v: &Visit, stamp: Stamp) -> RenderedEvent {
    with_props(s, v, FE_TRACK_USAGE, &Map::new(), stamp, &Map::new())
}

/// A payload with `extra` props after the three SDK props, and `visitor` props after
/// `vwo_fs_environment` (a key equal to a base key replaces its value in place).
fn with_props(
    s: &Sender,
    v: &Visit,
    name: &str,
    extra: &Map<String, Value>,
    stamp: Stamp,
    visitor: &Map<String, Value>,
) -> RenderedEvent {
    let mut props = Map::new();
    props.insert("vwo_sdkName".into(), Value::from(s.sdk_name.as_str()));
    props.insert("vwo_sdkVersion".into(), Value::from(s.sdk_version.as_str()));
    props.insert("vwo_envKey".into(), Value::from(s.sdk_key.as_str()));
    for (k, val) in extra {
        props.insert(k.clone(), val.clone());
    }
    let mut vprops = Map::new();
    vprops.insert("vwo_fs_environment".into(), Value::from(s.sdk_key.as_str()));
    for (k, val) in visitor {
        vprops.insert(k.clone(), val.clone());
    }
    render(
        v.uuid,
        v.session_id,
        props,
        name,
        stamp,
        v.user_agent,
        v.ip_address,
        Some(vprops),
    )
}

#[allow(clippy::too_many_arguments)]
fn render(
    uuid: Option<&str>,
    session_id: u64,
    props: Map<String, Value>,
    name: &str,
    stamp: Stamp,
    ua: Option<&str>,
    ip: Option<&str>,
    visitor_props: Option<Map<String, Value>>,
) -> RenderedEvent {
    let mut event = Map::new();
    event.insert("props".into(), Value::Object(props));
    event.insert("name".into(), Value::from(name));
    event.insert("time".into(), Value::from(stamp.unix_ms));
    let mut d = Map::new();
    d.insert(
        "msgId".into(),
        Value::from(format!("{}-{}", uuid.unwrap_or("None"), stamp.unix_ms)),
    );
    d.insert("visId".into(), uuid.map_or(Value::Null, Value::from));
    d.insert("sessionId".into(), Value::from(session_id));
    d.insert("event".into(), Value::Object(event));
    if let Some(ua) = ua {
        d.insert("visitor_ua".into(), Value::from(ua));
    }
    if let Some(ip) = ip {
        d.insert("visitor_ip".into(), Value::from(ip));
    }
    if let Some(vp) = visitor_props {
        let mut visitor = Map::new();
        visitor.insert("props".into(), Value::Object(vp));
        d.insert("visitor".into(), Value::Object(visitor));
    }
    let mut root = Map::new();
    root.insert("d".into(), Value::Object(d));
    RenderedEvent::from(Value::Object(root))
}

/// `vwo_fmeSdkInit` (§7.4f), for the SDK's own visitor `"<account>_<sdk key>"`.
pub fn sdk_init(s: &Sender, sdk_uuid: &str, stamp: Stamp) -> RenderedEvent {
    let mut props = Map::new();
    props.insert("vwo_sdkName".into(), Value::from(s.sdk_name.as_str()));
    props.insert("vwo_sdkVersion".into(), Value::from(s.sdk_version.as_str()));
    props.insert("vwo_envKey".into(), Value::from(s.sdk_key.as_str()));
    props.insert("vwo_fs_environment".into(), Value::from(s.sdk_key.as_str()));
    props.insert("product".into(), Value::from("fme"));
    let mut data = Map::new();
    data.insert("isSDKInitialized".into(), Value::Bool(true));
    props.insert("data".into(), Value::Object(data));
    let mut vp = Map::new();
    vp.insert("vwo_fs_environment".into(), Value::from(s.sdk_key.as_str()));
    render(
        Some(sdk_uuid),
        stamp.unix_ms / 1000,
        props,
        SDK_INIT,
        stamp,
        None,
        None,
        Some(vp),
    )
}

/// What a `vwo_sdkDebug` event reports (§7.4h): the debug props in their order (`an`, then `fk`, `uuid`,
/// `sId` when known, then `msg_t`, `msg`, `lt`, `cg`, …).
#[derive(Debug, Clone, Default)]
pub struct DebugProps(pub Map<String, Value>);

/// `vwo_sdkDebug` (§7.4h): `props` is `{"vwoMeta": {<debug props>, uuid, sId (when absent), "a",
/// "product", "sn", "sv", "eventId"}}`; `msgId`/`visId` use the debug props' `uuid` when given, else
/// the SDK's own visitor; `sessionId` their `sId`, else now.
pub fn sdk_debug(
    s: &Sender,
    sdk_uuid: &str,
    debug: DebugProps,
    event_id: &str,
    stamp: Stamp,
) -> RenderedEvent {
    let mut meta = debug.0;
    let uuid = meta
        .get("uuid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| sdk_uuid.to_owned());
    let sid = meta
        .get("sId")
        .and_then(Value::as_u64)
        .unwrap_or(stamp.unix_ms / 1000);
    // Absent or null: filled in, in place when the key exists.
    meta.insert("uuid".into(), Value::from(uuid.as_str()));
    meta.insert("sId".into(), Value::from(sid));
    meta.insert("a".into(), Value::from(s.account_text()));
    meta.insert("product".into(), Value::from("fme"));
    meta.insert("sn".into(), Value::from(s.sdk_name.as_str()));
    meta.insert("sv".into(), Value::from(s.sdk_version.as_str()));
    meta.insert("eventId".into(), Value::from(event_id));
    let mut props = Map::new();
    props.insert("vwoMeta".into(), Value::Object(meta));
    let mut vp = Map::new();
    vp.insert("vwo_fs_environment".into(), Value::from(s.sdk_key.as_str()));
    render(
        Some(&uuid),
        sid,
        props,
        SDK_DEBUG,
        stamp,
        Some(""),
        Some(""),
        Some(vp),
    )
}

/// `POST /events/t?en&a&eTime&random&p=FS&visitor_ua&visitor_ip&sn&sv&env` carrying one payload
/// (§7.3). The query is rendered into the request's path as the reference puts it on the wire (joined
/// unencoded, then requoted by `requests`), so the request's own `query` is empty. `ua`/`ip` are the context's (`None` renders as Python's `None`) for visitor events, empty
/// for the SDK's own events (`visitor = false`: no visitor headers either).
pub fn single_request(
    s: &Sender,
    event_name: &str,
    payload: &RenderedEvent,
    ua: Option<&str>,
    ip: Option<&str>,
    visitor: bool,
    stamp: Stamp,
) -> EventRequest {
    let none_or = |x: Option<&str>| {
        if visitor {
            x.unwrap_or("None").to_owned()
        } else {
            String::new()
        }
    };
    let query = vec![
        ("en", event_name.to_owned()),
        ("a", s.account_text()),
        ("eTime", stamp.unix_ms.to_string()),
        ("random", py_float_repr(stamp.random)),
        ("p", "FS".to_owned()),
        ("visitor_ua", none_or(ua)),
        ("visitor_ip", none_or(ip)),
        ("sn", s.sdk_name.clone()),
        ("sv", s.sdk_version.clone()),
        ("env", s.sdk_key.clone()),
    ];
    let mut headers = Vec::with_capacity(3);
    if visitor {
        if let Some(ua) = ua.map(str::trim).filter(|u| !u.is_empty()) {
            headers.push(("X-Device-User-Agent", ua.to_owned()));
        }
        if let Some(ip) = ip.map(str::trim).filter(|i| !i.is_empty()) {
            headers.push(("VWO-X-Forwarded-For", ip.to_owned()));
        }
    }
    headers.push(("Content-Type", "application/json".to_owned()));
    EventRequest {
        method: HttpMethod::Post,
        path: requote_query(EVENTS_PATH, &query),
        query: Vec::new(),
        headers,
        body: Some(payload.as_str().to_owned()),
    }
}

/// `POST /server-side/batch-events-v2?a&env&sn&sv` with `{"ev": [payloads…]}` (§7.1, §8.1).
pub fn batch_request(s: &Sender, payloads: &[RenderedEvent]) -> EventRequest {
    let len: usize = payloads.iter().map(|p| p.as_str().len() + 2).sum();
    let mut body = String::with_capacity(len + 10);
    body.push_str("{\"ev\": [");
    for (i, p) in payloads.iter().enumerate() {
        if i > 0 {
            body.push_str(", ");
        }
        body.push_str(p.as_str());
    }
    body.push_str("]}");
    let query = [
        ("a", s.account_text()),
        ("env", s.sdk_key.clone()),
        ("sn", s.sdk_name.clone()),
        ("sv", s.sdk_version.clone()),
    ];
    EventRequest {
        method: HttpMethod::Post,
        path: requote_query(BATCH_PATH, &query),
        query: Vec::new(),
        headers: vec![
            ("Authorization", s.sdk_key.clone()),
            ("Content-Type", "application/json".to_owned()),
        ],
        body: Some(body),
    }
}

/// `eventId` of a debug event: `uuid5(uuid5(NAMESPACE_DNS, sdk_key), <uuid4 text>)`, lower-case with
/// dashes.
pub fn debug_event_id(sdk_key: &str, random_uuid: &uuid::Uuid) -> String {
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, sdk_key.as_bytes());
    uuid::Uuid::new_v5(&ns, random_uuid.hyphenated().to_string().as_bytes())
        .hyphenated()
        .to_string()
}

/// Renders a query as the reference does: `k=v` joined by `&` without encoding, then requoted by
/// `requests` (`requote_uri`: characters outside the unreserved set and `!#$%&'()*+,/:;=?@[]~`
/// percent-encoded as UTF-8; `%XX` escapes of unreserved characters decoded; a `%` that starts no
/// valid escape makes the whole text quoted with `%` unsafe).
pub fn requote_query(url: &str, query: &[(&str, String)]) -> String {
    let mut raw = String::with_capacity(url.len() + 128);
    raw.push_str(url);
    for (i, (k, v)) in query.iter().enumerate() {
        raw.push(if i == 0 { '?' } else { '&' });
        raw.push_str(k);
        raw.push('=');
        raw.push_str(v);
    }
    requote_uri(&raw)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn quote(text: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if is_unreserved(b) || safe.contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// `requests.utils.requote_uri`.
fn requote_uri(uri: &str) -> String {
    const SAFE_WITH_PERCENT: &[u8] = b"!#$%&'()*+,/:;=?@[]~";
    const SAFE_WITHOUT_PERCENT: &[u8] = b"!#$&'()*+,/:;=?@[]~";
    match unquote_unreserved(uri) {
        Some(u) => quote(&u, SAFE_WITH_PERCENT),
        None => quote(uri, SAFE_WITHOUT_PERCENT),
    }
}

/// `requests.utils.unquote_unreserved`; `None` where it raises `InvalidURL`.
fn unquote_unreserved(uri: &str) -> Option<String> {
    let mut parts = uri.split('%');
    let mut out = String::with_capacity(uri.len());
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let h = part.get(0..2);
        match h {
            Some(h) if h.chars().all(|c| c.is_ascii_alphanumeric()) => {
                let byte = u8::from_str_radix(h, 16).ok()?;
                if is_unreserved(byte) {
                    out.push(byte as char);
                    out.push_str(&part[2..]);
                } else {
                    out.push('%');
                    out.push_str(part);
                }
            }
            _ => {
                out.push('%');
                out.push_str(part);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn queries_are_requoted_as_requests_does() {
        let q = vec![
            ("en", "a b".to_owned()),
            ("visitor_ua", "Mozilla/5.0 (X11; Linux) ü\"".to_owned()),
            ("visitor_ip", "None".to_owned()),
        ];
        assert_eq!(
            requote_query("https://h/events/t", &q),
            "https://h/events/t?en=a%20b&visitor_ua=Mozilla/5.0%20(X11;%20Linux)%20%C3%BC%22&visitor_ip=None"
        );
        // An escape of an unreserved character is decoded; a broken one makes `%` itself quoted.
        assert_eq!(requote_uri("http://h/?a=%41%2F"), "http://h/?a=A%2F");
        assert_eq!(requote_uri("http://h/?a=%zz"), "http://h/?a=%25zz");
    }

    #[test]
    fn the_frozen_debug_event_id_is_the_oracles() {
        // The oracle freezes uuid4 to 00000000-0000-4000-8000-000000000000; its debug events carry
        // this eventId for the masked key.
        let u = uuid::Uuid::parse_str("00000000-0000-4000-8000-000000000000").unwrap();
        assert_eq!(
            debug_event_id("000000000000_MASKED_000000000000", &u),
            "ed662f1d-81e8-55c4-b7dd-2eadf0ffc281"
        );
    }
}
