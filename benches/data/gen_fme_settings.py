#!/usr/bin/env python3
"""Writes the FME settings of the FW1 benchmark (docs/PERFORMANCE.md, "FME"):

    python3 benches/data/gen_fme_settings.py            # writes fme_settings_50.json and fme_settings_500.json

Deterministic (no randomness): the same files every run. The settings are made up for the benchmark; no
data of an official SDK is in them.

Each feature `fw1_f<NNN>` (id n+1) has three rules, in this order:

* a FLAG_ROLLOUT rule (campaign `<feature>_rollout`) whose `variations[0].segments` is one of
  ROLLOUT_SEGMENTS (on the W1 profile variables of `shared/bench/workload_spec.md`), rollout traffic
  100/90/75 %;
* two FLAG_TESTING rules (`<feature>_test1`, `<feature>_test2`) of three variations each (weights 34/33/33,
  or 50/25/25 on every third feature), traffic 100/80/60 %, campaign segments from TEST_SEGMENTS (`{}` on
  some); test2 of every fifth feature also whitelists `qa_user_3` and `qa_user_7` into variation 3.

The features come in blocks of 50. In each block two mutually exclusive groups span testing rules:
group A (random, `et` 1) the test1 rules of the block's features 0-3; group B (advanced, `et` 2, a
priority list naming one campaign and weights for the others) the test2 rules of features 4-7. So
fme_settings_50.json has exactly two groups, and fme_settings_500.json is ten such blocks (twenty
groups): every feature does the same kind of work in both files, and only the number of features
differs (the benchmark's "cost flat in the number of features").
"""
import json
import os
import sys

ACCOUNT_ID = 606060
SDK_KEY = "fw1bench00000000000000000000sdkk"

# Segments over the W1 profile variables: browser, country, plan, email, url, age, tier, isLoggedIn, price.
ROLLOUT_SEGMENTS = [
    {"or": [{"custom_variable": {"country": "US"}}, {"custom_variable": {"plan": "lower(premium)"}}]},
    {"custom_variable": {"age": "gte(25)"}},
    {"not": {"custom_variable": {"browser": "Googlebot"}}},
    {"and": [{"custom_variable": {"tier": "gt(1)"}}, {"custom_variable": {"price": "lt(100)"}}]},
    {"custom_variable": {"url": "wildcard(https://shop.example.com/*)"}},
    {"or": [{"custom_variable": {"email": "regex(.*@gmail\\.com$)"}},
            {"custom_variable": {"browser": "wildcard(*hrome*)"}}]},
    {"and": [{"not": {"custom_variable": {"country": "CN"}}}, {"custom_variable": {"age": "lt(60)"}}]},
    {"or": [{"custom_variable": {"plan": "enterprise"}}, {"custom_variable": {"tier": "gte(2)"}},
            {"custom_variable": {"country": "UK"}}]},
]
TEST_SEGMENTS = [
    {},
    {"custom_variable": {"browser": "lower(firefox)"}},
    {"or": [{"custom_variable": {"tier": "gte(2)"}}, {"custom_variable": {"country": "IN"}}]},
    {"not": {"custom_variable": {"plan": "free"}}},
    {},
    {"and": [{"custom_variable": {"age": "gt(20)"}}, {"custom_variable": {"price": "gte(5)"}}]},
]
ROLLOUT_TRAFFIC = [100, 90, 75]
TEST_TRAFFIC = [100, 80, 60]
BLOCK = 50


def variables(feature, label, n):
    return [
        {"id": 1, "key": "enabled_ui", "type": "boolean", "value": n % 2 == 1},
        {"id": 2, "key": "label", "type": "string", "value": "%s_%s" % (feature, label)},
        {"id": 3, "key": "limit", "type": "integer", "value": 10 * n},
    ]


