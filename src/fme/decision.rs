//! The FME `get_flag` decision (`FME_SPEC.md` §4.1–§4.10): compiled settings, a feature key, a context
//! and the storage connector's records in; whether the flag is enabled, its variables, the variation
//! each rule gave, the reason, and the impressions the event layer would send, out, with the records
//! written back through the [`StorageSession`] (§6). No gateway (leaves that need one see only the
//! context's `_vwo` data); no other I/O.

use std::borrow::Cow;
use std::cell::OnceCell;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};

use super::settings::FmeVariable;
use super::settings::{Campaign, Feature, FmeSettings, Rule, RuleKind, Variation};
use super::storage::{id_json, Record, StorageSession, StoredFlag};
use crate::bucketing::{
    bucket_value, first_in_range, is_within_percent, scoped_seed, MAX_TRAFFIC_PERCENT,
    MAX_TRAFFIC_VALUE,
};
use crate::segmentation::{FmeContext, Segment, Variables, FME_USER_ID_KEY};
use crate::settings::{allocation_ranges, allocation_ranges_in, Id, RangeForm};

/// The request context of a decision (the Python SDK's context dict), borrowing what it can from the
/// caller's JSON.
#[derive(Debug, Clone, Default)]
pub struct FlagContext<'a> {
    /// User id.
    pub id: Cow<'a, str>,
    /// Replaces the user id in rule, whitelisting and MEG hashes (not in holdouts or the UUID).
    pub bucketing_seed: Option<String>,
    /// Pre-segmentation variables.
    pub custom_variables: Cow<'a, Map<String, Value>>,
    /// Whitelisting variables.
    pub variation_targeting_variables: Cow<'a, Map<String, Value>>,
    /// User agent.
    pub user_agent: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// Pre-resolved gateway data (`_vwo`: `location`, `userAgent`).
    pub gateway_data: Option<Cow<'a, Map<String, Value>>>,
    /// `platform_variables.web_testing_campaigns`.
    pub web_testing_campaigns: Option<&'a Value>,
    /// `session_id` when it is a non-negative integer (the flag's session; events carry it as
    /// `sessionId` when non-zero).
    pub session_id: Option<u64>,
    /// `post_segmentation_variables`: names of custom variables copied into impressions' visitor props.
    pub post_segmentation_variables: Vec<String>,
    /// `use_id_for_web`: the id must be a web UUID.
    pub use_id_for_web: bool,
    /// Python's type name of a `custom_variables` / `variation_targeting_variables` value that is not an
    /// object (read as empty): the reference fails a decision that evaluates rules with it.
    pub unusable_variables: Option<&'static str>,
}

/// Why a context is unusable (POLICY F1: a disabled flag, where the reference raises or logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextError {
    /// Not an object, or empty.
    NotAnObject,
    /// No `id` key.
    MissingId,
    /// `id` is not a string.
    IdNotAString,
    /// `id` is the empty string: the reference decides nothing for it (a disabled flag, no event) and
    /// sends its events without a visitor UUID.
    EmptyId,
    /// `custom_variables` or `variation_targeting_variables` is present but not an object, and the
    /// feature has rules to evaluate with it (the reference fails the call: a disabled flag, nothing
    /// sent but the error).
    VariablesNotAnObject,
}

impl<'a> FlagContext<'a> {
    /// Reads a context as the Python SDK takes it (snake_case keys; `bucketingSeed` and `_vwo` /
    /// `_wingify` as they are). A `bucketingSeed` that is not a non-blank string is dropped, as the
    /// reference does.
    pub fn from_json(v: &'a Value) -> Result<FlagContext<'a>, ContextError> {
        let o = match v {
            Value::Object(o) if !o.is_empty() => o,
            _ => return Err(ContextError::NotAnObject),
        };
        let id = match o.get("id") {
            None => return Err(ContextError::MissingId),
            Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
            Some(_) => return Err(ContextError::IdNotAString),
        };
        let mut unusable_variables = None;
        let mut map = |k: &str| -> Result<Cow<'a, Map<String, Value>>, ContextError> {
            match o.get(k) {
                None => Ok(Cow::Owned(Map::new())),
                Some(Value::Object(m)) => Ok(Cow::Borrowed(m)),
                Some(other) => {
                    unusable_variables.get_or_insert(python_type(other));
                    Ok(Cow::Owned(Map::new()))
                }
            }
        };
        let custom_variables = map("custom_variables")?;
        let variation_targeting_variables = map("variation_targeting_variables")?;
        let string = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(FlagContext {
            id,
            bucketing_seed: string("bucketingSeed").filter(|s| !s.trim().is_empty()),
            custom_variables,
            variation_targeting_variables,
            user_agent: string("user_agent"),
            ip_address: string("ip_address"),
            gateway_data: o
                .get("_vwo")
                .or_else(|| o.get("_wingify"))
                .and_then(Value::as_object)
                .map(Cow::Borrowed),
            web_testing_campaigns: o
                .get("platform_variables")
                .and_then(|p| p.get("web_testing_campaigns"))
                .filter(|w| !w.is_null()),
            session_id: o.get("session_id").and_then(Value::as_u64),
            post_segmentation_variables: o
                .get("post_segmentation_variables")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            use_id_for_web: o
                .get("use_id_for_web")
                .is_some_and(crate::python::py_truthy),
            unusable_variables,
        })
    }
}

/// Python's type name of a JSON value (`str`, `int`, `float`, `bool`, `NoneType`, `list`, `dict`).
pub fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The variation a rule gave.
#[derive(Debug, Clone, Copy)]
pub struct RuleVariation<'s> {
    /// The rule.
    pub rule: &'s Rule,
    /// Its campaign.
    pub campaign: &'s Campaign,
    /// The variation.
    pub variation: &'s Variation,
    /// Reached by whitelisting (no traffic check).
    pub whitelisted: bool,
}

impl RuleVariation<'_> {
    /// The key storage and debug events use: testing → the campaign key; rollout and personalize →
    /// `"<featureKey>_<ruleKey>"`.
    pub fn key(&self, feature: &Feature) -> String {
        match self.campaign.kind {
            RuleKind::Testing => self.campaign.key.clone(),
            _ => format!("{}_{}", feature.key, self.rule.rule_key),
        }
    }
}

