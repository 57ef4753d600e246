//! Compilation of the raw settings model (`wire.rs`) into [`Settings`]: ranges, compiled segments,
//! resolved groups, the campaign index. Every error names the JSON path of the offending value and what
//! was expected there.

use super::wire::{self, RawCampaign, RawGoal, RawVariable};
use super::{
    allocation_ranges, Campaign, CampaignType, Goal, GoalType, Group, Id, Settings, Variable,
    Variation,
};
use crate::error::describe_json;
use crate::segmentation::Segment;
use crate::Error;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Error>;

fn expected(path: &str, what: &str, got: &Value) -> Error {
    Error::settings(
        path,
        format_args!("expected {what}, got {}", describe_json(got)),
    )
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| expected(path, "an object", v))
}

fn optional_string(m: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(expected(&join(path, key), "a string", v)),
    }
}

/// A number, or a string holding one (the Python and Node schemas accept both for weights).
fn number(v: &Value, path: &str) -> Result<f64> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| expected(path, "a number", v)),
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(expected(path, "a number", v)),
        },
        _ => Err(expected(path, "a number", v)),
    }
}

fn id(v: &Value, path: &str) -> Result<Id> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Id::Int(i))
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Id::Int(f as i64)),
                    _ => Err(expected(path, "an integer or string id", v)),
                }
            }
        }
        Value::String(s) => Ok(Id::Str(s.as_str().into())),
        _ => Err(expected(path, "an integer or string id", v)),
    }
}

/// An array, or `{}` standing for an empty one (the VWO backend emits `{}` for empty lists). A missing key
/// is an empty list when `optional`.
fn list<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    path: &str,
    optional: bool,
) -> Result<&'a [Value]> {
    match m.get(key) {
        None | Some(Value::Null) if optional => Ok(&[]),
        None => Err(Error::settings(
            path,
            format_args!("missing required key \"{key}\""),
        )),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(Value::Object(o)) if o.is_empty() => Ok(&[]),
        Some(v) => Err(expected(&join(path, key), "an array", v)),
    }
}

fn segment(dsl: Option<&Value>, path: impl FnOnce() -> String) -> Result<Option<Segment>> {
    // Python treats any falsy DSL (`{}`, `[]`, `""`, `0`, `false`, null) as "no segmentation";
    // `Segment::compile` knows those rules.
    // The path is only needed for an error message: compile without it, and again with it on failure.
    match dsl {
        None => Ok(None),
        Some(v) => Segment::compile(v, "").or_else(|_| Segment::compile(v, &path())),
    }
}

fn variables(raw: Vec<RawVariable>) -> Vec<Variable> {
    raw.into_iter().map(Variable::from).collect()
}

fn goal(raw: RawGoal) -> Goal {
    let kind = match raw.kind.as_str() {
        "CUSTOM_GOAL" => GoalType::Custom,
        "REVENUE_TRACKING" => GoalType::Revenue,
        _ => GoalType::Other,
    };
    Goal {
        id: raw.id,
        identifier: raw.identifier,
        kind,
        revenue_prop: raw.revenue_prop,
        mca: raw.mca,
        has_props: raw.has_props,
    }
}

