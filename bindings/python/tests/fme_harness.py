"""The FME corpus (tests/vectors/fme: runs of vwo-fme-python-sdk 1.65.0) replayed through the Python API
(``vwo.init`` / ``wingify.init``), with the rules of the C and Rust runners (bindings/c/tests/test_fme.c,
tests/fme_corpus.rs): results, storage writes, and every payload sent over HTTP compared per POLICY §4."""

import copy
import glob
import json
import os
import threading
from urllib.parse import unquote

import vwo
import wingify
from conftest import VECTORS, ordered_eq, py_eq, read_json

FME = os.path.join(VECTORS, "fme")


def corpus_files():
    out = []
    for d in ("corpus", "extra"):
        out += sorted(
            p for p in glob.glob(os.path.join(FME, d, "*__*.json")) if ".getflag." not in os.path.basename(p)
        )
    return out


# POLICY §4: what must differ (time, randomness, SDK name and version, the debug event id, the options
# as given).
BODY_SKIP = frozenset(
    ["time", "sessionId", "sId", "vwo_sdkName", "vwo_sdkVersion", "sn", "sv", "eventId", "lv", "sdkInitTime",
     "settingsFetchTime", "initConfig"]
)
QUERY_SKIP = frozenset(["eTime", "random", "sn", "sv"])

CONTEXT_KEYS = {
    "customVariables": "custom_variables",
    "userAgent": "user_agent",
    "ipAddress": "ip_address",
    "variationTargetingVariables": "variation_targeting_variables",
    "postSegmentationVariables": "post_segmentation_variables",
    "sessionId": "session_id",
    "platformVariables": "platform_variables",
    "useIdForWeb": "use_id_for_web",
}


def sdk_context(c):
    """The oracle's camelCase request context as the SDK's snake_case one."""
    if not isinstance(c, dict):
        return c
    return {CONTEXT_KEYS.get(k, k): v for k, v in c.items()}


def canon(v):
    """A JSON value as text: keys in their order, skipped keys left out at any depth, numbers as floats,
    the time suffix of ``msgId`` dropped."""
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            if k in BODY_SKIP:
                continue
            if k == "msgId" and isinstance(x, str):
                x = x.rsplit("-", 1)[0]
            parts.append(json.dumps(k, ensure_ascii=False) + ":" + canon(x))
        return "{" + ",".join(parts) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return repr(float(v))
    return json.dumps(v, ensure_ascii=False)


def canon_target(target):
    for marker in ("/events/t", "/server-side/"):
        i = target.find(marker)
        if i >= 0:
            target = target[i:]
            break
    path, _, query = target.partition("?")
    out = path
    for part in query.split("&") if query else []:
        k, eq, val = part.partition("=")
        if k in QUERY_SKIP:
            continue
        out += "&" + k + "=" + (unquote(val) if eq else "")
    return out


def payload_keys(target, body):
    """One HTTP request as payload keys: a batch gives one per payload, a single event one."""
    if isinstance(body, dict) and isinstance(body.get("ev"), list):
        return ["B " + canon(p) for p in body["ev"]]
    return ["S " + canon_target(target) + " " + (canon(body) if body is not None else "")]


class RecordingStorage(vwo.StorageConnector):
    """The README's storage connector, in memory, remembering every record written."""

    def __init__(self):
        self.records = {}
        self.sets = []
        self.lock = threading.Lock()

    def get(self, key, user_id):
        with self.lock:
            r = self.records.get((key, user_id))
            return copy.deepcopy(r)

    def set(self, value):
        with self.lock:
            self.sets.append(copy.deepcopy(value))
            self.records[(value.get("featureKey"), value.get("userId"))] = copy.deepcopy(value)


def init_options(doc, base_url, storage=None):
    init = doc["initOptions"]
    launch = doc.get("launch") or {}
    opts = {
        "sdk_key": init["sdk_key"],
        "account_id": init["account_id"],
        "settings": doc["settings"],  # libvwo extra: the run's settings, no fetch
        "base_url": base_url,  # libvwo extra: the collector
        "threading": init.get("threading"),
    }
    if launch.get("isDevelopmentMode"):
        opts["isDevelopmentMode"] = True
    b = init.get("batch_event_data")
    if b:
        opts["batch_event_data"] = {"events_per_request": b["events_per_request"]}
    if storage is not None:
        opts["storage"] = storage
    return opts


def make_client(doc, base_url, storage=None):
    entry = (doc.get("launch") or {}).get("entry") or "vwo"
    opts = init_options(doc, base_url, storage)
    return (wingify.init if entry == "wingify" else vwo.init)(opts)


class Unexpressible(Exception):
    """A request whose reference events the C ABI cannot reproduce (a key that is not a str)."""


