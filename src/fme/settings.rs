//! FME settings (`/server-side/v2-settings`, `FME_SPEC.md` §2.1): the serde model of the wire JSON,
//! validated with errors that name the JSON path, compiled once into the immutable [`FmeSettings`] the
//! decision reads — features by key with their rules in order (each rule linked to its campaign),
//! campaigns with variation ranges (§3.3), segments compiled in the FME dialect, MEG groups and holdouts.
//! Nothing here does I/O or decides anything.
//!
//! The lenient readers (ids as numbers or strings, numbers as numeric strings, `{}` for an empty list)
//! and the path-naming parser are v1's (`crate::settings::wire`), shared.

use rustc_hash::FxHashMap;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::segmentation::{Dialect, Segment};
use crate::settings::wire::{
    self, flag, id, list, number, optional_number, AccountId, RawVariable,
};
use crate::settings::{allocation_ranges, Id, Variable};
use crate::Error;

type Result<T> = std::result::Result<T, Error>;

// ---------------------------------------------------------------------------------------------------
// Wire model. Extra keys are allowed everywhere (skipped unread), as in the reference's schema.

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawSettings {
    #[allow(dead_code)]
    version: IgnoredAny,
    #[serde(rename = "accountId")]
    account_id: AccountId,
    #[serde(rename = "sdkKey")]
    sdk_key: String,
    #[serde(deserialize_with = "list")]
    campaigns: Vec<RawCampaign>,
    #[serde(deserialize_with = "list")]
    features: Vec<RawFeature>,
    #[serde(default)]
    groups: Option<Map<String, Value>>,
    #[serde(rename = "campaignGroups", default)]
    campaign_groups: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "list")]
    holdouts: Vec<RawHoldout>,
    #[serde(rename = "collectionPrefix", default)]
    collection_prefix: Option<String>,
    #[serde(rename = "pollInterval", default, deserialize_with = "optional_number")]
    poll_interval: Option<f64>,
    #[serde(rename = "isWebConnectivityEnabled", default)]
    is_web_connectivity_enabled: Option<bool>,
    #[serde(rename = "isMAU", default, deserialize_with = "flag")]
    is_mau: bool,
    #[serde(rename = "usageStatsAccountId", default)]
    usage_stats_account_id: Option<Value>,
    #[serde(rename = "sdkMetaInfo", default)]
    sdk_meta_info: Option<Value>,
    #[serde(rename = "alwaysApplySampling", default)]
    always_apply_sampling: Option<Value>,
    #[serde(default)]
    sampling: Option<Value>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawFeature {
    #[serde(deserialize_with = "id")]
    id: Id,
    key: String,
    name: String,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    status: IgnoredAny,
    #[serde(deserialize_with = "list")]
    metrics: Vec<RawMetric>,
    #[serde(deserialize_with = "list")]
    rules: Vec<RawRule>,
    #[serde(rename = "impactCampaign", default)]
    impact_campaign: Option<RawImpactCampaign>,
    #[serde(rename = "isDebuggerEnabled", default, deserialize_with = "flag")]
    is_debugger_enabled: bool,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawMetric {
    identifier: String,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawRule {
    #[serde(rename = "ruleKey")]
    rule_key: String,
    #[serde(rename = "campaignId", deserialize_with = "id")]
    campaign_id: Id,
    #[serde(rename = "variationId", default, deserialize_with = "optional_id")]
    variation_id: Option<Id>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawImpactCampaign {
    #[serde(rename = "campaignId", default, deserialize_with = "optional_id")]
    campaign_id: Option<Id>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawCampaign {
    #[serde(deserialize_with = "id")]
    id: Id,
    #[serde(rename = "type")]
    kind: String,
    key: String,
    #[allow(dead_code)]
    name: IgnoredAny,
    #[allow(dead_code)]
    status: IgnoredAny,
    #[serde(
        rename = "percentTraffic",
        default,
        deserialize_with = "optional_number"
    )]
    percent_traffic: Option<f64>,
    segments: Value,
    #[serde(
        rename = "isForcedVariationEnabled",
        default,
        deserialize_with = "flag"
    )]
    is_forced_variation_enabled: bool,
    #[serde(rename = "isUserListEnabled", default, deserialize_with = "flag")]
    is_user_list_enabled: bool,
    #[serde(default)]
    salt: Option<String>,
    #[serde(deserialize_with = "list")]
    variations: Vec<RawVariation>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawVariation {
    #[serde(deserialize_with = "id")]
    id: Id,
    name: String,
    #[serde(deserialize_with = "number")]
    weight: f64,
    #[serde(default)]
    segments: Option<Value>,
    #[serde(default, deserialize_with = "list")]
    variables: Vec<RawFmeVariable>,
    #[serde(default)]
    salt: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawHoldout {
    #[serde(deserialize_with = "id")]
    id: Id,
    name: String,
    segments: Value,
    #[serde(rename = "percentTraffic", deserialize_with = "number")]
    percent_traffic: f64,
    #[serde(rename = "isGlobal")]
    is_global: bool,
    #[serde(rename = "featureIds")]
    feature_ids: Vec<Value>,
    #[serde(alias = "m", deserialize_with = "list")]
    metrics: Vec<RawMetric>,
}

/// A variable: v1's model, plus the `id` the reference's schema requires.
#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct RawFmeVariable {
    #[serde(deserialize_with = "id")]
    id: Id,
    #[serde(flatten)]
    variable: RawVariable,
}

/// A variable of a variation: v1's model (key, declared type, value as given) and the id FME adds.
#[derive(Debug, Clone)]
pub struct FmeVariable {
    /// Variable id.
    pub id: Id,
    /// Key, type and value.
    pub variable: Variable,
}

impl std::ops::Deref for FmeVariable {
    type Target = Variable;
    fn deref(&self) -> &Variable {
        &self.variable
    }
}

fn optional_id<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Id>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "id")] Id);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