fn campaign(raw: RawCampaign, ci: usize) -> Result<Campaign> {
    let kind = match raw.kind.as_str() {
        "VISUAL_AB" => CampaignType::VisualAb,
        "FEATURE_TEST" => CampaignType::FeatureTest,
        "FEATURE_ROLLOUT" => CampaignType::FeatureRollout,
        _ => CampaignType::Other,
    };
    let percent_traffic = raw.percent_traffic;
    if !(0.0..=100.0).contains(&percent_traffic) {
        return Err(Error::settings(
            &format!("campaigns[{ci}].percentTraffic"),
            format_args!("expected a number from 0 to 100, got {percent_traffic}"),
        ));
    }
    let mut variations = Vec::with_capacity(raw.variations.len());
    for (vi, v) in raw.variations.into_iter().enumerate() {
        variations.push(Variation {
            id: v.id,
            name: Arc::from(v.name.as_str()),
            weight: v.weight.unwrap_or(0.0),
            range_start: -1,
            range_end: -1,
            segments: segment(v.segments.as_ref(), || {
                format!("campaigns[{ci}].variations[{vi}].segments")
            })?,
            is_feature_enabled: v.is_feature_enabled,
            variables: variables(v.variables),
        });
    }
    let ranges = allocation_ranges(variations.iter().map(|v| v.weight));
    for (v, (start, end)) in variations.iter_mut().zip(ranges) {
        v.range_start = start;
        v.range_end = end;
    }
    let multiplier = if percent_traffic > 0.0 {
        (10000.0 / percent_traffic) / 100.0
    } else {
        0.0
    };
    Ok(Campaign {
        id: raw.id,
        key: raw.key,
        name: raw.name,
        status: raw.status,
        kind,
        percent_traffic,
        variations,
        goals: raw.goals.into_iter().map(goal).collect(),
        variables: variables(raw.variables),
        segments: segment(raw.segments.as_ref(), || {
            format!("campaigns[{ci}].segments")
        })?,
        is_forced_variation_enabled: raw.is_forced_variation_enabled,
        is_bucketing_seed_enabled: raw.is_bucketing_seed_enabled,
        is_user_list_enabled: raw.is_user_list_enabled,
        is_mab: raw.is_mab,
        has_is_ob: raw.has_is_ob,
        is_obv2: raw.is_obv2,
        group: None,
        multiplier,
    })
}

fn group(key: &str, v: &Value, path: &str, campaigns: &[Campaign]) -> Result<Group> {
    let o = object(v, path)?;
    let mut members = Vec::new();
    for (i, item) in list(o, "campaigns", path, true)?.iter().enumerate() {
        let member = id(item, &format!("{}[{i}]", join(path, "campaigns")))?;
        members.extend(
            campaigns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.id == member)
                .map(|(ci, _)| ci),
        );
    }
    let et = match o.get("et") {
        None | Some(Value::Null) => 1,
        Some(v) => {
            let f = number(v, &join(path, "et"))?;
            if f.fract() != 0.0 {
                return Err(expected(&join(path, "et"), "an integer", v));
            }
            f as i64
        }
    };
    let mut priority = Vec::new();
    for (i, item) in list(o, "p", path, true)?.iter().enumerate() {
        priority.push(id(item, &format!("{}[{i}]", join(path, "p")))?);
    }
    let mut weights = Vec::new();
    match o.get("wt") {
        None | Some(Value::Null) => {}
        Some(Value::Object(wt)) => {
            for (k, w) in wt {
                weights.push((k.clone(), number(w, &format!("{}.{k}", join(path, "wt")))?));
            }
        }
        Some(v) => return Err(expected(&join(path, "wt"), "an object", v)),
    }
    let group_id = match key.parse::<i64>() {
        Ok(i) => Id::Int(i),
        Err(_) => Id::Str(key.into()),
    };
    Ok(Group {
        id: group_id,
        name: optional_string(o, "name", path)?,
        members,
        et,
        priority,
        weights,
    })
}

pub(super) fn compile(text: &str) -> Result<Settings> {
    let raw = wire::parse(text)?;
    let account_id = raw.account_id.value;
    let account_id_text = raw.account_id.text;
    let sdk_key = raw.sdk_key;
    let mut campaigns = Vec::with_capacity(raw.campaigns.len());
    for (i, c) in raw.campaigns.into_iter().enumerate() {
        campaigns.push(campaign(c, i)?);
    }
    let mut by_key = rustc_hash::FxHashMap::default();
    by_key.reserve(campaigns.len());
    for (i, c) in campaigns.iter().enumerate() {
        by_key.entry(c.key.clone()).or_insert(i);
    }

    let mut by_id_text: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in campaigns.iter().enumerate() {
        by_id_text.entry(c.id.to_string()).or_default().push(i);
    }
    let mut groups = Vec::new();
    let mut group_index: HashMap<String, usize> = HashMap::new();
    match raw.groups.as_ref() {
        None | Some(Value::Null) => {}
        Some(Value::Object(g)) => {
            for (key, v) in g {
                group_index.insert(key.clone(), groups.len());
                groups.push(group(key, v, &format!("groups.{key}"), &campaigns)?);
            }
        }
        Some(Value::Array(a)) if a.is_empty() => {}
        Some(v) => return Err(expected("groups", "an object", v)),
    }
    match raw.campaign_groups.as_ref() {
        None | Some(Value::Null) => {}
        Some(Value::Object(cg)) => {
            for (campaign_id, group_id) in cg {
                let path = format!("campaignGroups.{campaign_id}");
                let group_key = match group_id {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    v => return Err(expected(&path, "a group id", v)),
                };
                // A campaign mapped to a group that the file does not define belongs to no group.
                let Some(&gi) = group_index.get(&group_key) else {
                    continue;
                };
                for &ci in by_id_text.get(campaign_id).map_or(&[][..], Vec::as_slice) {
                    campaigns[ci].group = Some(gi);
                }
            }
        }
        Some(Value::Array(a)) if a.is_empty() => {}
        Some(v) => return Err(expected("campaignGroups", "an object", v)),
    }

    let collection_prefix = raw.collection_prefix.filter(|p| !p.is_empty());
    Ok(Settings {
        visitor_namespace: crate::events::account_namespace(&account_id_text),
        account_id: account_id.clone(),
        account_id_text,
        sdk_key,
        campaigns,
        groups,
        is_event_arch_enabled: raw.is_event_arch_enabled,
        collection_prefix,
        is_nb: raw.is_nb,
        is_nbv2: raw.is_nbv2,
        source: String::new(),
        by_key,
    })
}

