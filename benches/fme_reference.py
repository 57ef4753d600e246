#!/usr/bin/env python3
"""FW1 on the official vwo-fme-python-sdk (the reference of libvwo's FME benchmark, docs/PERFORMANCE.md).

Runs the same call stream as `benches/workloads.rs` (workload `fw1`): 200,000 `get_flag` calls, feature
`features[i % n]`, user and profile drawn from the LCG of `shared/bench/workload_spec.md` (seed 1; the
warm-up uses seed 1001), the profile passed as `custom_variables` on every call, no storage, SDK event
batching on (`batch_event_data` 100 events per request, 600 s), and prints the digest and the time per
call as one JSON line.

The SDK is driven as `shared/oracle-fme/oracle_fme.py` drives it, re-implemented here: the network is
stubbed at `requests.adapters.HTTPAdapter.send` (the settings GET gets the settings file, every other
request 200 with an empty body, nothing leaves the process); `threading: {"enabled": False}` (the SDK's
switch) and its batch flush run inline; no batch timer, no polling timer. The variation ids come from the
SDK's own integrations callback (`decision["experimentVariationId"]` / `["rolloutVariationId"]`).

`--workload track_event` runs the track_event stream of `bindings/python/bench_fme.py` instead (FT:
`track_event(<metric of features[i % n]>, {"id": user})`, the user from the same LCG, seed 5, warm-up seed
1005, no event properties) and reports the time per call and how many calls answered True.

Digest: FNV-1a 64 over one UTF-8 line per call, in call order,
`"<featureKey>|<userId>|<true|false>|<variationId>\\n"`, where variationId is the experiment's variation id
when an experiment rule assigned one, else the rollout's, else 0.

Setup (its own venv; the official SDK and its pins from PyPI):

    make fme-ref-venv   # = python3 -m venv target/fme-ref && target/fme-ref/bin/pip install -r benches/fme_reference_requirements.txt
    target/fme-ref/bin/python benches/fme_reference.py [--settings F] [--ops N] [--reps R]
        [--workload get_flag|track_event] [--memoize-validation]
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

os.environ.pop("TEST_ENV", None)

import requests  # noqa: E402
import requests.adapters  # noqa: E402
import vwo  # noqa: E402
from wingify.wingify_builder import WingifyBuilder  # noqa: E402
from wingify.services.batch_event_queue import BatchEventQueue  # noqa: E402
from wingify.packages.network_layer.manager.network_manager import NetworkManager  # noqa: E402
from wingify.constants.Constants import Constants  # noqa: E402
from wingify.services.settings_manager import SettingsManager  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------- workload
MASK32 = 0xFFFFFFFF


class Lcg:
    def __init__(self, seed):
        self.s = seed & MASK32

    def next(self):
        self.s = (1664525 * self.s + 1013904223) & MASK32
        return self.s

    def rand(self, n):
        return (self.next() >> 8) % n


QA_USERS = ["qa_user_%d" % i for i in range(1, 13)]
USER_POOL = 100000
# W1's eight profiles (shared/bench/workload_spec.md, bench_python.py).
PROFILES = [
    {"browser": "Chrome", "country": "US", "plan": "premium", "email": "alice@gmail.com",
     "url": "https://shop.example.com/products/42", "age": 34, "tier": 3, "isLoggedIn": True, "price": 19.99},
    {"browser": "Firefox", "country": "UK", "plan": "free", "email": "bob@yahoo.com",
     "url": "https://www.example.com/blog/1", "age": 22, "tier": 1, "isLoggedIn": False, "price": 5.5},
    {"browser": "Safari", "country": "DE", "plan": "enterprise", "email": "carol@example.com",
     "url": "https://shop.example.com/cart", "age": 45, "tier": 3, "isLoggedIn": True, "price": 99.99},
    {"browser": "Edge", "country": "CA", "plan": "PREMIUM", "email": "dave@outlook.com",
     "url": "https://m.example.com/products/7", "age": 29, "tier": 2, "isLoggedIn": True, "price": 49},
    {"browser": "chrome", "country": "IN", "plan": "basic", "email": "test.user@example.com",
     "url": "https://example.com/", "age": 19, "tier": 1, "isLoggedIn": True, "price": 9.99},
    {"browser": "Googlebot", "country": "US", "plan": "enterprise", "email": "crawler@google.com",
     "url": "https://shop.example.com/products/1", "age": 1, "tier": 3, "isLoggedIn": False, "price": 0.99},
    {"browser": "IE", "country": "UK", "plan": "free", "email": "eve@example.org",
     "url": "https://www.example.com/pricing", "age": 61, "tier": 1, "isLoggedIn": False, "price": 199.99},
    {"browser": "Firefox", "country": "CN", "plan": "premium", "email": "frank@gmail.com",
     "url": "https://shop.example.com/products/99", "age": 38, "tier": 2, "isLoggedIn": True, "price": 29.99},
]


def pick_user(rng):
    if rng.rand(100) == 0:
        return QA_USERS[rng.rand(len(QA_USERS))]
    return "user_%d" % rng.rand(USER_POOL)


def gen_track_ops(events, n, seed):
    """FT's stream (bindings/python/bench_fme.py): event `events[i % n]`, user (1-2 draws)."""
    rng = Lcg(seed)
    return [(events[i % len(events)], pick_user(rng)) for i in range(n)]


