//! The leaves only the FME dialect has (`FME_SPEC.md` §5.2–§5.4), with the semantics of
//! vwo-fme-python-sdk 1.65.0: its `custom_variable` operand forms and normalisation, `ua`, `ip_address`,
//! `browser_version`, `os_version`, the location (`country`/`region`/`city`) and user-agent
//! (`os`/`browser_string`/`device_type`/`device`) groups, `featureId` and `campaignVariation`.
//!
//! The tree (`and`/`or`/`not`), the `user` leaf, Python's `float()`/`str()`/`re` live in the shared
//! segmentation room and are used from here; nothing in this file knows the v1 operand rules.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::pynum::{py_float, py_int_of_float};
use super::pyregex::PyRegex;
use super::pystr::{py_strip, tag_str};
use super::{Raise, Variables};
use crate::python::py_float_repr;

/// What an FME segment reads besides the variables map: the request context and what the decision
/// knows about other features. Built per decision by the FME decision flow.
#[derive(Clone, Copy)]
pub(crate) struct FmeContext<'a> {
    /// Context `user_agent`.
    pub user_agent: Option<&'a str>,
    /// Context `ip_address`.
    pub ip_address: Option<&'a str>,
    /// Context `_vwo` (gateway data: `location`, `userAgent`).
    pub gateway_data: Option<&'a Map<String, Value>>,
    /// Context `platform_variables.web_testing_campaigns`, when present and not null.
    pub web_testing_campaigns: Option<&'a Value>,
    /// `featureId` leaves: `Some(has a stored record for this user)` for a known feature id, `None`
    /// for an unknown one.
    pub feature_state: &'a dyn Fn(&str) -> Option<bool>,
}

/// A compiled FME `custom_variable` leaf.
#[derive(Debug, Clone)]
pub(crate) struct CustomVariable {
    name: Option<String>,
    operand: Option<Operand>,
}

impl CustomVariable {
    pub(crate) fn compile(name: Option<&str>, operand: &Value) -> CustomVariable {
        CustomVariable {
            name: name.map(str::to_owned),
            operand: match operand {
                Value::String(s) => Some(Operand::compile(s)),
                _ => None,
            },
        }
    }

    pub(crate) fn evaluate(&self, variables: &Variables<'_>) -> Result<bool, Raise> {
        let Some(name) = &self.name else {
            return Ok(false);
        };
        let Some(value) = variables.get(name) else {
            return Ok(false);
        };
        let Some(operand) = &self.operand else {
            return Ok(false);
        };
        Ok(operand.matches(&tag_value(value)?))
    }
}

/// The tag value of §5.2 step 3 after the normalisation of step 5.
fn tag_value(value: &Value) -> Result<Cow<'_, str>, Raise> {
    Ok(match value {
        Value::Bool(b) => Cow::Borrowed(bool_text(*b)),
        other => match tag_str(other)? {
            // A string that is not a number is its own tag: no copy.
            Cow::Borrowed(s) => normalise(s),
            Cow::Owned(s) => Cow::Owned(normalise(&s).into_owned()),
        },
    })
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// §5.2 step 5: a string that Python's `float()` reads becomes `str(int(x))` when integral, else
/// `str(x)`; anything else is unchanged.
fn normalise(s: &str) -> Cow<'_, str> {
    match py_float(s) {
        Some(x) if x.is_finite() && x.floor() == x => Cow::Owned(py_int_of_float(x)),
        Some(x) => Cow::Owned(py_float_repr(x)),
        None => Cow::Borrowed(s),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone)]
enum Kind {
    Equals,
    Lower,
    Contains,
    StartsWith,
    EndsWith,
    Regex(Arc<PyRegex>),
    Version(Order),
    /// `inlist(...)`: never true in 1.65.0 (§10 Q4).
    InList,
}

/// An operand string, parsed once: its form and its normalised value.
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    kind: Kind,
    value: String,
}

/// `^name\((.*)\)` as Python's `re.search` reads it: the text between `name(` and the last `)` of the
/// first line.
fn function_value<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(name)?.strip_prefix('(')?;
    let line = rest.split('\n').next().unwrap_or(rest);
    let close = line.rfind(')')?;
    Some(&line[..close])
}

/// `^op\(([\d.]+)\)$` (Python's `$` also matches before a final newline).
fn order_value<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let inner = s.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')?;
    (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then_some(inner)
}

