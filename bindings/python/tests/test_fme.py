"""vwo-fme-python-sdk 1.65.0's API (``vwo.init``) over libvwo: the FME corpus through the Python API with
events over HTTP to a collector on 127.0.0.1, bad input of every kind, 8 threads, fork, the module paths."""

import copy
import json
import logging
import os
import threading

import pytest

import vwo
import wingify
from conftest import in_forked_child, read_json
from fme_harness import FME, RecordingStorage, corpus_files, replay, run_request

CORPUS = corpus_files()


def test_fme_vector_files_are_there():
    assert len([p for p in CORPUS if "/corpus/" in p.replace(os.sep, "/")]) == 16
    assert len([p for p in CORPUS if "/extra/" in p.replace(os.sep, "/")]) >= 4


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_fme_corpus(path, collector):
    r = replay(path, collector)
    assert r["failures"] == [], "\n".join(r["failures"][:20])
    assert r["requests"] > 0 and r["results"] == r["requests"]
    assert r["missing"] == 0 and r["payloads"] > 0


# ------------------------------------------------------------------------------------------ a small account
def settings_doc():
    """One feature, ``feature_key``: a 100 % rollout with an int and a string variable, and the metric
    ``event_name``; the names the official README's snippets use."""
    return {
        "version": 1,
        "accountId": 123456,
        "sdkKey": "32-alpha-numeric-sdk-key",
        "features": [
            {
                "id": 1, "key": "feature_key", "name": "Feature", "status": "ON", "type": "FEATURE_FLAG",
                "impactCampaign": {},
                "rules": [{"ruleKey": "rollout1", "type": "FLAG_ROLLOUT", "variationId": 1, "campaignId": 1}],
                "metrics": [{"identifier": "event_name", "mca": -1, "id": 1, "type": "CUSTOM_GOAL"}],
            },
            {
                "id": 2, "key": "feature-key", "name": "Feature 2", "status": "ON", "type": "FEATURE_FLAG",
                "impactCampaign": {},
                "rules": [{"ruleKey": "rollout2", "type": "FLAG_ROLLOUT", "variationId": 1, "campaignId": 2}],
                "metrics": [],
            },
        ],
        "campaigns": [
            {
                "id": 1, "key": "feature_key_rollout1", "name": "feature_key_rollout1", "status": "RUNNING",
                "type": "FLAG_ROLLOUT", "isForcedVariationEnabled": False, "segments": {},
                "variations": [{"id": 1, "name": "Rollout-rule-1", "weight": 100, "segments": {}, "variables": [
                    {"id": 1, "key": "int_variable_key", "type": "integer", "value": 10},
                    {"id": 2, "key": "feature_variable", "type": "string", "value": "on"},
                    {"id": 3, "key": "ratio", "type": "double", "value": 0.5},
                    {"id": 4, "key": "config", "type": "json", "value": {"a": [1, 2]}},
                    {"id": 5, "key": "dark", "type": "boolean", "value": True},
                ]}],
            },
            {
                "id": 2, "key": "feature-key_rollout2", "name": "feature-key_rollout2", "status": "RUNNING",
                "type": "FLAG_ROLLOUT", "isForcedVariationEnabled": False, "segments": {},
                "variations": [{"id": 1, "name": "Rollout-rule-2", "weight": 100, "segments": {}, "variables": []}],
            },
        ],
    }


def event_names(requests):
    """The event names of the collector's requests (each payload of a batch)."""
    out = []
    for _, _, body, _ in requests:
        doc = json.loads(body) if body else {}
        for p in doc.get("ev", [doc]):
            out.append(p.get("d", {}).get("event", {}).get("name"))
    return out


@pytest.fixture
def client(collector):
    c = vwo.init({"sdk_key": "32-alpha-numeric-sdk-key", "account_id": 123456, "settings": settings_doc(),
                  "base_url": collector.base_url})
    assert c is not None
    yield c
    c.close()