def run_request(client, req):
    """Runs one oracle request through the Python API; returns what the API returned."""
    api = req["api"]
    has_ctx = "context" in req
    ctx = sdk_context(req.get("context"))
    if api == "getFlag":
        if has_ctx:
            return client.get_flag(req.get("featureKey"), ctx)
        return client.get_flag(req.get("featureKey"))
    if api == "trackEvent":
        args = [req.get("eventName")]
        if has_ctx:
            args.append(ctx)
        if "eventProperties" in req:
            args.append(req["eventProperties"])
        return client.track_event(*args)
    if api == "setAttribute":
        if "attributes" in req:
            return client.set_attribute(req["attributes"], ctx)
        return client.set_attribute(req.get("attributeKey"), req.get("attributeValue"), ctx)
    if api == "updateSettings":
        return client.update_settings(req.get("settings"))
    if api == "flushEvents":
        return client.flush_events()
    if api == "getUUID":
        return vwo.getUUID(req.get("userId"), req.get("accountId"))
    raise ValueError("unknown api %r" % api)


def key_is_str(req):
    api = req["api"]
    if api == "getFlag":
        return isinstance(req.get("featureKey"), str)
    if api == "trackEvent":
        return isinstance(req.get("eventName"), str)
    if api == "setAttribute" and "attributes" not in req:
        return isinstance(req.get("attributeKey"), str)
    return True


def check_result(req, case, got, batching):
    """Whether the API's answer is the reference's (POLICY F1 and F3 where they apply)."""
    api = req["api"]
    want = case.get("result")
    raised = case.get("raised") is not None
    if api == "getFlag":
        if raised:  # F1: a disabled flag
            return not got.is_enabled() and got.get_variables() == [] and got.get_variable("x", 7) == 7
        ok = got.is_enabled() == bool(want.get("isEnabled"))
        ok &= ordered_eq(got.get_variables(), want.get("variables") or [])
        defaults = req.get("variableDefaults") or {}
        for k, v in (want.get("getVariable") or {}).items():
            ok &= py_eq(got.get_variable(k, defaults.get(k)), v)
        ok &= got.get_uuid() == want.get("uuid")
        return ok
    if api == "trackEvent":
        return list(got.values()) == list(want.values()) and len(got) == 1
    if api == "setAttribute" or api == "updateSettings":
        return got is None
    if api == "flushEvents":
        return got is batching  # F3: True once delivered with batching; False without
    if api == "getUUID":
        return got == want
    return False


def replay(path, collector):
    """Replays one corpus run; returns a report dict (failures listed)."""
    doc = read_json(path)
    launch = doc.get("launch") or {}
    storage = RecordingStorage() if launch.get("storage") else None
    client = make_client(doc, collector.base_url, storage)
    assert client is not None, "%s: init failed" % path
    batching = bool(doc["initOptions"].get("batch_event_data"))
    failures, want = [], []
    for ev in (doc.get("init") or {}).get("events", [])[1:]:  # after the settings GET (settings given)
        want += payload_keys(ev["wireUrl"], ev.get("body"))
    n = results = unexpressible = 0
    for i, case in enumerate(doc["cases"]):
        req = case["request"]
        if req["api"] == "getStorage":
            continue
        n += 1
        sets_before = len(storage.sets) if storage else 0
        got = run_request(client, req)
        if not check_result(req, case, got, batching):
            failures.append("#%d %s: got %r, want %.300s" % (i, req["api"], getattr(got, "__dict__", got),
                                                             json.dumps(case.get("result"))))
        else:
            results += 1
        if not key_is_str(req):
            # The reference's debug event for a key that is not a str: the C ABI takes C strings.
            unexpressible += 1
            continue
        for ev in case.get("events") or []:
            body = ev.get("body")
            if isinstance(body, dict) and body.get("ev") == []:
                continue  # POLICY F2
            want += payload_keys(ev["wireUrl"], body)
        if storage is not None and case.get("storage") is not None:
            sets = [op["value"] for op in case["storage"] if op.get("op") == "set"]
            if not (len(storage.sets) - sets_before == len(sets)
                    and all(ordered_eq(a, b) for a, b in zip(storage.sets[sets_before:], sets))):
                failures.append("#%d storage records differ: %r vs %r" % (i, storage.sets[sets_before:], sets))
    client.close()  # delivers everything queued
    got_keys = []
    for method, target, body, _headers in collector.take():
        if method == "GET" and "/server-side/v2-settings" in target:
            continue  # a poll (none is due within a run)
        got_keys += payload_keys(target, json.loads(body) if body else None)
    want.sort()
    got_keys.sort()
    from collections import Counter

    w, g = Counter(want), Counter(got_keys)
    missing = list((w - g).elements())
    extra = list((g - w).elements())
    per_batch = (doc["initOptions"].get("batch_event_data") or {}).get("events_per_request", 0)
    for m in missing[:5]:
        failures.append("missing payload %.400s" % m)
    # With SDK batching the reference never sent what was still queued at the end of its run; libvwo's
    # close sends it: fewer than one batch of extra payloads.
    if extra and not (batching and len(extra) < per_batch):
        failures += ["unexpected payload %.400s" % e for e in extra[:5]]
    return {"requests": n, "results": results, "unexpressible": unexpressible, "payloads": len(want),
            "missing": len(missing), "extra": len(extra), "failures": failures}