impl Operand {
    fn compile(s: &str) -> Operand {
        if s.contains("inlist") {
            return Operand {
                kind: Kind::InList,
                value: String::new(),
            };
        }
        let (kind, raw): (Kind, &str) = if let Some(v) = function_value(s, "lower") {
            (Kind::Lower, v)
        } else if let Some(v) = function_value(s, "wildcard") {
            let kind = match (v.starts_with('*'), v.ends_with('*')) {
                (true, true) => Kind::Contains,
                (true, false) => Kind::EndsWith,
                (false, true) => Kind::StartsWith,
                (false, false) => Kind::Equals,
            };
            (kind, v.trim_matches('*'))
        } else if let Some(v) = function_value(s, "regex") {
            (Kind::Regex(PyRegex::shared(&normalise(v))), v)
        } else if let Some((order, v)) = [
            ("gte", Order::Gte),
            ("gt", Order::Gt),
            ("lte", Order::Lte),
            ("lt", Order::Lt),
        ]
        .iter()
        .find_map(|(name, order)| order_value(s, name).map(|v| (*order, v)))
        {
            (Kind::Version(order), v)
        } else {
            (Kind::Equals, s)
        };
        let value = normalise(raw);
        let value = match kind {
            Kind::Lower => value.to_lowercase(),
            _ => value.into_owned(),
        };
        Operand { kind, value }
    }

    /// Compares a normalised tag value (§5.2 steps 4–7).
    fn matches(&self, tag: &str) -> bool {
        let v = self.value.as_str();
        match &self.kind {
            Kind::Equals => tag == v,
            Kind::Lower if tag.is_ascii() => {
                tag.len() == v.len() && tag.bytes().map(|b| b.to_ascii_lowercase()).eq(v.bytes())
            }
            Kind::Lower => tag.to_lowercase() == v,
            Kind::Contains => tag.contains(v),
            Kind::StartsWith => tag.starts_with(v),
            Kind::EndsWith => tag.ends_with(v),
            Kind::Regex(re) => re.search(tag),
            Kind::Version(order) => version_order(tag, v, *order),
            Kind::InList => false,
        }
    }
}

/// Every dot-separated part is all ASCII digits (and non-empty).
fn is_numeric_version(s: &str) -> bool {
    s.split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// §5.2 step 6: part-wise version comparison of the tag against the operand.
fn version_order(tag: &str, operand: &str, order: Order) -> bool {
    if is_numeric_version(tag) != is_numeric_version(operand) {
        return false;
    }
    let a: Vec<&str> = tag.split('.').collect();
    let b: Vec<&str> = operand.split('.').collect();
    let mut cmp = std::cmp::Ordering::Equal;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or("0");
        let y = b.get(i).copied().unwrap_or("0");
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        let c = if digits(x) && digits(y) {
            let x = x.trim_start_matches('0');
            let y = y.trim_start_matches('0');
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if c != std::cmp::Ordering::Equal {
            cmp = c;
            break;
        }
    }
    match order {
        Order::Gt => cmp.is_gt(),
        Order::Gte => cmp.is_ge(),
        Order::Lt => cmp.is_lt(),
        Order::Lte => cmp.is_le(),
    }
}

/// A leaf that reads the request context rather than the variables map.
#[derive(Debug, Clone)]
pub(crate) enum ContextLeaf {
    /// `ua: operand`, against the raw user agent.
    UserAgent(Option<Operand>),
    /// `ip_address: operand`, operand trimmed and `"` removed.
    IpAddress(Option<Operand>),
    /// `browser_version` / `os_version`: a key of the gateway's `userAgent` data.
    UserAgentField(&'static str, Option<Operand>),
    /// `featureId: {"<id>": "on"|"off"}`.
    FeatureId(Option<(String, bool)>),
    /// `campaignVariation: operand`.
    CampaignVariation(Option<String>),
}

impl ContextLeaf {
    /// The leaf for operator `op`, if it is one of these.
    pub(crate) fn compile(op: &str, value: &Value) -> Option<ContextLeaf> {
        let string_operand = |v: &Value| match v {
            Value::String(s) => Some(Operand::compile(s)),
            _ => None,
        };
        Some(match op {
            "ua" => ContextLeaf::UserAgent(string_operand(value)),
            "ip_address" => {
                let text = match value {
                    Value::String(s) => Some(Cow::Borrowed(s.as_str())),
                    Value::Null | Value::Array(_) | Value::Object(_) => None,
                    other => tag_str(other).ok(),
                };
                ContextLeaf::IpAddress(
                    text.map(|t| Operand::compile(&py_strip(&t).replace('"', ""))),
                )
            }
            "browser_version" => {
                ContextLeaf::UserAgentField("browser_version", string_operand(value))
            }
            "os_version" => ContextLeaf::UserAgentField("os_version", string_operand(value)),
            "featureId" => ContextLeaf::FeatureId(value.as_object().and_then(|o| {
                let (id, state) = o.iter().next()?;
                Some((id.clone(), state.as_str() == Some("on")))
            })),
            "campaignVariation" => ContextLeaf::CampaignVariation(match value {
                Value::String(s) => Some(py_strip(s).to_string()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Some(i.to_string()),
                    None => n.as_f64().filter(|f| f.is_finite()).map(|f| {
                        if f.floor() == f {
                            py_int_of_float(f)
                        } else {
                            py_float_repr(f)
                        }
                    }),
                },
                _ => None,
            }),
            _ => return None,
        })
    }

    pub(crate) fn evaluate(&self, ctx: &FmeContext<'_>) -> bool {
        match self {
            ContextLeaf::UserAgent(op) => match (ctx.user_agent, op) {
                (Some(ua), Some(op)) => op.matches(&normalise(ua)),
                _ => false,
            },
            ContextLeaf::IpAddress(op) => match (ctx.ip_address, op) {
                (Some(ip), Some(op)) => op.matches(&normalise(ip)),
                _ => false,
            },
            ContextLeaf::UserAgentField(key, op) => {
                let field = ctx
                    .gateway_data
                    .and_then(|d| d.get("userAgent"))
                    .and_then(|u| u.get(*key));
                match (field, op) {
                    (Some(v), Some(op)) if !v.is_null() => {
                        tag_value(v).is_ok_and(|t| op.matches(&t))
                    }
                    _ => false,
                }
            }
            ContextLeaf::FeatureId(Some((id, on))) => match (ctx.feature_state)(id) {
                Some(stored) => stored == *on,
                None => false,
            },
            ContextLeaf::FeatureId(None) => false,
            ContextLeaf::CampaignVariation(operand) => match operand {
                Some(op) => campaign_variation(op, ctx.web_testing_campaigns),
                None => false,
            },
        }
    }
}

/// The web-testing campaigns map (`{"<campaignId>": "<variationId>"}`, a map or its JSON text), keys and
/// values stringified; a duplicate key in the text keeps the last value.
fn web_testing_map(v: &Value) -> Option<Vec<(String, String)>> {
    let parsed;
    let map = match v {
        Value::Object(m) => m,
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(py_strip(s)).ok()?;
            parsed.as_object()?
        }
        _ => return None,
    };
    Some(
        map.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    tag_str(v).map(Cow::into_owned).unwrap_or_default(),
                )
            })
            .collect(),
    )
}