def gen_ops(keys, n, seed):
    rng = Lcg(seed)
    ops = []
    for i in range(n):
        key = keys[i % len(keys)]
        user = pick_user(rng)
        prof = rng.rand(len(PROFILES))
        ops.append((key, user, prof))
    return ops


FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = 0xFFFFFFFFFFFFFFFF


def fnv1a64(lines):
    h = FNV_OFFSET
    for line in lines:
        for b in line.encode("utf-8"):
            h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


# --------------------------------------------------------------------------------------- stubs
STATE = {"settings": b"{}", "requests": 0, "events": 0}
SETTINGS_PATHS = (Constants.SETTINGS_ENDPOINT, Constants.WEBHOOK_SETTINTS_ENDPOINT)


def fake_send(self, request, **kwargs):
    resp = requests.models.Response()
    resp.status_code = 200
    resp.url = request.url
    resp.request = request
    resp.encoding = "utf-8"
    path = requests.utils.urlparse(request.url).path
    if request.method == "GET" and path in SETTINGS_PATHS:
        resp.headers["Content-Type"] = "application/json"
        resp._content = STATE["settings"]
    else:
        STATE["requests"] += 1
        body = request.body or b""
        STATE["events"] += body.count(b'"msgId"' if isinstance(body, bytes) else '"msgId"')
        resp.headers["Content-Type"] = "text/plain"
        resp._content = b""
    return resp


requests.adapters.HTTPAdapter.send = fake_send
NetworkManager.execute_in_background = lambda self, func: func()


def _no_timer(self):
    self.timer = None


BatchEventQueue.create_new_batch_timer = _no_timer
WingifyBuilder.check_and_poll = lambda self: None


def memoize_validation():
    """The SDK validates its whole settings document against its JSON schema on every get_flag
    (`SettingsManager.is_settings_valid(self.original_settings)` in `WingifyClient.get_flag`): about
    0.5-1 s per call for fme_settings_50.json here. To check the digest over the whole stream in
    minutes, this replaces the check by one that validates each settings object once and remembers the
    answer. Decisions do not change (the settings never change in the run, and they are valid)."""
    real = SettingsManager.is_settings_valid
    memo = {}

    def is_settings_valid(settings):
        key = id(settings)
        hit = memo.get(key)
        if hit is None or hit[0] is not settings:
            hit = memo[key] = (settings, real(settings))
        return hit[1]

    SettingsManager.is_settings_valid = staticmethod(is_settings_valid)