/// What happened to one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleVerdict {
    /// Pre-segmentation failed.
    SegmentationFailed,
    /// Another member of MEG group `group` won (`winner`: `"<cid>"`, `"<cid>_<vid>"`, or `"-1"` for none).
    LostGroup {
        /// Group id.
        group: String,
        /// The recorded winner.
        winner: String,
    },
    /// Passed targeting but not the traffic check.
    OutOfTraffic,
    /// In traffic, but the bucket value falls in no variation's range.
    NoVariationInRange,
    /// Assigned a variation by bucketing.
    Assigned,
    /// Assigned a variation by whitelisting.
    Whitelisted,
}

/// One evaluated rule, in evaluation order.
#[derive(Debug, Clone)]
pub struct RuleStep<'s> {
    /// Rule key.
    pub rule_key: &'s str,
    /// Rule type.
    pub kind: RuleKind,
    /// What happened.
    pub verdict: RuleVerdict,
}

/// The decisive reason of a flag decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagReason {
    /// The context is unusable (POLICY F1).
    InvalidContext(ContextError),
    /// No feature has this key.
    FeatureNotFound,
    /// The user is in these holdouts.
    InHoldout(Vec<Id>),
    /// The feature has rollout rules and none passed its targeting: experiments were not evaluated.
    NoRolloutTargeted,
    /// The first rollout rule whose targeting passed (§10 Q11) rejected the user by traffic:
    /// experiments were not evaluated.
    RolloutOutOfTraffic,
    /// A rollout enabled the flag and no experiment assigned a variation.
    Rollout,
    /// An experiment (testing or personalize) assigned the variation whose variables apply.
    Experiment,
    /// No rollout rules and no experiment assigned a variation.
    NoExperimentAssigned,
}

/// One impression the event layer would send (`vwo_variationShown`, §4.9, §7.4–§7.5), in send order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Impression {
    /// A rule's variation: `id` = campaign id, `variation` = the variation id (a string on the wire).
    Variation {
        /// Campaign id.
        campaign_id: Id,
        /// Variation id.
        variation_id: Id,
    },
    /// A holdout evaluation: `variation` 1 = in the holdout, 2 = not (an integer on the wire).
    Holdout {
        /// Holdout id.
        holdout_id: Id,
        /// 1 or 2.
        variation: u8,
        /// Feature id (`fId`).
        feature_id: Id,
    },
    /// The impact campaign: `variation` 2 = enabled, 1 = disabled.
    Impact {
        /// Impact campaign id.
        campaign_id: Id,
        /// 1 or 2.
        variation: u8,
    },
}

/// A get_flag decision.
#[derive(Debug, Clone)]
pub struct FlagDecision<'s> {
    /// The feature, when it exists.
    pub feature: Option<&'s Feature>,
    /// Whether the flag is enabled.
    pub enabled: bool,
    /// The rollout rule's variation, when a rollout passed.
    pub rollout: Option<RuleVariation<'s>>,
    /// The experiment rule's variation, when one assigned.
    pub experiment: Option<RuleVariation<'s>>,
    /// Holdouts evaluated, `(id, user is in it)`, in order.
    pub holdouts: Vec<(Id, bool)>,
    /// Every rule evaluated, in order.
    pub steps: Vec<RuleStep<'s>>,
    /// The reason.
    pub reason: FlagReason,
    /// The impressions to send, in order.
    pub impressions: Vec<Impression>,
    /// Impressions the reference sends on their own, before anything else of the call: the
    /// not-in-holdout impressions of a stored rollout.
    pub early_impressions: Vec<Impression>,
    /// The visitor UUID (`None` for an invalid context).
    pub uuid: Option<String>,
    /// Decided from a stored experiment or holdout record (no hook, no debugger event).
    pub stored: bool,
    /// The rollout came from a stored record (the reference reports it in the decision, to hooks and the
    /// debugger, only when an experiment assigned a variation in the same call).
    pub stored_rollout: bool,
}

impl<'s> FlagDecision<'s> {
    /// The variables of the flag: the experiment variation's, else the rollout's, else none.
    pub fn variables(&self) -> &'s [FmeVariable] {
        match self.experiment.or(self.rollout) {
            Some(rv) => &rv.variation.variables,
            None => &[],
        }
    }

    /// [`FlagDecision::variables`] as the settings hold them (`None` when there are none).
    pub fn shared_variables(&self) -> Option<std::sync::Arc<[FmeVariable]>> {
        self.experiment
            .or(self.rollout)
            .map(|rv| rv.variation.variables.clone())
            .filter(|v| !v.is_empty())
    }

    fn disabled(feature: Option<&'s Feature>, reason: FlagReason, uuid: Option<String>) -> Self {
        FlagDecision {
            feature,
            enabled: false,
            rollout: None,
            experiment: None,
            holdouts: Vec::new(),
            steps: Vec::new(),
            reason,
            impressions: Vec::new(),
            early_impressions: Vec::new(),
            uuid,
            stored: false,
            stored_rollout: false,
        }
    }
}

/// `^[DJ][0-9A-Fa-f]{32}$`: an id the web SDK generated.
pub fn is_web_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 33 && matches!(b[0], b'D' | b'J') && b[1..].iter().all(u8::is_ascii_hexdigit)
}

/// The visitor UUID of §7.2 (v1's derivation; a web UUID stands for itself when allowed).
pub fn visitor_uuid(settings: &FmeSettings, user_id: &str) -> String {
    if settings.is_web_connectivity_enabled && is_web_uuid(user_id) {
        return user_id.to_string();
    }
    crate::events::visitor_uuid_in(&settings.visitor_namespace, user_id)
}

/// Decides `feature_key` for a context given as JSON (POLICY F1 for an unusable context).
pub fn get_flag_json<'s>(
    settings: &'s FmeSettings,
    feature_key: &str,
    context: &Value,
) -> FlagDecision<'s> {
    match FlagContext::from_json(context) {
        Ok(ctx) if ctx.id.is_empty() => FlagDecision::disabled(
            None,
            FlagReason::InvalidContext(ContextError::EmptyId),
            None,
        ),
        Ok(ctx) => get_flag(settings, feature_key, &ctx),
        Err(e) => FlagDecision::disabled(None, FlagReason::InvalidContext(e), None),
    }
}

