//! The decision flow of spec §4 and §11 with vwo-python-sdk 1.68.2 semantics: whitelisting → user
//! storage → pre-segmentation and traffic → mutually exclusive groups → variation bucketing. It returns
//! the variation and the reason it was reached. It reads user storage but never writes it, never fires
//! hooks, never logs and never builds events: the client does those with the [`Decision`] it gets.

use crate::bucketing::{self, MAX_TRAFFIC_VALUE};
use crate::events::visitor_uuid_in;
use crate::settings::{allocation_ranges, Campaign, Group, Settings, Variation};
use crate::storage::{UserStorage, UserStorageRecord};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The API a decision is made for (it changes the user-storage rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `activate`
    Activate,
    /// `get_variation_name`
    GetVariationName,
    /// `track`
    Track,
    /// `is_feature_enabled`
    IsFeatureEnabled,
    /// `get_feature_variable_value`
    GetFeatureVariableValue,
}

impl Api {
    /// The API's name as vwo-python-sdk reports it (`source` of the integrations hook, logs).
    pub fn as_str(&self) -> &'static str {
        match self {
            Api::Activate => "activate",
            Api::GetVariationName => "get_variation_name",
            Api::Track => "track",
            Api::IsFeatureEnabled => "is_feature_enabled",
            Api::GetFeatureVariableValue => "get_feature_variable_value",
        }
    }
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The user matched a variation's whitelisting segment.
    Whitelisted,
    /// User storage held a variation of this campaign for the user.
    FromStorage,
    /// The user was bucketed into a variation.
    Bucketed,
    /// A user storage is configured, nothing is stored for the user, and this API does not activate.
    NotActivated,
    /// The campaign's pre-segmentation rejected the user.
    FailedPreSegmentation,
    /// The user is outside the campaign's traffic allocation.
    NotInTraffic,
    /// Another campaign of the user's mutually exclusive group whitelists the user.
    GroupOtherWhitelisted,
    /// Another campaign of the user's mutually exclusive group has a stored variation for the user.
    GroupOtherStored,
    /// Another campaign of the group won.
    GroupLost,
    /// The group's algorithm found no winner (advanced algorithm with no weight for the user's bucket, or
    /// an unknown algorithm).
    GroupNoWinner,
    /// The variation bucket value falls in no variation's range (weights below 100, or old bucketing
    /// beyond 10000).
    NoRangeMatched,
}

impl Reason {
    /// A short phrase for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Whitelisted => "whitelisted",
            Reason::FromStorage => "found in user storage",
            Reason::Bucketed => "bucketed",
            Reason::NotActivated => {
                "campaign not activated for the user (user storage holds no record)"
            }
            Reason::FailedPreSegmentation => "failed pre-segmentation",
            Reason::NotInTraffic => "not part of the campaign's traffic",
            Reason::GroupOtherWhitelisted => {
                "whitelisted in another campaign of its mutually exclusive group"
            }
            Reason::GroupOtherStored => {
                "stored in another campaign of its mutually exclusive group"
            }
            Reason::GroupLost => "another campaign of its mutually exclusive group won",
            Reason::GroupNoWinner => "its mutually exclusive group found no winner",
            Reason::NoRangeMatched => "bucket value matched no variation's range",
        }
    }
}

/// The outcome of a decision.
#[derive(Debug, Clone)]
pub struct Decision<'s> {
    /// The variation, if any.
    pub variation: Option<&'s Variation>,
    /// Why.
    pub reason: Reason,
    /// The record user storage returned for the user in this campaign (the user counts as "already
    /// tracked" when there is one, as in vwo-python-sdk).
    pub stored: Option<UserStorageRecord>,
    /// The mutually exclusive group the campaign belongs to, when the group was consulted.
    pub group: Option<&'s Group>,
    /// A user-storage failure met on the way (logged by the caller; the decision went on without it).
    pub storage_error: Option<String>,
}

