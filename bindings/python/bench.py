#!/usr/bin/env python3
"""W1, W2 and W4 of the shared workload spec on this binding (libvwo) and on vwo-python-sdk 1.68.2, in one run.

Usage: python bindings/python/bench.py [--workloads w1,w2,w4] [--sdks libvwo,vwo-python-sdk]
                                       [--rounds 5] [--passes 1] [--ops-scale 1] [--out FILE] [--settings FILE]
(`make bench-python` installs the binding into target/python/site first and runs this.)

Both SDKs run the same call sequence (the LCG workload generator below, as in the shared workload spec):
  W1  200,000 get_variation_name on settings_bench.json (16 VISUAL_AB + FEATURE_TEST campaigns), 20,000-call
      warm-up (seed 1001), a timed pass (seed 1); in the first round also the digest over one more pass
      (expected b9c83e94…104199 at full scale), the import time and the launch of settings_500.json (5 launches).
  W2  100,000 activate (10 VISUAL_AB campaigns, seeds 1002 / 2) then 100,000 track (16 specs, seeds
      1003 / 3) per pass, batch events on (100 per request).
  W4  100,000 is_feature_enabled / get_feature_variable_value alternating (seeds 1004 / 4), batch events on.
A pass ends when its events are delivered: libvwo's `flush_events(mode="sync")`; for vwo-python-sdk its
`flush_events(mode="sync")` and a join of the threads it starts to send full batches.

Both SDKs import as `vwo`, so each workload of each SDK runs in its own child process
(`bench.py --child SDK --workload W`, one JSON line on stdout), alternately (W1 libvwo, W1 vwo-python-sdk,
W2 libvwo, ...) so both see the same machine conditions, in `--rounds` rounds (default 5) of `--passes`
timed passes each (default 1): every figure reported is the median of the rounds' figures, and the
per-round figures, ratios and load averages are printed below the table. libvwo's child finds the package installed in
target/python/site (else one importable from the environment, else this source tree); vwo-python-sdk's
child runs in its own virtual environment, target/python/bench-ref, which the first run creates with
`python3 -m venv` and `pip install -r bench-requirements.txt` (from PyPI), and reuses while it holds the
pinned versions. `--sdks libvwo` needs neither the virtual environment nor the network.

Network stub: libvwo sends to a stub collector (a child process serving HTTP on 127.0.0.1, answering 200)
through the launch option `base_url=`; vwo-python-sdk's `vwo.http.connection.Connection.post/get` are
replaced by a function that serialises the body as `requests` would and returns 200 without I/O.

Prints a table (µs per operation, the ratio vwo-python-sdk ÷ libvwo and the targets: W1 ≥ 30× and
≤ 3 µs per decision, W2 ≥ 50×, import + launch of settings_500.json ≤ 50 ms); `--out` writes every figure
as JSON. Exit status 1 when a child fails or a W1 digest differs (checked at --ops-scale 1 only).
"""

import argparse
import hashlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
W1_DIGEST = "b9c83e941c4c8c634609f9efe65381140f7b5f69d3ede05525fe228378104199"
MASK32 = 0xFFFFFFFF

OURS, REF = "libvwo", "vwo-python-sdk"
REF_VERSION = "1.68.2"
REQUIREMENTS = os.path.join(HERE, "bench-requirements.txt")
REF_VENV = os.path.join(REPO, "target", "python", "bench-ref")
PY_SITE = os.path.join(REPO, "target", "python", "site")
SETTINGS_500 = os.path.join(REPO, "benches", "data", "settings_500.json")
WORKLOADS = ("w1", "w2", "w4")
RATIO_TARGETS = {"w1": 30.0, "w2": 50.0}  # vwo-python-sdk µs/op ÷ libvwo µs/op, at least
W1_US_TARGET = 3.0  # libvwo µs per decision, at most
IMPORT_LAUNCH_MS_TARGET = 50.0  # libvwo import + launch of settings_500.json, at most
BATCH = {"events_per_request": 100, "request_time_interval": 600}


# ------------------------------------------------------------------------------------ workload generation
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