def test_get_flag_track_set_attribute(client, collector):
    f = client.get_flag("feature_key", {"id": "user-1"})
    assert isinstance(f, vwo.models.user.get_flag.GetFlag)
    assert f.is_enabled() is True
    assert f.get_variable("int_variable_key", 0) == 10
    assert f.get_variable("config") == {"a": [1, 2]}
    assert f.get_variable("absent", "dflt") == "dflt"
    assert [v["key"] for v in f.get_variables()] == ["int_variable_key", "feature_variable", "ratio", "config", "dark"]
    assert list(f.get_variables()[0]) == ["id", "value", "type", "key"]
    f.get_variables()[0]["value"] = 99  # a copy: the flag keeps its value
    assert f.get_variable("int_variable_key") == 10
    assert f.get_uuid() == vwo.getUUID("user-1", "123456")
    assert f.get_session_id() > 1_600_000_000
    assert client.get_flag("feature_key", {"id": "u", "session_id": 1697123456}).get_session_id() == 1697123456
    assert client.get_flag("missing", {"id": "user-1"}).is_enabled() is False
    assert client.track_event("event_name", {"id": "user-1"}) == {"event_name": True}
    assert client.track_event("event_name", {"id": "user-1"}, {"amount": 3}) == {"event_name": True}
    assert client.track_event("unknown", {"id": "user-1"}) == {"unknown": False}
    assert client.set_attribute("plan", "pro", {"id": "user-1"}) is None
    assert client.set_attribute({"plan": "pro", "seats": 3}, {"id": "user-1"}) is None
    assert client.update_settings(settings_doc()) is None
    assert client.flush_events() is False  # no batch_event_data, as the reference
    client.close()
    names = event_names(collector.take())
    assert names.count("vwo_variationShown") >= 2
    assert names.count("event_name") == 2
    assert names.count("vwo_syncVisitorProp") == 2


def test_getuuid():
    assert vwo.getUUID("user-123", "123456") == "CC25A368ADA0542699EAD62489811105"  # the official README's
    assert vwo.vwo.getUUID("user-123", "123456") == wingify.getUUID("user-123", "123456")
    for bad in [None, 7, "", b"user", ["u"], "a\0b"]:
        assert vwo.getUUID(bad, "123456") is None
        assert vwo.getUUID("user", bad) is None
    assert vwo.getUUID("user", 123456) is None  # both must be str, as the reference


def test_init_failure_values(collector, capsys):
    base = {"sdk_key": "k", "account_id": 1, "settings": settings_doc(), "base_url": collector.base_url}
    for bad in [None, {}, [], "options", 7, {"account_id": 1}, {"sdk_key": "k"}, {"sdk_key": "", "account_id": 1},
                {"sdk_key": "k", "account_id": 0}, dict(base, is_aliasing_enabled=True),
                dict(base, settings={"not": "settings"}), dict(base, settings="[1, 2")]:
        assert vwo.init(bad) is None
    out = capsys.readouterr().out
    assert "SDK key is required to initialize VWO. Please provide the sdk_key in the options. None" in out
    assert "Account ID is required to initialize VWO. Please provide the account_id in the options. None" in out
    assert "Gateway service URL is required when aliasing is enabled." in out
    # Tolerated as the reference tolerates them: a str account id, wrong optional values (logged, ignored).
    odd = dict(base, account_id="1", poll_interval=5, storage=object(), integrations={"callback": 3},
               batch_event_data={"events_per_request": -1, "request_time_interval": "x"}, threading=None,
               logger={"level": "NOPE"}, proxy_url=7, segmentation=object(), network=object(), unknown_key=1)
    c = vwo.init(odd)
    assert c is not None and c.get_flag("feature_key", {"id": "u"}).is_enabled()
    assert c.flush_events() is False
    c.close()