// ---------------------------------------------------------------------------------------------------
// Compiled model.

/// The type of a rule's campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `FLAG_ROLLOUT`: traffic and targeting on `variations[0]`, which every user in traffic gets.
    Rollout,
    /// `FLAG_TESTING`: campaign-level targeting and traffic, variation by weight.
    Testing,
    /// `FLAG_PERSONALIZE`: like a rollout, evaluated among the experiments.
    Personalize,
}

impl RuleKind {
    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleKind::Rollout => "FLAG_ROLLOUT",
            RuleKind::Testing => "FLAG_TESTING",
            RuleKind::Personalize => "FLAG_PERSONALIZE",
        }
    }
}

/// A variation of an FME campaign.
#[derive(Debug, Clone)]
pub struct Variation {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Weight in percent (a numeric string is read as its number: POLICY F4).
    pub weight: f64,
    /// Testing range `(start, end)` of §3.3, `(-1, -1)` for a zero weight.
    pub range: (i64, i64),
    /// Whitelisting segment (testing) or the rule's pre-segmentation (rollout, personalize).
    pub segments: Option<Segment>,
    /// Variables, in file order.
    pub variables: Arc<[FmeVariable]>,
    /// Salt (rollout, personalize: the rule's salt when on `variations[0]`).
    pub salt: Option<String>,
    /// Its segments name a leaf only a gateway can resolve (§5.5).
    pub needs_gateway: bool,
}

/// An FME campaign (the body of one or more rules).
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Its campaign-level segments name a leaf only a gateway can resolve (§5.5).
    pub needs_gateway: bool,
    /// Id.
    pub id: Id,
    /// Type.
    pub kind: RuleKind,
    /// Key (conventionally `<featureKey>_<ruleKey>`).
    pub key: String,
    /// Testing traffic in percent; absent reads as 0 (POLICY F4).
    pub percent_traffic: f64,
    /// Testing pre-segmentation.
    pub segments: Option<Segment>,
    /// Whitelisting switch.
    pub is_forced_variation_enabled: bool,
    /// `user` segments compare with the visitor UUID.
    pub is_user_list_enabled: bool,
    /// Salt of a testing campaign.
    pub salt: Option<String>,
    /// Variations in file order.
    pub variations: Vec<Variation>,
}