#[cfg(test)]
mod tests {
    use crate::settings::Settings;

    fn err(text: &str) -> String {
        match Settings::from_json(text) {
            Ok(_) => panic!("accepted settings of {} bytes", text.len()),
            Err(e) => e.to_string(),
        }
    }

    const BASE: &str = r#"{"accountId":1,"sdkKey":"k","campaigns":[{"id":1,"key":"a","status":"RUNNING","type":"VISUAL_AB","percentTraffic":100,"variations":[{"id":1,"name":"C","weight":50},{"id":2,"name":"V","weight":"abc"}]}]}"#;

    #[test]
    fn errors_name_the_json_path() {
        assert_eq!(
            err(BASE),
            "campaigns[0].variations[1].weight: expected a number, got \"abc\""
        );
        assert_eq!(err("[]"), "settings: expected an object, got an array");
        assert!(err("{").starts_with("settings: not valid JSON"));
        assert_eq!(
            err(r#"{"accountId":1,"sdkKey":7,"campaigns":[]}"#),
            "sdkKey: expected a string, got integer 7"
        );
        assert_eq!(
            err(r#"{"sdkKey":"k","campaigns":[]}"#),
            "settings: missing required key \"accountId\""
        );
    }

    #[test]
    fn accepts_empty_object_lists_and_string_ids() {
        let s = Settings::from_json(
            r#"{"accountId":"12","sdkKey":"k","campaigns":[{"id":"7","key":"a","status":"RUNNING","type":"FEATURE_ROLLOUT","percentTraffic":50,"goals":{},"variables":{},"variations":[{"id":1,"name":"C","weight":100}]}]}"#,
        )
        .unwrap();
        let c = s.campaign("a").unwrap();
        assert_eq!(c.id.to_string(), "7");
        assert!(c.goals.is_empty() && c.segments.is_none());
        assert_eq!(
            (c.variations[0].range_start, c.variations[0].range_end),
            (1, 10000)
        );
        assert_eq!(c.multiplier, 2.0);
    }

    #[test]
    fn deep_json_is_rejected_without_overflow() {
        let deep = |depth: usize| {
            let mut dsl = String::new();
            for _ in 0..depth {
                dsl.push_str(r#"{"not":"#);
            }
            dsl.push_str("{}");
            for _ in 0..depth {
                dsl.push('}');
            }
            dsl
        };
        let chain = deep(100_000);
        let in_segments = format!(
            r#"{{"accountId":1,"sdkKey":"k","campaigns":[{{"id":1,"key":"a","status":"RUNNING","type":"VISUAL_AB","percentTraffic":100,"variations":[],"segments":{chain}}}]}}"#
        );
        let e = err(&in_segments);
        assert!(e.starts_with("campaigns[0].segments"), "{e}");
        assert!(e.contains("recursion limit"), "{e}");
        // Under a key libvwo does not read, the value is skipped without recursion: no crash either way.
        let in_unknown = format!(r#"{{"accountId":1,"sdkKey":"k","campaigns":[],"x":{chain}}}"#);
        let _ = Settings::from_json(&in_unknown);
    }
}
