#!/usr/bin/env python3
"""Generates libvwo's own FME oracle runs (tests/vectors/fme/extra/*.json) where the shared corpus is
thin: holdouts with storage (stored holdout, stored experiment and stored rollout paths, holdouts added
later by updateSettings), bucketing seeds, web UUIDs and useIdForWeb, postSegmentationVariables, the
wingify entry, development mode, the usage-stats event.

    python3 -m venv /tmp/oracle-fme-venv && /tmp/oracle-fme-venv/bin/pip install -r ORACLE/requirements.txt
    /tmp/oracle-fme-venv/bin/python tests/vectors/fme/gen_extra.py [ORACLE_DIR]

ORACLE_DIR defaults to ../shared/oracle-fme (the official vwo-fme-python-sdk 1.65.0 driven by
oracle_fme.py). The output is deterministic (frozen clock, randomness and uuid4; seeded streams)."""
import copy
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ORACLE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "oracle-fme")
OUT = os.path.join(HERE, "extra")


def variables(tag, n):
    return [{"id": 1, "key": "int", "type": "integer", "value": n},
            {"id": 2, "key": "string", "type": "string", "value": f"{tag}_{n}"},
            {"id": 3, "key": "json", "type": "json", "value": {"tag": tag, "n": n}}]


def feature(fid, key, rules, metrics, impact=None, debugger=False):
    f = {"id": fid, "key": key, "name": key.title(), "type": "FEATURE_FLAG", "status": "ON",
         "metrics": [{"id": 1, "type": "CUSTOM_GOAL", "identifier": m} for m in metrics], "rules": rules}
    if impact:
        f["impactCampaign"] = {"campaignId": impact, "type": "IMPACT_ANALYSIS"}
    if debugger:
        f["isDebuggerEnabled"] = True
    return f


def rollout(cid, key, weight, segments=None, salt=None):
    v = {"id": 1, "name": "Rollout-rule-1", "weight": weight, "segments": segments or {},
         "variables": variables(key, 1)}
    if salt:
        v["salt"] = salt
    return {"id": cid, "key": key, "name": key, "type": "FLAG_ROLLOUT", "status": "RUNNING",
            "segments": {}, "variations": [v]}


def testing(cid, key, traffic, weights, segments=None, whitelist=None, user_list=False):
    vs = []
    for i, w in enumerate(weights, start=1):
        v = {"id": i, "name": "Default" if i == 1 else f"Variation-{i - 1}", "weight": w,
             "segments": {}, "variables": variables(key, i)}
        if whitelist and i in whitelist:
            v["segments"] = whitelist[i]
        vs.append(v)
    c = {"id": cid, "key": key, "name": key, "type": "FLAG_TESTING", "status": "RUNNING",
         "percentTraffic": traffic, "segments": segments or {}, "variations": vs}
    if whitelist:
        c["isForcedVariationEnabled"] = True
    if user_list:
        c["isUserListEnabled"] = True
    return c


def holdout(hid, name, traffic, feature_ids=None, is_global=False, segments=None, metrics=()):
    return {"id": hid, "name": name, "percentTraffic": traffic, "isGlobal": is_global,
            "featureIds": feature_ids or [], "segments": segments or {},
            "metrics": [{"id": 9, "type": "CUSTOM_GOAL", "identifier": m} for m in metrics]}


BASE = {"version": 1, "accountId": 606060, "sdkKey": "0000_extra_sdk_key_0000", "pollInterval": 600000,
        "collectionPrefix": "", "isWebConnectivityEnabled": True}


def holdout_settings(with_holdouts):
    s = copy.deepcopy(BASE)
    s["features"] = [
        feature(1, "held", [{"type": "FLAG_ROLLOUT", "ruleKey": "rolloutRule1", "campaignId": 1, "variationId": 1},
                            {"type": "FLAG_TESTING", "ruleKey": "testingRule1", "campaignId": 2}],
                ["held_goal"], impact=9100),
        feature(2, "open", [{"type": "FLAG_ROLLOUT", "ruleKey": "rolloutRule1", "campaignId": 3, "variationId": 1},
                            {"type": "FLAG_TESTING", "ruleKey": "testingRule1", "campaignId": 4}],
                ["open_goal"], debugger=True),
        feature(3, "seeded", [{"type": "FLAG_TESTING", "ruleKey": "testingRule1", "campaignId": 5}], ["seed_goal"]),
    ]
    s["campaigns"] = [
        rollout(1, "held_rolloutRule1", 100),
        testing(2, "held_testingRule1", 100, [34, 33, 33]),
        rollout(3, "open_rolloutRule1", 80, segments={"or": [{"custom_variable": {"tier": "regex(gold|silver)"}}]}),
        testing(4, "open_testingRule1", 60, [50, 50],
                whitelist={2: {"or": [{"custom_variable": {"qa": "yes"}}]}}, user_list=True),
        testing(5, "seeded_testingRule1", 100, [25, 25, 25, 25]),
    ]
    if with_holdouts:
        s["holdouts"] = [
            holdout(701, "Global 20", 20, is_global=True, metrics=["holdout_goal"]),
            holdout(702, "Held 50 gold", 50, feature_ids=[1],
                    segments={"or": [{"custom_variable": {"tier": "gold"}}]}),
        ]
    s["isMAU"] = True
    return s


