//! Corpus runs (oracle outputs): every request's result and the events sent during it, compared with
//! vwo-python-sdk's per POLICY §2.

use crate::common::{cut, short, Captured, Frozen, Harness, Launch};
use crate::policy;
use crate::report::FileReport;
use serde_json::{Map, Value};
use vwo::events::pyjson::py_str;
use vwo::events::HttpMethod;

/// Query parameters whose values must differ (or are not ours to match).
const IGNORED_PARAMS: &[&str] = &["random", "sId", "sdk", "sdk-v", "eTime"];

pub fn run(doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let settings = doc
        .get("settings")
        .cloned()
        .ok_or("corpus file without settings")?;
    let frozen = Frozen::from_json(doc.get("frozen"));
    let launch = Launch::from_json(doc.get("launch"), frozen)?;
    let mut h = Harness::new(settings, launch)?;
    let sdk = doc.get("sdk");
    let their_name = sdk
        .and_then(|s| s.get("name"))
        .cloned()
        .unwrap_or(Value::from("vwo-python-sdk"));
    let their_version = sdk
        .and_then(|s| s.get("version"))
        .cloned()
        .unwrap_or(Value::from("1.68.2"));
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("corpus file without cases")?;
    let (mut wire_total, mut wire_equal) = (0usize, 0usize);
    let mut first_wire_diff: Option<String> = None;
    for (i, case) in cases.iter().enumerate() {
        let req = case.get("request").unwrap_or(&Value::Null);
        let label = req.get("userId").and_then(Value::as_str).unwrap_or("");
        let got = h.run(req);
        let events = h.sink.take();
        let outcome = (|| {
            let got = got?;
            let expected = case.get("result").unwrap_or(&Value::Null);
            let api = req.get("api").and_then(Value::as_str).unwrap_or("");
            let same = if api == "track" {
                ordered_eq(expected, &got)
            } else {
                *expected == got
            };
            if !same {
                return Err(format!(
                    "result: expected {} got {}",
                    short(expected, 200),
                    short(&got, 200)
                ));
            }
            let expected_events: &[Value] = case
                .get("events")
                .and_then(Value::as_array)
                .map_or(&[], |v| v);
            compare_events(expected_events, &events)
        })();
        // wireUrl equality (informational): our URL with their sdk / sdk-v values.
        if let Some(expected_events) = case.get("events").and_then(Value::as_array) {
            for (e, g) in expected_events.iter().zip(&events) {
                let Some(want) = e.get("wireUrl").and_then(Value::as_str) else {
                    continue;
                };
                wire_total += 1;
                let mut ours = g.request.clone();
                for (k, v) in ours.query.iter_mut() {
                    if *k == "sdk" {
                        *v = py_str(&their_name);
                    } else if *k == "sdk-v" {
                        *v = py_str(&their_version);
                    }
                }
                let url = format!("{}{}", g.collector_part(), ours.wire_target());
                if url == want {
                    wire_equal += 1;
                } else if first_wire_diff.is_none() {
                    first_wire_diff = Some(format!(
                        "case {i}: expected {} got {}",
                        cut(want, 300),
                        cut(&url, 300)
                    ));
                }
            }
        }
        rep.check(
            i,
            label,
            outcome.map_err(|m| format!("{} -> {m}", short(req, 200))),
        );
    }
    if wire_total > 0 {
        rep.notes.push(format!(
            "wireUrl equal (sdk/sdk-v substituted): {wire_equal}/{wire_total}"
        ));
        if let Some(d) = first_wire_diff {
            rep.notes.push(format!("first wireUrl difference: {d}"));
        }
    }
    Ok(())
}

/// JSON equality where object keys must also come in the same order.
fn ordered_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && ordered_eq(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| ordered_eq(p, q))
        }
        _ => a == b,
    }
}

fn compare_events(expected: &[Value], got: &[Captured]) -> Result<(), String> {
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        compare_event(e, g).map_err(|m| format!("event {i}: {m}"))?;
    }
    if expected.len() != got.len() {
        let urls: Vec<&str> = got.iter().map(Captured::url_without_query).collect();
        return Err(format!(
            "expected {} events, got {} {urls:?}",
            expected.len(),
            got.len()
        ));
    }
    Ok(())
}