# --------------------------------------------------------------------------------------- run
def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", default=os.path.join(HERE, "data", "fme_settings_50.json"))
    ap.add_argument("--ops", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warm-ops", type=int, default=5000)
    ap.add_argument("--warm-seed", type=int, default=1001)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--workload", choices=("get_flag", "track_event"), default="get_flag",
                    help="get_flag: FW1 (default); track_event: FT (see the module's docstring)")
    ap.add_argument("--memoize-validation", action="store_true",
                    help="validate the settings once, not on every call (see the module's docstring)")
    a = ap.parse_args(argv)
    if a.memoize_validation:
        memoize_validation()

    with open(a.settings, "rb") as f:
        text = f.read()
    settings = json.loads(text)
    STATE["settings"] = text
    keys = [f["key"] for f in settings["features"]]
    if a.workload == "track_event":
        return track_main(a, settings)

    last = {}

    def on_decision(decision):
        last["d"] = decision

    client = vwo.init({
        "sdk_key": settings["sdkKey"],
        "account_id": settings["accountId"],
        "threading": {"enabled": False},
        "batch_event_data": {"events_per_request": 100, "request_time_interval": 600},
        "integrations": {"callback": on_decision},
    })
    if client is None:
        print("vwo.init returned None", file=sys.stderr)
        return 1

    def run(ops, record):
        out = []
        t0 = time.perf_counter()
        for key, user, prof in ops:
            last.clear()
            flag = client.get_flag(key, {"id": user, "custom_variables": dict(PROFILES[prof])})
            if record:
                d = last.get("d") or {}
                out.append((flag.is_enabled(), d.get("experimentVariationId"), d.get("rolloutVariationId")))
        client.flush_events()
        return time.perf_counter() - t0, out

    run(gen_ops(keys, a.warm_ops, a.warm_seed), False)
    ops = gen_ops(keys, a.ops, a.seed)
    samples = []
    results = None
    req0, ev0 = STATE["requests"], STATE["events"]
    for _ in range(a.reps):
        t, results = run(ops, True)
        samples.append(t * 1e9 / len(ops))
    requests_per_rep = (STATE["requests"] - req0) // a.reps
    events_per_rep = (STATE["events"] - ev0) // a.reps
    lines = []
    enabled = 0
    for (key, user, _), (on, exp_v, roll_v) in zip(ops, results):
        vid = exp_v if exp_v is not None else (roll_v if roll_v is not None else 0)
        lines.append("%s|%s|%s|%s\n" % (key, user, "true" if on else "false", vid))
        enabled += bool(on)
    samples.sort()
    print(json.dumps({
        "sdk": "vwo-fme-python-sdk",
        "workload": "get_flag",
        "version": getattr(vwo, "__version__", None) or importlib.metadata.version("vwo-fme-python-sdk"),
        "python": sys.version.split()[0],
        "settings": os.path.basename(a.settings),
        "features": len(keys),
        "ops": len(ops),
        "reps": a.reps,
        "ns_per_op": samples,
        "median_ns": samples[len(samples) // 2],
        "digest": "%016x" % fnv1a64(lines),
        "enabled": enabled,
        "experiments": sum(1 for r in results if r[1] is not None),
        "requests_per_rep": requests_per_rep,
        "events_per_rep": events_per_rep,
        "validation": "memoized" if a.memoize_validation else "as the SDK does it (every call)",
    }))
    return 0


def track_main(a, settings):
    """FT: track_event over the features' metrics (one JSON line, as for get_flag)."""
    events = [m["identifier"] for f in settings["features"] for m in f.get("metrics", [])[:1]]
    client = vwo.init({
        "sdk_key": settings["sdkKey"],
        "account_id": settings["accountId"],
        "threading": {"enabled": False},
        "batch_event_data": {"events_per_request": 100, "request_time_interval": 600},
    })
    if client is None:
        print("vwo.init returned None", file=sys.stderr)
        return 1

    def run(ops):
        tracked = 0
        t0 = time.perf_counter()
        for name, user in ops:
            tracked += bool(client.track_event(name, {"id": user}).get(name))
        client.flush_events()
        return time.perf_counter() - t0, tracked

    run(gen_track_ops(events, a.warm_ops, a.warm_seed))
    ops = gen_track_ops(events, a.ops, a.seed)
    samples, tracked = [], 0
    req0, ev0 = STATE["requests"], STATE["events"]
    for _ in range(a.reps):
        t, tracked = run(ops)
        samples.append(t * 1e9 / len(ops))
    samples.sort()
    print(json.dumps({
        "sdk": "vwo-fme-python-sdk",
        "version": getattr(vwo, "__version__", None) or importlib.metadata.version("vwo-fme-python-sdk"),
        "python": sys.version.split()[0],
        "workload": "track_event",
        "settings": os.path.basename(a.settings),
        "events": len(events),
        "ops": len(ops),
        "reps": a.reps,
        "ns_per_op": samples,
        "median_ns": samples[len(samples) // 2],
        "tracked": tracked,
        "requests_per_rep": (STATE["requests"] - req0) // a.reps,
        "events_per_rep": (STATE["events"] - ev0) // a.reps,
        "validation": "memoized" if a.memoize_validation else "as the SDK does it (every call)",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
