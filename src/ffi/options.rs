//! The launch options JSON of `vwo_client_launch`: snake_case keys like vwo-python-sdk's `launch`
//! keyword arguments, checked strictly (an unknown key is an error naming it: this is libvwo's own
//! API, and a typo should not be silently ignored). Per-call options use the core's lenient
//! `CallOptions::from_json`.

use super::boundary::Failure;
use super::vwo_status;
use crate::events::FullPolicy;
use crate::log::LogLevel;
use crate::{
    BatchEventsConfig, DeliveryOptions, GoalTypeToTrack, LaunchOptions, UserStorageConfig,
};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

const LAUNCH_KEYS: &[&str] = &[
    "log_level",
    "is_development_mode",
    "goal_type_to_track",
    "should_track_returning_user",
    "batch_events",
    "sdk_name_suffix",
    "base_url",
    "polling_interval_seconds",
    "delivery",
    "logger_is_custom",
    "log_level_is_custom",
    "user_storage",
    "userStorage",
];
const BATCH_KEYS: &[&str] = &["events_per_request", "request_time_interval"];
const DELIVERY_KEYS: &[&str] = &[
    "connect_timeout_ms",
    "timeout_ms",
    "proxy",
    "queue_capacity",
    "when_full",
    "block_ms",
    "max_attempts",
    "max_retry_time_ms",
    "spool_dir",
    "close_timeout_ms",
    "flush_timeout_ms",
];

pub(super) fn bad(path: &str, problem: impl std::fmt::Display) -> Failure {
    Failure::new(
        vwo_status::VWO_INVALID_OPTIONS,
        format!("options.{path}: {problem}"),
    )
}

pub(super) fn object<'a>(
    v: &'a Value,
    path: &str,
    keys: &[&str],
) -> Result<&'a Map<String, Value>, Failure> {
    let m = v
        .as_object()
        .ok_or_else(|| bad(path, "expected an object"))?;
    if let Some(k) = m.keys().find(|k| !keys.contains(&k.as_str())) {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}.")
        };
        return Err(Failure::new(
            vwo_status::VWO_INVALID_OPTIONS,
            format!(
                "options.{prefix}{k}: unknown option (known: {})",
                keys.join(", ")
            ),
        ));
    }
    Ok(m)
}

pub(super) fn boolean(v: &Value, path: &str) -> Result<bool, Failure> {
    v.as_bool()
        .ok_or_else(|| bad(path, "expected true or false"))
}

pub(super) fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, Failure> {
    v.as_str().ok_or_else(|| bad(path, "expected a string"))
}

pub(super) fn count(v: &Value, path: &str) -> Result<u64, Failure> {
    v.as_u64()
        .ok_or_else(|| bad(path, "expected a non-negative integer"))
}

pub(super) fn millis(v: &Value, path: &str) -> Result<Duration, Failure> {
    count(v, path).map(Duration::from_millis)
}

/// What the launch options say, besides the core's [`LaunchOptions`].
pub(crate) struct Parsed {
    pub(crate) options: LaunchOptions,
}

/// Parses the launch options text (`None`: all defaults).
pub(crate) fn launch_options(root: Option<&Value>) -> Result<Parsed, Failure> {
    let mut o = LaunchOptions::default();
    let Some(root) = root else {
        return Ok(Parsed { options: o });
    };
    if root.is_null() {
        return Ok(Parsed { options: o });
    }
    let m = object(root, "", LAUNCH_KEYS).map_err(|e| {
        if root.is_object() {
            e
        } else {
            Failure::new(
                vwo_status::VWO_INVALID_OPTIONS,
                "options: expected a JSON object",
            )
        }
    })?;
    for (key, v) in m {
        if v.is_null() {
            continue;
        }
        match key.as_str() {
            "log_level" => {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                o.log_level = Some(LogLevel::parse(&text).ok_or_else(|| {
                    bad(
                        key,
                        "expected \"DEBUG\", \"INFO\", \"WARNING\", \"ERROR\" or 10, 20, 30, 40",
                    )
                })?);
            }
            "is_development_mode" => o.development_mode = boolean(v, key)?,
            "goal_type_to_track" => {
                o.goal_type_to_track =
                    Some(v.as_str().and_then(GoalTypeToTrack::parse).ok_or_else(|| {
                        bad(
                            key,
                            "expected \"ALL\", \"CUSTOM_GOAL\" or \"REVENUE_TRACKING\"",
                        )
                    })?)
            }
            "should_track_returning_user" => o.should_track_returning_user = boolean(v, key)?,
            "batch_events" => {
                object(v, key, BATCH_KEYS)?;
                o.batch_events = Some(BatchEventsConfig::from_json(v)?);
            }
            "sdk_name_suffix" => o.sdk_name_suffix = Some(string(v, key)?.to_string()),
            "base_url" => o.base_url = Some(string(v, key)?.trim_end_matches('/').to_string()),
            "polling_interval_seconds" => {
                let secs = v
                    .as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| bad(key, "expected a number of seconds > 0"))?;
                o.polling_interval = Some(Duration::from_secs_f64(secs));
            }
            "delivery" => o.delivery = delivery(v)?,
            "logger_is_custom" => o.logger_is_custom = Some(boolean(v, key)?),
            "log_level_is_custom" => o.log_level_is_custom = Some(boolean(v, key)?),
            "user_storage" | "userStorage" => {
                if m.contains_key("user_storage") && m.contains_key("userStorage") {
                    return Err(bad(key, "given twice (userStorage and user_storage)"));
                }
                o.user_storage_config =
                    Some(UserStorageConfig::from_json(v, &format!("options.{key}"))?);
            }
            _ => {}
        }
    }
    Ok(Parsed { options: o })
}