# ------------------------------------------------------------------------------------ libvwo's network stub
# A minimal HTTP/1.1 server (keep-alive, Content-Length bodies, every request answered 200 `{}`), one thread
# per connection. It stands in for VWO's collector, which in production runs elsewhere: http.server's
# request machinery cost about 0.33 s of CPU per W2 run on the benchmark's two cores (this loop about
# 0.08 s), time taken from the caller being measured. vwo-python-sdk's stub does no I/O at all.
STUB = r"""
import socket, threading
def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            end = buf.find(b"\r\n\r\n")
            while end < 0:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                end = buf.find(b"\r\n\r\n")
            length = 0
            for line in buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            buf = buf[end + 4:]
            while len(buf) < length:
                chunk = conn.recv(max(65536, length - len(buf)))
                if not chunk:
                    return
                buf += chunk
            buf = buf[length:]
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    finally:
        conn.close()
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
print(server.getsockname()[1], flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
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




def scaled(n, scale):
    return max(16, int(round(n * scale)))


# ------------------------------------------------------------------------------------ the two SDKs (child)
class Libvwo:
    """This binding; events go to a StubCollector through `base_url=`."""

    name = OURS

    def __init__(self, vwo):
        self.vwo = vwo
        self.base_url = None

    def launch(self, text, batch=False, **kw):
        if batch:
            kw.update(base_url=self.base_url, batch_events=dict(BATCH))
        client = self.vwo.launch(text, log_level=logging.ERROR, **kw)
        assert client is not None, "launch failed"
        return client

    def after_calls(self, client):
        """Nothing to wait for between activate and track: libvwo's own thread sends the batches."""

    def settle(self, client):
        client.flush_events(mode="sync")

    def events_delivered(self, client):
        return client.delivery_counters()["delivered"]

    def events_failed(self, client):
        return client.delivery_counters()["failed"]

    def close(self, client):
        client.close()


class VwoPythonSdk:
    """vwo-python-sdk with its HTTP connection replaced by a stub that counts the events."""

    name = REF

    def __init__(self, vwo):
        from vwo.http import connection

        self.vwo = vwo
        self.sent = {"requests": 0, "events": 0, "bytes": 0, "gets": 0}
        sent = self.sent

        def post(conn, url, params=None, data=None, headers=None):
            body = json.dumps(data)  # the serialisation `requests.post(json=data)` would do
            sent["requests"] += 1
            sent["bytes"] += len(body)
            if isinstance(data, dict) and isinstance(data.get("ev"), list):
                sent["events"] += len(data["ev"])
            else:
                sent["events"] += 1
            return {"status_code": 200, "text": "{}"}

        def get(conn, url, params=None, headers=None):
            sent["gets"] += 1
            return {"status_code": 200, "text": "{}"}

        connection.Connection.post = post
        connection.Connection.get = get

    def launch(self, text, batch=False, **kw):
        if batch:
            kw["batch_events"] = dict(BATCH)
        client = self.vwo.launch(text, log_level=logging.ERROR, **kw)
        assert client is not None, "launch failed"
        return client

    def after_calls(self, client):
        """The SDK sends each full batch on a thread it starts; their work belongs to the calls."""
        me = threading.current_thread()
        for t in threading.enumerate():
            if t is not me and not isinstance(t, threading.Timer):
                t.join()

    def settle(self, client):
        client.flush_events(mode="sync")
        self.after_calls(client)

    def events_delivered(self, client):
        return self.sent["events"]

    def events_failed(self, client):
        return 0

    def close(self, client):
        pass  # no close in vwo-python-sdk; the child exits with os._exit (its 600 s batch timers)