/// Decides `feature_key` for `context` (§4) without storage.
pub fn get_flag<'s>(
    settings: &'s FmeSettings,
    feature_key: &str,
    context: &FlagContext<'_>,
) -> FlagDecision<'s> {
    get_flag_stored(settings, feature_key, context, &StorageSession::none())
}

/// Decides `feature_key` for `context` (§4), reading and writing the records of `store`.
pub fn get_flag_stored<'s>(
    settings: &'s FmeSettings,
    feature_key: &str,
    context: &FlagContext<'_>,
    store: &StorageSession<'_>,
) -> FlagDecision<'s> {
    let uuid = visitor_uuid(settings, &context.id);
    get_flag_for(settings, feature_key, context, store, &uuid)
}

/// [`get_flag_stored`] for a visitor whose UUID ([`visitor_uuid`]) the caller has already derived.
pub fn get_flag_for<'s>(
    settings: &'s FmeSettings,
    feature_key: &str,
    context: &FlagContext<'_>,
    store: &StorageSession<'_>,
    uuid: &str,
) -> FlagDecision<'s> {
    // The reference reads storage before it looks the feature up (§4.2).
    let stored = store.get(feature_key);
    let Some(fi) = settings.feature_index(feature_key) else {
        return FlagDecision::disabled(None, FlagReason::FeatureNotFound, Some(uuid.to_owned()));
    };
    if context.unusable_variables.is_some() && !settings.features[fi].rules.is_empty() {
        return FlagDecision::disabled(
            Some(&settings.features[fi]),
            FlagReason::InvalidContext(ContextError::VariablesNotAnObject),
            Some(uuid.to_owned()),
        );
    }
    let mut run = Run {
        settings,
        context,
        uuid,
        store,
        custom_user: None,
        targeting_user: None,
        user_values: [OnceCell::new(), OnceCell::new()],
        meg_winners: FxHashMap::default(),
        rollout_passed: FxHashSet::default(),
        seed: String::with_capacity(128),
    };
    run.decide(fi, stored)
}

/// Which id a rule sets `_vwoUserId` to (§4.6 step 2): the visitor UUID (user lists) or the user id.
#[derive(Debug, Clone, Copy)]
enum UserListId {
    Id = 0,
    Uuid = 1,
}

/// The state of one get_flag call.
struct Run<'s, 'c> {
    settings: &'s FmeSettings,
    context: &'c FlagContext<'c>,
    uuid: &'c str,
    store: &'c StorageSession<'c>,
    /// `_vwoUserId` of the custom variables: set by each rule evaluated (§4.6 step 2), from the first
    /// one on, as the reference's insert into the context's dict does.
    custom_user: Option<UserListId>,
    /// `_vwoUserId` of the variation-targeting variables (set by testing rules).
    targeting_user: Option<UserListId>,
    /// The two `_vwoUserId` values, made when first needed.
    user_values: [OnceCell<Value>; 2],
    /// MEG winners decided in this call, by group id.
    meg_winners: FxHashMap<&'s str, Cow<'s, str>>,
    /// Features whose rollout passed in this call (`evaluatedFeatureMap`).
    rollout_passed: FxHashSet<usize>,
    seed: String,
}

/// Storage key prefix of MEG winners (`"_vwo_meta_meg_<groupId>"`).
pub const MEG_KEY_PREFIX: &str = "_vwo_meta_meg_";

/// Python's `str()` of a stored value (ids may be numbers or strings).
fn py_text(v: &Value) -> String {
    crate::python::py_str(v)
}

enum RuleEval<'s> {
    Pass(Option<&'s Variation>),
    Fail(RuleVerdict),
}