def generate(n_features):
    features, campaigns = [], []
    groups, campaign_groups = {}, {}
    for f in range(n_features):
        key = "fw1_f%03d" % f
        base = 3 * f
        rollout_id, t1_id, t2_id = base + 1, base + 2, base + 3
        features.append({
            "id": f + 1,
            "key": key,
            "name": key.upper(),
            "type": "FEATURE_FLAG",
            "status": "ON",
            "metrics": [{"id": 1, "type": "CUSTOM_GOAL", "identifier": "%s_goal" % key, "mca": -1}],
            "rules": [
                {"type": "FLAG_ROLLOUT", "ruleKey": "rollout", "campaignId": rollout_id, "variationId": 1},
                {"type": "FLAG_TESTING", "ruleKey": "test1", "campaignId": t1_id},
                {"type": "FLAG_TESTING", "ruleKey": "test2", "campaignId": t2_id},
            ],
            "impactCampaign": {},
            "variables": variables(key, "default", 0),
        })
        campaigns.append({
            "id": rollout_id,
            "key": "%s_rollout" % key,
            "name": "%s_rollout" % key,
            "type": "FLAG_ROLLOUT",
            "status": "RUNNING",
            "percentTraffic": 100,
            "segments": {},
            "isForcedVariationEnabled": False,
            "variations": [{
                "id": 1,
                "name": "Rollout-rollout",
                "weight": ROLLOUT_TRAFFIC[f % len(ROLLOUT_TRAFFIC)],
                "segments": ROLLOUT_SEGMENTS[f % len(ROLLOUT_SEGMENTS)],
                "variables": variables(key, "rollout", 1),
            }],
        })
        weights = [50, 25, 25] if f % 3 == 2 else [34, 33, 33]
        for t, cid in ((1, t1_id), (2, t2_id)):
            whitelist = t == 2 and f % 5 == 0
            variations = []
            for v in range(3):
                var = {
                    "id": v + 1,
                    "name": "Default" if v == 0 else "Variation-%d" % v,
                    "weight": weights[v],
                    "variables": variables(key, "test%d_v%d" % (t, v + 1), v + 2),
                }
                if whitelist:
                    var["segments"] = {"user": "qa_user_3,qa_user_7"} if v == 2 else {}
                variations.append(var)
            campaigns.append({
                "id": cid,
                "key": "%s_test%d" % (key, t),
                "name": "%s_test%d" % (key, t),
                "type": "FLAG_TESTING",
                "status": "RUNNING",
                "percentTraffic": TEST_TRAFFIC[(f + t) % len(TEST_TRAFFIC)],
                "segments": TEST_SEGMENTS[(f + 2 * t) % len(TEST_SEGMENTS)],
                "isForcedVariationEnabled": whitelist,
                "isUserListEnabled": False,
                "variations": variations,
            })
    for b in range(0, n_features // BLOCK):
        first = b * BLOCK
        ga, gb = str(2 * b + 1), str(2 * b + 2)
        a = [str(3 * (first + i) + 2) for i in range(4)]          # test1 of features 0-3
        bb = [str(3 * (first + i) + 3) for i in range(4, 8)]      # test2 of features 4-7
        groups[ga] = {"name": "fw1 group %s (random)" % ga, "campaigns": a, "et": 1}
        groups[gb] = {
            "name": "fw1 group %s (advanced)" % gb,
            "campaigns": bb,
            "et": 2,
            "p": [bb[2]],
            "wt": {bb[0]: 40, bb[1]: 35, bb[3]: 25},
        }
        for c in a:
            campaign_groups[c] = int(ga)
        for c in bb:
            campaign_groups[c] = int(gb)
    return {
        "version": 1,
        "accountId": ACCOUNT_ID,
        "sdkKey": SDK_KEY,
        "features": features,
        "campaigns": campaigns,
        "groups": groups,
        "campaignGroups": campaign_groups,
        "holdouts": [],
        "pollInterval": 600000,
        "sdkMetaInfo": {"wasInitializedEarlier": True},
    }


def main(argv):
    out = os.path.dirname(os.path.abspath(__file__))
    for n in (50, 500):
        path = os.path.join(out, "fme_settings_%d.json" % n)
        with open(path, "w") as f:
            json.dump(generate(n), f, indent=None, separators=(",", ":"))
            f.write("\n")
        print("wrote %s (%d features)" % (path, n))


if __name__ == "__main__":
    main(sys.argv[1:])
