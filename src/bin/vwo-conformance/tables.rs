//! The table-driven formats of `data/`: expectations, scenarios, segmentation, bucketing and uuid.

use crate::common::{py_eq, read_json, short, truthy, Frozen, Harness, Launch};
use crate::report::FileReport;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// `data/` of a file in `data/<kind>/`.
fn data_dir(path: &Path) -> PathBuf {
    path.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn load_settings(path: &Path, name: &str) -> Result<Value, String> {
    read_json(&data_dir(path).join("settings").join(format!("{name}.json")))
}

/// `VERIFY_REPORT.json` beside the data directory, if any (Python's results where the tables disagree).
fn verify_report(path: &Path) -> Value {
    read_json(&data_dir(path).join("VERIFY_REPORT.json")).unwrap_or(Value::Null)
}

fn mismatches<'a>(report: &'a Value, section: &str) -> &'a [Value] {
    report
        .get("sections")
        .and_then(|s| s.get(section))
        .and_then(|s| s.get("mismatches"))
        .and_then(Value::as_array)
        .map_or(&[], |v| v)
}

pub fn expectations(path: &Path, doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let id = doc.get("id").and_then(Value::as_str).unwrap_or("");
    let name = doc
        .get("settings")
        .and_then(Value::as_str)
        .ok_or("expectations without settings")?;
    let settings = load_settings(path, name)?;
    let launch = Launch {
        development_mode: true,
        user_storage: doc.get("userStorage").is_some_and(truthy),
        frozen: Frozen::default(),
        ..Default::default()
    };
    let mut h = Harness::new(settings, launch)?;
    let derivation = doc.get("derivation").and_then(Value::as_str).unwrap_or("");
    let kind = derivation.split_whitespace().next().unwrap_or("");
    // Where vwo-python-sdk disagrees with the table, Python wins (POLICY §1).
    let report = verify_report(path);
    let python_wins: Vec<(&str, &Value)> = mismatches(&report, "expectations")
        .iter()
        .filter(|m| m.get("id").and_then(Value::as_str) == Some(id))
        .filter_map(|m| Some((m.get("userId")?.as_str()?, m.get("got")?)))
        .collect();
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("expectations without cases")?;
    for (i, case) in cases.iter().enumerate() {
        let user = case.get("userId").and_then(Value::as_str).unwrap_or("");
        let mut req = Map::new();
        req.insert("api".into(), doc.get("api").cloned().unwrap_or(Value::Null));
        let key = case
            .get("campaignKey")
            .or_else(|| doc.get("campaignKey"))
            .cloned()
            .unwrap_or(Value::Null);
        req.insert("campaignKey".into(), key);
        req.insert("userId".into(), Value::from(user));
        for k in ["options", "variableKey", "goalIdentifier"] {
            if let Some(v) = doc.get(k) {
                req.insert(k.into(), v.clone());
            }
        }
        let req = Value::Object(req);
        let mut expected = case.get("expected").unwrap_or(&Value::Null);
        if let Some((_, got)) = python_wins.iter().find(|(u, _)| *u == user) {
            expected = got;
        }
        let outcome = h.run(&req).and_then(|got| {
            let ok = match kind {
                "truthy" => truthy(&got) == truthy(expected),
                // The tables hold what the upstream tests compare with `==` (Python: 0 == 0.0).
                _ => py_eq(&got, expected),
            };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{} -> expected {} got {}",
                    short(&req, 160),
                    short(expected, 200),
                    short(&got, 200)
                ))
            }
        });
        rep.check(i, user, outcome);
    }
    Ok(())
}

pub fn scenario(path: &Path, doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let name = doc
        .get("settings")
        .and_then(Value::as_str)
        .ok_or("scenario without settings")?;
    let settings = load_settings(path, name)?;
    let launch = Launch::from_json(doc.get("launch"), Frozen::default())?;
    let mut h = Harness::new(settings, launch)?;
    let steps = doc
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("scenario without steps")?;
    for (i, step) in steps.iter().enumerate() {
        let label = step.get("userId").and_then(Value::as_str).unwrap_or("");
        let got = h.run(step);
        if let Some(contains) = step.get("expectedContains").and_then(Value::as_object) {
            let outcome = got.and_then(|got| {
                let found = got.as_array().is_some_and(|records| {
                    records
                        .iter()
                        .any(|r| contains.iter().all(|(k, v)| r.get(k) == Some(v)))
                });
                if found {
                    Ok(())
                } else {
                    Err(format!(
                        "getUserStorage: no record contains {} in {}",
                        short(&json!(contains), 200),
                        short(&got, 300)
                    ))
                }
            });
            rep.check(i, label, outcome);
        } else if let Some(expected) = step.get("expected") {
            let outcome = got.and_then(|got| {
                if got == *expected {
                    Ok(())
                } else {
                    Err(format!(
                        "{} -> expected {} got {}",
                        short(step, 200),
                        short(expected, 200),
                        short(&got, 200)
                    ))
                }
            });
            rep.check(i, label, outcome);
        } else if let Err(e) = got {
            rep.fail(i, label, format!("{} -> {e}", short(step, 200)));
        }
    }
    Ok(())
}

