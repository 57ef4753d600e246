#!/usr/bin/env python3
"""W1 of ../shared/bench/workload_spec.md on this binding: 200,000 get_variation_name calls on
settings_bench.json (16 VISUAL_AB + FEATURE_TEST campaigns, custom variables for segmented campaigns),
the same call sequence as bench_python.py, median of 3 timed passes after a 20,000-call warm-up.

Usage: python bindings/python/bench.py [--settings benches/data/settings_bench.json]
Prints µs per decision and the W1 digest (expected b9c83e94…104199); exit 1 if the digest differs.
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time

_T_IMPORT = time.perf_counter_ns()
# Prefer an installed package (bundled libvwo.so) to the source tree next to this script.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
try:
    import vwo
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vwo
IMPORT_MS = (time.perf_counter_ns() - _T_IMPORT) / 1e6

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
W1_DIGEST = "b9c83e941c4c8c634609f9efe65381140f7b5f69d3ede05525fe228378104199"
MASK32 = 0xFFFFFFFF


class LCG:
    __slots__ = ("s",)

    def __init__(self, seed):
        self.s = seed & MASK32

    def next(self):
        self.s = (1664525 * self.s + 1013904223) & MASK32
        return self.s

    def rand(self, n):
        return (self.next() >> 8) % n


QA_USERS = ["qa_user_%d" % i for i in range(1, 13)]
USER_POOL = 100000
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


def gen_decide_ops(settings, keys, n, seed):
    seg = {c["key"] for c in settings["campaigns"] if c.get("segments")}
    rng = LCG(seed)
    ops = []
    for i in range(n):
        key = keys[i % len(keys)]
        user = pick_user(rng)
        prof = PROFILES[rng.rand(len(PROFILES))]
        ops.append((key, user, prof if key in seg else None))
    return ops


def timed_pass(gvn, ops):
    t0 = time.perf_counter_ns()
    for key, user, cv in ops:
        if cv is None:
            gvn(key, user)
        else:
            gvn(key, user, custom_variables=cv)
    return time.perf_counter_ns() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", default=os.path.join(REPO, "benches", "data", "settings_bench.json"))
    ap.add_argument("--ops", type=int, default=200000)
    args = ap.parse_args()
    with open(args.settings, encoding="utf-8") as f:
        text = f.read()
    s = json.loads(text)
    keys = [c["key"] for c in s["campaigns"] if c["type"] in ("VISUAL_AB", "FEATURE_TEST")]
    warm = gen_decide_ops(s, keys, 20000, 1001)
    ops = gen_decide_ops(s, keys, args.ops, 1)
    client = vwo.launch(text, log_level=vwo.LOG_LEVELS.ERROR)
    assert client is not None, "launch failed"
    gvn = client.get_variation_name
    timed_pass(gvn, warm)
    samples = [timed_pass(gvn, ops) for _ in range(3)]
    h = hashlib.sha256()
    for key, user, cv in ops:
        v = gvn(key, user, custom_variables=cv) if cv is not None else gvn(key, user)
        h.update(("%s|%s|%s\n" % (key, user, v)).encode())
    digest = h.hexdigest()
    client.close()
    launch_ms = []
    with open(os.path.join(REPO, "benches", "data", "settings_500.json"), encoding="utf-8") as f:
        s500 = f.read()
    for _ in range(5):
        t0 = time.perf_counter_ns()
        c500 = vwo.launch(s500, is_development_mode=True)
        launch_ms.append((time.perf_counter_ns() - t0) / 1e6)
        c500.close()
        del c500
    per_op_us = statistics.median(samples) / len(ops) / 1000
    result = {
        "workload": "W1",
        "binding": "libvwo python (ctypes)",
        "library": vwo.library_path,
        "runtime": "CPython " + sys.version.split()[0],
        "ops": len(ops),
        "us_per_op_median": round(per_op_us, 3),
        "us_per_op_all": [round(x / len(ops) / 1000, 3) for x in samples],
        "import_ms": round(IMPORT_MS, 2),
        "launch_settings_500_ms_median": round(statistics.median(launch_ms), 2),
        "digest": digest,
        "digest_ok": digest == W1_DIGEST if len(ops) == 200000 else None,
    }
    print(json.dumps(result, indent=1))
    return 0 if result["digest_ok"] in (True, None) else 1


if __name__ == "__main__":
    sys.exit(main())