/// A feature's rule: a campaign linked by id, possibly reduced to one variation (§2.1 step 3).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule key.
    pub rule_key: String,
    /// Index into [`FmeSettings::campaigns`].
    pub campaign: usize,
    /// The rule's variations (indexes into the campaign's), all of them or the one `variationId` names.
    pub variations: Vec<usize>,
    /// Its MEG member key: `"<campaignId>"`, or `"<campaignId>_<variations[0].id>"` for personalize.
    pub member_key: String,
    /// The MEG group its member key belongs to (`campaignGroups`).
    pub group: Option<String>,
}

/// A feature flag.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Id.
    pub id: Id,
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Metric identifiers (`track_event` names).
    pub metrics: Vec<String>,
    /// Rules linked to a campaign, in evaluation order.
    pub rules: Vec<Rule>,
    /// Every rule as written, `(campaignId, variationId)`, linked or not (MEG membership, §4.8).
    pub rule_refs: Vec<(Id, Option<Id>)>,
    /// `impactCampaign.campaignId` when truthy.
    pub impact_campaign: Option<Id>,
    /// Per-decision debug events.
    pub is_debugger_enabled: bool,
    /// A rule's targeting names a leaf only a gateway can resolve (§5.5).
    pub needs_gateway: bool,
    /// The holdouts that apply to it (global, or naming its id): indexes into
    /// [`FmeSettings::holdouts`], in settings order.
    pub holdouts: Vec<usize>,
    /// Its rollout rules: indexes into `rules`, in order.
    pub rollouts: Vec<usize>,
}

/// A holdout group.
#[derive(Debug, Clone)]
pub struct Holdout {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Pre-segmentation; `None` = everyone.
    pub segments: Option<Segment>,
    /// Traffic in percent.
    pub percent_traffic: f64,
    /// Applies to every feature.
    pub is_global: bool,
    /// Features it applies to.
    pub feature_ids: Vec<Id>,
    /// Metric identifiers.
    pub metrics: Vec<String>,
    /// Its segments name a leaf only a gateway can resolve (§5.5).
    pub needs_gateway: bool,
}

/// A mutually exclusive group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Id (the digits of its key).
    pub id: String,
    /// Members: `"<campaignId>"` or `"<campaignId>_<variationId>"`.
    pub campaigns: Vec<String>,
    /// 1 = random, anything else = advanced.
    pub et: i64,
    /// Priority order (advanced).
    pub priority: Vec<String>,
    /// Weights by member (advanced), in file order.
    pub weights: Vec<(String, f64)>,
    /// The features with a rule (linked or not) that is a member, in settings order, each with its
    /// linked rules that are listed (§4.8's candidates, first of each rule key).
    pub members: Vec<GroupMember>,
}

/// A feature of a MEG group (§4.8).
#[derive(Debug, Clone)]
pub struct GroupMember {
    /// Index into [`FmeSettings::features`].
    pub feature: usize,
    /// Indexes into the feature's `rules`: those whose member key is listed in the group.
    pub rules: Vec<usize>,
}

/// Compiled, immutable FME settings.
#[derive(Debug)]
pub struct FmeSettings {
    /// Account id as given.
    pub account_id: Value,
    /// Account id as Python's `str()` renders it.
    pub account_id_text: String,
    /// Namespace of this account's visitor UUIDs.
    pub visitor_namespace: uuid::Uuid,
    /// SDK key.
    pub sdk_key: String,
    /// Features in file order.
    pub features: Vec<Feature>,
    /// Campaigns in file order.
    pub campaigns: Vec<Campaign>,
    /// Groups by id.
    pub groups: FxHashMap<String, Group>,
    /// `campaignGroups`: member key → group id.
    pub campaign_groups: FxHashMap<String, String>,
    /// Holdouts in file order.
    pub holdouts: Vec<Holdout>,
    /// Data-residency prefix.
    pub collection_prefix: Option<String>,
    /// Polling period in ms (default 600000).
    pub poll_interval_ms: f64,
    /// Web UUIDs may stand in for the visitor UUID (default true).
    pub is_web_connectivity_enabled: bool,
    /// `vwo_feTrackUsage` is on.
    pub is_mau: bool,
    /// `usageStatsAccountId` when truthy: the account the `vwo_sdkUsageStats` event is sent for.
    pub usage_stats_account_id: Option<Value>,
    /// `sdkMetaInfo.wasInitializedEarlier` is `true`: no `vwo_fmeSdkInit` event.
    pub was_initialized_earlier: bool,
    /// `alwaysApplySampling.server` (§7.8): internal events are sampled.
    pub apply_sampling: bool,
    /// Percent of sampled debug events sent (`sampling.debug.server`, default 10).
    pub debug_sampling_percent: f64,
    /// Percent of usage-stats events sent (`sampling.usage.server`, default 10).
    pub usage_sampling_percent: f64,
    by_key: FxHashMap<String, usize>,
}