def test_init_fetches_settings(collector):
    collector.responses["/server-side/v2-settings"] = json.dumps(settings_doc())
    c = vwo.init({"sdk_key": "32-alpha-numeric-sdk-key", "account_id": "123456", "base_url": collector.base_url,
                  "poll_interval": 60000})
    assert c is not None
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled()
    c.update_settings()  # fetched again (v2-pull, as a webhook asks)
    c.update_settings(is_via_webhook=False)
    c.close()
    targets = [t for m, t, _, _ in collector.take() if m == "GET"]
    assert targets[0].startswith("/server-side/v2-settings?") and "a=123456" in targets[0] and "s=prod" in targets[0]
    assert any(t.startswith("/server-side/v2-pull?") for t in targets)
    assert sum(t.startswith("/server-side/v2-settings?") for t in targets) == 2


def test_development_mode_omits_prod(collector):
    collector.responses["/server-side/v2-settings"] = json.dumps(settings_doc())
    c = vwo.init({"sdk_key": "k", "account_id": 123456, "base_url": collector.base_url, "isDevelopmentMode": True})
    assert c is not None
    c.close()
    targets = [t for m, t, _, _ in collector.take() if m == "GET"]
    assert "s=prod" not in targets[0]


def test_unfetchable_settings_still_give_a_client(collector):
    # The collector answers the settings fetch with something that is not settings: as the reference, a
    # client exists; it knows no feature until update_settings (or a poll) brings valid settings.
    collector.responses["/server-side/v2-settings"] = "[]"
    c = vwo.init({"sdk_key": "k", "account_id": 123456, "base_url": collector.base_url})
    if c is None:
        pytest.fail("init returned None for settings VWO could not give")
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled() is False
    assert c.track_event("event_name", {"id": "u"}) == {"event_name": False}
    c.update_settings(settings_doc())
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled() is True
    c.close()


def test_settings_fetch_failure_still_gives_a_client():
    # Nothing listens on the port: the fetch fails after the reference's retries (2, 4 and 8 s, so this
    # test takes about 14 s); as the reference, init still returns a client, with no features.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = vwo.init({"sdk_key": "k", "account_id": 1, "base_url": "http://127.0.0.1:%d" % port,
                  "delivery": {"close_timeout_ms": 200}})
    assert c is not None
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled() is False
    assert c.track_event("event_name", {"id": "u"}) == {"event_name": False}
    c.update_settings(settings_doc())
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled() is True
    c.close()


def test_storage_connector_batching_integrations_logger(collector):
    seen, flushed, logs, records = [], [], [], {}

    class UserStorage(vwo.StorageConnector):
        def get(self, key, user_id):
            return records.get(f"{key}_{user_id}")

        def set(self, value):
            records[f"{value.get('featureKey')}_{value.get('userId')}"] = value

    class Transport:
        def __init__(self, config):
            self.level = config.get("level", "ERROR")
            self.config = config

        def log(self, level, message):
            logs.append((level, message))

    c = vwo.init({
        "sdk_key": "k", "account_id": 123456, "settings": settings_doc(), "base_url": collector.base_url,
        "storage": UserStorage(),
        "integrations": {"callback": seen.append},
        "batch_event_data": {"events_per_request": 100, "request_time_interval": 60,
                             "flush_callback": lambda err, payload: flushed.append((err, payload))},
        "logger": {"level": "DEBUG", "transport": Transport({"level": "INFO"})},
    })
    assert c is not None
    assert c.get_flag("feature_key", {"id": "u1"}).is_enabled()
    assert "feature_key_u1" in records and records["feature_key_u1"]["rolloutKey"] == "feature_key_rollout1"
    assert c.get_flag("feature_key", {"id": "u1"}).get_variable("int_variable_key") == 10  # from storage
    assert seen and seen[0]["featureKey"] == "feature_key"
    assert logs and all(level in ("INFO", "WARN", "ERROR") for level, _ in logs)
    assert c.flush_events() is True  # POLICY F3
    assert flushed and flushed[-1][0] is None
    c.close()
    assert any(b and '"ev"' in b for _, _, b, _ in collector.take())


