"""tests/vectors through the Python API, with the rules of the Rust runner (src/bin/vwo-conformance):
expectations (Python wins where VERIFY_REPORT.json lists a mismatch), scenarios, and corpus runs whose
events go over HTTP to a collector on 127.0.0.1 and are compared per POLICY §2."""

import glob
import json
import os
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import DATA, VECTORS, Harness, QuietLogger, ordered_eq, py_eq, read_json

EXPECTATIONS = sorted(glob.glob(os.path.join(DATA, "expectations", "*.json")))
SCENARIOS = sorted(glob.glob(os.path.join(DATA, "scenarios", "*.json")))
CORPUS = sorted(
    p for p in glob.glob(os.path.join(VECTORS, "corpus", "*.json"))
    if os.path.basename(p) not in ("INDEX.json", "user_ids.json")
)


def test_vector_files_are_there():
    assert len(EXPECTATIONS) >= 160 and len(SCENARIOS) >= 20 and len(CORPUS) >= 14


def _python_wins():
    report = read_json(os.path.join(DATA, "VERIFY_REPORT.json"))
    out = {}
    for m in report.get("sections", {}).get("expectations", {}).get("mismatches", []):
        if "id" in m and "userId" in m and "got" in m:
            out[(m["id"], m["userId"])] = m["got"]
    return out


PYTHON_WINS = _python_wins()


def truthy(v):
    return bool(v)


@pytest.mark.parametrize("path", EXPECTATIONS, ids=os.path.basename)
def test_expectations(path):
    doc = read_json(path)
    with open(os.path.join(DATA, "settings", doc["settings"] + ".json"), encoding="utf-8") as f:
        settings = json.load(f)
    h = Harness(settings, {"isDevelopmentMode": True, "userStorage": doc.get("userStorage")}, logger=QuietLogger())
    kind = (doc.get("derivation") or "").split(" ")[0]
    failures = []
    for case in doc["cases"]:
        user = case.get("userId", "")
        req = {"api": doc["api"], "campaignKey": case.get("campaignKey", doc.get("campaignKey")), "userId": user}
        for k in ("options", "variableKey", "goalIdentifier"):
            if k in doc:
                req[k] = doc[k]
        expected = PYTHON_WINS.get((doc["id"], user), case.get("expected"))
        got = h.run(req)
        ok = truthy(got) == truthy(expected) if kind == "truthy" else py_eq(got, expected)
        if not ok:
            failures.append("user %r: expected %r got %r" % (user, expected, got))
    h.close()
    assert not failures, "%d/%d cases failed: %s" % (len(failures), len(doc["cases"]), failures[:5])


@pytest.mark.parametrize("path", SCENARIOS, ids=os.path.basename)
def test_scenarios(path):
    doc = read_json(path)
    with open(os.path.join(DATA, "settings", doc["settings"] + ".json"), encoding="utf-8") as f:
        settings = json.load(f)
    h = Harness(settings, doc.get("launch"), logger=QuietLogger())
    failures = []
    for i, step in enumerate(doc["steps"]):
        got = h.run(step)
        if "expectedContains" in step:
            want = step["expectedContains"]
            if not any(all(r.get(k) == v for k, v in want.items()) for r in (got or [])):
                failures.append("step %d: no record contains %r" % (i, want))
        elif "expected" in step and not py_eq(got, step["expected"]):
            failures.append("step %d %r: expected %r got %r" % (i, step.get("api"), step["expected"], got))
    h.close()
    assert not failures, failures[:5]


# ------------------------------------------------------------------------------------------ corpus
IGNORED_PARAMS = ("random", "sId", "sdk", "sdk-v", "eTime")


def _query(url):
    return [(k, v) for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k not in IGNORED_PARAMS]


def _normalize(body):
    """POLICY §2: drop the fields that must differ (session, times, msgId suffix, SDK name/version)."""
    d = body.get("d") if isinstance(body, dict) else None
    if isinstance(d, dict):
        d.pop("sessionId", None)
        d.pop("eTime", None)
        if isinstance(d.get("msgId"), str) and "-" in d["msgId"]:
            d["msgId"] = d["msgId"].rsplit("-", 1)[0]
        ev = d.get("event")
        if isinstance(ev, dict):
            ev.pop("time", None)
            ev.pop("eTime", None)
            props = ev.get("props")
            if isinstance(props, dict):
                props.pop("vwo_sdkName", None)
                props.pop("vwo_sdkVersion", None)
    if isinstance(body, dict) and isinstance(body.get("ev"), list):
        for e in body["ev"]:
            if isinstance(e, dict):
                e.pop("sId", None)
    return body


def compare_event(want, got):
    method, target, body, _headers = got
    if want["method"] != method:
        return "method %s, got %s" % (want["method"], method)
    path = urlsplit(want["url"]).path
    if urlsplit(target).path != path:
        return "url %s, got %s" % (path, target)
    wq, gq = _query(want.get("wireUrl") or want["url"]), _query(target)
    if wq != gq:
        return "query: expected %r got %r" % (wq, gq)
    if want.get("body") is not None:
        try:
            gb = json.loads(body)
        except ValueError:
            return "body is not JSON: %r" % body[:200]
        wb = _normalize(json.loads(json.dumps(want["body"])))
        gb = _normalize(gb)
        if not py_eq(wb, gb):
            return "body: expected %s got %s" % (json.dumps(wb)[:400], json.dumps(gb)[:400])
    return None


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_corpus_over_http(path, collector):
    doc = read_json(path)
    launch = doc.get("launch", {})
    flushed = []
    h = Harness(
        doc["settings"],
        launch,
        base_url=collector.base_url,
        delivery={"max_attempts": 1},
        flush_callback=(lambda err, events: flushed.append((err, len(events)))) if launch.get("batchEvents") else None,
    )
    failures = []
    expected_events = []
    for i, case in enumerate(doc["cases"]):
        req = case["request"]
        got = h.run(req)
        want = case.get("result")
        same = ordered_eq(got, want) if req.get("api") == "track" else py_eq(got, want)
        if not same:
            failures.append("case %d %s: expected %r got %r" % (i, req.get("api"), want, got))
        expected_events.extend((i, e) for e in case.get("events") or [])
    assert h.client.close(timeout=30), "events not all delivered at close"
    got_events = collector.take()
    counters = h.client.delivery_counters()
    assert counters["failed"] == 0 and counters["dropped"] == 0, counters
    if launch.get("batchEvents"):
        # Batches: the events of every batch request, in order, are compared one by one. Where libvwo's
        # event thread cuts the batches is timing-dependent (a partial batch is sent when the thread
        # falls behind), so request boundaries are not compared: see the report of issue 6.
        expected_events = [(i, dict(e, body={"ev": [ev]})) for i, e in expected_events for ev in e["body"]["ev"]]
        got_events = [(m, t, json.dumps({"ev": [ev]}), hd) for m, t, b, hd in got_events for ev in json.loads(b)["ev"]]
    assert len(got_events) == len(expected_events), "expected %d events, the collector got %d" % (
        len(expected_events), len(got_events))
    for (i, want), got in zip(expected_events, got_events):
        err = compare_event(want, got)
        if err:
            failures.append("case %d event: %s" % (i, err))
    if launch.get("batchEvents"):
        assert flushed and all(err is None for err, _ in flushed), flushed
    assert not failures, "%d failures: %s" % (len(failures), failures[:5])
