//! Validation of the settings JSON into the compiled model. Every error names the JSON path of the
//! offending value and what was expected there. Accepts what the official SDKs accept: ids as numbers or
//! strings, `{}` in place of an empty list, missing `segments`, unknown extra keys.

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

fn required<'a>(m: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value> {
    match m.get(key) {
        Some(v) => Ok(v),
        None => Err(Error::settings(
            path,
            format_args!("missing required key \"{key}\""),
        )),
    }
}

fn string(m: &Map<String, Value>, key: &str, path: &str) -> Result<String> {
    let v = required(m, key, path)?;
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| expected(&join(path, key), "a string", v))
}

fn optional_string(m: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(expected(&join(path, key), "a string", v)),
    }
}

fn flag(m: &Map<String, Value>, key: &str, path: &str) -> Result<bool> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(expected(&join(path, key), "a boolean", v)),
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

fn segments(m: &Map<String, Value>, path: &str) -> Result<Option<Segment>> {
    // Python treats any falsy DSL (`{}`, `[]`, `""`, `0`, `false`, null) as "no segmentation";
    // `Segment::compile` knows those rules.
    match m.get("segments") {
        None => Ok(None),
        Some(v) => Segment::compile(v, &join(path, "segments")),
    }
}

fn variables(m: &Map<String, Value>, path: &str) -> Result<Vec<Variable>> {
    let items = list(m, "variables", path, true)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{}[{i}]", join(path, "variables"));
        let o = object(item, &p)?;
        out.push(Variable {
            key: string(o, "key", &p)?,
            kind: string(o, "type", &p)?,
            value: required(o, "value", &p)?.clone(),
        });
    }
    Ok(out)
}

fn goal(v: &Value, path: &str) -> Result<Goal> {
    let o = object(v, path)?;
    let kind = match string(o, "type", path)?.as_str() {
        "CUSTOM_GOAL" => GoalType::Custom,
        "REVENUE_TRACKING" => GoalType::Revenue,
        _ => GoalType::Other,
    };
    let mca = match o.get("mca") {
        None | Some(Value::Null) => None,
        Some(v) => Some(number(v, &join(path, "mca"))?),
    };
    Ok(Goal {
        id: id(required(o, "id", path)?, &join(path, "id"))?,
        identifier: string(o, "identifier", path)?,
        kind,
        revenue_prop: optional_string(o, "revenueProp", path)?,
        mca,
        has_props: flag(o, "hasProps", path)?,
    })
}

fn variation(v: &Value, path: &str) -> Result<Variation> {
    let o = object(v, path)?;
    let weight = match o.get("weight") {
        None | Some(Value::Null) => 0.0,
        Some(w) => number(w, &join(path, "weight"))?,
    };
    let name = string(o, "name", path)?;
    Ok(Variation {
        id: id(required(o, "id", path)?, &join(path, "id"))?,
        name: Arc::from(name.as_str()),
        weight,
        range_start: -1,
        range_end: -1,
        segments: segments(o, path)?,
        is_feature_enabled: flag(o, "isFeatureEnabled", path)?,
        variables: variables(o, path)?,
    })
}