def test_callbacks_that_raise_are_logged(collector, caplog):
    class Broken(vwo.StorageConnector):
        def get(self, key, user_id):
            raise RuntimeError("get")

        def set(self, value):
            raise RuntimeError("set")

    def boom(_):
        raise RuntimeError("hook")

    class BadTransport:
        level = "DEBUG"

        def log(self, level, message):
            raise RuntimeError("log")

    c = vwo.init({"sdk_key": "k", "account_id": 1, "settings": settings_doc(), "base_url": collector.base_url,
                  "storage": Broken(), "integrations": {"callback": boom},
                  "logger": {"transports": [BadTransport(), {"level": "ERROR"}]}})
    assert c is not None
    with caplog.at_level(logging.ERROR, logger="vwo"):
        assert c.get_flag("feature_key", {"id": "u"}).is_enabled()
    assert any("raised RuntimeError" in r.getMessage() for r in caplog.records)
    c.close()


HUGE = "x" * (4 << 20)


def deep(n):
    d = {}
    for _ in range(n):
        d = {"a": d}
    return d


class Unjsonable:
    def __str__(self):
        return "unjsonable"


BAD_VALUES = [None, 0, 1.5, float("nan"), True, "", HUGE, "a\0b", "\ud800", b"bytes", [], ["id"], (), set(),
              object(), deep(5000), {"id": None}, {"id": 7}, {"id": ""}, {"id": HUGE}, {"id": "\ud800"},
              {"id": "u", "custom_variables": 7}, {"id": "u", "custom_variables": {"x": Unjsonable()}},
              {"id": "u", "custom_variables": deep(300)}, {"id": "u", "session_id": "x"},
              {"id": "u", "bucketingSeed": 7}, {"id": "u", "user_agent": 7}, {"id": "u", "_vwo": 7}]


def test_bad_input_of_every_kind(client):
    n = 0
    for bad in BAD_VALUES:
        for good_ctx in ({"id": "u"}, bad):
            f = client.get_flag(bad, good_ctx)
            assert isinstance(f, vwo.models.user.get_flag.GetFlag) and f.is_enabled() is False
            assert f.get_variables() == [] and f.get_variable("k", 3) == 3
            n += 1
        f = client.get_flag("feature_key", bad)
        ok_ctx = isinstance(bad, dict) and isinstance(bad.get("id"), str)  # "" is an id, as in the reference
        assert isinstance(f.is_enabled(), bool)
        if not ok_ctx:
            assert f.is_enabled() is False and f.get_variables() == []
        try:
            hash(bad)
            hashable = True
        except TypeError:
            hashable = False
        r = client.track_event(bad, {"id": "u"})
        assert r == ({bad: False} if hashable else {}) or (bad != bad and list(r.values()) == [False])
        r = client.track_event("event_name", bad)
        if not ok_ctx:
            assert r == {"event_name": False}
        r = client.track_event("event_name", {"id": "u"}, bad)
        assert r in ({"event_name": False}, {"event_name": True})
        assert client.set_attribute(bad, "v", {"id": "u"}) is None
        assert client.set_attribute("k", bad, {"id": "u"}) is None
        assert client.set_attribute("k", "v", bad) is None
        assert client.set_attribute(bad, {"id": "u"}) is None
        assert client.set_attribute({"k": bad}, {"id": "u"}) is None
        assert client.set_attribute({"k": "v"}, bad) is None
        assert client.update_settings(bad) is None
        assert client.update_settings(settings_doc(), bad) is None
        n += 1
    assert client.get_flag("feature_key").is_enabled() is False  # context missing
    assert client.track_event("event_name") == {"event_name": False}
    assert client.set_attribute({7: "v"}, {"id": "u"}) is None
    assert client.set_attribute({}, {"id": "u"}) is None
    assert client.set_alias("u", "alias") is False  # aliasing is not provided by libvwo
    # Invalid settings never replace valid ones.
    client.update_settings({"features": "nope"})
    client.update_settings({"version": 1, "accountId": 1, "sdkKey": "k", "features": [{"key": 7}], "campaigns": []})
    assert client.get_flag("feature_key", {"id": "u"}).is_enabled() is True
    assert n == 2 * len(BAD_VALUES) + len(BAD_VALUES)