/// The inputs of one decision.
pub struct Input<'s, 'a> {
    /// The settings snapshot.
    pub settings: &'s Settings,
    /// The campaign (already checked for status and type by the API).
    pub campaign: &'s Campaign,
    /// The user id (non-empty).
    pub user_id: &'a str,
    /// Custom variables for pre-segmentation.
    pub custom_variables: &'a Map<String, Value>,
    /// Variation-targeting variables for whitelisting.
    pub variation_targeting_variables: &'a Map<String, Value>,
    /// The API.
    pub api: Api,
    /// The user storage, if configured.
    pub storage: Option<&'a dyn UserStorage>,
}

/// Decides the variation of `input.user_id` in `input.campaign`.
pub fn decide<'s>(input: &Input<'s, '_>) -> Decision<'s> {
    let Input {
        settings,
        campaign,
        user_id,
        ..
    } = *input;
    let mut seed = String::with_capacity(user_id.len() + 24);
    let mut outcome = Decision {
        variation: None,
        reason: Reason::Bucketed,
        stored: None,
        group: None,
        storage_error: None,
    };

    if let Some(v) = whitelisted(input, campaign, &mut seed) {
        outcome.variation = Some(v);
        outcome.reason = Reason::Whitelisted;
        return outcome;
    }

    if let Some(storage) = input.storage {
        match storage.get(user_id, &campaign.key) {
            Ok(record) => outcome.stored = record,
            Err(e) => outcome.storage_error = Some(e),
        }
        if outcome.stored.is_none() && !matches!(input.api, Api::Activate | Api::IsFeatureEnabled) {
            outcome.reason = Reason::NotActivated;
            return outcome;
        }
        if let Some(record) = &outcome.stored {
            if record.campaign_key == campaign.key && !record.variation_name.is_empty() {
                if let Some(v) = campaign.variation_by_name(&record.variation_name) {
                    outcome.variation = Some(v);
                    outcome.reason = Reason::FromStorage;
                    return outcome;
                }
            }
        }
    }

    if !passes_pre_segmentation(campaign, input.custom_variables) {
        outcome.reason = Reason::FailedPreSegmentation;
        return outcome;
    }
    bucketing::traffic_seed(settings, campaign, user_id, &mut seed);
    let traffic_hash = bucketing::hash(&seed);
    if !bucketing::is_in_traffic(campaign, traffic_hash) {
        outcome.reason = Reason::NotInTraffic;
        return outcome;
    }

    if let Some(gi) = campaign.group {
        let group = &settings.groups[gi];
        outcome.group = Some(group);
        match group_winner(input, group, &mut seed, &mut outcome.storage_error) {
            Ok(winner) if std::ptr::eq(winner, campaign) => {}
            Ok(_) => {
                outcome.reason = Reason::GroupLost;
                return outcome;
            }
            Err(reason) => {
                outcome.reason = reason;
                return outcome;
            }
        }
    }

    let value =
        bucketing::variation_bucket_value(settings, campaign, user_id, traffic_hash, &mut seed);
    match bucketing::variation_for(&campaign.variations, value) {
        Some(v) => {
            outcome.variation = Some(v);
            outcome.reason = Reason::Bucketed;
        }
        None => outcome.reason = Reason::NoRangeMatched,
    }
    outcome
}

fn passes_pre_segmentation(campaign: &Campaign, custom_variables: &Map<String, Value>) -> bool {
    match &campaign.segments {
        None => true,
        Some(segment) => segment.evaluate(custom_variables, None),
    }
}

