//! The settings file: validation of the wire JSON with JSON-path messages, and the compiled, immutable
//! [`Settings`] the decisions read (campaigns indexed by key, variation ranges computed, segments compiled,
//! groups resolved). Nothing here does I/O or decides anything.

mod id;
mod parse;
pub(crate) mod wire;

pub use id::Id;

use crate::segmentation::Segment;
use crate::Error;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::Arc;

/// The kind of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignType {
    /// An A/B test (`VISUAL_AB`).
    VisualAb,
    /// A feature test (`FEATURE_TEST`).
    FeatureTest,
    /// A feature rollout (`FEATURE_ROLLOUT`).
    FeatureRollout,
    /// Any other type string: no API accepts such a campaign.
    Other,
}

impl CampaignType {
    /// The wire name of the type.
    pub fn as_str(&self) -> &'static str {
        match self {
            CampaignType::VisualAb => "VISUAL_AB",
            CampaignType::FeatureTest => "FEATURE_TEST",
            CampaignType::FeatureRollout => "FEATURE_ROLLOUT",
            CampaignType::Other => "UNKNOWN",
        }
    }
}

/// The type of a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalType {
    /// `CUSTOM_GOAL`.
    Custom,
    /// `REVENUE_TRACKING`.
    Revenue,
    /// Any other type string (matched only by `goal_type_to_track = ALL`).
    Other,
}

/// A variation of a campaign, with its allocation range.
#[derive(Debug, Clone)]
pub struct Variation {
    /// Id (`combination` on the wire); the control variation has id 1.
    pub id: Id,
    /// Name, the value the APIs return.
    pub name: Arc<str>,
    /// Weight in percent, as given.
    pub weight: f64,
    /// First bucket value (1-based) of the range, or -1 when the weight is 0.
    pub range_start: i64,
    /// Last bucket value of the range, or -1.
    pub range_end: i64,
    /// Whitelisting segment; `None` when the variation is not whitelistable.
    pub segments: Option<Segment>,
    /// Feature flag of a FEATURE_TEST variation.
    pub is_feature_enabled: bool,
    /// Variables of a FEATURE_TEST variation.
    pub variables: Vec<Variable>,
}

/// A goal of a campaign.
#[derive(Debug, Clone)]
pub struct Goal {
    /// Id (`goal_id` on the wire).
    pub id: Id,
    /// Identifier used by `track`.
    pub identifier: String,
    /// Goal type.
    pub kind: GoalType,
    /// Event-architecture revenue property name.
    pub revenue_prop: Option<String>,
    /// "Metric calculation": -1 counts every conversion.
    pub mca: Option<f64>,
    /// The goal has property conditions (Python lets such goals convert repeatedly).
    pub has_props: bool,
}

/// A feature variable.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Variable key.
    pub key: String,
    /// Declared type: `string`, `integer`, `double`, `boolean`, `json` (or anything the file says).
    pub kind: String,
    /// The value as given.
    pub value: Value,
}

/// A campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Id (`experiment_id` on the wire).
    pub id: Id,
    /// The key the APIs look campaigns up by.
    pub key: String,
    /// Name (hooks only).
    pub name: Option<String>,
    /// Status as given; only `RUNNING` is active.
    pub status: String,
    /// Type.
    pub kind: CampaignType,
    /// Traffic allocation in percent.
    pub percent_traffic: f64,
    /// Variations in file order, with ranges computed.
    pub variations: Vec<Variation>,
    /// Goals.
    pub goals: Vec<Goal>,
    /// Variables (FEATURE_ROLLOUT).
    pub variables: Vec<Variable>,
    /// Pre-segmentation; `None` = everyone passes.
    pub segments: Option<Segment>,
    /// Whitelisting enabled.
    pub is_forced_variation_enabled: bool,
    /// Traffic seed is `"<campaignId>_<userId>"`.
    pub is_bucketing_seed_enabled: bool,
    /// Whitelisting `user` operands hold visitor UUIDs (policy D1).
    pub is_user_list_enabled: bool,
    /// Multi-armed bandit: needs user storage.
    pub is_mab: bool,
    /// The key `isOB` is present (Python tests presence, not truth).
    pub has_is_ob: bool,
    /// `isOBv2` is true.
    pub is_obv2: bool,
    /// Index into [`Settings::groups`] when the campaign belongs to a mutually exclusive group.
    pub group: Option<usize>,
    /// `(10000 / percentTraffic) / 100`, the old-bucketing multiplier, in that operation order.
    pub multiplier: f64,
}

impl Campaign {
    /// Whether the status is exactly `RUNNING`.
    pub fn is_running(&self) -> bool {
        self.status == "RUNNING"
    }

    /// The variation with this name.
    pub fn variation_by_name(&self, name: &str) -> Option<&Variation> {
        self.variations.iter().find(|v| &*v.name == name)
    }

    /// The goal with this identifier (first in file order).
    pub fn goal(&self, identifier: &str) -> Option<&Goal> {
        self.goals.iter().find(|g| g.identifier == identifier)
    }
}

