//! VWO FME (Feature Management and Experimentation, the "v2" generation), exact to
//! vwo-fme-python-sdk 1.65.0 (`POLICY.md` §4): the v2 settings and the `get_flag` decision.
//!
//! **Not a public API yet.** The module is hidden from the documentation and may change without notice
//! until events, the storage connector, the client and the C ABI exist (issue 15); nothing here sends,
//! stores or logs anything.
//!
//! What this generation shares with v1 is not copied here: murmur3 bucketing and the seed shapes
//! (`crate::bucketing`), the range formula (`crate::settings::allocation_ranges_in`), the segmentation
//! tree compiled in its FME dialect (`crate::segmentation`), the lenient settings readers and the
//! path-naming parser (`crate::settings::wire`), visitor UUIDs (`crate::events::wire`). What only FME
//! has lives in this room: its settings schema (`settings`) and its decision flow (`decision`).

pub mod client;
pub mod decision;
pub mod events;
pub mod settings;
pub mod storage;

pub use client::{get_uuid, DecisionSource, Entry, Flag, FmeClient, FmeOptions, RuleInfo};
pub use decision::{
    get_flag, get_flag_json, ContextError, FlagContext, FlagDecision, FlagReason, Impression,
    RuleStep, RuleVariation, RuleVerdict,
};
pub use settings::{Feature, FmeSettings, RuleKind};
pub use storage::{FlagStorage, StoredFlag};

/// Compiles `dsl` as an FME segment and evaluates it against `variables` with an empty request
/// context, as the reference's segmentation evaluator does when handed a DSL directly (the official
/// `segmentation-evaluator` vectors). A DSL that does not compile, or an empty one, is false.
pub fn evaluate_segment_dsl(
    dsl: &serde_json::Value,
    variables: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    use crate::segmentation::{Dialect, FmeContext, Segment};
    let feature_state = |_: &str| None;
    let ctx = FmeContext {
        user_agent: None,
        ip_address: None,
        gateway_data: None,
        web_testing_campaigns: None,
        feature_state: &feature_state,
    };
    match Segment::compile_as(dsl, "segments", Dialect::Fme) {
        Ok(Some(segment)) => {
            segment.evaluate_fme(crate::segmentation::Variables::of(variables), &ctx)
        }
        Ok(None) | Err(_) => false,
    }
}