pub fn segmentation(path: &Path, doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let group = doc.get("group").and_then(Value::as_str).unwrap_or("");
    let report = verify_report(path);
    let python: Vec<(&str, bool)> = mismatches(&report, "segmentation")
        .iter()
        .filter(|m| m.get("group").and_then(Value::as_str) == Some(group))
        .filter_map(|m| {
            let name = m.get("name")?.as_str()?;
            // An exception in Python makes the segment fail: false.
            Some((name, m.get("got")?.as_bool().unwrap_or(false)))
        })
        .collect();
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("segmentation without cases")?;
    let empty = Map::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("");
        let dsl = case.get("dsl").unwrap_or(&Value::Null);
        let variables = case
            .get("variables")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let user = case.get("userId").and_then(Value::as_str);
        let mut expected = case
            .get("expected")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some((_, p)) = python.iter().find(|(n, _)| *n == name) {
            expected = *p;
        }
        let got = vwo::segmentation::evaluate_dsl(dsl, variables, user);
        let outcome = if got == expected {
            Ok(())
        } else {
            Err(format!(
                "{name}: dsl {} variables {} user {user:?}: expected {expected} got {got}",
                short(dsl, 200),
                short(&Value::Object(variables.clone()), 200)
            ))
        };
        rep.check(i, name, outcome);
    }
    Ok(())
}

pub fn bucketing(path: &Path, doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("bucketing without cases")?;
    let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
    // allocation_ranges: a settings file's variation ranges.
    let variations = match doc.get("settings").and_then(Value::as_str) {
        Some(name) => {
            let text =
                serde_json::to_string(&load_settings(path, name)?).map_err(|e| e.to_string())?;
            let settings =
                vwo::Settings::from_json(&text).map_err(|e| format!("settings {name}: {e}"))?;
            let campaign = settings
                .campaigns
                .iter()
                .find(|c| c.key == name)
                .or_else(|| settings.campaigns.first())
                .ok_or_else(|| format!("settings {name}: no campaign"))?;
            Some(campaign.variations.clone())
        }
        None => None,
    };
    for (i, case) in cases.iter().enumerate() {
        let num = |k: &str| case.get(k).and_then(Value::as_f64);
        let int = |k: &str| case.get(k).and_then(Value::as_i64);
        let mut checks: Vec<(String, Value, Value)> = Vec::new();
        let label;
        if let Some(vars) = &variations {
            let value = int("bucketValue").ok_or("allocation case without bucketValue")?;
            label = value.to_string();
            let got = vwo::bucketing::variation_for(vars, value)
                .map(|v| Value::from(&*v.name))
                .unwrap_or(Value::Null);
            checks.push((
                format!("variation of bucket {value}"),
                case.get("expected").cloned().unwrap_or(Value::Null),
                got,
            ));
        } else if let Some(seed) = case.get("seed").and_then(Value::as_str) {
            label = seed.to_string();
            let h = vwo::bucketing::hash(seed);
            checks.push((
                format!("murmur32({seed:?})"),
                case.get("murmur32").cloned().unwrap_or(Value::Null),
                Value::from(h),
            ));
            if let Some(b) = case.get("bucketValue100") {
                let got = vwo::bucketing::bucket_value_of_hash(h, 100.0, 1.0);
                checks.push((
                    format!("bucketValue100({seed:?})"),
                    b.clone(),
                    Value::from(got),
                ));
            }
            if let Some(b) = case.get("variationBucketValue_percentTraffic50") {
                let got =
                    vwo::bucketing::bucket_value_of_hash(h, 10000.0, (10000.0 / 50.0) / 100.0);
                checks.push((
                    format!("variationBucketValue_percentTraffic50({seed:?})"),
                    b.clone(),
                    Value::from(got),
                ));
            }
        } else {
            let user = case
                .get("userId")
                .and_then(Value::as_str)
                .ok_or("bucketing case without userId")?;
            label = user.to_string();
            let seeded = case.get("isBucketingSeedEnabled").is_some_and(truthy);
            let seed = if seeded {
                format!(
                    "{}_{user}",
                    vwo::events::pyjson::py_str(case.get("campaignId").unwrap_or(&Value::Null))
                )
            } else {
                user.to_string()
            };
            let max = num("maxValue").ok_or("bucketing case without maxValue")?;
            let got = vwo::bucketing::bucket_value(&seed, max, 1.0);
            checks.push((
                format!("bucket({seed:?}, {max})"),
                case.get("bucketValue").cloned().unwrap_or(Value::Null),
                Value::from(got),
            ));
        }
        let outcome = checks
            .iter()
            .find(|(_, want, got)| !num_eq(want, got))
            .map_or(Ok(()), |(what, want, got)| {
                Err(format!("{file}: {what}: expected {want} got {got}"))
            });
        rep.check(i, &label, outcome);
    }
    Ok(())
}

pub fn uuid(doc: &Value, rep: &mut FileReport) -> Result<(), String> {
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("uuid without cases")?;
    for (i, case) in cases.iter().enumerate() {
        let user = case.get("userId").and_then(Value::as_str).unwrap_or("");
        let account = vwo::events::pyjson::py_str(case.get("accountId").unwrap_or(&Value::Null));
        let want = case.get("uuid").and_then(Value::as_str).unwrap_or("");
        let got = vwo::events::visitor_uuid(&account, user);
        let outcome = if got == want {
            Ok(())
        } else {
            Err(format!(
                "visitor_uuid({account}, {user:?}): expected {want} got {got}"
            ))
        };
        rep.check(i, user, outcome);
    }
    Ok(())
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