impl FmeSettings {
    /// Parses, validates and compiles a v2 settings text. Errors name the JSON path.
    pub fn from_json(text: &str) -> Result<FmeSettings> {
        let raw: RawSettings = wire::parse_document(text)?;
        compile(raw)
    }

    /// The feature with this key.
    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.by_key.get(key).map(|&i| &self.features[i])
    }

    /// The index of the feature with this key.
    pub fn feature_index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }
}

fn segment(dsl: Option<&Value>, path: impl FnOnce() -> String) -> Result<Option<Segment>> {
    match dsl {
        None => Ok(None),
        Some(v) => Segment::compile_as(v, "", Dialect::Fme)
            .or_else(|_| Segment::compile_as(v, &path(), Dialect::Fme)),
    }
}

fn truthy_string(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn campaign(raw: RawCampaign, ci: usize) -> Result<Campaign> {
    let path = format!("campaigns[{ci}]");
    let kind = match raw.kind.as_str() {
        "FLAG_ROLLOUT" => RuleKind::Rollout,
        "FLAG_TESTING" => RuleKind::Testing,
        "FLAG_PERSONALIZE" => RuleKind::Personalize,
        other => {
            return Err(Error::settings(
                &format!("{path}.type"),
                format_args!(
                    "expected one of FLAG_ROLLOUT, FLAG_TESTING, FLAG_PERSONALIZE, got {other:?}"
                ),
            ))
        }
    };
    let ranges = allocation_ranges(raw.variations.iter().map(|v| v.weight));
    let mut variations = Vec::with_capacity(raw.variations.len());
    for (vi, (v, range)) in raw.variations.into_iter().zip(ranges).enumerate() {
        variations.push(Variation {
            id: v.id,
            name: v.name,
            weight: v.weight,
            range,
            segments: segment(v.segments.as_ref(), || {
                format!("{path}.variations[{vi}].segments")
            })?,
            variables: v
                .variables
                .into_iter()
                .map(|v| FmeVariable {
                    id: v.id,
                    variable: Variable::from(v.variable),
                })
                .collect::<Vec<_>>()
                .into(),
            salt: truthy_string(v.salt),
            needs_gateway: needs_gateway(v.segments.as_ref()),
        });
    }
    Ok(Campaign {
        needs_gateway: needs_gateway(Some(&raw.segments)),
        id: raw.id,
        kind,
        key: raw.key,
        percent_traffic: raw.percent_traffic.unwrap_or(0.0),
        segments: segment(Some(&raw.segments), || format!("{path}.segments"))?,
        is_forced_variation_enabled: raw.is_forced_variation_enabled,
        is_user_list_enabled: raw.is_user_list_enabled,
        salt: truthy_string(raw.salt),
        variations,
    })
}

/// §5.5: whether a segment's JSON text names a leaf only a gateway resolves — a case-insensitive word
/// match over the whole text (a custom variable *named* `os` matches too, as in the reference: §10
/// Q20), or an `inlist(...)` operand of a `custom_variable`.
fn needs_gateway(segments: Option<&Value>) -> bool {
    // Constant patterns: they compile (`None` would only make every feature "no gateway needed").
    static WORDS: once_cell::sync::Lazy<Option<regex::Regex>> = once_cell::sync::Lazy::new(|| {
        regex::Regex::new(
            r"(?i)\b(country|region|city|os|device_type|browser_string|ua|os_version|browser_version)\b",
        )
        .ok()
    });
    static INLIST: once_cell::sync::Lazy<Option<regex::Regex>> =
        once_cell::sync::Lazy::new(|| regex::Regex::new(r"inlist\([^)]*\)").ok());
    let Some(v) = segments else {
        return false;
    };
    let text = v.to_string();
    let matches = |re: &Option<regex::Regex>| re.as_ref().is_some_and(|r| r.is_match(&text));
    matches(&WORDS) || (text.contains("\"custom_variable\"") && matches(&INLIST))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A member key: `"<digits>"` or `"<digits>_<digits>"`.
fn is_member_key(s: &str) -> bool {
    match s.split_once('_') {
        Some((c, v)) => is_digits(c) && is_digits(v),
        None => is_digits(s),
    }
}

fn strings(v: Option<&Value>, path: &str) -> Result<Vec<String>> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::settings(
                    &format!("{path}[{i}]"),
                    format_args!(
                        "expected a string, got {}",
                        crate::error::describe_json(other)
                    ),
                )),
            })
            .collect(),
        Some(other) => Err(Error::settings(
            path,
            format_args!(
                "expected an array, got {}",
                crate::error::describe_json(other)
            ),
        )),
    }
}

