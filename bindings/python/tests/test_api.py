"""The binding itself: packaging, vwo-python-sdk's API shapes and failure values, callbacks that raise,
close, threads and fork."""

import json
import logging
import os
import threading

import pytest

import vwo
from conftest import MemoryStorage, QuietLogger, in_forked_child, settings_text

AB = "AB_T_100_W_50_50"
FT = "FT_T_100_W_10_20_30_40"


def ab_client(**kw):
    kw.setdefault("is_development_mode", True)
    kw.setdefault("logger", QuietLogger())
    c = vwo.launch(settings_text(AB), **kw)
    assert c is not None
    return c


def test_library_is_the_bundled_one():
    if os.environ.get("VWO_LIBRARY_PATH"):
        pytest.skip("VWO_LIBRARY_PATH overrides the bundled library")
    here = os.path.dirname(os.path.abspath(vwo.__file__))
    assert vwo.library_path == os.path.join(here, "libvwo.so")
    assert os.path.isfile(os.path.join(here, "py.typed"))
    assert vwo.__version__.count(".") == 2


def test_module_api():
    assert vwo.GOAL_TYPES.REVENUE == "REVENUE_TRACKING"
    assert vwo.GOAL_TYPES.CUSTOM == "CUSTOM_GOAL" and vwo.GOAL_TYPES.ALL == "ALL"
    assert vwo.LOG_LEVELS.DEBUG == logging.DEBUG and vwo.LOG_LEVELS.ERROR == logging.ERROR
    assert issubclass(MemoryStorage, vwo.UserStorage)
    assert vwo.UserStorage().get("u", "c") is None


def test_readme_usage_runs_unchanged():
    """vwo-python-sdk's README usage: storage, logger, integrations, batch events, every method."""
    seen = {"integrations": [], "flush": []}

    class Integrations:
        def callback(self, properties):
            seen["integrations"].append(properties)

    storage = MemoryStorage()
    logger = QuietLogger()
    client = vwo.launch(
        settings_text(FT),
        logger=logger,
        user_storage=storage,
        is_development_mode=True,
        goal_type_to_track=vwo.GOAL_TYPES.ALL,
        batch_events={"events_per_request": 5, "request_time_interval": 60,
                      "flush_callback": lambda err, events: seen["flush"].append((err, events))},
        integrations=Integrations(),
        log_level=vwo.LOG_LEVELS.ERROR,
    )
    assert client is not None
    # with a user storage, vwo-python-sdk answers get_variation_name only for users already activated
    assert client.get_variation_name(FT, "Ashley") is None
    assert client.is_feature_enabled(FT, "Ashley", custom_variables={}, variation_targeting_variables={}) is True
    assert client.get_variation_name(FT, "Ashley") == "Variation-2"
    v = client.get_feature_variable_value(FT, "STRING_VARIABLE", "Ashley")
    assert isinstance(v, str)
    assert isinstance(client.get_feature_variable_value(FT, "INTEGER_VARIABLE", "Ashley"), int)
    assert client.get_feature_variable_value(FT, "NO_SUCH_VARIABLE", "Ashley") is None
    assert client.track(FT, "Ashley", "FEATURE_TEST_GOAL", revenue_value=10, custom_variables={}) == {FT: True}
    assert client.is_feature_enabled(FT, "Bill") in (True, False)
    assert client.is_feature_enabled(FT, "Chris") in (True, False)
    assert client.track([FT], "Bill", "FEATURE_TEST_GOAL") == {FT: True}
    assert client.track(None, "Chris", "FEATURE_TEST_GOAL", goal_type_to_track="ALL") == {FT: True}
    assert client.push("tag", "value", "Ashley") is True
    assert client.push({"a": "1", "b": "2"}, "Ashley") is True
    assert client.flush_events(mode="sync") is True
    assert storage.records[("Ashley", FT)]["variationName"] == "Variation-2"
    assert seen["integrations"], "integrations callback not called"
    assert isinstance(seen["integrations"][0], dict)
    assert client.set_opt_out() is True
    assert client.activate(AB, "Ashley") is None
    assert client.get_variation_name(FT, "Ashley") is None
    assert client.is_feature_enabled(FT, "Ashley") is False
    assert client.track(FT, "Ashley", "FEATURE_TEST_GOAL") is None
    assert client.push("tag", "value", "Ashley") is False
    client.close()


