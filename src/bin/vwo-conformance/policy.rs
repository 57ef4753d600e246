//! The fields of an event body that POLICY §2 says must differ from the official SDK's (time fields,
//! the SDK name and version). One place, shared by the conformance runner and `tests/client_http.rs`
//! (which includes this file by path).

use serde_json::Value;

/// Removes the fields POLICY §2 says must differ: `d.sessionId`, `d.event.time`, the time suffix of
/// `d.msgId`, `d.event.props.vwo_sdkName` / `vwo_sdkVersion`, any `eTime`, and batch events' `sId`.
pub fn normalize_body(body: &mut Value) {
    if let Some(d) = body.get_mut("d").and_then(Value::as_object_mut) {
        d.shift_remove("sessionId");
        d.shift_remove("eTime");
        if let Some(Value::String(m)) = d.get_mut("msgId") {
            if let Some(pos) = m.rfind('-') {
                m.truncate(pos);
            }
        }
        if let Some(ev) = d.get_mut("event").and_then(Value::as_object_mut) {
            ev.shift_remove("time");
            ev.shift_remove("eTime");
            if let Some(props) = ev.get_mut("props").and_then(Value::as_object_mut) {
                props.shift_remove("vwo_sdkName");
                props.shift_remove("vwo_sdkVersion");
            }
        }
    }
    if let Some(list) = body.get_mut("ev").and_then(Value::as_array_mut) {
        for ev in list.iter_mut().filter_map(Value::as_object_mut) {
            ev.shift_remove("sId");
        }
    }
}