def import_sdk(name):
    """`import vwo` as the given SDK, timed; asserts that it is the right package."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]  # never the source tree first
    t0 = time.perf_counter_ns()
    if name == OURS:
        try:
            import vwo
        except ImportError:
            sys.path.insert(0, HERE)
            import vwo
    else:
        import vwo
    import_ms = (time.perf_counter_ns() - t0) / 1e6
    origin = os.path.dirname(os.path.abspath(vwo.__file__))
    if name == OURS:
        assert hasattr(vwo, "library_path"), "libvwo child imported another vwo package: " + origin
        info = {"package": origin, "library": vwo.library_path}
    else:
        assert not hasattr(vwo, "library_path"), "vwo-python-sdk child imported libvwo's binding: " + origin
        from vwo.constants.constants import SDK_VERSION

        assert sys.prefix != sys.base_prefix and origin.startswith(os.path.abspath(sys.prefix) + os.sep), \
            "vwo-python-sdk must come from the benchmark's virtual environment, not " + origin
        assert SDK_VERSION == REF_VERSION, "vwo-python-sdk %s, expected %s" % (SDK_VERSION, REF_VERSION)
        info = {"package": origin, "version": SDK_VERSION}
    return vwo, import_ms, info


def decide_pass(gvn, ops):
    t0 = time.perf_counter_ns()
    for key, user, cv in ops:
        if cv is None:
            gvn(key, user)
        else:
            gvn(key, user, custom_variables=cv)
    return time.perf_counter_ns() - t0


def child_w1(sdk, text, s, scale, passes, first):
    keys = keys_of(s, ("VISUAL_AB", "FEATURE_TEST"))
    warm = gen_decide_ops(s, keys, scaled(20000, scale), 1001)
    ops = gen_decide_ops(s, keys, scaled(200000, scale), 1)
    client = sdk.launch(text)
    gvn = client.get_variation_name
    decide_pass(gvn, warm)
    samples = [decide_pass(gvn, ops) for _ in range(passes)]
    result = {"ops": len(ops), "us_per_op_median": statistics.median(samples) / len(ops) / 1000,
              "us_per_op_all": [x / len(ops) / 1000 for x in samples]}
    if not first:  # the digest and the launch times are measured in the first round only
        sdk.close(client)
        return result
    h = hashlib.sha256()
    decided = 0
    for key, user, cv in ops:
        v = gvn(key, user, custom_variables=cv) if cv is not None else gvn(key, user)
        decided += v is not None
        h.update(("%s|%s|%s\n" % (key, user, v)).encode())
    sdk.close(client)
    digest = h.hexdigest()
    full = len(ops) == 200000
    with open(SETTINGS_500, encoding="utf-8") as f:
        s500 = f.read()
    launch_ms = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        c500 = sdk.launch(s500, is_development_mode=True)
        launch_ms.append((time.perf_counter_ns() - t0) / 1e6)
        sdk.close(c500)
        del c500
    return dict(
        result,
        **{
        "decided": decided,
        "digest": digest,
        "digest_ok": digest == W1_DIGEST if full else None,
        "launch_settings_500_ms_all": launch_ms,
        "launch_settings_500_ms_median": statistics.median(launch_ms),
        }
    )


def run_activate(client, ops):
    act = client.activate
    decided = 0
    t0 = time.perf_counter_ns()
    for key, user, cv in ops:
        v = act(key, user, custom_variables=cv) if cv is not None else act(key, user)
        if v is not None:
            decided += 1
    return time.perf_counter_ns() - t0, decided


def run_track(client, ops):
    tr = client.track
    tracked = 0
    t0 = time.perf_counter_ns()
    for key, user, goal, rev, cv in ops:
        kw = {}
        if rev is not None:
            kw["revenue_value"] = rev
        if cv is not None:
            kw["custom_variables"] = cv
        r = tr(key, user, goal, **kw)
        if r:
            tracked += sum(1 for x in r.values() if x)
    return time.perf_counter_ns() - t0, tracked


def child_w2(sdk, text, s, scale, passes, first):
    ab = keys_of(s, ("VISUAL_AB",))
    warm_a = gen_decide_ops(s, ab, scaled(10000, scale), 1002)
    warm_t = gen_track_ops(s, scaled(10000, scale), 1003)
    ops_a = gen_decide_ops(s, ab, scaled(100000, scale), 2)
    ops_t = gen_track_ops(s, scaled(100000, scale), 3)
    client = sdk.launch(text, batch=True)
    run_activate(client, warm_a)
    run_track(client, warm_t)
    sdk.settle(client)
    a, t, settle, events = [], [], [], []
    for _ in range(passes):
        e0 = sdk.events_delivered(client)
        ta, decided = run_activate(client, ops_a)
        t0 = time.perf_counter_ns()
        sdk.after_calls(client)
        ta += time.perf_counter_ns() - t0
        tt, tracked = run_track(client, ops_t)
        t0 = time.perf_counter_ns()
        sdk.settle(client)
        settle.append(time.perf_counter_ns() - t0)
        tt += settle[-1]
        a.append(ta)
        t.append(tt)
        events.append(sdk.events_delivered(client) - e0)
    failed = sdk.events_failed(client)
    sdk.close(client)
    n = len(ops_a) + len(ops_t)
    return {
        "ops": n,
        "us_per_op_median": statistics.median([x + y for x, y in zip(a, t)]) / n / 1000,
        "us_per_op_all": [(x + y) / n / 1000 for x, y in zip(a, t)],
        "activate_us_per_op_median": statistics.median(a) / len(ops_a) / 1000,
        "track_us_per_op_median": statistics.median(t) / len(ops_t) / 1000,
        "settle_ms_all": [x / 1e6 for x in settle],  # the end-of-pass flush (in the track figure)
        "activate_decided": decided,
        "goals_tracked": tracked,
        "events_per_pass": events,
        "events_failed": failed,
    }


def child_w4(sdk, text, s, scale, passes, first):
    keys = keys_of(s, ("FEATURE_TEST", "FEATURE_ROLLOUT"))
    first_var = {c["key"]: c["variables"][0]["key"] for c in s["campaigns"] if c["key"] in keys}
    warm = gen_decide_ops(s, keys, scaled(10000, scale), 1004)
    ops = gen_decide_ops(s, keys, scaled(100000, scale), 4)
    client = sdk.launch(text, batch=True)
    ife, gfv = client.is_feature_enabled, client.get_feature_variable_value

    def once(ops):
        non_null = 0
        t0 = time.perf_counter_ns()
        for i, (key, user, cv) in enumerate(ops):
            if i & 1 == 0:
                r = ife(key, user, custom_variables=cv) if cv is not None else ife(key, user)
                non_null += bool(r)
            else:
                r = gfv(key, first_var[key], user, custom_variables=cv) if cv is not None else \
                    gfv(key, first_var[key], user)
                non_null += r is not None
        t1 = time.perf_counter_ns()
        sdk.settle(client)
        t2 = time.perf_counter_ns()
        return t2 - t0, t2 - t1, non_null

    once(warm)
    samples, settle, events = [], [], []
    for _ in range(passes):
        e0 = sdk.events_delivered(client)
        ns, settle_ns, non_null = once(ops)
        samples.append(ns)
        settle.append(settle_ns / 1e6)
        events.append(sdk.events_delivered(client) - e0)
    failed = sdk.events_failed(client)
    sdk.close(client)
    return {
        "ops": len(ops),
        "us_per_op_median": statistics.median(samples) / len(ops) / 1000,
        "us_per_op_all": [x / len(ops) / 1000 for x in samples],
        "settle_ms_all": settle,  # the end-of-pass flush (in the figure)
        "non_null_results": non_null,
        "events_per_pass": events,
        "events_failed": failed,
    }


def child_main(args):
    vwo, import_ms, info = import_sdk(args.child)
    sdk = (Libvwo if args.child == OURS else VwoPythonSdk)(vwo)
    with open(args.settings, encoding="utf-8") as f:
        text = f.read()
    s = json.loads(text)
    result = {"sdk": args.child, "workload": args.workload, "ops_scale": args.ops_scale, "import_ms": import_ms,
              "runtime": "CPython " + sys.version.split()[0], "executable": sys.executable}
    result.update(info)
    run = (child_w1, child_w2, child_w4)[WORKLOADS.index(args.workload)]
    if args.workload != "w1" and isinstance(sdk, Libvwo):
        with StubCollector() as stub:
            sdk.base_url = stub.base_url
            result.update(run(sdk, text, s, args.ops_scale, args.passes, args.first))
    else:
        result.update(run(sdk, text, s, args.ops_scale, args.passes, args.first))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # vwo-python-sdk's batch timers (600 s) would hold the interpreter; everything is flushed



# ------------------------------------------------------------------------------------ parent
def read_pins():
    pins = {}
    with open(REQUIREMENTS, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, version = line.split("==")
                pins[name.strip()] = version.strip()
    return pins


VERSIONS_SCRIPT = r"""
import importlib.metadata as m, json, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def venv_python():
    return os.path.join(REF_VENV, "Scripts" if os.name == "nt" else "bin", "python")