fn group(key: &str, v: &Value) -> Result<Group> {
    let path = format!("groups.{key}");
    if !is_digits(key) {
        return Err(Error::settings(&path, "group ids must be digits"));
    }
    let o = v.as_object().ok_or_else(|| {
        Error::settings(
            &path,
            format_args!("expected an object, got {}", crate::error::describe_json(v)),
        )
    })?;
    for k in o.keys() {
        if !matches!(k.as_str(), "name" | "campaigns" | "et" | "p" | "wt") {
            return Err(Error::settings(
                &format!("{path}.{k}"),
                "unknown key (groups allow name, campaigns, et, p, wt)",
            ));
        }
    }
    if !matches!(o.get("name"), Some(Value::String(_))) {
        return Err(Error::settings(
            &format!("{path}.name"),
            "expected a string",
        ));
    }
    let campaigns = strings(o.get("campaigns"), &format!("{path}.campaigns"))?;
    let et = match o.get("et") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => n.as_f64().map_or(1, |f| f as i64),
        Some(other) => {
            return Err(Error::settings(
                &format!("{path}.et"),
                format_args!(
                    "expected a number, got {}",
                    crate::error::describe_json(other)
                ),
            ))
        }
    };
    let priority = strings(o.get("p"), &format!("{path}.p"))?;
    let mut weights = Vec::new();
    match o.get("wt") {
        None | Some(Value::Null) => {}
        Some(Value::Object(wt)) => {
            for (k, w) in wt {
                let wpath = format!("{path}.wt.{k}");
                // `FME_SPEC.md` §10 Q12 reads the schema as digits only, but vwo-fme-python-sdk 1.65.0
                // accepts `"<cid>_<vid>"` keys too (oracle run syn__meg_advanced_storage): member keys.
                if !is_member_key(k) {
                    return Err(Error::settings(
                        &wpath,
                        "weight keys must be \"<campaignId>\" or \"<campaignId>_<variationId>\"",
                    ));
                }
                let w = w.as_f64().ok_or_else(|| {
                    Error::settings(
                        &wpath,
                        format_args!("expected a number, got {}", crate::error::describe_json(w)),
                    )
                })?;
                weights.push((k.clone(), w));
            }
        }
        Some(other) => {
            return Err(Error::settings(
                &format!("{path}.wt"),
                format_args!(
                    "expected an object, got {}",
                    crate::error::describe_json(other)
                ),
            ))
        }
    }
    Ok(Group {
        id: key.to_string(),
        campaigns,
        et,
        priority,
        weights,
        members: Vec::new(),
    })
}