pub(super) fn delivery(v: &Value) -> Result<DeliveryOptions, Failure> {
    let m = object(v, "delivery", DELIVERY_KEYS)?;
    let mut d = DeliveryOptions::default();
    let mut block = None;
    let mut drop_when_full = false;
    for (key, v) in m {
        if v.is_null() {
            continue;
        }
        let path = format!("delivery.{key}");
        match key.as_str() {
            "connect_timeout_ms" => d.connect_timeout = millis(v, &path)?,
            "timeout_ms" => d.timeout = millis(v, &path)?,
            "proxy" => d.proxy = Some(string(v, &path)?.to_string()),
            "queue_capacity" => {
                d.queue_capacity = usize::try_from(count(v, &path)?)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(&path, "expected an integer ≥ 1"))?
            }
            "when_full" => match string(v, &path)? {
                "block" => drop_when_full = false,
                "drop" => drop_when_full = true,
                _ => return Err(bad(&path, "expected \"block\" or \"drop\"")),
            },
            "block_ms" => block = Some(millis(v, &path)?),
            "max_attempts" => {
                d.max_attempts = Some(
                    u32::try_from(count(v, &path)?)
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad(&path, "expected an integer ≥ 1"))?,
                )
            }
            "max_retry_time_ms" => d.max_retry_time = millis(v, &path)?,
            "spool_dir" => d.spool_dir = Some(PathBuf::from(string(v, &path)?)),
            "close_timeout_ms" => d.close_timeout = millis(v, &path)?,
            "flush_timeout_ms" => d.flush_timeout = millis(v, &path)?,
            _ => {}
        }
    }
    d.when_full = if drop_when_full {
        FullPolicy::DropNewest
    } else {
        match (block, d.when_full) {
            (Some(b), _) => FullPolicy::Block(b),
            (None, p) => p,
        }
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        match launch_options(Some(&v)) {
            Ok(_) => panic!("accepted {v}"),
            Err(f) => {
                assert_eq!(f.status, vwo_status::VWO_INVALID_OPTIONS);
                f.message
            }
        }
    }

    #[test]
    fn unknown_and_wrong_keys_are_named() {
        assert!(err(json!({"logLevel": 10})).starts_with("options.logLevel: unknown option"));
        assert!(err(json!({"delivery": {"timeout": 1}}))
            .starts_with("options.delivery.timeout: unknown option"));
        assert!(err(json!({"log_level": "LOUD"})).starts_with("options.log_level:"));
        assert!(err(json!({"is_development_mode": 1})).starts_with("options.is_development_mode"));
        assert!(err(json!({"batch_events": {"events_per_request": 0}}))
            .contains("batch_events.events_per_request"));
        assert!(err(json!([1])).starts_with("options: expected a JSON object"));
        assert_eq!(
            err(json!({"userStorage": {"redis": {"url": "redis://h", "timeoutMs": -1}}})),
            "options.userStorage.redis.timeoutMs: expected milliseconds (an integer ≥ 1), got -1"
        );
        assert!(err(json!({"user_storage": {"disk": {}}}))
            .starts_with("options.user_storage.disk: unknown option (known: redis, file, memory)"));
        assert!(
            err(json!({"user_storage": {"memory": {}}, "userStorage": {"memory": {}}}))
                .contains("given twice")
        );
    }

    #[test]
    fn everything_parses() {
        let p = launch_options(Some(&json!({
            "log_level": 20, "is_development_mode": true, "goal_type_to_track": "REVENUE_TRACKING",
            "should_track_returning_user": true,
            "batch_events": {"events_per_request": 5, "request_time_interval": 2},
            "sdk_name_suffix": "c", "base_url": "http://127.0.0.1:1/", "polling_interval_seconds": 60,
            "delivery": {"connect_timeout_ms": 100, "timeout_ms": 200, "queue_capacity": 7,
                         "when_full": "drop", "max_attempts": 2, "max_retry_time_ms": 10,
                         "close_timeout_ms": 5, "flush_timeout_ms": 6, "block_ms": 1}
        })))
        .unwrap();
        let o = p.options;
        assert_eq!(o.log_level, Some(LogLevel::Info));
        assert!(o.development_mode && o.should_track_returning_user);
        assert_eq!(o.base_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(o.delivery.queue_capacity, 7);
        assert_eq!(o.delivery.when_full, FullPolicy::DropNewest);
        assert_eq!(o.batch_events.map(|b| b.events_per_request), Some(5));
        let p = launch_options(Some(
            &json!({"userStorage": {"memory": {"maxEntries": 10}}}),
        ))
        .unwrap();
        assert_eq!(
            p.options.user_storage_config,
            Some(UserStorageConfig::Memory {
                max_entries: Some(10)
            })
        );
    }
}