def venv_has_pins(py, pins):
    if not os.path.exists(py):
        return False
    try:
        out = subprocess.run([py, "-I", "-c", VERSIONS_SCRIPT, json.dumps(sorted(pins))], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return json.loads(out) == pins


def ensure_ref_venv():
    """target/python/bench-ref with bench-requirements.txt installed; created (from PyPI) on first use."""
    py, pins = venv_python(), read_pins()
    if venv_has_pins(py, pins):
        return py
    print("bench: creating %s (python -m venv; pip install -r %s from PyPI)"
          % (os.path.relpath(REF_VENV, REPO), os.path.relpath(REQUIREMENTS, REPO)), file=sys.stderr, flush=True)
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", REF_VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
                   check=True)
    if not venv_has_pins(py, pins):
        raise SystemExit("bench: %s does not hold the versions of %s" % (REF_VENV, REQUIREMENTS))
    return py


def child_command(sdk, workload, args, ref_python, first):
    tail = [os.path.abspath(__file__), "--child", sdk, "--workload", workload, "--ops-scale", repr(args.ops_scale),
            "--settings", os.path.abspath(args.settings), "--passes", str(args.passes)]
    if first:
        tail.append("--first")
    env = dict(os.environ)
    if sdk == OURS:
        if os.path.isdir(PY_SITE):
            env["PYTHONPATH"] = os.pathsep.join(p for p in (PY_SITE, env.get("PYTHONPATH")) if p)
        return [sys.executable] + tail, env
    for k in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(k, None)
    return [ref_python, "-I"] + tail, env  # -I: no script directory, user site or PYTHON* variables