fn campaign(v: &Value, path: &str) -> Result<Campaign> {
    let o = object(v, path)?;
    let kind = match string(o, "type", path)?.as_str() {
        "VISUAL_AB" => CampaignType::VisualAb,
        "FEATURE_TEST" => CampaignType::FeatureTest,
        "FEATURE_ROLLOUT" => CampaignType::FeatureRollout,
        _ => CampaignType::Other,
    };
    let percent_traffic = number(
        required(o, "percentTraffic", path)?,
        &join(path, "percentTraffic"),
    )?;
    if !(0.0..=100.0).contains(&percent_traffic) {
        return Err(Error::settings(
            &join(path, "percentTraffic"),
            format_args!("expected a number from 0 to 100, got {percent_traffic}"),
        ));
    }
    let mut variations = Vec::new();
    for (i, item) in list(o, "variations", path, false)?.iter().enumerate() {
        variations.push(variation(
            item,
            &format!("{}[{i}]", join(path, "variations")),
        )?);
    }
    let ranges = allocation_ranges(variations.iter().map(|v| v.weight));
    for (v, (start, end)) in variations.iter_mut().zip(ranges) {
        v.range_start = start;
        v.range_end = end;
    }
    let mut goals = Vec::new();
    for (i, item) in list(o, "goals", path, true)?.iter().enumerate() {
        goals.push(goal(item, &format!("{}[{i}]", join(path, "goals")))?);
    }
    let multiplier = if percent_traffic > 0.0 {
        (10000.0 / percent_traffic) / 100.0
    } else {
        0.0
    };
    Ok(Campaign {
        id: id(required(o, "id", path)?, &join(path, "id"))?,
        key: string(o, "key", path)?,
        name: optional_string(o, "name", path)?,
        status: string(o, "status", path)?,
        kind,
        percent_traffic,
        variations,
        goals,
        variables: variables(o, path)?,
        segments: segments(o, path)?,
        is_forced_variation_enabled: flag(o, "isForcedVariationEnabled", path)?,
        is_bucketing_seed_enabled: flag(o, "isBucketingSeedEnabled", path)?,
        is_user_list_enabled: flag(o, "isUserListEnabled", path)?,
        is_mab: flag(o, "isMAB", path)?,
        has_is_ob: o.contains_key("isOB"),
        is_obv2: flag(o, "isOBv2", path)?,
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

pub(super) fn compile(root: &Value) -> Result<Settings> {
    let o = object(root, "")?;
    let account_id = required(o, "accountId", "")?;
    let account_id_text = match account_id {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::String(s) if !s.is_empty() => s.clone(),
        v => return Err(expected("accountId", "an integer or a non-empty string", v)),
    };
    let sdk_key = optional_string(o, "sdkKey", "")?;
    let mut campaigns = Vec::new();
    for (i, item) in list(o, "campaigns", "", false)?.iter().enumerate() {
        campaigns.push(campaign(item, &format!("campaigns[{i}]"))?);
    }
    let mut by_key = HashMap::with_capacity(campaigns.len());
    for (i, c) in campaigns.iter().enumerate() {
        by_key.entry(c.key.clone()).or_insert(i);
    }

    let mut by_id_text: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in campaigns.iter().enumerate() {
        by_id_text.entry(c.id.to_string()).or_default().push(i);
    }
    let mut groups = Vec::new();
    let mut group_index: HashMap<String, usize> = HashMap::new();
    match o.get("groups") {
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
    match o.get("campaignGroups") {
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
                for c in campaigns
                    .iter_mut()
                    .filter(|c| c.id.to_string() == *campaign_id)
                {
                    c.group = Some(gi);
                }
            }
        }
        Some(Value::Array(a)) if a.is_empty() => {}
        Some(v) => return Err(expected("campaignGroups", "an object", v)),
    }

    let collection_prefix = match o.get("collectionPrefix") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => return Err(expected("collectionPrefix", "a string", v)),
    };
    Ok(Settings {
        visitor_namespace: crate::events::account_namespace(&account_id_text),
        account_id: account_id.clone(),
        account_id_text,
        sdk_key,
        campaigns,
        groups,
        is_event_arch_enabled: flag(o, "isEventArchEnabled", "")?,
        collection_prefix,
        is_nb: flag(o, "isNB", "")?,
        is_nbv2: flag(o, "isNBv2", "")?,
        source: String::new(),
        by_key,
    })
}

#[cfg(test)]
mod tests {
    use crate::settings::Settings;

    fn err(text: &str) -> String {
        match Settings::from_json(text) {
            Ok(_) => panic!("accepted: {text}"),
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
            "sdkKey: expected a string, got 7"
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
        let mut text = String::from(r#"{"accountId":1,"sdkKey":"k","campaigns":[],"x":"#);
        for _ in 0..100_000 {
            text.push_str(r#"{"not":"#);
        }
        text.push_str("{}");
        for _ in 0..100_000 {
            text.push('}');
        }
        text.push('}');
        assert!(err(&text).contains("recursion limit"));
    }
}