/// Whitelisting of spec §4.2 for `campaign` (the called one, or another member of its group).
fn whitelisted<'s>(
    input: &Input<'s, '_>,
    campaign: &'s Campaign,
    seed: &mut String,
) -> Option<&'s Variation> {
    if !campaign.is_forced_variation_enabled {
        return None;
    }
    // The `user` operand compares against `_vwo_user_id`, which Python always sets to the user id; with
    // hashed user lists (policy D1) it is the visitor UUID.
    let user_key: Cow<'_, str> = if campaign.is_user_list_enabled {
        Cow::Owned(visitor_uuid_in(
            &input.settings.visitor_namespace,
            input.user_id,
        ))
    } else {
        Cow::Borrowed(input.user_id)
    };
    let vt = input.variation_targeting_variables;
    let vt: Cow<'_, Map<String, Value>> = if vt.contains_key("_vwo_user_id") {
        let mut owned = vt.clone();
        owned.insert("_vwo_user_id".into(), Value::from(&*user_key));
        Cow::Owned(owned)
    } else {
        Cow::Borrowed(vt)
    };
    let mut matches: Vec<&'s Variation> = Vec::new();
    for v in &campaign.variations {
        if let Some(segment) = &v.segments {
            if segment.evaluate(&vt, Some(&user_key)) {
                matches.push(v);
            }
        }
    }
    match matches.len() {
        0 => None,
        1 => Some(matches[0]),
        n => {
            let total: f64 = matches.iter().map(|v| v.weight).sum();
            let weights = matches.iter().map(|v| {
                if total == 0.0 {
                    100.0 / n as f64
                } else {
                    (v.weight / total) * 100.0
                }
            });
            let ranges = allocation_ranges(weights);
            bucketing::traffic_seed(input.settings, campaign, input.user_id, seed);
            let value = bucketing::bucket_value(seed, MAX_TRAFFIC_VALUE, 1.0);
            let ranged: Vec<_> = matches.iter().zip(ranges).collect();
            bucketing::first_in_range(&ranged, value, |(_, range)| *range).map(|(v, _)| **v)
        }
    }
}

/// The winning campaign of the group (spec §4.4), or why there is none for the user.
fn group_winner<'s>(
    input: &Input<'s, '_>,
    group: &'s Group,
    seed: &mut String,
    storage_error: &mut Option<String>,
) -> Result<&'s Campaign, Reason> {
    let settings = input.settings;
    let called = input.campaign;
    let members = || {
        group
            .members
            .iter()
            .map(|&i| &settings.campaigns[i])
            .filter(|c| c.is_running())
    };
    for other in members().filter(|c| !std::ptr::eq(*c, called)) {
        if whitelisted(input, other, seed).is_some() {
            return Err(Reason::GroupOtherWhitelisted);
        }
    }
    if let Some(storage) = input.storage {
        for other in members().filter(|c| !std::ptr::eq(*c, called)) {
            match storage.get(input.user_id, &other.key) {
                Ok(Some(_)) => return Err(Reason::GroupOtherStored),
                Ok(None) => {}
                Err(e) => *storage_error = Some(e),
            }
        }
    }
    let mut eligible: Vec<&'s Campaign> = Vec::with_capacity(group.members.len());
    let mut called_seen = false;
    for member in members() {
        if std::ptr::eq(member, called) {
            called_seen = true;
            eligible.push(member);
            continue;
        }
        if passes_pre_segmentation(member, input.custom_variables) {
            bucketing::traffic_seed(settings, member, input.user_id, seed);
            if bucketing::is_in_traffic(member, bucketing::hash(seed)) {
                eligible.push(member);
            }
        }
    }
    if !called_seen {
        eligible.push(called);
    }
    if eligible.len() == 1 {
        return Ok(eligible[0]);
    }
    bucketing::scoped_seed(seed, &group.id, None, input.user_id);
    let value = bucketing::bucket_value(seed, MAX_TRAFFIC_VALUE, 1.0);
    let pick = |candidates: &[(&'s Campaign, f64)]| -> Option<&'s Campaign> {
        let ranges = allocation_ranges(candidates.iter().map(|(_, w)| *w));
        let ranged: Vec<_> = candidates.iter().zip(ranges).collect();
        bucketing::first_in_range(&ranged, value, |(_, range)| *range).map(|((c, _), _)| *c)
    };
    match group.et {
        1 => {
            let weight = 100.0 / eligible.len() as f64;
            let candidates: Vec<_> = eligible.iter().map(|c| (*c, weight)).collect();
            pick(&candidates).ok_or(Reason::GroupNoWinner)
        }
        2 => {
            for id in &group.priority {
                if let Some(c) = eligible.iter().find(|c| c.id == *id) {
                    return Ok(c);
                }
            }
            let candidates: Vec<_> = eligible
                .iter()
                .filter_map(|c| {
                    let key = c.id.to_string();
                    group
                        .weights
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, w)| (*c, *w))
                })
                .collect();
            pick(&candidates).ok_or(Reason::GroupNoWinner)
        }
        _ => Err(Reason::GroupNoWinner),
    }
}
