//! The serde model of the settings JSON as VWO sends it, read in one pass without an intermediate
//! `serde_json::Value` tree (the settings of a large account are hundreds of kilobytes, and a launch or
//! refresh must stay in the low milliseconds). The lenient shapes the official SDKs accept are handled
//! here: ids as numbers or strings, numbers as numeric strings, `{}` for an empty list, null flags.
//! Unknown keys are skipped without being materialised.

use super::Id;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

#[derive(Deserialize)]
#[serde(expecting = "an object")]
pub(super) struct RawSettings {
    #[serde(rename = "accountId")]
    pub account_id: AccountId,
    #[serde(rename = "sdkKey", default)]
    pub sdk_key: Option<String>,
    #[serde(deserialize_with = "list")]
    pub campaigns: Vec<RawCampaign>,
    #[serde(default)]
    pub groups: Option<Value>,
    #[serde(rename = "campaignGroups", default)]
    pub campaign_groups: Option<Value>,
    #[serde(rename = "isEventArchEnabled", default, deserialize_with = "flag")]
    pub is_event_arch_enabled: bool,
    #[serde(rename = "collectionPrefix", default)]
    pub collection_prefix: Option<String>,
    #[serde(rename = "isNB", default, deserialize_with = "flag")]
    pub is_nb: bool,
    #[serde(rename = "isNBv2", default, deserialize_with = "flag")]
    pub is_nbv2: bool,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
pub(super) struct RawCampaign {
    #[serde(deserialize_with = "id")]
    pub id: Id,
    pub key: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "percentTraffic", deserialize_with = "number")]
    pub percent_traffic: f64,
    #[serde(deserialize_with = "list")]
    pub variations: Vec<RawVariation>,
    #[serde(default, deserialize_with = "list")]
    pub goals: Vec<RawGoal>,
    #[serde(default, deserialize_with = "list")]
    pub variables: Vec<RawVariable>,
    #[serde(default)]
    pub segments: Option<Value>,
    #[serde(
        rename = "isForcedVariationEnabled",
        default,
        deserialize_with = "flag"
    )]
    pub is_forced_variation_enabled: bool,
    #[serde(rename = "isBucketingSeedEnabled", default, deserialize_with = "flag")]
    pub is_bucketing_seed_enabled: bool,
    #[serde(rename = "isUserListEnabled", default, deserialize_with = "flag")]
    pub is_user_list_enabled: bool,
    #[serde(rename = "isMAB", default, deserialize_with = "flag")]
    pub is_mab: bool,
    /// Python tests the presence of `isOB`, whatever its value.
    #[serde(rename = "isOB", default, deserialize_with = "present")]
    pub has_is_ob: bool,
    #[serde(rename = "isOBv2", default, deserialize_with = "flag")]
    pub is_obv2: bool,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
pub(super) struct RawVariation {
    #[serde(deserialize_with = "id")]
    pub id: Id,
    pub name: String,
    #[serde(default, deserialize_with = "optional_number")]
    pub weight: Option<f64>,
    #[serde(default)]
    pub segments: Option<Value>,
    #[serde(rename = "isFeatureEnabled", default, deserialize_with = "flag")]
    pub is_feature_enabled: bool,
    #[serde(default, deserialize_with = "list")]
    pub variables: Vec<RawVariable>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
pub(super) struct RawGoal {
    #[serde(deserialize_with = "id")]
    pub id: Id,
    pub identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "revenueProp", default)]
    pub revenue_prop: Option<String>,
    #[serde(default, deserialize_with = "optional_number")]
    pub mca: Option<f64>,
    #[serde(rename = "hasProps", default, deserialize_with = "flag")]
    pub has_props: bool,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
pub(crate) struct RawVariable {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Value,
}

impl From<RawVariable> for super::Variable {
    fn from(v: RawVariable) -> Self {
        super::Variable {
            key: v.key,
            kind: v.kind,
            value: v.value,
        }
    }
}