def test_variable_values_are_typed():
    c = vwo.launch(settings_text("FR_T_100_W_100"), is_development_mode=True)
    types = {"STRING_VARIABLE": str, "INTEGER_VARIABLE": int, "FLOAT_VARIABLE": float,
             "BOOLEAN_VARIABLE": bool, "JSON_VARIABLE": dict}
    for key, t in types.items():
        v = c.get_feature_variable_value("FR_T_100_W_100", key, "Ashley")
        assert type(v) is t, (key, v)
    c.close()


def test_flush_events_without_batching_is_none():
    with ab_client() as c:
        assert c.flush_events(mode="sync") is None


BAD_VALUES = [None, 1, 1.5, True, b"bytes", ["list"], {"d": 1}, object(), "a\0b", "\ud800"]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
def test_bad_input_gives_failure_values(bad):
    with ab_client() as c:
        assert c.activate(bad, "u") is None
        assert c.activate(AB, bad) is None
        assert c.get_variation_name(bad, "u") is None
        assert c.get_variation_name(AB, bad) is None
        assert c.is_feature_enabled(bad, "u") is False
        assert c.is_feature_enabled(FT, bad) is False
        assert c.get_feature_variable_value(bad, "v", "u") is None
        assert c.get_feature_variable_value(FT, bad, "u") is None
        assert c.get_feature_variable_value(FT, "v", bad) is None
        assert c.track(AB, bad, "CUSTOM") is None
        assert c.track(AB, "u", bad) is None
        if not isinstance(bad, dict):  # push(dict, user_id) is the custom-dimension-map form
            assert c.push(bad, "v", "u") is False
        assert c.push("k", bad, "u") is False
        assert c.push("k", "v", bad) is False
        if bad is not None and not isinstance(bad, (str, list, dict)):
            assert c.track(bad, "u", "CUSTOM") is None
        # options of the wrong type
        if bad is not None and not isinstance(bad, dict):
            assert c.activate(AB, "u", custom_variables=bad) is None
            assert c.is_feature_enabled(FT, "u", variation_targeting_variables=bad) is False


def test_bad_input_more():
    with ab_client() as c:
        assert c.activate("", "u") is None and c.activate(AB, "") is None
        assert c.activate("NO_SUCH_CAMPAIGN", "u") is None
        huge = "x" * 5_000_000
        assert c.get_variation_name(AB, huge) in ("Control", "Variation-1")
        assert c.activate(huge, "u") is None
        assert c.push("k" * 256, "v", "u") is False
        assert c.push("k", "v" * 256, "u") is False
        assert c.track([AB, 3], "u", "CUSTOM") == {AB: True}  # vwo-python-sdk 1.68.2: 3 names no campaign
        assert c.track(AB, "u", "CUSTOM", revenue_value=object()) in (None, {AB: False}, {AB: True})
        assert c.activate(AB, "u", custom_variables={"x": float("nan")}) is None
        deep = {}
        d = deep
        for _ in range(5000):
            d["a"] = {}
            d = d["a"]
        assert c.activate(AB, "u", custom_variables=deep) is None
        assert c.push({"k": "v"}, None) is False
        assert c.push(None) is False
        assert c.get_and_update_settings_file(account_id=object(), sdk_key="nope") is None
        assert c.get_and_update_settings_file(account_id="999", sdk_key=b"nope") is None


def test_launch_failure_values():
    s = settings_text(AB)
    assert vwo.launch(None) is None
    assert vwo.launch(12) is None
    assert vwo.launch(json.loads(s)) is None  # vwo-python-sdk takes the JSON text only
    assert vwo.launch("not json") is None
    assert vwo.launch("{}") is None
    assert vwo.launch(s, logger=object()) is None
    assert vwo.launch(s, user_storage=object()) is None
    assert vwo.launch(s, integrations=object()) is None
    assert vwo.launch(s, goal_type_to_track="NOPE") is None
    assert vwo.launch(s, batch_events={}) is None
    assert vwo.launch(s, batch_events={"events_per_request": 0}) is None
    assert vwo.launch(s, batch_events={"events_per_request": 5001}) is None
    assert vwo.launch(s, batch_events={"request_time_interval": 0}) is None
    assert vwo.launch(s, batch_events={"events_per_request": 10, "flush_callback": 3}) is None
    assert vwo.launch(s, batch_events=[1]) is None
    c = vwo.launch(s, is_development_mode=True, unknown_kwarg=1)
    assert c is not None
    c.close()