fn compile(raw: RawSettings) -> Result<FmeSettings> {
    let mut campaigns = Vec::with_capacity(raw.campaigns.len());
    for (ci, c) in raw.campaigns.into_iter().enumerate() {
        campaigns.push(campaign(c, ci)?);
    }
    let mut features = Vec::with_capacity(raw.features.len());
    let mut by_key = FxHashMap::default();
    for f in raw.features {
        let mut rules = Vec::new();
        let mut rule_refs = Vec::new();
        for r in f.rules {
            rule_refs.push((r.campaign_id.clone(), r.variation_id.clone()));
            // Exact type equality, as the reference (5 ≠ "5"); unmatched rules are dropped (§10 Q16).
            let Some(ci) = campaigns.iter().position(|c| c.id == r.campaign_id) else {
                continue;
            };
            let all: Vec<usize> = (0..campaigns[ci].variations.len()).collect();
            let variations = match &r.variation_id {
                Some(vid) => match campaigns[ci].variations.iter().position(|v| v.id == *vid) {
                    Some(vi) => vec![vi],
                    None => all,
                },
                None => all,
            };
            rules.push(Rule {
                rule_key: r.rule_key,
                campaign: ci,
                variations,
                member_key: String::new(),
                group: None,
            });
        }
        by_key.entry(f.key.clone()).or_insert(features.len());
        features.push(Feature {
            id: f.id,
            key: f.key,
            name: f.name,
            metrics: f.metrics.into_iter().map(|m| m.identifier).collect(),
            rules,
            rule_refs,
            impact_campaign: f
                .impact_campaign
                .and_then(|i| i.campaign_id)
                .filter(|id| match id {
                    Id::Int(i) => *i != 0,
                    Id::Str(s) => !s.is_empty(),
                }),
            is_debugger_enabled: f.is_debugger_enabled,
            needs_gateway: false,
            holdouts: Vec::new(),
            rollouts: Vec::new(),
        });
        let fi = features.len() - 1;
        let needs = features[fi].rules.iter().any(|r| {
            let c = &campaigns[r.campaign];
            match c.kind {
                RuleKind::Testing => c.needs_gateway,
                _ => r
                    .variations
                    .first()
                    .is_some_and(|&vi| c.variations[vi].needs_gateway),
            }
        });
        features[fi].needs_gateway = needs;
    }
    let mut groups = FxHashMap::default();
    for (k, v) in raw.groups.iter().flatten() {
        groups.insert(k.clone(), group(k, v)?);
    }
    let mut campaign_groups = FxHashMap::default();
    for (k, v) in raw.campaign_groups.iter().flatten() {
        let path = format!("campaignGroups.{k}");
        if !is_member_key(k) {
            return Err(Error::settings(
                &path,
                "keys must be \"<campaignId>\" or \"<campaignId>_<variationId>\"",
            ));
        }
        let gid = match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => i.to_string(),
                None => crate::python::number_str(n),
            },
            other => {
                return Err(Error::settings(
                    &path,
                    format_args!(
                        "expected a number, got {}",
                        crate::error::describe_json(other)
                    ),
                ))
            }
        };
        campaign_groups.insert(k.clone(), gid);
    }
    let mut holdouts = Vec::with_capacity(raw.holdouts.len());
    for (hi, h) in raw.holdouts.into_iter().enumerate() {
        let mut feature_ids = Vec::with_capacity(h.feature_ids.len());
        for (i, fid) in h.feature_ids.iter().enumerate() {
            match fid {
                Value::Number(n) => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                        feature_ids.push(Id::Int(f as i64))
                    }
                    _ => {
                        return Err(Error::settings(
                            &format!("holdouts[{hi}].featureIds[{i}]"),
                            "expected an integer",
                        ))
                    }
                },
                other => {
                    return Err(Error::settings(
                        &format!("holdouts[{hi}].featureIds[{i}]"),
                        format_args!(
                            "expected a number, got {}",
                            crate::error::describe_json(other)
                        ),
                    ))
                }
            }
        }
        holdouts.push(Holdout {
            id: h.id,
            name: h.name,
            segments: segment(Some(&h.segments), || format!("holdouts[{hi}].segments"))?,
            percent_traffic: h.percent_traffic,
            is_global: h.is_global,
            feature_ids,
            metrics: h.metrics.into_iter().map(|m| m.identifier).collect(),
            needs_gateway: needs_gateway(Some(&h.segments)),
        });
    }
    link(
        &mut features,
        &campaigns,
        &campaign_groups,
        &holdouts,
        &mut groups,
    );
    let account_id_text = raw.account_id.text;
    Ok(FmeSettings {
        visitor_namespace: crate::events::account_namespace(&account_id_text),
        account_id: raw.account_id.value,
        account_id_text,
        sdk_key: raw.sdk_key,
        features,
        campaigns,
        groups,
        campaign_groups,
        holdouts,
        collection_prefix: raw.collection_prefix.filter(|p| !p.trim().is_empty()),
        poll_interval_ms: raw.poll_interval.unwrap_or(600_000.0),
        is_web_connectivity_enabled: raw.is_web_connectivity_enabled.unwrap_or(true),
        is_mau: raw.is_mau,
        usage_stats_account_id: raw.usage_stats_account_id.filter(crate::python::py_truthy),
        was_initialized_earlier: raw
            .sdk_meta_info
            .as_ref()
            .and_then(|m| m.get("wasInitializedEarlier"))
            == Some(&Value::Bool(true)),
        apply_sampling: raw
            .always_apply_sampling
            .as_ref()
            .and_then(|a| a.get("server"))
            == Some(&Value::Bool(true)),
        debug_sampling_percent: sampling_percent(raw.sampling.as_ref(), "debug"),
        usage_sampling_percent: sampling_percent(raw.sampling.as_ref(), "usage"),
        by_key,
    })
}