/// `accountId`: an integer, or a non-empty string; kept as given and as text.
pub(crate) struct AccountId {
    pub(crate) value: Value,
    pub(crate) text: String,
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AccountId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a non-empty string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AccountId, E> {
                Ok(AccountId {
                    value: Value::from(v),
                    text: v.to_string(),
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AccountId, E> {
                Ok(AccountId {
                    value: Value::from(v),
                    text: v.to_string(),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AccountId, E> {
                if v.is_empty() {
                    return Err(E::custom(
                        "expected an integer or a non-empty string, got \"\"",
                    ));
                }
                Ok(AccountId {
                    value: Value::from(v),
                    text: v.to_string(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A short rendering of a string for error messages.
fn quoted(s: &str) -> String {
    let mut shown: String = s.chars().take(40).collect();
    if shown.len() < s.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// A number, or a string holding a finite one (the Python and Node schemas accept both).
struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match v.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(E::custom(format_args!(
                "expected a number, got {}",
                quoted(v)
            ))),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<f64, E> {
        Err(E::custom(format_args!("expected a number, got {v}")))
    }
}

pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(NumberVisitor)
}

pub(crate) fn optional_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<f64>, D2::Error> {
            d.deserialize_any(NumberVisitor).map(Some)
        }
    }
    d.deserialize_option(V)
}

/// An id: an integer (or an integral float), or a string.
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Id;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or string id")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
            Ok(Id::Int(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
            i64::try_from(v)
                .map(Id::Int)
                .map_err(|_| E::custom(format_args!("expected an integer or string id, got {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(Id::Int(v as i64))
            } else {
                Err(E::custom(format_args!(
                    "expected an integer or string id, got {v}"
                )))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
            Ok(Id::Str(v.into()))
        }
    }
    d.deserialize_any(V)
}

/// A boolean flag; null reads as false.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// True whenever the key is present, whatever its value.
pub(super) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// An array, or `{}` standing for an empty one (the VWO backend emits `{}` for empty lists); null is
/// an empty list too.
pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            match map.next_key::<IgnoredAny>()? {
                None => Ok(Vec::new()),
                Some(_) => Err(de::Error::custom(
                    "expected an array, got a non-empty object",
                )),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// Parses settings text into the raw model. Errors name the JSON path (`campaigns[3].variations[1].weight:
/// expected a number, got "abc"`).
pub(super) fn parse(text: &str) -> Result<RawSettings, crate::Error> {
    parse_document(text)
}

/// Parses a settings document of either generation into its raw model, with the error paths of
/// [`parse`].
pub(crate) fn parse_document<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, crate::Error> {
    let got = match text.trim_start().as_bytes().first() {
        Some(b'{') | None => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b'0'..=b'9' | b'-') => Some("a number"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        Some(_) => None,
    };
    if let (Some(got), Ok(_)) = (got, serde_json::from_str::<IgnoredAny>(text)) {
        return Err(crate::Error::settings(
            "",
            format_args!("expected an object, got {got}"),
        ));
    }
    // The fast path reads without tracking paths; only a failed read is repeated with path tracking,
    // to say where the problem is.
    if let Ok(raw) = serde_json::from_str::<T>(text) {
        return Ok(raw);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let raw: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let message = inner.to_string();
        // serde_json appends " at line L column C"; the JSON path says more, and keeps messages stable.
        let message = match message.rfind(" at line ") {
            Some(i) if !inner.is_syntax() && !inner.is_eof() => message[..i].to_string(),
            _ => message,
        };
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {message}")
        } else {
            plain_message(message)
        };
        let path = if path == "." || path == "?" {
            ""
        } else {
            path.as_str()
        };
        crate::Error::settings(path, message)
    })?;
    de.end()
        .map_err(|e| crate::Error::settings("", format_args!("not valid JSON: {e}")))?;
    Ok(raw)
}

/// Rephrases serde's messages in the form libvwo's errors use: `expected X, got Y` and
/// `missing required key "k"`.
fn plain_message(message: String) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((got, expected)) = rest.split_once(", expected ") {
                let got = got.replace('`', "");
                return format!("expected {expected}, got {got}");
            }
        }
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        return format!("missing required key \"{field}\"");
    }
    message
}