def test_get_settings_file_failure_is_empty_object(collector):
    assert vwo.get_settings_file("", "") == "{}"
    assert vwo.get_settings_file(None, "k") == "{}"
    assert vwo.get_settings_file(1, "k", base_url="http://127.0.0.1:9") == "{}"
    # a collector answering 200 with "{}": the text as VWO sent it
    assert vwo.get_settings_file(123, "key", base_url=collector.base_url) == "{}"
    method, target, _body, _h = collector.take()[0]
    assert method == "GET" and target.startswith("/server-side/settings")


def test_callbacks_that_raise_are_logged_not_propagated(caplog):
    class BadStorage(vwo.UserStorage):
        def get(self, user_id, campaign_key):
            raise RuntimeError("get boom")

        def set(self, user_data):
            raise RuntimeError("set boom")

    class BadIntegrations:
        def callback(self, properties):
            raise ValueError("integrations boom")

    class BadLogger:
        def log(self, level, message):
            raise KeyError("logger boom")

    with caplog.at_level(logging.ERROR, logger="vwo"):
        c = vwo.launch(settings_text(AB), user_storage=BadStorage(), integrations=BadIntegrations(),
                       logger=BadLogger(), is_development_mode=True)
        assert c is not None
        assert c.activate(AB, "Ashley") in ("Control", "Variation-1")
        assert c.activate("", "Ashley") is None  # makes libvwo log through the raising logger
        c.close()
    text = caplog.text
    assert "get boom" in text and "set boom" in text and "integrations boom" in text
    assert "logger boom" in text


def test_flush_callback_that_raises(collector, caplog):
    def boom(err, events):
        raise RuntimeError("flush boom")

    with caplog.at_level(logging.ERROR, logger="vwo"):
        c = vwo.launch(settings_text(AB), base_url=collector.base_url,
                       batch_events={"events_per_request": 2, "flush_callback": boom})
        for u in ("a", "b", "c", "d"):
            c.activate(AB, u)
        assert c.flush_events("sync") is True
        c.close()
    assert "flush boom" in caplog.text
    assert len(collector.take()) >= 2


def test_storage_get_returning_garbage_is_nothing_stored():
    class Weird(vwo.UserStorage):
        def get(self, user_id, campaign_key):
            return ["not", "a", "dict"]

    logger = QuietLogger()
    c = vwo.launch(settings_text(AB), user_storage=Weird(), logger=logger, is_development_mode=True)
    assert c.activate(AB, "Ashley") in ("Control", "Variation-1")
    c.close()


def test_close_twice_and_calls_after_close(collector):
    c = vwo.launch(settings_text(AB), base_url=collector.base_url, logger=QuietLogger())
    want = c.activate(AB, "Ashley")
    assert c.close() is True
    assert c.close() is True
    assert c.get_variation_name(AB, "Ashley") == want
    assert c.activate(AB, "Bill") in ("Control", "Variation-1")  # decided; its event is dropped
    assert c.flush_events("sync") is None
    assert len(collector.take()) == 1
    assert c.delivery_counters()["dropped"] >= 1
    with vwo.launch(settings_text(AB), is_development_mode=True) as d:
        assert d.activate(AB, "Ashley") == want


def _decide_all(c, ops):
    return [c.get_variation_name(k, u, custom_variables=cv) for k, u, cv in ops]


