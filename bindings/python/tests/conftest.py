"""Shared test helpers: vector paths, an in-memory user storage, the oracle's request format run through
the Python API, and an HTTP collector on 127.0.0.1."""

import copy
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import vwo

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VECTORS = os.path.join(REPO, "tests", "vectors")
DATA = os.path.join(VECTORS, "data")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def settings_text(name):
    with open(os.path.join(DATA, "settings", name + ".json"), encoding="utf-8") as f:
        return f.read()


class MemoryStorage(vwo.UserStorage):
    """vwo-python-sdk's README storage: a dict keyed by (user_id, campaign_key)."""

    def __init__(self):
        self.records = {}
        self.lock = threading.Lock()

    def get(self, user_id, campaign_key):
        with self.lock:
            return copy.deepcopy(self.records.get((user_id, campaign_key)))

    def set(self, user_data):
        with self.lock:
            self.records[(user_data["userId"], user_data["campaignKey"])] = copy.deepcopy(user_data)


class QuietLogger:
    def __init__(self):
        self.messages = []

    def log(self, level, message):
        self.messages.append((level, message))


OPTION_KWARGS = {
    "customVariables": "custom_variables",
    "variationTargetingVariables": "variation_targeting_variables",
    "revenueValue": "revenue_value",
    "goalTypeToTrack": "goal_type_to_track",
    "eventProperties": "event_properties",
    "userAgent": "user_agent",
    "userIpAddress": "user_ip_address",
    "customProperties": "custom_properties",
    "shouldTrackReturningUser": "should_track_returning_user",
}


def in_forked_child(work):
    """Runs ``work()`` in a forked child and returns its JSON-able result; the child must exit 0."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.write(w, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return json.loads(data)


def kwargs_of(options):
    if not options:
        return {}
    return {OPTION_KWARGS[k]: v for k, v in options.items()}


def apply_ops(settings, ops):
    """The oracle's patchSettings ops: set, append, remove (by value), delete."""
    for op in ops:
        kind, path = op[0], op[1]
        value = op[2] if len(op) > 2 else None
        target = settings
        for p in path[:-1]:
            target = target[p]
        last = path[-1]
        if kind == "set":
            target[last] = value
        elif kind == "append":
            target[last].append(value)
        elif kind == "remove":
            target[last].remove(value)
        elif kind == "delete":
            if isinstance(target, dict):
                target.pop(last, None)
            elif last < len(target):
                del target[last]
        else:
            raise ValueError("bad op %r" % kind)


class Harness:
    """A client launched as a vector file says; runs requests of the oracle's format."""

    def __init__(self, settings, launch=None, **extra):
        launch = launch or {}
        self.settings = settings if isinstance(settings, dict) else json.loads(settings)
        self.storage = MemoryStorage() if launch.get("userStorage") else None
        self.kwargs = dict(extra)
        self.kwargs["is_development_mode"] = bool(launch.get("isDevelopmentMode"))
        if launch.get("goalTypeToTrack"):
            self.kwargs["goal_type_to_track"] = launch["goalTypeToTrack"]
        b = launch.get("batchEvents")
        if b:
            be = {}
            if "eventsPerRequest" in b:
                be["events_per_request"] = b["eventsPerRequest"]
            if "requestTimeInterval" in b:
                be["request_time_interval"] = b["requestTimeInterval"]
            if self.kwargs.get("flush_callback"):
                be["flush_callback"] = self.kwargs["flush_callback"]
            self.kwargs["batch_events"] = be
        self.kwargs.pop("flush_callback", None)
        self.client = self._launch()

    def _launch(self):
        c = vwo.launch(json.dumps(self.settings), user_storage=self.storage, **self.kwargs)
        assert c is not None, "launch failed"
        return c

    def relaunch(self, settings):
        self.client.close()
        self.settings = settings
        self.client = self._launch()

    def run(self, req):
        api = req.get("api")
        c = self.client
        kw = kwargs_of(req.get("options"))
        key = req.get("campaignKey")
        user = req.get("userId")
        if api == "activate":
            return c.activate(key, user, **kw)
        if api in ("getVariationName", "getVariation"):
            return c.get_variation_name(key, user, **kw)
        if api == "isFeatureEnabled":
            return c.is_feature_enabled(key, user, **kw)
        if api == "getFeatureVariableValue":
            return c.get_feature_variable_value(key, req.get("variableKey"), user, **kw)
        if api == "track":
            return c.track(key, user, req.get("goalIdentifier"), **kw)
        if api == "push":
            if isinstance(req.get("customDimensionMap"), dict):
                return c.push(req["customDimensionMap"], user)
            return c.push(req.get("tagKey"), req.get("tagValue"), user)
        if api == "setOptOut":
            return c.set_opt_out()
        if api == "flushEvents":
            return c.flush_events(mode="sync")
        if api == "getUserStorage":
            if self.storage is None:
                return None
            # the oracle lists its in-memory records sorted by (userId, campaignKey)
            return [self.storage.records[k] for k in sorted(self.storage.records)]
        if api == "setSettings":
            self.relaunch(req["settings"])
            return True
        if api == "patchSettings":
            s = copy.deepcopy(self.settings)
            apply_ops(s, req.get("ops") or [])
            self.relaunch(s)
            return True
        raise ValueError("unknown api %r" % api)

    def close(self):
        self.client.close()


def py_eq(a, b):
    """Python's == on JSON values, with bool never equal to a number (JSON's types)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(py_eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(py_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def ordered_eq(a, b):
    """JSON equality where object keys also come in the same order (track results)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(ordered_eq(a[k], b[k]) for k in a)
    return py_eq(a, b)


# ------------------------------------------------------------------------------------------ collector
class Collector:
    """An HTTP server on 127.0.0.1 recording every request (method, target, body) in arrival order."""

    def __init__(self):
        self.requests = []
        self.responses = {}  # path (without query) -> response body; "{}" otherwise
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _record(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with owner.lock:
                    owner.requests.append((self.command, self.path, body.decode("utf-8"), dict(self.headers)))
                reply = owner.responses.get(self.path.split("?", 1)[0], "{}").encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = _record
            do_POST = _record

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def take(self):
        with self.lock:
            out, self.requests = self.requests, []
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def bench_settings():
    with open(os.path.join(REPO, "benches", "data", "settings_bench.json"), encoding="utf-8") as f:
        return f.read()