fn compare_event(e: &Value, c: &Captured) -> Result<(), String> {
    let g = &c.request;
    let method = match g.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let want_method = e.get("method").and_then(Value::as_str).unwrap_or("");
    if method != want_method {
        return Err(format!("method: expected {want_method} got {method}"));
    }
    let want_url = e.get("url").and_then(Value::as_str).unwrap_or("");
    if c.url_without_query() != want_url {
        return Err(format!(
            "url: expected {want_url} got {}",
            c.url_without_query()
        ));
    }
    // Query: Python str() of the typed params (None dropped, as requests does) vs ours, in order.
    let empty = Map::new();
    let params = e.get("params").and_then(Value::as_object).unwrap_or(&empty);
    let want_q: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, v)| !v.is_null() && !IGNORED_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), py_str(v)))
        .collect();
    let got_q: Vec<(&str, String)> = g
        .query
        .iter()
        .filter(|(k, _)| !IGNORED_PARAMS.contains(k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    if want_q != got_q {
        return Err(first_list_diff("query", &want_q, &got_q));
    }
    // Headers, except User-Agent; requests adds Content-Type for a JSON body.
    let headers = e
        .get("headers")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut want_h: Vec<(&str, String)> = headers
        .iter()
        .filter(|(k, _)| *k != "User-Agent")
        .map(|(k, v)| (k.as_str(), py_str(v)))
        .collect();
    let has_body = !e.get("body").unwrap_or(&Value::Null).is_null();
    if want_method == "POST" && has_body && !headers.contains_key("Content-Type") {
        want_h.push(("Content-Type", "application/json".to_string()));
    }
    let got_h: Vec<(&str, String)> = g
        .headers
        .iter()
        .filter(|(k, _)| *k != "User-Agent")
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    if want_h != got_h {
        return Err(first_list_diff("headers", &want_h, &got_h));
    }
    // Body: JSON-equal except the fields that must differ.
    let mut want_body = e.get("body").cloned().unwrap_or(Value::Null);
    let mut got_body = match &g.body {
        None => Value::Null,
        Some(text) => serde_json::from_str(text)
            .map_err(|err| format!("body is not JSON ({err}): {}", cut(text, 200)))?,
    };
    policy::normalize_body(&mut want_body);
    policy::normalize_body(&mut got_body);
    if let Some(d) = first_json_diff("body", &want_body, &got_body) {
        return Err(d);
    }
    Ok(())
}

fn first_list_diff(what: &str, want: &[(&str, String)], got: &[(&str, String)]) -> String {
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if w != g {
            return format!(
                "{what}[{i}]: expected {}={:?} got {}={:?}",
                w.0,
                cut(&w.1, 200),
                g.0,
                cut(&g.1, 200)
            );
        }
    }
    if want.len() > got.len() {
        let w = &want[got.len()];
        format!("{what}: missing {}={:?}", w.0, cut(&w.1, 200))
    } else {
        let g = &got[want.len()];
        format!("{what}: unexpected {}={:?}", g.0, cut(&g.1, 200))
    }
}

/// The path and values of the first difference between two JSON values (objects compared by key).
pub fn first_json_diff(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    None => {
                        return Some(format!("{path}.{k}: missing (expected {})", short(wv, 200)))
                    }
                    Some(gv) => {
                        if let Some(d) = first_json_diff(&format!("{path}.{k}"), wv, gv) {
                            return Some(d);
                        }
                    }
                }
            }
            g.iter()
                .find(|(k, _)| !w.contains_key(*k))
                .map(|(k, gv)| format!("{path}.{k}: unexpected {}", short(gv, 200)))
        }
        (Value::Array(w), Value::Array(g)) => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                if let Some(d) = first_json_diff(&format!("{path}[{i}]"), wv, gv) {
                    return Some(d);
                }
            }
            (w.len() != g.len())
                .then(|| format!("{path}: expected {} items got {}", w.len(), g.len()))
        }
        _ => (want != got).then(|| {
            format!(
                "{path}: expected {} got {}",
                short(want, 200),
                short(got, 200)
            )
        }),
    }
}