def test_threads_equal_sequential(bench_settings):
    s = json.loads(bench_settings)
    keys = [c["key"] for c in s["campaigns"] if c["type"] in ("VISUAL_AB", "FEATURE_TEST")]
    n = int(os.environ.get("VWO_TEST_THREAD_OPS", "20000"))
    ops = [(keys[i % len(keys)], "user_%d" % (i * 7919 % 100000), {"browser": "Chrome", "country": "US"})
           for i in range(n)]
    c = vwo.launch(bench_settings, is_development_mode=True)
    want = _decide_all(c, ops)
    results = [None] * 8
    errors = []

    def work(i):
        try:
            results[i] = _decide_all(c, ops)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c.close()
    assert not errors
    assert all(r == want for r in results)
    assert sum(1 for v in want if v is not None) > n // 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
# Python 3.12+ warns about forking a process with threads: libvwo's event thread is the point of the test.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_child_decides_and_tracks(collector):
    c = vwo.launch(settings_text(AB), base_url=collector.base_url, logger=QuietLogger())
    want = c.activate(AB, "Ashley")  # queued in the parent before the fork
    def child():
        got = c.get_variation_name(AB, "Ashley")
        tracked = c.track(AB, "Bill", "CUSTOM")
        b = c.activate(AB, "Chris")
        return [got, tracked, b, c.close(timeout=10)]

    got, tracked, b, ok = in_forked_child(child)
    assert got == want and ok is True
    assert b in ("Control", "Variation-1")
    # parent unaffected
    assert c.get_variation_name(AB, "Ashley") == want
    assert c.close(timeout=10) is True
    reqs = collector.take()
    # Ashley's impression (parent, queued before the fork), Chris's impression and Bill's goal (child):
    # three requests for three different visitors, none sent twice.
    from urllib.parse import parse_qs, urlsplit
    visitors = sorted((urlsplit(t).path, parse_qs(urlsplit(t).query)["u"][0]) for _m, t, _b, _h in reqs)
    assert len(visitors) == 3, reqs
    assert len(set(v for _p, v in visitors)) == 3, visitors
    assert [p for p, _v in visitors].count("/server-side/track-goal") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_child_of_a_spooling_client_sends_without_the_spool(collector, tmp_path):
    # libvwo lets one client hold a spool directory; the parent keeps it, the relaunched child queues in
    # memory. The child's relaunch must not fail on the parent's lock.
    logger = QuietLogger()
    c = vwo.launch(settings_text(AB), base_url=collector.base_url, logger=logger,
                   delivery={"spool_dir": str(tmp_path)})
    def child():
        b = c.activate(AB, "Chris")
        return [b, c.close(timeout=10), [m for _l, m in logger.messages if "relaunch" in m]]

    b, ok, relaunch_errors = in_forked_child(child)
    assert b in ("Control", "Variation-1") and ok is True
    assert relaunch_errors == []
    assert c.activate(AB, "Ashley") in ("Control", "Variation-1")
    assert c.close(timeout=10) is True
    from urllib.parse import parse_qs, urlsplit
    visitors = sorted(parse_qs(urlsplit(t).query)["u"][0] for _m, t, _b, _h in collector.take())
    assert len(visitors) == 2 and len(set(visitors)) == 2, visitors


def test_settings_fetch_and_update(collector):
    ab = settings_text(AB)
    ft = json.loads(settings_text(FT))
    ft["accountId"] = json.loads(ab)["accountId"]
    collector.responses["/server-side/settings"] = ab
    fetched = vwo.get_settings_file(json.loads(ab)["accountId"], "key", base_url=collector.base_url)
    assert json.loads(fetched) == json.loads(ab)
    c = vwo.launch(fetched, base_url=collector.base_url, is_development_mode=True)
    assert c.get_variation_name(FT, "Ashley") is None
    collector.responses["/server-side/pull"] = json.dumps(ft)
    updated = c.get_and_update_settings_file(is_via_webhook=True)
    assert json.loads(updated)["campaigns"][0]["key"] == FT
    assert c.get_variation_name(FT, "Ashley") == "Variation-2"
    collector.responses["/server-side/settings"] = "not json"
    assert c.get_and_update_settings_file() is None  # invalid settings: the current ones stay
    assert c.get_variation_name(FT, "Ashley") == "Variation-2"
    paths = [t.split("?", 1)[0] for _m, t, _b, _h in collector.take()]
    assert paths == ["/server-side/settings", "/server-side/pull", "/server-side/settings"]
    # another account's settings (vwo-python-sdk's account_id / sdk_key arguments), and the pull flag of
    # get_settings_file
    other = json.loads(ab)
    other["accountId"] = 999
    collector.responses["/server-side/pull"] = json.dumps(other)
    assert json.loads(c.get_and_update_settings_file(999, "other-key", is_via_webhook=True))["accountId"] == 999
    assert json.loads(vwo.get_settings_file(999, "other-key", is_via_webhook=True, base_url=collector.base_url)) == other
    from urllib.parse import parse_qs, urlsplit

    got = [(urlsplit(t).path, parse_qs(urlsplit(t).query)) for _m, t, _b, _h in collector.take()]
    assert [(p, q["a"], q["i"]) for p, q in got] == [("/server-side/pull", ["999"], ["other-key"])] * 2
    c.close()