def test_close_and_context_manager(collector):
    opts = {"sdk_key": "k", "account_id": 1, "settings": settings_doc(), "base_url": collector.base_url}
    with vwo.init(opts) as c:
        assert c.get_flag("feature_key", {"id": "u"}).is_enabled()
    c.close()  # twice is fine
    assert c.get_flag("feature_key", {"id": "u"}).is_enabled()  # decisions keep working after close
    assert c.track_event("event_name", {"id": "u"}) == {"event_name": True}


# ------------------------------------------------------------------------------------------ threads, fork
THREAD_RUN = os.path.join(FME, "corpus", "e2e__ROLLOUT_TESTING_PRE_SEGMENT_RULE_SETTINGS.json")


def _flag_requests(doc):
    return [c["request"] for c in doc["cases"] if c["request"]["api"] == "getFlag"
            and isinstance(c["request"].get("featureKey"), str) and isinstance(c["request"].get("context"), dict)]


def _answer(f):
    return [f.is_enabled(), f.get_variables(), f.get_uuid()]


def test_eight_threads_agree_with_a_sequential_run(collector):
    from fme_harness import make_client

    doc = read_json(THREAD_RUN)
    reqs = _flag_requests(doc) * 4
    c = make_client(doc, collector.base_url)
    sequential = [_answer(run_request(c, r)) for r in reqs]
    results = [None] * len(reqs)
    errors = []

    def work(k):
        try:
            for i in range(k, len(reqs), 8):
                results[i] = _answer(run_request(c, reqs[i]))
                c.track_event("event_name", {"id": "t%d" % k})
                c.set_attribute("k", "v", {"id": "t%d" % k})
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == sequential
    c.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_fork_child_gets_a_working_client(collector):
    storage = RecordingStorage()
    opts = {"sdk_key": "k", "account_id": 123456, "settings": settings_doc(), "base_url": collector.base_url,
            "storage": storage}
    c = vwo.init(opts)
    c.update_settings(copy.deepcopy(settings_doc()))
    parent = _answer(c.get_flag("feature_key", {"id": "before-fork"}))
    collector.take()

    def child():
        f = c.get_flag("feature_key", {"id": "in-child"})
        t = c.track_event("event_name", {"id": "in-child"})
        c.close()  # delivers the child's events
        return [_answer(f), t, len(storage.sets)]

    got = in_forked_child(child)
    assert got[0][0] is True and got[0][2] == vwo.getUUID("in-child", "123456")
    assert got[1] == {"event_name": True}
    assert got[2] >= 2  # the child's storage writes went to the storage object (its copy)
    bodies = [b for _, _, b, _ in collector.take() if b]
    assert any('"in-child"' in b or vwo.getUUID("in-child", "123456") in b for b in bodies)
    # The parent's client is untouched.
    assert _answer(c.get_flag("feature_key", {"id": "before-fork"})) == parent
    c.close()