def run_child(sdk, workload, args, ref_python, first):
    cmd, env = child_command(sdk, workload, args, ref_python, first)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        return {"sdk": sdk, "workload": workload, "error": "child exited with status %d" % proc.returncode,
                "wall_s": wall}
    res = json.loads(lines[-1])
    res["wall_s"] = wall
    return res


def fmt(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))


def summarize(results, sdks, workloads, scale):
    """The ratios and target checks; returns (summary dict, table lines)."""
    ours = {w: results.get(w, {}).get(OURS, {}) for w in workloads}
    ref = {w: results.get(w, {}).get(REF, {}) for w in workloads}
    both = OURS in sdks and REF in sdks
    summary = {"ratios": {}, "targets": {}}
    rows = []
    labels = {"w1": "W1 get_variation_name", "w2": "W2 activate + track", "w4": "W4 feature flag + variable"}
    for w in workloads:
        o, r = ours[w].get("us_per_op_median"), ref[w].get("us_per_op_median")
        ratio = r / o if (o and r) else None
        summary["ratios"][w] = ratio
        target = RATIO_TARGETS.get(w)
        verdict = ""
        if target is not None and ratio is not None:
            met = ratio >= target
            summary["targets"]["%s_ratio_ge_%g" % (w, target)] = met
            verdict = ">= %gx: %s" % (target, "met" if met else "missed")
        rows.append((labels[w] + ", us/op", fmt(o), fmt(r), fmt(ratio, 1) + "x" if ratio else "-", verdict))
        if w == "w2":
            for part in ("activate", "track"):
                o2, r2 = ours[w].get(part + "_us_per_op_median"), ref[w].get(part + "_us_per_op_median")
                ratio2 = r2 / o2 if (o2 and r2) else None
                summary["ratios"]["w2_" + part] = ratio2
                rows.append(("  " + part + ", us/op", fmt(o2), fmt(r2),
                             fmt(ratio2, 1) + "x" if ratio2 else "-", ""))
    if "w1" in workloads:
        o = ours["w1"].get("us_per_op_median")
        if o is not None:
            met = o <= W1_US_TARGET
            summary["targets"]["w1_le_%gus" % W1_US_TARGET] = met
            rows.append(("W1 libvwo us per decision", fmt(o), "", "", "<= %g us: %s" % (W1_US_TARGET,
                                                                                      "met" if met else "missed")))

        def dg(res):
            if "digest" not in res:
                return "-"
            verdict = {True: "ok", False: "DIFFERS", None: "not checked"}[res["digest_ok"]]
            return verdict + " (%s…)" % res["digest"][:8]

        rows.append(("W1 digest", dg(ours["w1"]), dg(ref["w1"]), "", "at scale 1 only" if scale != 1 else ""))
        rows.append(("W1 decided", str(ours["w1"].get("decided", "-")), str(ref["w1"].get("decided", "-")),
                     "", ""))
        rows.append(("import, ms", fmt(ours["w1"].get("import_ms")), fmt(ref["w1"].get("import_ms")), "", ""))
        o5, r5 = ours["w1"].get("launch_settings_500_ms_median"), ref["w1"].get("launch_settings_500_ms_median")
        rows.append(("launch settings_500.json, ms (median of 5)", fmt(o5), fmt(r5),
                     fmt(r5 / o5, 1) + "x" if (o5 and r5) else "-", ""))
        if o5 is not None:
            total = ours["w1"]["import_ms"] + o5
            first = ours["w1"]["import_ms"] + ours["w1"]["launch_settings_500_ms_all"][0]
            met = max(total, first) <= IMPORT_LAUNCH_MS_TARGET
            summary["import_plus_launch_ms"] = {"median_launch": total, "first_launch": first}
            summary["targets"]["import_plus_launch_le_%gms" % IMPORT_LAUNCH_MS_TARGET] = met
            rows.append(("import + launch settings_500.json, ms", "%s (first: %s)" % (fmt(total), fmt(first)),
                         fmt(ref["w1"]["import_ms"] + r5) if r5 is not None else "", "",
                         "<= %g ms: %s" % (IMPORT_LAUNCH_MS_TARGET, "met" if met else "missed")))
    for w in ("w2", "w4"):
        if w in workloads:
            oe, re_ = ours[w].get("events_per_pass"), ref[w].get("events_per_pass")
            rows.append((w.upper() + " events sent per pass", str(oe[-1]) if oe else "-",
                         str(re_[-1]) if re_ else "-", "", ""))
    if "w2" in workloads:
        rows.append(("W2 activate decided / goals tracked",
                     "%s / %s" % (ours["w2"].get("activate_decided", "-"), ours["w2"].get("goals_tracked", "-")),
                     "%s / %s" % (ref["w2"].get("activate_decided", "-"), ref["w2"].get("goals_tracked", "-")),
                     "", ""))
    if "w4" in workloads:
        rows.append(("W4 non-null results", str(ours["w4"].get("non_null_results", "-")),
                     str(ref["w4"].get("non_null_results", "-")), "", ""))
    header = ("", OURS, REF + " " + REF_VERSION, "ratio", "target")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[i]) if i in (0, 4) else c.rjust(widths[i]) for i, c in enumerate(r)).rstrip()
             for r in [header] + rows]
    if not both:
        lines.append("(one SDK only: no ratios)")
    return summary, lines


