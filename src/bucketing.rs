//! Bucketing, pure: MurmurHash3 x86_32 (seed 1) over the UTF-8 seed string → bucket value → range lookup
//! (spec §3). No I/O, no allocation beyond the seed string the caller builds.

use crate::settings::{Campaign, Settings, Variation};
use std::fmt::Write as _;

/// Bucket upper bound for the traffic check.
pub const MAX_TRAFFIC_PERCENT: f64 = 100.0;
/// Bucket upper bound for variations, whitelisting and group winners.
pub const MAX_TRAFFIC_VALUE: f64 = 10000.0;
const SEED: u32 = 1;

/// MurmurHash3 x86_32 of the UTF-8 bytes of `seed` with seed 1.
pub fn hash(seed: &str) -> u32 {
    let mut bytes = seed.as_bytes();
    // Reading from a byte slice cannot fail; 0 would only be reached on an I/O error that cannot occur.
    murmur3::murmur3_32(&mut bytes, SEED).unwrap_or(0)
}

/// `floor((max · hash/2^32 + 1) · multiplier)` in f64, in exactly this operation order (spec §3.2).
pub fn bucket_value_of_hash(hash: u32, max: f64, multiplier: f64) -> i64 {
    let ratio = f64::from(hash) / 4294967296.0;
    ((max * ratio + 1.0) * multiplier).floor() as i64
}

/// The bucket value of a seed string.
pub fn bucket_value(seed: &str, max: f64, multiplier: f64) -> i64 {
    bucket_value_of_hash(hash(seed), max, multiplier)
}

/// Writes the seed string `"<scope>_<user>"`, or `"<scope>_<middle>_<user>"` when `middle` is given, into
/// `out`. Every scoped seed of both generations has this shape: v1 `"<campaignId>_<userId>"` and
/// `"<campaignId>_<accountId>_<userId>"`; FME `"<salt|campaignId>_<seed>"`,
/// `"<salt|campaignId>_<accountId>_<seed>"`, `"<groupId>_<seed>"` and `"<accountId>_<holdoutId>_<userId>"`.
pub fn scoped_seed(
    out: &mut String,
    scope: &dyn std::fmt::Display,
    middle: Option<&dyn std::fmt::Display>,
    user: &str,
) {
    out.clear();
    let _ = match middle {
        Some(m) => write!(out, "{scope}_{m}_{user}"),
        None => write!(out, "{scope}_{user}"),
    };
}

/// Writes the traffic seed (`"<campaignId>_<userId>"` under `isNB` or `isBucketingSeedEnabled`, else the
/// user id) into `out`.
pub fn traffic_seed(settings: &Settings, campaign: &Campaign, user_id: &str, out: &mut String) {
    if settings.is_nb || campaign.is_bucketing_seed_enabled {
        scoped_seed(out, &campaign.id, None, user_id);
    } else {
        out.clear();
        out.push_str(user_id);
    }
}

/// Whether a traffic bucket value (1..100) is within `percent`: `value != 0 && value ≤ percent`.
pub fn is_within_percent(value: i64, percent: f64) -> bool {
    value != 0 && (value as f64) <= percent
}

/// Whether the user falls within the campaign's traffic: `1 ≤ bucket(seed, 100) ≤ percentTraffic`.
pub fn is_in_traffic(campaign: &Campaign, traffic_hash: u32) -> bool {
    let value = bucket_value_of_hash(traffic_hash, MAX_TRAFFIC_PERCENT, 1.0);
    is_within_percent(value, campaign.percent_traffic)
}

/// Which variation-bucketing rule of spec §3.6 applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Traffic seed, multiplier `(10000/pt)/100`.
    Old,
    /// Plain user id, multiplier 1.
    New,
    /// `"<campaignId>_<accountId>_<userId>"`, multiplier 1.
    NewV2,
}

/// The rule of spec §3.6 for this campaign.
pub fn algorithm(settings: &Settings, campaign: &Campaign) -> Algorithm {
    let (nb, nbv2) = (settings.is_nb, settings.is_nbv2);
    if (!nb && !nbv2) || (nb && campaign.has_is_ob) {
        Algorithm::Old
    } else if (nb && !campaign.has_is_ob && !nbv2) || (nbv2 && campaign.is_obv2) {
        Algorithm::New
    } else {
        Algorithm::NewV2
    }
}

/// The variation bucket value of a user in a campaign (spec §3.5/§3.6). `traffic_hash` is the hash of
/// the traffic seed, reused by the "old" rule.
pub fn variation_bucket_value(
    settings: &Settings,
    campaign: &Campaign,
    user_id: &str,
    traffic_hash: u32,
    scratch: &mut String,
) -> i64 {
    match algorithm(settings, campaign) {
        Algorithm::Old => {
            bucket_value_of_hash(traffic_hash, MAX_TRAFFIC_VALUE, campaign.multiplier)
        }
        Algorithm::New => bucket_value(user_id, MAX_TRAFFIC_VALUE, 1.0),
        Algorithm::NewV2 => {
            scoped_seed(
                scratch,
                &campaign.id,
                Some(&settings.account_id_text),
                user_id,
            );
            bucket_value(scratch, MAX_TRAFFIC_VALUE, 1.0)
        }
    }
}

/// The first variation (file order) whose range holds `value`.
pub fn variation_for(variations: &[Variation], value: i64) -> Option<&Variation> {
    first_in_range(variations, value, |v| (v.range_start, v.range_end))
}

/// The first item (in order) whose `(start, end)` range holds `value`; `(-1, -1)` holds nothing.
pub fn first_in_range<T>(items: &[T], value: i64, range: impl Fn(&T) -> (i64, i64)) -> Option<&T> {
    items.iter().find(|item| {
        let (start, end) = range(item);
        start >= 0 && start <= value && value <= end
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_hash_table() {
        for (s, h, b100, b10000) in [
            ("Ashley", 2141232222u32, 50, 4986),
            ("Bill", 1021354666, 24, 2379),
            ("Bob", 2033809345, 48, 4736),
            ("Chris", 3987558841, 93, 9285),
            ("John", 92429675, 3, 216),
            ("someone@mail.com", 2731666319, 64, 6361),
            ("10_Ashley", 176936856, 5, 412),
            ("7_u224", 4265199979, 100, 9931),
            ("231_888888_Ashley", 784172959, 19, 1826),
            ("ünïcødé-用户", 3195047865, 75, 7440),
        ] {
            assert_eq!(hash(s), h, "{s}");
            assert_eq!(bucket_value(s, 100.0, 1.0), b100, "{s}");
            assert_eq!(bucket_value(s, 10000.0, 1.0), b10000, "{s}");
        }
    }

    #[test]
    fn old_bucketing_can_exceed_10000() {
        // Spec §3.5 example D: user x4243, 50 % traffic.
        let h = hash("x4243");
        assert_eq!(h, 2147421751);
        assert_eq!(bucket_value_of_hash(h, 100.0, 1.0), 50);
        assert_eq!(
            bucket_value_of_hash(h, 10000.0, (10000.0 / 50.0) / 100.0),
            10001
        );
    }
}