/// A mutually exclusive group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Group id (the key in `groups`).
    pub id: Id,
    /// Name.
    pub name: Option<String>,
    /// Member campaigns as indexes into [`Settings::campaigns`], in the group's order.
    pub members: Vec<usize>,
    /// Algorithm: 1 = equal split, 2 = advanced (priority, then weights). Other values make decisions fail.
    pub et: i64,
    /// Priority campaign ids (advanced).
    pub priority: Vec<Id>,
    /// Traffic weights by campaign id text (advanced), in file order.
    pub weights: Vec<(String, f64)>,
}

/// A compiled, immutable settings file.
#[derive(Debug)]
pub struct Settings {
    /// Account id as given (number or string).
    pub account_id: Value,
    /// Account id rendered as text.
    pub account_id_text: String,
    /// Namespace of the visitor UUIDs of this account (spec §7.1).
    pub visitor_namespace: uuid::Uuid,
    /// SDK key (the environment key); optional, as in vwo-python-sdk's schema.
    pub sdk_key: Option<String>,
    /// Campaigns in file order.
    pub campaigns: Vec<Campaign>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Event architecture (`/events/t`).
    pub is_event_arch_enabled: bool,
    /// Data-residency prefix for event URLs.
    pub collection_prefix: Option<String>,
    /// New bucketing.
    pub is_nb: bool,
    /// New bucketing v2.
    pub is_nbv2: bool,
    /// The JSON text this was compiled from.
    pub source: String,
    /// Campaign index by key. FxHash: keys come from the settings and the host's code, and a lookup
    /// is on every decision's path (SipHash cost ~10 % of a decision).
    by_key: FxHashMap<String, usize>,
}

impl Settings {
    /// Parses and compiles a settings JSON text. Errors name the JSON path and the problem.
    pub fn from_json(text: &str) -> Result<Settings, Error> {
        let mut settings = parse::compile(text)?;
        settings.source = text.to_string();
        Ok(settings)
    }

    /// The campaign with this key (the first one in file order, as the official SDKs do).
    pub fn campaign(&self, key: &str) -> Option<&Campaign> {
        self.by_key.get(key).map(|&i| &self.campaigns[i])
    }

    /// The index of the campaign with this key.
    pub fn campaign_index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }
}

/// One step of the allocation-range computation of spec §3.4: `min(ceil(weight·100), 10000)`, 0 for a
/// zero weight. The multiply is a plain f64 multiply on purpose (`1.1 → 111`).
pub(crate) fn range_step(weight: f64) -> i64 {
    if weight == 0.0 || weight.is_nan() {
        return 0;
    }
    let step = (weight * 100.0).ceil();
    if step >= 10000.0 {
        10000
    } else {
        step as i64
    }
}

/// Where a range starts relative to the running total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeForm {
    /// Variations (both generations) and v1 group winners: `start = cur + 1`.
    Disjoint,
    /// FME MEG candidates (`FME_SPEC.md` §3.3): `start = cur`, so neighbours share their boundary value
    /// and the earlier one wins it.
    SharedBoundary,
}

/// Computes cumulative ranges over weights in order: `(start, end)` per weight, `(-1, -1)` for a zero step.
pub(crate) fn allocation_ranges(weights: impl Iterator<Item = f64>) -> Vec<(i64, i64)> {
    allocation_ranges_in(weights, RangeForm::Disjoint)
}

/// [`allocation_ranges`] in either form.
pub(crate) fn allocation_ranges_in(
    weights: impl Iterator<Item = f64>,
    form: RangeForm,
) -> Vec<(i64, i64)> {
    let mut current = 0i64;
    weights
        .map(|w| {
            let step = range_step(w);
            if step > 0 {
                let start = match form {
                    RangeForm::Disjoint => current + 1,
                    RangeForm::SharedBoundary => current,
                };
                let range = (start, current + step);
                current += step;
                range
            } else {
                (-1, -1)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_steps_reproduce_float_artefacts() {
        assert_eq!(range_step(0.07), 8);
        assert_eq!(range_step(1.1), 111);
        assert_eq!(range_step(2.3), 230);
        assert_eq!(range_step(33.3333), 3334);
        assert_eq!(range_step(33.3334), 3334);
        assert_eq!(range_step(33.33), 3333);
        assert_eq!(range_step(0.0), 0);
        assert_eq!(range_step(150.0), 10000);
    }

    #[test]
    fn ranges_are_cumulative_and_not_normalised() {
        let r = allocation_ranges([33.3333, 33.3333, 33.3334].into_iter());
        assert_eq!(r, vec![(1, 3334), (3335, 6668), (6669, 10002)]);
        let r = allocation_ranges([0.0, 50.0, 50.0].into_iter());
        assert_eq!(r, vec![(-1, -1), (1, 5000), (5001, 10000)]);
        let r = allocation_ranges_in([50.0, 0.0, 50.0].into_iter(), RangeForm::SharedBoundary);
        assert_eq!(r, vec![(0, 5000), (-1, -1), (5000, 10000)]);
    }
}