FIGURES = ("us_per_op_median", "activate_us_per_op_median", "track_us_per_op_median")


def combine(rs):
    """One SDK's runs of a workload as one result: the first run's figures (digest, import and launch
    times, counts), each per-operation figure the median of the rounds' figures."""
    if any("error" in r for r in rs):
        return next(r for r in rs if "error" in r)
    out = dict(rs[0])
    for k in FIGURES:
        if k in out:
            out[k] = statistics.median(r[k] for r in rs)
            out[k.replace("_median", "_rounds")] = [r[k] for r in rs]
    out["rounds"] = len(rs)
    return out


def rounds_of(runs, sdks, workloads):
    """Per-round figures and ratios (the ratio of each round's two runs), and their lines."""
    out = {"lines": []}
    if not (OURS in sdks and REF in sdks):
        return out
    for w in workloads:
        o, r = runs.get(w, {}).get(OURS, []), runs.get(w, {}).get(REF, [])
        pairs = [(a["us_per_op_median"], b["us_per_op_median"]) for a, b in zip(o, r)
                 if "error" not in a and "error" not in b]
        if not pairs:
            continue
        ratios = [y / x for x, y in pairs]
        out[w] = {"libvwo_us": [x for x, _ in pairs], "ref_us": [y for _, y in pairs], "ratios": ratios,
                  "loadavg_1min": [a["loadavg"][0] for a in o]}
        out["lines"].append("%s rounds: libvwo %s us; %s %s us; ratios %s (median %.1fx); load %s" % (
            w.upper(), " ".join("%.2f" % x for x, _ in pairs), REF, " ".join("%.1f" % y for _, y in pairs),
            " ".join("%.1fx" % q for q in ratios), statistics.median(ratios),
            " ".join("%.1f" % a["loadavg"][0] for a in o)))
    return out