/// What a decision would otherwise work out on every call: each rule's MEG member key and group, each
/// feature's applicable holdouts and rollout rules, and each group's member features and listed rules.
fn link(
    features: &mut [Feature],
    campaigns: &[Campaign],
    campaign_groups: &FxHashMap<String, String>,
    holdouts: &[Holdout],
    groups: &mut FxHashMap<String, Group>,
) {
    for f in features.iter_mut() {
        f.holdouts = (0..holdouts.len())
            .filter(|&hi| holdouts[hi].is_global || holdouts[hi].feature_ids.contains(&f.id))
            .collect();
        f.rollouts = (0..f.rules.len())
            .filter(|&ri| campaigns[f.rules[ri].campaign].kind == RuleKind::Rollout)
            .collect();
        for r in &mut f.rules {
            let c = &campaigns[r.campaign];
            r.member_key = match (c.kind, r.variations.first()) {
                (RuleKind::Personalize, Some(&vi)) => format!("{}_{}", c.id, c.variations[vi].id),
                _ => c.id.to_string(),
            };
            r.group = campaign_groups.get(&r.member_key).cloned();
        }
    }
    for g in groups.values_mut() {
        let entries = &g.campaigns;
        g.members = features
            .iter()
            .enumerate()
            .filter(|(_, f)| in_group(f, entries))
            .map(|(fi, f)| {
                let mut rules: Vec<usize> = Vec::new();
                for (ri, rule) in f.rules.iter().enumerate() {
                    let c = &campaigns[rule.campaign];
                    let plain = c.id.to_string();
                    let with_variation = rule
                        .variations
                        .first()
                        .map(|&vi| format!("{}_{}", c.id, c.variations[vi].id));
                    let listed = entries.contains(&plain)
                        || with_variation.as_ref().is_some_and(|k| entries.contains(k));
                    let duplicate = rules.iter().any(|&o| f.rules[o].rule_key == rule.rule_key);
                    if listed && !duplicate {
                        rules.push(ri);
                    }
                }
                GroupMember { feature: fi, rules }
            })
            .collect();
    }
}

/// Whether a rule of `f` as written (linked or not) is one of the group's `entries`: the entry's
/// campaign id (and variation id, when it names one) parsed as integers equal the rule's ids.
fn in_group(f: &Feature, entries: &[String]) -> bool {
    f.rule_refs.iter().any(|(cid, vid)| {
        entries.iter().any(|e| {
            let (c, v) = match e.split_once('_') {
                Some((c, v)) => (c, Some(v)),
                None => (e.as_str(), None),
            };
            let Ok(c) = c.parse::<i64>() else {
                return false;
            };
            *cid == Id::Int(c)
                && match v {
                    None => true,
                    Some(v) => v
                        .parse::<i64>()
                        .is_ok_and(|v| vid.as_ref() == Some(&Id::Int(v))),
                }
        })
    })
}

