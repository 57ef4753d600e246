#!/usr/bin/env python3
"""W1 (and, with --workloads, W2 and W4) of ../shared/bench/workload_spec.md on this binding: 200,000 get_variation_name calls on
settings_bench.json (16 VISUAL_AB + FEATURE_TEST campaigns, custom variables for segmented campaigns),
the same call sequence as bench_python.py, median of 3 timed passes after a 20,000-call warm-up.

Usage: python bindings/python/bench.py [--settings benches/data/settings_bench.json] [--workloads w1,w2,w4]
W2 / W4 run with batch events (100 per request) sent to a stub collector in a child process on
127.0.0.1 that answers 200 to everything (the network stub).
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


TRACK_SPECS = [  # (campaign key or None for "all campaigns having this goal", goal identifier, is_revenue)
    ("ab_homepage_hero", "hero_click", False),
    ("ab_checkout_button", "checkout_revenue", True),
    ("ab_pricing_page", "pricing_view", False),
    ("ab_signup_flow", "signup", False),
    ("ab_search_results", "search_click", False),
    ("ab_product_detail", "add_to_cart", False),
    ("ab_nav_menu", "nav_revenue", True),
    ("ab_footer_cta", "footer_click", False),
    ("meg_banner_a", "banner_click", False),
    ("meg_banner_b", "banner_b_click", False),
    ("ft_recommendation_engine", "rec_click", False),
    ("ft_search_ranking", "search_revenue", True),
    ("ft_checkout_v2", "checkout_complete", False),
    ("ft_onboarding", "onboarding_done", False),
    ("ft_pricing_algo", "pricing_revenue", True),
    (None, "purchase", False),  # global goal shared by 5 campaigns
]


def gen_track_ops(settings, n, seed):
    seg = {c["key"] for c in settings["campaigns"] if c.get("segments")}
    camp_goals = {}
    for c in settings["campaigns"]:
        for g in c["goals"]:
            camp_goals.setdefault(g["identifier"], []).append(c["key"])
    rng = LCG(seed)
    ops = []
    for i in range(n):
        key, goal, is_rev = TRACK_SPECS[i % len(TRACK_SPECS)]
        user = pick_user(rng)
        prof = PROFILES[rng.rand(len(PROFILES))]
        rev = rng.rand(100000) / 100
        keys = [key] if key else camp_goals[goal]
        needs_cv = any(k in seg for k in keys)
        ops.append((key, user, goal, rev if is_rev else None, prof if needs_cv else None))
    return ops


def keys_of(settings, types):
    return [c["key"] for c in settings["campaigns"] if c["type"] in types]


def run_activate(client, ops):
    act = client.activate
    t0 = time.perf_counter_ns()
    for key, user, cv in ops:
        act(key, user, custom_variables=cv) if cv is not None else act(key, user)
    return time.perf_counter_ns() - t0


def run_track(client, ops):
    tr = client.track
    t0 = time.perf_counter_ns()
    for key, user, goal, rev, cv in ops:
        kw = {}
        if rev is not None:
            kw["revenue_value"] = rev
        if cv is not None:
            kw["custom_variables"] = cv
        tr(key, user, goal, **kw)
    return time.perf_counter_ns() - t0


STUB = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def _ok(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    do_GET = do_POST = _ok
    def log_message(self, *a):
        pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


class StubCollector:
    def __enter__(self):
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-c", STUB], stdout=subprocess.PIPE)
        self.base_url = "http://127.0.0.1:%d" % int(self.proc.stdout.readline())
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def batch_client(text, base_url):
    c = vwo.launch(text, log_level=vwo.LOG_LEVELS.ERROR, base_url=base_url,
                   batch_events={"events_per_request": 100, "request_time_interval": 600})
    assert c is not None, "launch failed"
    return c


def w2(text, s, base_url):
    ab = keys_of(s, ("VISUAL_AB",))
    warm_a, warm_t = gen_decide_ops(s, ab, 10000, 1002), gen_track_ops(s, 10000, 1003)
    ops_a, ops_t = gen_decide_ops(s, ab, 100000, 2), gen_track_ops(s, 100000, 3)
    client = batch_client(text, base_url)
    run_activate(client, warm_a)
    run_track(client, warm_t)
    client.flush_events(mode="sync")
    a, t = [], []
    for _ in range(3):
        ta = run_activate(client, ops_a)
        tt = run_track(client, ops_t)
        t0 = time.perf_counter_ns()
        client.flush_events(mode="sync")
        tt += time.perf_counter_ns() - t0
        a.append(ta)
        t.append(tt)
    counters = client.delivery_counters()
    client.close()
    return {"activate_us_per_op_median": round(statistics.median(a) / len(ops_a) / 1000, 3),
            "track_us_per_op_median": round(statistics.median(t) / len(ops_t) / 1000, 3),
            "combined_us_per_op_median": round(
                statistics.median([x + y for x, y in zip(a, t)]) / (len(ops_a) + len(ops_t)) / 1000, 3),
            "events_delivered": counters["delivered"], "events_failed": counters["failed"]}


def w4(text, s, base_url):
    keys = keys_of(s, ("FEATURE_TEST", "FEATURE_ROLLOUT"))
    first_var = {c["key"]: c["variables"][0]["key"] for c in s["campaigns"] if c["key"] in keys}
    warm, ops = gen_decide_ops(s, keys, 10000, 1004), gen_decide_ops(s, keys, 100000, 4)
    client = batch_client(text, base_url)
    ife, gfv = client.is_feature_enabled, client.get_feature_variable_value

    def once(ops):
        t0 = time.perf_counter_ns()
        for i, (key, user, cv) in enumerate(ops):
            if i & 1 == 0:
                ife(key, user, custom_variables=cv) if cv is not None else ife(key, user)
            else:
                gfv(key, first_var[key], user, custom_variables=cv) if cv is not None else \
                    gfv(key, first_var[key], user)
        client.flush_events(mode="sync")
        return time.perf_counter_ns() - t0

    once(warm)
    samples = [once(ops) for _ in range(3)]
    counters = client.delivery_counters()
    client.close()
    return {"us_per_op_median": round(statistics.median(samples) / len(ops) / 1000, 3),
            "events_delivered": counters["delivered"], "events_failed": counters["failed"]}


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
    ap.add_argument("--workloads", default="w1", help="comma-separated: w1, w2, w4")
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
    wl = set(args.workloads.split(","))
    if wl & {"w2", "w4"}:
        with StubCollector() as stub:
            if "w2" in wl:
                result["w2"] = w2(text, s, stub.base_url)
            if "w4" in wl:
                result["w4"] = w4(text, s, stub.base_url)
    print(json.dumps(result, indent=1))
    return 0 if result["digest_ok"] in (True, None) else 1


if __name__ == "__main__":
    sys.exit(main())