# ------------------------------------------------------------------------------------------ module paths
def test_module_paths_of_both_official_packages():
    from vwo import LogLevelEnum, StorageConnector, VWOBuilder, VWOClient, VWOOptionsModel, getUUID, init
    from vwo.models.batch_event_data import BatchEventData
    from vwo.models.user.context_vwo_model import ContextVWOModel, VWOContext
    from vwo.models.user.get_flag import GetFlag
    from vwo.models.vwo_options_model import VWOOptionsModel as M
    from vwo.packages.logger.enums.log_level_enum import LogLevelEnum as L
    from vwo.packages.storage.connector import StorageConnector as S
    from vwo.vwo import VWO
    from vwo.vwo_builder import VWOBuilder as B
    from vwo.vwo_client import VWOClient as C

    assert init is vwo.vwo.init and getUUID is vwo.vwo.getUUID
    assert (C, B, M, L, S) == (VWOClient, VWOBuilder, VWOOptionsModel, LogLevelEnum, StorageConnector)
    assert VWOContext is ContextVWOModel and GetFlag is vwo._fme.GetFlag
    assert [e.value for e in LogLevelEnum] == ["trace", "debug", "info", "warn", "error"]
    assert LogLevelEnum.DEBUG == "debug"
    assert BatchEventData().get_events_per_request() == 100
    assert VWOOptionsModel({"poll_interval": 5, "batch_event_data": {"events_per_request": 3}}).get_batch_event_data(
    ).get_events_per_request() == 3
    assert ContextVWOModel({"location": {"c": 1}}).get_location() == {"c": 1}
    # Both generations in one package: v1's launch and its VWO client class still there.
    assert callable(vwo.launch) and callable(vwo.get_settings_file) and VWO is vwo.VWO
    assert wingify.WingifyClient is VWOClient


def test_static_instance_and_builder(collector):
    opts = {"sdk_key": "k", "account_id": 1, "settings": settings_doc(), "base_url": collector.base_url}
    c = vwo.vwo.VWO.set_instance(opts)
    assert c is not None and vwo.vwo.VWO.getInstance() is c
    b = vwo.VWOBuilder(dict(opts, settings=None)).build(settings_doc())
    assert b.get_flag("feature_key", {"id": "u"}).is_enabled()
    b.close()
    c.close()


# ------------------------------------------------------------------------------------------ README snippets
def test_official_readme_snippets_unchanged(collector, monkeypatch, capsys):
    """Each `vwo` snippet of the official README, as written there, in order, in one namespace (later ones
    use what earlier ones defined). The test's only arrangement is the network: ``vwo.init`` is wrapped so
    that VWO's hosts (and the snippets' gateway and proxy hosts) are the collector, which serves
    settings with the snippets' feature, variables and event."""
    from fme_readme_snippets import SNIPPETS

    collector.responses["/server-side/v2-settings"] = json.dumps(settings_doc())
    real_init = vwo.init
    made = []

    def init_on_collector(options):
        o = dict(options)
        o["base_url"] = collector.base_url
        if isinstance(o.get("gateway_service"), dict):
            o["gateway_service"] = dict(o["gateway_service"], url=collector.base_url)
        c = real_init(o)
        made.append(c)
        return c

    monkeypatch.setattr(vwo, "init", init_on_collector)
    ns = {"event_properties": {"amount": 2}, "context": {"id": "user-1"}, "client_db": {}}
    for title, code in SNIPPETS:
        exec(compile(code, "README: " + title, "exec"), ns)  # noqa: S102 - the README's own code
    assert len(made) >= 12 and all(isinstance(c, vwo.VWOClient) for c in made)
    assert ns["is_enabled"] is True and ns["int_var"] == 10
    assert ns["uuid"] == "CC25A368ADA0542699EAD62489811105"
    assert isinstance(ns["session_id"], int) and ns["flag"].get_session_id() == 1697123456
    assert isinstance(ns["UserStorage"](), vwo.StorageConnector)
    assert ns["is_alias_set"] is False  # aliasing is not provided by libvwo (README, "FME")
    out = capsys.readouterr().out
    assert "Generated UUID: CC25A368ADA0542699EAD62489811105" in out
    assert "Feature is enabled!" in out and "Variable value: on" in out
    for c in made:
        c.close()
    names = event_names(collector.take())
    assert "event_name" in names and "vwo_variationShown" in names and "vwo_syncVisitorProp" in names