/// `sampling.<kind>.server` when it is a number in 0..=100, else 10 (§7.8).
fn sampling_percent(sampling: Option<&Value>, kind: &str) -> f64 {
    sampling
        .and_then(|s| s.get(kind))
        .and_then(|k| k.get("server"))
        .and_then(Value::as_f64)
        .filter(|p| (0.0..=100.0).contains(p))
        .unwrap_or(10.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn err(text: &str) -> String {
        FmeSettings::from_json(text)
            .unwrap_err()
            .message()
            .to_string()
    }

    const BASE: &str = r#"{"version": 1, "accountId": 1, "sdkKey": "k", "features": [], "campaigns": [
        {"id": 1, "type": "FLAG_TESTING", "key": "f_t", "name": "t", "status": "RUNNING", "segments": {},
         "percentTraffic": 100, "variations": [{"id": 1, "name": "a", "weight": 50},
                                               {"id": 2, "name": "b", "weight": "50"}]}]}"#;

    #[test]
    fn gateway_need_is_a_word_match_over_the_segment_text() {
        use serde_json::json;
        let needs = |v: Value| needs_gateway(Some(&v));
        assert!(needs(json!({"and": [{"country": "India"}]})));
        assert!(needs(json!({"or": [{"browser_version": "gte(10)"}]})));
        // §10 Q20: a custom variable named like a gateway leaf flags the feature too.
        assert!(needs(json!({"or": [{"custom_variable": {"OS": "x"}}]})));
        assert!(needs(
            json!({"or": [{"custom_variable": {"plan": "inlist(list-1)"}}]})
        ));
        assert!(!needs(
            json!({"or": [{"custom_variable": {"plan": "gold"}}]})
        ));
        assert!(!needs(
            json!({"or": [{"custom_variable": {"cosmos": "x"}}]})
        ));
        assert!(!needs_gateway(None));
    }

    #[test]
    fn compiles_ranges_and_reads_numeric_strings() {
        let s = FmeSettings::from_json(BASE).unwrap();
        let v = &s.campaigns[0].variations;
        assert_eq!((v[0].range, v[1].range), ((1, 5000), (5001, 10000)));
    }

    #[test]
    fn errors_name_the_json_path() {
        assert_eq!(
            err(&BASE.replace(r#""weight": "50""#, r#""weight": "x""#)),
            "campaigns[0].variations[1].weight: expected a number, got \"x\""
        );
        assert_eq!(
            err(&BASE.replace("FLAG_TESTING", "AB")),
            "campaigns[0].type: expected one of FLAG_ROLLOUT, FLAG_TESTING, FLAG_PERSONALIZE, got \"AB\""
        );
        let with_variable = |v: &str| {
            BASE.replace(
                r#""weight": 50}"#,
                &format!(r#""weight": 50, "variables": [{v}]}}"#),
            )
        };
        assert!(FmeSettings::from_json(&with_variable(
            r#"{"id": 1, "key": "x", "type": "string", "value": "a"}"#
        ))
        .is_ok());
        assert!(err(&with_variable(
            r#"{"key": "x", "type": "string", "value": "a"}"#
        ))
        .starts_with("campaigns[0].variations[0].variables[0]: missing required key \"id\""));
        assert_eq!(
            err(&BASE.replace(r#""sdkKey": "k","#, "")),
            "settings: missing required key \"sdkKey\""
        );
        assert_eq!(
            err(&BASE.replace(
                r#""features": []"#,
                r#""features": [], "groups": {"1": {"name": "g", "campaigns": ["1"], "wt": {"x": 5}}}"#
            )),
            "groups.1.wt.x: weight keys must be \"<campaignId>\" or \"<campaignId>_<variationId>\""
        );
    }
}