def test_libvwo_messages_go_to_logging_without_a_custom_logger(caplog, collector):
    """Without ``logger=``, libvwo's own messages reach the ``logging`` logger ``vwo``; events carry no
    ``cl`` usage stat (vwo-python-sdk's default logger is not a custom one)."""
    c = vwo.launch(settings_text(AB), base_url=collector.base_url, goal_type_to_track="ALL")
    with caplog.at_level(logging.ERROR, logger="vwo"):
        assert c.activate("NO_SUCH_CAMPAIGN", "Ashley") is None
    assert any(r.name == "vwo" and "NO_SUCH_CAMPAIGN" in r.getMessage() for r in caplog.records), caplog.records
    assert c.activate(AB, "Ashley") is not None
    assert c.close(timeout=10) is True
    from urllib.parse import parse_qs, urlsplit

    (q,) = [parse_qs(urlsplit(t).query) for _m, t, _b, _h in collector.take()]
    assert q.get("gt") == ["1"] and q.get("_l") == ["1"] and "cl" not in q

    class Mine:
        def log(self, level, message):
            pass

    c = vwo.launch(settings_text(AB), base_url=collector.base_url, logger=Mine())
    assert c.activate(AB, "Ashley") is not None
    assert c.close(timeout=10) is True
    (q,) = [parse_qs(urlsplit(t).query) for _m, t, _b, _h in collector.take()]
    assert q.get("cl") == ["1"] and q.get("_l") == ["1"]


def test_callback_reentering_the_api():
    """An integrations callback that calls the client again on the same thread (libvwo holds no lock)."""
    inner = []

    class Hook:
        def callback(self, properties):
            if properties.get("source") == "activate":
                inner.append(client.get_variation_name(AB, "Bill"))
                inner.append(client.is_feature_enabled(FT, "Bill"))

    client = vwo.launch(settings_text(AB), integrations=Hook(), is_development_mode=True)
    want_ashley = vwo.launch(settings_text(AB), is_development_mode=True).get_variation_name(AB, "Ashley")
    assert client.activate(AB, "Ashley") == want_ashley
    assert inner and inner[0] in ("Control", "Variation-1") and inner[1] is False
    client.close()


def test_long_variation_names_need_a_bigger_buffer():
    s = json.loads(settings_text(AB))
    for i, v in enumerate(s["campaigns"][0]["variations"]):
        v["name"] = ("Variation-%d-" % i) + "é" * 400
    c = vwo.launch(json.dumps(s), is_development_mode=True)
    small = vwo.launch(settings_text(AB), is_development_mode=True)
    for user in ("Ashley", "Bill", "Chris"):
        name = c.activate(AB, user)
        index = [v["name"] for v in s["campaigns"][0]["variations"]].index(name)
        assert small.activate(AB, user) == ["Control", "Variation-1"][index]
        assert c.get_variation_name(AB, user) == name
    c.close()
    small.close()