fn campaign_variation(operand: &str, campaigns: Option<&Value>) -> bool {
    let Some(map) = campaigns.and_then(web_testing_map) else {
        return false;
    };
    let variation_of = |c: &str| map.iter().find(|(k, _)| k == c).map(|(_, v)| v.as_str());
    if let Some(c) = operand.strip_prefix('!') {
        return !c.is_empty() && variation_of(c).is_none();
    }
    match operand.split_once('_') {
        Some((c, v)) => match v.strip_prefix('!') {
            Some(v) => variation_of(c).is_some_and(|got| got != v),
            None => variation_of(c) == Some(v),
        },
        None => !operand.is_empty() && variation_of(operand).is_some(),
    }
}

/// The location keys that an `and` made only of them checks together.
pub(crate) const LOCATION_KEYS: [&str; 3] = ["country", "region", "city"];
/// The user-agent keys that an `or` made only of them checks together.
pub(crate) const USER_AGENT_KEYS: [&str; 4] = ["os", "browser_string", "device_type", "device"];

/// An `and` whose children are all location nodes: every expected value must equal the gateway's.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    expected: Vec<(String, String)>,
}

fn clean(v: &Value) -> String {
    let text = tag_str(v).map(Cow::into_owned).unwrap_or_default();
    py_strip(&text.replace('"', "")).to_string()
}

impl Location {
    pub(crate) fn compile(children: &[(&str, &Value)]) -> Location {
        Location {
            expected: children
                .iter()
                .map(|(k, v)| ((*k).to_string(), clean(v)))
                .collect(),
        }
    }

    pub(crate) fn evaluate(&self, ctx: &FmeContext<'_>) -> bool {
        if ctx.ip_address.is_none() {
            return false;
        }
        let Some(location) = ctx
            .gateway_data
            .and_then(|d| d.get("location"))
            .and_then(Value::as_object)
        else {
            return false;
        };
        self.expected
            .iter()
            .all(|(k, want)| location.get(k).is_some_and(|got| clean(got) == *want))
    }
}