def parent_main(args):
    workloads = [w.strip().lower() for w in args.workloads.split(",") if w.strip()]
    sdks = [s.strip() for s in args.sdks.split(",") if s.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            raise SystemExit("bench: unknown workload %r (w1, w2, w4)" % w)
    for s in sdks:
        if s not in (OURS, REF):
            raise SystemExit("bench: unknown SDK %r (%s, %s)" % (s, OURS, REF))
    ref_python = ensure_ref_venv() if REF in sdks else None
    started = time.time()
    meta = {"command": [os.path.basename(sys.executable)] + sys.argv, "ops_scale": args.ops_scale,
            "settings": os.path.relpath(os.path.abspath(args.settings), REPO), "machine": platform.machine(),
            "platform": platform.platform(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started))}
    runs = {}  # workload -> sdk -> one result per round
    for r in range(args.rounds):
        for w in workloads:
            for sdk in sdks:
                print("bench: round %d/%d %s %s ..." % (r + 1, args.rounds, w.upper(), sdk), file=sys.stderr, flush=True)
                res = run_child(sdk, w, args, ref_python, r == 0)
                res["loadavg"] = os.getloadavg()
                runs.setdefault(w, {}).setdefault(sdk, []).append(res)
                if "error" in res:
                    print("bench: %s %s: %s" % (w.upper(), sdk, res["error"]), file=sys.stderr, flush=True)
                else:
                    print("bench: %s %s: %.3f us/op (%.0f s)"
                          % (w.upper(), sdk, res["us_per_op_median"], res["wall_s"]), file=sys.stderr, flush=True)
    meta["loadavg_end"] = os.getloadavg()
    meta["wall_s"] = time.time() - started
    results = {w: {sdk: combine(rs) for sdk, rs in by_sdk.items()} for w, by_sdk in runs.items()}
    summary, lines = summarize(results, sdks, workloads, args.ops_scale)
    summary["rounds"] = rounds_of(runs, sdks, workloads)
    lines.extend(summary["rounds"]["lines"])
    print("\n".join(lines))
    out = dict(meta, results=results, runs=runs, **summary)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        print("full results: " + args.out)
    failed = any("error" in r for w in results.values() for r in w.values())
    digest_bad = any(r.get("digest_ok") is False for r in results.get("w1", {}).values())
    return 1 if (failed or digest_bad) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="w1,w2,w4", help="comma-separated: w1, w2, w4 (default all)")
    ap.add_argument("--sdks", default="%s,%s" % (OURS, REF),
                    help="comma-separated: %s, %s (default both)" % (OURS, REF))
    ap.add_argument("--ops-scale", type=float, default=1.0,
                    help="multiplies every operation count (e.g. 0.05 for a quick run); digest checked at 1 only")
    ap.add_argument("--out", help="write every figure as JSON to this file")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds: each runs every workload on each SDK, alternately (default 5); every figure "
                         "is the median of the rounds' figures")
    ap.add_argument("--passes", type=int, default=1, help="timed passes per run (default 1; the run's median)")
    ap.add_argument("--first", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--settings", default=os.path.join(REPO, "benches", "data", "settings_bench.json"))
    ap.add_argument("--child", choices=(OURS, REF), help=argparse.SUPPRESS)
    ap.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ops_scale <= 0:
        ap.error("--ops-scale must be positive")
    if args.rounds < 1 or args.passes < 1:
        ap.error("--rounds and --passes must be at least 1")
    if args.child:
        return child_main(args)
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