def test_custom_variables_encoding_is_by_content_and_type():
    from vwo import _client

    enc = _client._custom_variables_option
    a = {"x": 1, "y": "s"}
    assert enc(a) == b'{"custom_variables":{"x":1,"y":"s"}}'
    assert enc(a) is enc(dict(a))  # remembered by content
    a["x"] = 2  # mutated: new content, new text
    assert enc(a) == b'{"custom_variables":{"x":2,"y":"s"}}'
    assert enc({"x": True, "y": "s"}) == b'{"custom_variables":{"x":true,"y":"s"}}'
    assert enc({"x": 1.0, "y": "s"}) == b'{"custom_variables":{"x":1.0,"y":"s"}}'
    assert enc({"x": 1, "y": "s"}) == b'{"custom_variables":{"x":1,"y":"s"}}'
    # equal to a remembered profile, but not of its types: never answered from the cache
    from fractions import Fraction

    assert enc({"x": Fraction(1), "y": "s"}) == b'{"custom_variables":{"x":"1","y":"s"}}'
    assert enc({"x": 1, "y": "s"}) == b'{"custom_variables":{"x":1,"y":"s"}}'
    assert enc({"x": -0.0}) == b'{"custom_variables":{"x":-0.0}}'
    assert enc({"x": 0.0}) == b'{"custom_variables":{"x":0.0}}'
    assert enc({1: "a"}) == b'{"custom_variables":{"1":"a"}}'
    assert enc({True: "a"}) == b'{"custom_variables":{"true":"a"}}'
    assert enc({"x": [1, 2]}) == b'{"custom_variables":{"x":[1,2]}}'
    # one dict passed again (found by identity), changed in place between calls
    p = {"a": 1, "b": "s", "c": 2.5}
    assert enc(p) == b'{"custom_variables":{"a":1,"b":"s","c":2.5}}'
    for change, text in [
        (lambda: p.__setitem__("a", True), b'{"a":true,"b":"s","c":2.5}'),
        (lambda: p.__setitem__("a", 1.0), b'{"a":1.0,"b":"s","c":2.5}'),
        (lambda: p.__setitem__("a", Fraction(1)), b'{"a":"1","b":"s","c":2.5}'),
        (lambda: p.__setitem__("a", 1), b'{"a":1,"b":"s","c":2.5}'),
        (lambda: p.__setitem__("b", p.pop("b")), b'{"a":1,"c":2.5,"b":"s"}'),  # same items, new order
        (lambda: p.__setitem__("d", None), b'{"a":1,"c":2.5,"b":"s","d":null}'),
        (lambda: p.clear(), b"{}"),
        (lambda: p.update(a=[1]), b'{"a":[1]}'),
    ]:
        change()
        for _ in range(2):  # the first call may remember the new content; the second finds it
            assert enc(p) == b'{"custom_variables":' + text + b"}"
    assert enc({"x": float("nan")}) is _client._BAD
    assert enc(None) is None


def test_variation_names_of_any_text():
    """Names are read by length: a NUL inside one, non-ASCII text and a name longer than the binding's
    256-byte buffer all come back whole."""
    s = json.loads(settings_text(AB))
    for name in ("A\u0000B", "Variation-é-🙂", "V" * 1000):
        for v in s["campaigns"][0]["variations"]:
            v["weight"] = 0
        s["campaigns"][0]["variations"][1]["weight"] = 100
        s["campaigns"][0]["variations"][1]["name"] = name
        c = vwo.launch(json.dumps(s), is_development_mode=True)
        for _ in range(2):
            assert c.get_variation_name(AB, "Ashley") == name
            assert c.activate(AB, "Ashley") == name
        c.close()


# ------------------------------------------------------------------------------------------ deep nesting
def nested(depth, kind=dict):
    """A dict (or list) ``depth`` levels deep, built without recursion."""
    v = {} if kind is dict else []
    for _ in range(depth):
        v = {"a": v} if kind is dict else [v]
    return v


# 100,000 levels: beyond the interpreter's recursion limit; 200: within it, beyond libvwo's JSON limit (128).
DEEP = [nested(100_000), nested(100_000, list), nested(200), nested(200, list)]
DEEP_IDS = ["dict-100000", "list-100000", "dict-200", "list-200"]


def errors_of(logger):
    return [m for level, m in logger.messages if level >= logging.ERROR]


LAUNCH_OPTIONS = ["settings_file", "logger", "user_storage", "is_development_mode", "goal_type_to_track",
                  "batch_events", "integrations", "log_level", "base_url", "delivery", "redis_creds",
                  "builtin_user_storage"]