/// An `or` whose children are all user-agent nodes.
#[derive(Debug, Clone)]
pub(crate) struct UserAgentInfo {
    expected: Vec<(String, Vec<Expected>)>,
}

#[derive(Debug, Clone)]
enum Expected {
    Exact(String),
    Wildcard(Arc<PyRegex>),
}

impl UserAgentInfo {
    pub(crate) fn compile(children: &[(&str, &Value)]) -> UserAgentInfo {
        let mut expected: Vec<(String, Vec<Expected>)> = Vec::new();
        for (key, value) in children {
            let values: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            let compiled = values.into_iter().filter_map(|v| {
                let s = v.as_str()?;
                Some(match function_value(s, "wildcard") {
                    Some(p) => {
                        let pattern = format!("(?i)^{}", p.replace('*', ".*"));
                        Expected::Wildcard(PyRegex::shared(&pattern))
                    }
                    None => Expected::Exact(s.to_lowercase()),
                })
            });
            match expected.iter_mut().find(|(k, _)| k == key) {
                Some((_, list)) => list.extend(compiled),
                None => expected.push(((*key).to_string(), compiled.collect())),
            }
        }
        UserAgentInfo { expected }
    }

    pub(crate) fn evaluate(&self, ctx: &FmeContext<'_>) -> bool {
        if ctx.user_agent.is_none() {
            return false;
        }
        let Some(info) = ctx
            .gateway_data
            .and_then(|d| d.get("userAgent"))
            .and_then(Value::as_object)
        else {
            return false;
        };
        info.iter().any(|(key, actual)| {
            let Some((_, expected)) = self.expected.iter().find(|(k, _)| k == key) else {
                return false;
            };
            let actual = tag_str(actual).map(Cow::into_owned).unwrap_or_default();
            let lower = actual.to_lowercase();
            expected.iter().any(|e| match e {
                Expected::Exact(v) => *v == lower,
                Expected::Wildcard(re) => re.search(&actual),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn leaf(operand: &str, value: Value) -> bool {
        let mut vars = Map::new();
        vars.insert("v".into(), value);
        CustomVariable::compile(Some("v"), &json!(operand))
            .evaluate(&Variables::of(&vars))
            .unwrap()
    }

    // Each row was checked against vwo-fme-python-sdk 1.65.0 through the oracle.
    #[test]
    fn custom_variable_semantics_of_the_reference() {
        assert!(!leaf("gte(1.2)", json!("1.10"))); // the tag normalises to 1.1
        assert!(leaf("gte(1.2)", json!("3.10")));
        assert!(!leaf("gt(3.5)", json!("3.10")));
        assert!(leaf("gt(3.5)", json!("4.0.1")));
        assert!(!leaf("gt(3.5)", json!(true)));
        assert!(!leaf("gt(10)", json!("-5")));
        assert!(leaf("gt(10)", json!("11.5")));
        assert!(leaf("gt(10)", json!("10.0.1")));
        assert!(!leaf("gt(1e3)", json!(5000)));
        assert!(leaf("regex(5.0)", json!("5")));
        assert!(leaf("regex(5.0)", json!(5)));
        assert!(leaf("wildcard(*)", json!("anything")));
        assert!(leaf("wildcard(*)", json!("")));
        assert!(leaf("wildcard(**a**)", json!("xay")));
        assert!(leaf("lower(TRUE)", json!(true)));
        assert!(!leaf("true", json!(true)));
        assert!(leaf("nan", json!("NaN")));
        assert!(!leaf("nan", json!("inf")));
        assert!(leaf("", json!(null)));
        assert!(!leaf("inlist(abc)", json!("abc")));
    }

    #[test]
    fn versions_compare_part_wise() {
        assert!(version_order("1.10", "1.2", Order::Gt));
        assert!(version_order("2", "2.0.0", Order::Gte));
        assert!(!version_order("2", "2.0.1", Order::Gte));
        assert!(version_order("0010", "9", Order::Gt));
    }

    #[test]
    fn campaign_variation_forms() {
        let m = json!({"5": "2", "7": 3});
        assert!(campaign_variation("5", Some(&m)));
        assert!(campaign_variation("5_2", Some(&m)));
        assert!(campaign_variation("7_3", Some(&m)));
        assert!(!campaign_variation("5_3", Some(&m)));
        assert!(campaign_variation("5_!3", Some(&m)));
        assert!(campaign_variation("!6", Some(&m)));
        assert!(!campaign_variation("!5", Some(&m)));
        assert!(campaign_variation("5", Some(&json!("{\"5\": \"2\"}"))));
        assert!(!campaign_variation("5", None));
    }
}