def later_holdout_settings():
    s = holdout_settings(True)
    s["holdouts"].append(holdout(703, "Open 30", 30, feature_ids=[2]))
    return s


def users(rng, n):
    pool = [f"u{i}" for i in range(n)]
    pool += ["D" + "0123456789ABCDEF" * 2, "J" + "abcdef0123456789" * 2, "Dnot-a-web-uuid", "  spaced  "]
    return pool


def context(rng, user):
    c = {"id": user}
    r = rng.random()
    if r < 0.5:
        c["customVariables"] = {"tier": rng.choice(["gold", "silver", "bronze"]),
                                "qa": rng.choice(["yes", "no"])}
    if rng.random() < 0.2:
        c["bucketingSeed"] = rng.choice(["seed-A", "seed-B", "  ", ""])
    if rng.random() < 0.15:
        c["postSegmentationVariables"] = ["tier", "missing"]
        c.setdefault("customVariables", {"tier": "gold"})
    if rng.random() < 0.1:
        c["useIdForWeb"] = True
    if rng.random() < 0.2:
        c["ipAddress"] = rng.choice(["203.0.113.9", ""])
        c["userAgent"] = rng.choice(["curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)"])
    if rng.random() < 0.1:
        c["sessionId"] = rng.choice([0, 1234567890])
    return c


def stream(rng, n, pool, features, events, update_at=None, update_settings=None):
    reqs = []
    for i in range(n):
        if update_at is not None and i == update_at:
            reqs.append({"api": "updateSettings", "settings": update_settings})
        user = rng.choice(pool)
        r = rng.random()
        if r < 0.75:
            reqs.append({"api": "getFlag", "featureKey": rng.choice(features), "context": context(rng, user)})
        elif r < 0.92:
            reqs.append({"api": "trackEvent", "eventName": rng.choice(events), "context": context(rng, user),
                         "eventProperties": {"amount": rng.choice([1, 2.5, "x"])}})
        else:
            reqs.append({"api": "setAttribute", "attributes": {"plan": rng.choice(["a", "b"]), "n": i},
                         "context": context(rng, user)})
    return reqs


def runs():
    rng = random.Random(20261203)
    pool = users(rng, 40)
    feats = ["held", "open", "seeded", "unknown"]
    events = ["held_goal", "open_goal", "holdout_goal", "seed_goal", "nope"]
    yield {"id": "x__holdouts_storage", "settings": holdout_settings(True),
           "launch": {"entry": "vwo", "storage": True},
           "requests": stream(rng, 700, pool, feats, events, update_at=450,
                              update_settings=later_holdout_settings())}
    yield {"id": "x__holdouts_added_later_storage", "settings": holdout_settings(False),
           "launch": {"entry": "vwo", "storage": True},
           "requests": stream(rng, 500, pool, feats, events, update_at=250,
                              update_settings=holdout_settings(True))}
    wingify = holdout_settings(True)
    wingify["collectionPrefix"] = "eu01"
    wingify["usageStatsAccountId"] = 42
    yield {"id": "x__wingify_prefix_usage_stats", "settings": wingify,
           "launch": {"entry": "wingify", "isDevelopmentMode": True},
           "requests": stream(rng, 300, pool, feats, events)}
    yield {"id": "x__holdouts_batch", "settings": holdout_settings(True),
           "launch": {"entry": "vwo", "storage": True, "batchEventData": {"eventsPerRequest": 4}},
           "requests": stream(rng, 300, pool, feats, events) + [{"api": "flushEvents"}]}


def main():
    os.makedirs(OUT, exist_ok=True)
    oracle = os.path.join(ORACLE, "oracle_fme.py")
    with tempfile.TemporaryDirectory() as tmp:
        suite = {"runs": list(runs())}
        path = os.path.join(tmp, "suite.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(suite, f)
        out = os.path.join(tmp, "out.json")
        subprocess.run([sys.executable, oracle, "--suite", path, "--out", out], check=True)
        with open(out, encoding="utf-8") as f:
            result = json.load(f)
    for run in result["runs"]:
        target = os.path.join(OUT, run["id"] + ".json")
        with open(target, "w", encoding="utf-8") as f:
            json.dump(run, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(target, len(run["cases"]), "requests")


if __name__ == "__main__":
    main()