@pytest.mark.parametrize("deep", DEEP, ids=DEEP_IDS)
@pytest.mark.parametrize("option", LAUNCH_OPTIONS)
def test_launch_options_nested_too_deeply_fail_cleanly(caplog, option, deep):
    logger = QuietLogger()
    kw = {"settings_file": settings_text(AB), "logger": logger, "is_development_mode": True}
    kw[option] = deep
    if option == "redis_creds":
        kw[option] = {"url": deep}
    elif option == "batch_events":
        kw[option] = {"events_per_request": deep}
    with caplog.at_level(logging.ERROR, logger="vwo"):
        assert vwo.launch(**kw) is None
    logged = errors_of(logger) + [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and all(m.startswith("launch: ") for m in logged), logged


def test_launch_option_delivery_spool_dir_nested_too_deeply_fails_cleanly():
    for deep in DEEP:
        logger = QuietLogger()
        assert vwo.launch(settings_text(AB), logger=logger, delivery={"spool_dir": deep}) is None
        assert errors_of(logger), logger.messages


CALL_OPTIONS = ["custom_variables", "variation_targeting_variables", "user_agent", "user_ip_address",
                "custom_properties"]
TRACK_OPTIONS = CALL_OPTIONS + ["revenue_value", "goal_type_to_track", "event_properties",
                                "should_track_returning_user"]


@pytest.mark.parametrize("deep", DEEP, ids=DEEP_IDS)
def test_call_options_nested_too_deeply_fail_cleanly(deep):
    logger = QuietLogger()
    c = ab_client(logger=logger)
    ft = vwo.launch(settings_text(FT), logger=logger, is_development_mode=True)
    ft_key = json.loads(settings_text(FT))["campaigns"][0]["key"]
    var = json.loads(settings_text(FT))["campaigns"][0]["variations"][0]["variables"][0]["key"]
    calls = []
    for opt in CALL_OPTIONS:
        calls += [
            (lambda o=opt: c.activate(AB, "Ashley", **{o: deep}), None),
            (lambda o=opt: c.get_variation_name(AB, "Ashley", **{o: deep}), None),
            (lambda o=opt: ft.is_feature_enabled(ft_key, "Ashley", **{o: deep}), False),
        ]
    for opt in ("custom_variables", "variation_targeting_variables"):
        calls.append((lambda o=opt: ft.get_feature_variable_value(ft_key, var, "Ashley", **{o: deep}), None))
    for opt in TRACK_OPTIONS:
        for spec in (AB, [AB], None):
            calls.append((lambda o=opt, s=spec: c.track(s, "Ashley", "CUSTOM", **{o: deep}), None))
    # positional and first-seen forms of the fast paths
    calls += [
        (lambda: c.activate(AB, "Ashley", deep), None),
        (lambda: c.track(AB, "Ashley", "CUSTOM", deep), None),
        (lambda: c.track(AB, "Ashley", "CUSTOM", None, deep), None),
        (lambda: c.push(deep, "Ashley"), False),
        (lambda: c.push("tag", deep, "Ashley"), False),
        (lambda: c.activate(deep, "Ashley"), None),
        (lambda: c.activate(AB, deep), None),
        (lambda: c.track(AB, deep, "CUSTOM"), None),
        (lambda: c.track(AB, "Ashley", deep), None),
        (lambda: c.get_and_update_settings_file(deep, deep), None),
    ]
    for call, failure in calls:
        del logger.messages[:]
        assert call() is failure
        assert errors_of(logger), logger.messages
    # and the clients still work
    assert c.activate(AB, "Ashley") in ("Control", "Variation-1")
    assert ft.is_feature_enabled(ft_key, "Ashley") in (True, False)


def test_get_settings_file_arguments_nested_too_deeply_fail_cleanly(caplog):
    for deep in DEEP:
        with caplog.at_level(logging.ERROR, logger="vwo"):
            assert vwo.get_settings_file(deep, "k") == "{}"
            assert vwo.get_settings_file("1", deep) == "{}"
            assert vwo.get_settings_file("1", "k", base_url=deep) == "{}"
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 3
        caplog.clear()