impl<'s, 'c> Run<'s, 'c> {
    /// The id rules, whitelisting and MEG hash: the bucketing seed, else the user id (borrowed from
    /// the context, not from the run, so that the run's seed buffer can be written meanwhile).
    fn bucketing_id(&self) -> &'c str {
        let context: &'c FlagContext<'c> = self.context;
        context.bucketing_seed.as_deref().unwrap_or(&context.id)
    }

    fn fme_context<'a>(
        &'a self,
        feature_state: &'a dyn Fn(&str) -> Option<bool>,
    ) -> FmeContext<'a> {
        FmeContext {
            user_agent: self.context.user_agent.as_deref(),
            ip_address: self.context.ip_address.as_deref(),
            gateway_data: self.context.gateway_data.as_deref(),
            web_testing_campaigns: self.context.web_testing_campaigns,
            feature_state,
        }
    }

    /// Evaluates a segment against the custom variables (`None` passes).
    fn passes(&self, segment: Option<&Segment>) -> bool {
        self.passes_with(segment, &self.context.custom_variables, self.custom_user)
    }

    /// `variables` with `_vwoUserId` as `user` sets it.
    fn variables<'v>(
        &'v self,
        map: &'v Map<String, Value>,
        user: Option<UserListId>,
    ) -> Variables<'v> {
        match user {
            None => Variables::of(map),
            Some(which) => {
                let value = self.user_values[which as usize].get_or_init(|| {
                    Value::from(match which {
                        UserListId::Uuid => self.uuid,
                        UserListId::Id => &*self.context.id,
                    })
                });
                Variables::with(map, FME_USER_ID_KEY, value)
            }
        }
    }

    fn passes_with(
        &self,
        segment: Option<&Segment>,
        map: &Map<String, Value>,
        user: Option<UserListId>,
    ) -> bool {
        let Some(segment) = segment else {
            return true;
        };
        let variables = self.variables(map, user);
        let settings = self.settings;
        let store = self.store;
        // `featureId` leaves: whether the user has a stored record of that feature; `None` for an
        // unknown feature id.
        let feature_state = |id: &str| {
            settings
                .features
                .iter()
                .find(|f| f.id.to_string() == id)
                .map(|f| store.has(&f.key))
        };
        let ctx = self.fme_context(&feature_state);
        segment.evaluate_fme(variables, &ctx)
    }

    fn first_variation(&self, rule: &'s Rule) -> Option<&'s Variation> {
        let campaign = &self.settings.campaigns[rule.campaign];
        rule.variations.first().map(|&vi| &campaign.variations[vi])
    }

    /// The rule's pre-segmentation: `variations[0].segments` for rollout/personalize, the campaign's
    /// for testing.
    fn rule_segment(&self, rule: &'s Rule) -> Option<&'s Segment> {
        let campaign = &self.settings.campaigns[rule.campaign];
        match campaign.kind {
            RuleKind::Testing => campaign.segments.as_ref(),
            _ => self.first_variation(rule).and_then(|v| v.segments.as_ref()),
        }
    }

    /// The traffic check of §3.2.
    fn in_traffic(&mut self, rule: &'s Rule) -> bool {
        let campaign = &self.settings.campaigns[rule.campaign];
        let (salt, traffic) = match campaign.kind {
            RuleKind::Testing => (campaign.salt.as_deref(), campaign.percent_traffic),
            _ => match self.first_variation(rule) {
                Some(v) => (v.salt.as_deref(), v.weight),
                None => return false,
            },
        };
        let user = self.bucketing_id();
        match salt {
            Some(s) => scoped_seed(&mut self.seed, &s, None, user),
            None => scoped_seed(&mut self.seed, &campaign.id, None, user),
        }
        is_within_percent(bucket_value(&self.seed, MAX_TRAFFIC_PERCENT, 1.0), traffic)
    }

    /// Traffic check and variation pick for a rule that passed targeting.
    fn bucket(&mut self, rule: &'s Rule) -> Result<&'s Variation, RuleVerdict> {
        if !self.in_traffic(rule) {
            return Err(RuleVerdict::OutOfTraffic);
        }
        let campaign = &self.settings.campaigns[rule.campaign];
        if campaign.kind != RuleKind::Testing {
            return self
                .first_variation(rule)
                .ok_or(RuleVerdict::NoVariationInRange);
        }
        let user = self.bucketing_id();
        let account = &self.settings.account_id_text;
        match campaign.salt.as_deref() {
            Some(s) => scoped_seed(&mut self.seed, &s, Some(account), user),
            None => scoped_seed(&mut self.seed, &campaign.id, Some(account), user),
        }
        let value = bucket_value(&self.seed, MAX_TRAFFIC_VALUE, 1.0);
        first_in_range(&rule.variations, value, |&vi| campaign.variations[vi].range)
            .map(|&vi| &campaign.variations[vi])
            .ok_or(RuleVerdict::NoVariationInRange)
    }

    /// §4.7: the variation whose whitelisting segment matches (ties broken by bucketing).
    fn whitelisted(&mut self, rule: &'s Rule) -> Option<&'s Variation> {
        let campaign = &self.settings.campaigns[rule.campaign];
        let matches: Vec<&'s Variation> = rule
            .variations
            .iter()
            .map(|&vi| &campaign.variations[vi])
            .filter(|v| {
                v.segments.is_some()
                    && self.passes_with(
                        v.segments.as_ref(),
                        &self.context.variation_targeting_variables,
                        self.targeting_user,
                    )
            })
            .collect();
        match matches.len() {
            0 => None,
            1 => Some(matches[0]),
            n => {
                let total: f64 = matches.iter().map(|v| v.weight).sum();
                let ranges = allocation_ranges(matches.iter().map(|v| {
                    if total == 0.0 {
                        100.0 / n as f64
                    } else {
                        v.weight / total * 100.0
                    }
                }));
                let user = self.bucketing_id();
                match campaign.salt.as_deref() {
                    Some(s) => scoped_seed(&mut self.seed, &s, None, user),
                    None => scoped_seed(&mut self.seed, &campaign.id, None, user),
                }
                let value = bucket_value(&self.seed, MAX_TRAFFIC_VALUE, 1.0);
                let indexed: Vec<usize> = (0..n).collect();
                first_in_range(&indexed, value, |&i| ranges[i]).map(|&i| matches[i])
            }
        }
    }

    fn user_list_id(campaign: &Campaign) -> UserListId {
        if campaign.is_user_list_enabled {
            UserListId::Uuid
        } else {
            UserListId::Id
        }
    }

    /// §4.6: whitelisting, pre-segmentation and MEG for one rule of feature `fi`.
    fn evaluate_rule(&mut self, fi: usize, rule: &'s Rule) -> RuleEval<'s> {
        let campaign = &self.settings.campaigns[rule.campaign];
        if campaign.kind == RuleKind::Testing {
            self.targeting_user = Some(Self::user_list_id(campaign));
            if campaign.is_forced_variation_enabled {
                if let Some(v) = self.whitelisted(rule) {
                    return RuleEval::Pass(Some(v));
                }
            }
        }
        self.custom_user = Some(Self::user_list_id(campaign));
        let member = rule.member_key.as_str();
        let group = rule.group.as_deref();
        if let Some(g) = group {
            if let Some(winner) = self.meg_winners.get(g) {
                return if winner == member {
                    RuleEval::Pass(None)
                } else {
                    RuleEval::Fail(RuleVerdict::LostGroup {
                        group: g.to_owned(),
                        winner: winner.to_string(),
                    })
                };
            }
            // A winner stored by an earlier call (§4.6 step 5): no segmentation re-check.
            let stored = if self.store.is_active() {
                self.store.get(&format!("{MEG_KEY_PREFIX}{g}"))
            } else {
                None
            };
            if let Some(st) = stored {
                if let (Some(_), Some(eid)) = (&st.experiment_key, &st.experiment_id) {
                    let stored_vid = st.experiment_variation_id.clone().unwrap_or(Value::Null);
                    let same_campaign = py_text(eid) == campaign.id.to_string();
                    let first_vid = self.first_variation(rule).map(|v| v.id.to_string());
                    let pass = same_campaign
                        && (campaign.kind != RuleKind::Personalize
                            || first_vid.as_deref() == Some(py_text(&stored_vid).as_str()));
                    if pass {
                        return RuleEval::Pass(None);
                    }
                    let winner = if py_text(&stored_vid) != "-1" && !stored_vid.is_null() {
                        format!("{}_{}", py_text(eid), py_text(&stored_vid))
                    } else {
                        py_text(eid)
                    };
                    self.meg_winners.insert(g, Cow::Owned(winner.clone()));
                    return RuleEval::Fail(RuleVerdict::LostGroup {
                        group: g.to_owned(),
                        winner,
                    });
                }
            }
        }
        if !self.passes(self.rule_segment(rule)) {
            return RuleEval::Fail(RuleVerdict::SegmentationFailed);
        }
        let Some(g) = group else {
            return RuleEval::Pass(None);
        };
        let winner = self.group_winner(fi, g).unwrap_or("-1");
        self.meg_winners.insert(g, Cow::Borrowed(winner));
        if winner == member {
            RuleEval::Pass(None)
        } else {
            RuleEval::Fail(RuleVerdict::LostGroup {
                group: g.to_owned(),
                winner: winner.to_owned(),
            })
        }
    }

    /// §4.3: the applicable holdouts of feature `fi`, `(holdout index, user is in it)`.
    fn holdouts(&mut self, fi: usize) -> Vec<(usize, bool)> {
        let settings = self.settings;
        self.holdouts_among(fi, &settings.features[fi].holdouts)
    }

    /// §4.3 for the holdouts `among` (indices, in settings order).
    fn holdouts_among(&mut self, _fi: usize, among: &[usize]) -> Vec<(usize, bool)> {
        let settings = self.settings;
        let mut out = Vec::new();
        for &hi in among {
            let h = &settings.holdouts[hi];
            let inside = self.passes(h.segments.as_ref()) && {
                scoped_seed(
                    &mut self.seed,
                    &settings.account_id_text,
                    Some(&h.id),
                    &self.context.id,
                );
                is_within_percent(
                    bucket_value(&self.seed, MAX_TRAFFIC_PERCENT, 1.0),
                    h.percent_traffic,
                )
            };
            out.push((hi, inside));
        }
        out
    }

    /// §4.8: the winner of group `g` as a member key, if it is a rule of feature `fi`.
    fn group_winner(&mut self, fi: usize, g: &str) -> Option<&'s str> {
        let settings = self.settings;
        let group = settings.groups.get(g)?;
        // Rules listed in the group, of features whose holdouts and rollouts let them take part.
        let mut candidates: Vec<(usize, &'s Rule)> = Vec::new();
        for member in &group.members {
            let ofi = member.feature;
            let feature = &settings.features[ofi];
            if self
                .store
                .get(&feature.key)
                .is_some_and(|st| !st.in_holdout.is_empty())
            {
                continue;
            }
            let hs = self.holdouts(ofi);
            if hs.iter().any(|(_, inside)| *inside) {
                let matched: Vec<Value> = hs
                    .iter()
                    .filter(|(_, inside)| *inside)
                    .map(|(hi, _)| id_json(&settings.holdouts[*hi].id))
                    .collect();
                self.store.set(
                    &feature.key,
                    &Record {
                        in_holdout: Some(matched),
                        ..Record::default()
                    },
                );
                continue;
            }
            if !self.rollout_passed.contains(&ofi) && !feature.rollouts.is_empty() {
                let mut passed = false;
                for &ri in &feature.rollouts {
                    let r = &feature.rules[ri];
                    if self.passes(self.rule_segment(r)) && self.in_traffic(r) {
                        self.rollout_passed.insert(ofi);
                        passed = true;
                        break;
                    }
                }
                if !passed {
                    continue;
                }
            }
            candidates.extend(member.rules.iter().map(|&ri| (ofi, &feature.rules[ri])));
        }
        let mut eligible: Vec<(usize, &'s Rule)> = Vec::new();
        let mut with_storage: Vec<(usize, &'s Rule)> = Vec::new();
        for (ofi, rule) in candidates {
            let feature = &settings.features[ofi];
            let stored = self.store.get(&feature.key).is_some_and(|st| {
                st.experiment_variation_id.is_some()
                    && st.experiment_key.as_deref()
                        == Some(self.rule_key_of(feature, rule).as_str())
                    && self
                        .stored_variation(
                            feature,
                            st.experiment_key.as_deref(),
                            st.experiment_variation_id.as_ref(),
                        )
                        .is_some()
            });
            if stored {
                with_storage.push((ofi, rule));
            } else if self.passes(self.rule_segment(rule)) && self.in_traffic(rule) {
                eligible.push((ofi, rule));
            }
        }
        if !with_storage.is_empty() {
            eligible = with_storage;
        }
        let mut store_winner = false;
        let winner = match eligible.len() {
            0 => None,
            1 => Some(eligible[0]),
            n => {
                store_winner = true;
                let user = self.bucketing_id();
                scoped_seed(&mut self.seed, &g, None, user);
                let value = bucket_value(&self.seed, MAX_TRAFFIC_VALUE, 1.0);
                if group.et == 1 {
                    let weight = (100.0 / n as f64 * 10000.0).round_ties_even() / 10000.0;
                    let ranges = allocation_ranges_in(
                        eligible.iter().map(|_| weight),
                        RangeForm::SharedBoundary,
                    );
                    let indexed: Vec<usize> = (0..n).collect();
                    first_in_range(&indexed, value, |&i| ranges[i]).map(|&i| eligible[i])
                } else {
                    self.advanced_winner(group, &eligible, value)
                }
            }
        };
        let (wfi, rule) = winner?;
        if store_winner && self.store.is_active() {
            let campaign = &settings.campaigns[rule.campaign];
            let (key, vid) = match campaign.kind {
                RuleKind::Personalize => {
                    // §10 Q10: the feature key is guessed by cutting the campaign key at its last `_`.
                    let guessed = campaign
                        .key
                        .rsplit_once('_')
                        .map_or(campaign.key.as_str(), |(f, _)| f);
                    (
                        format!("{guessed}_{}", rule.rule_key),
                        self.first_variation(rule)
                            .map_or(Value::Null, |v| id_json(&v.id)),
                    )
                }
                _ => (campaign.key.clone(), Value::from(-1)),
            };
            self.store.set(
                &format!("{MEG_KEY_PREFIX}{g}"),
                &Record {
                    experiment: Some((id_json(&campaign.id), key, vid)),
                    ..Record::default()
                },
            );
        }
        (wfi == fi).then_some(rule.member_key.as_str())
    }

    /// The key a rule's assignment is stored under: testing → the campaign key; else
    /// `"<featureKey>_<ruleKey>"`.
    fn rule_key_of(&self, feature: &Feature, rule: &Rule) -> String {
        let campaign = &self.settings.campaigns[rule.campaign];
        match campaign.kind {
            RuleKind::Testing => campaign.key.clone(),
            _ => format!("{}_{}", feature.key, rule.rule_key),
        }
    }

    /// `get_variation_from_campaign_key`: the rule and variation a stored key and variation id name —
    /// first a campaign whose `key` is `key`, else a rule of the feature whose stored key is `key`.
    fn stored_variation(
        &self,
        feature: &'s Feature,
        key: Option<&str>,
        variation_id: Option<&Value>,
    ) -> Option<RuleVariation<'s>> {
        let settings = self.settings;
        let key = key?;
        let vid = py_text(variation_id?);
        let find_in = |rule: &'s Rule| {
            let campaign = &settings.campaigns[rule.campaign];
            campaign
                .variations
                .iter()
                .find(|v| v.id.to_string() == vid)
                .map(|variation| RuleVariation {
                    rule,
                    campaign,
                    variation,
                    whitelisted: false,
                })
        };
        let all_rules = || {
            std::iter::once(feature)
                .chain(settings.features.iter())
                .flat_map(|f| f.rules.iter())
        };
        if let Some(rule) = all_rules().find(|r| settings.campaigns[r.campaign].key == key) {
            return find_in(rule);
        }
        feature
            .rules
            .iter()
            .find(|r| self.rule_key_of(feature, r) == key)
            .and_then(find_in)
    }

    /// Advanced MEG (et ≠ 1): priority first, then weights.
    fn advanced_winner(
        &self,
        group: &super::settings::Group,
        eligible: &[(usize, &'s Rule)],
        value: i64,
    ) -> Option<(usize, &'s Rule)> {
        let keys: Vec<(String, Option<String>)> = eligible
            .iter()
            .map(|(_, r)| {
                let c = &self.settings.campaigns[r.campaign];
                (
                    c.id.to_string(),
                    self.first_variation(r)
                        .map(|v| format!("{}_{}", c.id, v.id)),
                )
            })
            .collect();
        for p in &group.priority {
            if let Some(i) = keys
                .iter()
                .position(|(plain, with)| plain == p || with.as_ref() == Some(p))
            {
                return Some(eligible[i]);
            }
        }
        let weighted: Vec<(usize, f64)> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, (plain, with))| {
                let find = |k: &str| {
                    group
                        .weights
                        .iter()
                        .find(|(wk, _)| wk == k)
                        .map(|(_, w)| *w)
                };
                find(plain)
                    .or_else(|| with.as_deref().and_then(find))
                    .map(|w| (i, w))
            })
            .collect();
        let ranges =
            allocation_ranges_in(weighted.iter().map(|(_, w)| *w), RangeForm::SharedBoundary);
        let indexed: Vec<usize> = (0..weighted.len()).collect();
        first_in_range(&indexed, value, |&i| ranges[i]).map(|&i| eligible[weighted[i].0])
    }

    fn decide(&mut self, fi: usize, stored: Option<StoredFlag>) -> FlagDecision<'s> {
        let settings = self.settings;
        let feature = &settings.features[fi];
        let mut decision = FlagDecision::disabled(
            Some(feature),
            FlagReason::NoExperimentAssigned,
            Some(self.uuid.to_string()),
        );
        let applicable = &feature.holdouts;
        let recorded = |ids: &[Value], hi: usize| {
            let id = settings.holdouts[hi].id.to_string();
            ids.iter().any(|v| py_text(v) == id)
        };
        let mut not_in_holdout: Vec<Value> = Vec::new();
        let mut stored_rollout = None;
        if let Some(st) = &stored {
            // Stored holdout (§4.2 step 1): still in a holdout; newly applicable holdouts are evaluated.
            let known = !st.in_holdout.is_empty() || !st.not_in_holdout.is_empty();
            if known && applicable.iter().any(|&hi| recorded(&st.in_holdout, hi)) {
                let mut in_ids = st.in_holdout.clone();
                let mut not_ids = st.not_in_holdout.clone();
                let fresh: Vec<usize> = applicable
                    .iter()
                    .copied()
                    .filter(|&hi| {
                        !recorded(&st.in_holdout, hi) && !recorded(&st.not_in_holdout, hi)
                    })
                    .collect();
                let evaluated = self.holdouts_among(fi, &fresh);
                for &(hi, inside) in &evaluated {
                    let h = &settings.holdouts[hi];
                    decision.holdouts.push((h.id.clone(), inside));
                    decision.impressions.push(Impression::Holdout {
                        holdout_id: h.id.clone(),
                        variation: if inside { 1 } else { 2 },
                        feature_id: feature.id.clone(),
                    });
                    if inside {
                        in_ids.push(id_json(&h.id));
                    } else {
                        not_ids.push(id_json(&h.id));
                    }
                }
                self.store.set(
                    &feature.key,
                    &Record {
                        in_holdout: Some(in_ids.clone()),
                        not_in_holdout: Some(not_ids),
                        ..Record::default()
                    },
                );
                let ids: Vec<Id> = applicable
                    .iter()
                    .filter(|&&hi| recorded(&in_ids, hi))
                    .map(|&hi| settings.holdouts[hi].id.clone())
                    .collect();
                decision.reason = FlagReason::InHoldout(ids);
                decision.stored = true;
                return decision;
            }
            // Holdouts not recorded yet get a not-in-holdout impression on the stored paths.
            let not_in_impressions = |decision: &mut FlagDecision<'s>, not_ids: &mut Vec<Value>| {
                let mut grew = false;
                for &hi in applicable {
                    if recorded(&st.in_holdout, hi) || recorded(not_ids, hi) {
                        continue;
                    }
                    let h = &settings.holdouts[hi];
                    decision.holdouts.push((h.id.clone(), false));
                    decision.impressions.push(Impression::Holdout {
                        holdout_id: h.id.clone(),
                        variation: 2,
                        feature_id: feature.id.clone(),
                    });
                    not_ids.push(id_json(&h.id));
                    grew = true;
                }
                grew
            };
            // Stored experiment (§4.2 step 2).
            if st
                .experiment_variation_id
                .as_ref()
                .is_some_and(crate::python::py_truthy)
            {
                if let Some(rv) = self.stored_variation(
                    feature,
                    st.experiment_key.as_deref(),
                    st.experiment_variation_id.as_ref(),
                ) {
                    let mut not_ids = st.not_in_holdout.clone();
                    if not_in_impressions(&mut decision, &mut not_ids) {
                        // The reference writes only the holdout ids here, dropping the stored
                        // experiment from the record (the next call decides afresh).
                        self.store.set(
                            &feature.key,
                            &Record {
                                not_in_holdout: Some(not_ids),
                                ..Record::default()
                            },
                        );
                    }
                    decision.enabled = true;
                    decision.reason = FlagReason::Experiment;
                    decision.experiment = Some(rv);
                    decision.stored = true;
                    return decision;
                }
            }
            // Stored rollout (§4.2 step 3): enabled; experiments are evaluated afresh.
            if st.rollout_key.is_some() && st.rollout_id.is_some() {
                if let Some(rv) = self.stored_variation(
                    feature,
                    st.rollout_key.as_deref(),
                    st.rollout_variation_id.as_ref(),
                ) {
                    let mut not_ids = st.not_in_holdout.clone();
                    if not_in_impressions(&mut decision, &mut not_ids) {
                        // Sent on their own at once, and recorded alone, before the experiments.
                        decision.early_impressions = std::mem::take(&mut decision.impressions);
                        self.store.set(
                            &feature.key,
                            &Record {
                                not_in_holdout: Some(not_ids.clone()),
                                ..Record::default()
                            },
                        );
                    }
                    not_in_holdout = not_ids;
                    stored_rollout = Some((rv, st.clone()));
                }
            }
        }
        let mut check_experiments;
        if let Some((rv, _)) = &stored_rollout {
            decision.enabled = true;
            decision.reason = FlagReason::Rollout;
            decision.rollout = Some(*rv);
            decision.stored_rollout = true;
            self.rollout_passed.insert(fi);
            check_experiments = true;
        } else {
            // Holdouts (§4.3): those the stored record has not decided yet.
            let undecided: Cow<'_, [usize]> = match &stored {
                Some(st) => applicable
                    .iter()
                    .copied()
                    .filter(|&hi| {
                        !recorded(&st.in_holdout, hi) && !recorded(&st.not_in_holdout, hi)
                    })
                    .collect::<Vec<usize>>()
                    .into(),
                None => Cow::Borrowed(applicable),
            };
            let holdouts = self.holdouts_among(fi, &undecided);
            for &(hi, inside) in &holdouts {
                let h = &settings.holdouts[hi];
                decision.holdouts.push((h.id.clone(), inside));
                decision.impressions.push(Impression::Holdout {
                    holdout_id: h.id.clone(),
                    variation: if inside { 1 } else { 2 },
                    feature_id: feature.id.clone(),
                });
            }
            let matched: Vec<Id> = decision
                .holdouts
                .iter()
                .filter(|(_, inside)| *inside)
                .map(|(id, _)| id.clone())
                .collect();
            let not_matched: Vec<Value> = decision
                .holdouts
                .iter()
                .filter(|(_, inside)| !*inside)
                .map(|(id, _)| id_json(id))
                .collect();
            if !matched.is_empty() {
                self.store.set(
                    &feature.key,
                    &Record {
                        in_holdout: Some(matched.iter().map(id_json).collect()),
                        not_in_holdout: Some(not_matched),
                        ..Record::default()
                    },
                );
                decision.reason = FlagReason::InHoldout(matched);
                return decision;
            }
            not_in_holdout = not_matched;
            check_experiments = false;
            // Rollouts (§4.4): the first rule whose targeting passes decides by traffic alone.
            check_experiments |= feature.rollouts.is_empty();
            if !feature.rollouts.is_empty() {
                decision.reason = FlagReason::NoRolloutTargeted;
                for rule in feature.rollouts.iter().map(|&ri| &feature.rules[ri]) {
                    let step = |verdict| RuleStep {
                        rule_key: &rule.rule_key,
                        kind: RuleKind::Rollout,
                        verdict,
                    };
                    match self.evaluate_rule(fi, rule) {
                        RuleEval::Fail(verdict) => decision.steps.push(step(verdict)),
                        RuleEval::Pass(_) => {
                            self.rollout_passed.insert(fi);
                            match self.bucket(rule) {
                                Ok(variation) => {
                                    decision.steps.push(step(RuleVerdict::Assigned));
                                    let campaign = &settings.campaigns[rule.campaign];
                                    decision.enabled = true;
                                    decision.reason = FlagReason::Rollout;
                                    decision.rollout = Some(RuleVariation {
                                        rule,
                                        campaign,
                                        variation,
                                        whitelisted: false,
                                    });
                                    decision.impressions.push(Impression::Variation {
                                        campaign_id: campaign.id.clone(),
                                        variation_id: variation.id.clone(),
                                    });
                                    check_experiments = true;
                                }
                                Err(verdict) => {
                                    decision.steps.push(step(verdict));
                                    decision.reason = FlagReason::RolloutOutOfTraffic;
                                }
                            }
                            break;
                        }
                    }
                }
            }
        }
        // Experiments (§4.5): the first rule that passes targeting and MEG decides.
        if check_experiments {
            let experiments = feature
                .rules
                .iter()
                .filter(|r| settings.campaigns[r.campaign].kind != RuleKind::Rollout);
            for rule in experiments {
                let campaign = &settings.campaigns[rule.campaign];
                let step = |verdict| RuleStep {
                    rule_key: &rule.rule_key,
                    kind: campaign.kind,
                    verdict,
                };
                let (result, whitelisted) = match self.evaluate_rule(fi, rule) {
                    RuleEval::Fail(verdict) => {
                        decision.steps.push(step(verdict));
                        continue;
                    }
                    RuleEval::Pass(Some(v)) => (Ok(v), true),
                    RuleEval::Pass(None) => (self.bucket(rule), false),
                };
                match result {
                    Ok(variation) => {
                        decision.steps.push(step(if whitelisted {
                            RuleVerdict::Whitelisted
                        } else {
                            RuleVerdict::Assigned
                        }));
                        decision.enabled = true;
                        decision.reason = FlagReason::Experiment;
                        decision.experiment = Some(RuleVariation {
                            rule,
                            campaign,
                            variation,
                            whitelisted,
                        });
                        decision.impressions.push(Impression::Variation {
                            campaign_id: campaign.id.clone(),
                            variation_id: variation.id.clone(),
                        });
                    }
                    Err(verdict) => decision.steps.push(step(verdict)),
                }
                break;
            }
        }
        // Storage write (§4.9 step 1), for enabled and disabled results alike.
        let mut record = Record {
            not_in_holdout: Some(not_in_holdout),
            ..Record::default()
        };
        if decision.enabled && self.store.is_active() {
            if let Some(rv) = &decision.rollout {
                record.rollout = Some((
                    id_json(&rv.campaign.id),
                    rv.key(feature),
                    id_json(&rv.variation.id),
                ));
            }
            if let Some(rv) = &decision.experiment {
                record.experiment = Some((
                    id_json(&rv.campaign.id),
                    rv.key(feature),
                    id_json(&rv.variation.id),
                ));
            }
        }
        self.store.set(&feature.key, &record);
        // Impact campaign (§4.9 step 4).
        if let Some(id) = &feature.impact_campaign {
            decision.impressions.push(Impression::Impact {
                campaign_id: id.clone(),
                variation: if decision.enabled { 2 } else { 1 },
            });
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// A feature with a rollout (targeting `tier == gold`) and a testing rule without `percentTraffic`.
    const SETTINGS: &str = r#"{"version": 1, "accountId": 7, "sdkKey": "k",
        "features": [{"id": 1, "key": "f", "name": "F", "type": "FEATURE_FLAG", "status": "ON",
            "metrics": [{"id": 1, "type": "CUSTOM_GOAL", "identifier": "e"}],
            "impactCampaign": {"campaignId": 99},
            "rules": [{"type": "FLAG_ROLLOUT", "ruleKey": "r", "campaignId": 1, "variationId": 1},
                      {"type": "FLAG_TESTING", "ruleKey": "t", "campaignId": 2}]}],
        "campaigns": [
            {"id": 1, "type": "FLAG_ROLLOUT", "key": "f_r", "name": "r", "status": "RUNNING", "segments": {},
             "variations": [{"id": 1, "name": "on", "weight": 100,
                 "segments": {"or": [{"custom_variable": {"tier": "gold"}}]},
                 "variables": [{"id": 1, "key": "v", "type": "string", "value": "rollout"}]}]},
            {"id": 2, "type": "FLAG_TESTING", "key": "f_t", "name": "t", "status": "RUNNING", "segments": {},
             "variations": [{"id": 1, "name": "a", "weight": 50}, {"id": 2, "name": "b", "weight": 50}]}]}"#;

    #[test]
    fn testing_rule_without_percent_traffic_assigns_nobody() {
        // POLICY F4: the reference fails the whole call; libvwo reads the traffic as 0.
        let s = FmeSettings::from_json(SETTINGS).unwrap();
        let d = get_flag_json(
            &s,
            "f",
            &json!({"id": "u1", "custom_variables": {"tier": "gold"}}),
        );
        assert!(d.enabled);
        assert_eq!(d.reason, FlagReason::Rollout);
        assert_eq!(d.variables()[0].value, json!("rollout"));
        assert!(d.experiment.is_none());
        let verdicts: Vec<_> = d
            .steps
            .iter()
            .map(|s| (s.rule_key, s.verdict.clone()))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                ("r", RuleVerdict::Assigned),
                ("t", RuleVerdict::OutOfTraffic)
            ]
        );
        assert_eq!(
            d.impressions,
            vec![
                Impression::Variation {
                    campaign_id: Id::Int(1),
                    variation_id: Id::Int(1)
                },
                Impression::Impact {
                    campaign_id: Id::Int(99),
                    variation: 2
                },
            ]
        );
    }

    #[test]
    fn rollout_targeting_failing_skips_experiments() {
        let s = FmeSettings::from_json(SETTINGS).unwrap();
        let d = get_flag_json(&s, "f", &json!({"id": "u1"}));
        assert!(!d.enabled);
        assert_eq!(d.reason, FlagReason::NoRolloutTargeted);
        assert_eq!(d.steps.len(), 1);
        assert_eq!(
            d.impressions,
            vec![Impression::Impact {
                campaign_id: Id::Int(99),
                variation: 1
            }]
        );
    }

    #[test]
    fn web_uuids_are_recognised() {
        assert!(is_web_uuid("D0123456789ABCDEF0123456789abcdef"));
        assert!(!is_web_uuid("X0123456789ABCDEF0123456789abcdef"));
        assert!(!is_web_uuid("D0123"));
    }

    #[test]
    fn unusable_contexts_give_a_disabled_flag() {
        let s = FmeSettings::from_json(
            r#"{"version": 1, "accountId": 1, "sdkKey": "k", "features": [], "campaigns": []}"#,
        )
        .unwrap();
        for (ctx, why) in [
            (json!(null), ContextError::NotAnObject),
            (json!({}), ContextError::NotAnObject),
            (json!({"name": "x"}), ContextError::MissingId),
            (json!({"id": 5}), ContextError::IdNotAString),
        ] {
            let d = get_flag_json(&s, "f", &ctx);
            assert!(!d.enabled);
            assert_eq!(d.reason, FlagReason::InvalidContext(why));
        }
        let d = get_flag_json(&s, "f", &json!({"id": "u"}));
        assert_eq!(d.reason, FlagReason::FeatureNotFound);
    }
}
