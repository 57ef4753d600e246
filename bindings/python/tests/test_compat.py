"""Answers of vwo-python-sdk 1.68.2 that code written for it may rely on, pinned one by one. Each expected
value was observed by running vwo-python-sdk 1.68.2 (from PyPI) on the same call (../shared/oracle's
venv), on the settings AB_T_50_W_50_50 of tests/vectors, in development mode."""

import json
import logging

import pytest

from conftest import QuietLogger, settings_text

import vwo

S = settings_text("AB_T_50_W_50_50")
KEY = json.loads(S)["campaigns"][0]["key"]
GOAL = json.loads(S)["campaigns"][0]["goals"][0]["identifier"]


def client(settings=S, **kw):
    kw.setdefault("is_development_mode", True)
    kw.setdefault("logger", QuietLogger())
    return vwo.launch(settings, **kw)


# is_development_mode: any falsy value is "off", a true value must be the bool True.
@pytest.mark.parametrize("value, launched", [
    (True, True), (False, True), (None, True), (0, True), ("", True), ([], True),
    ("abcd", False), (1, False), (1.0, False),
])
def test_is_development_mode_is_validated(value, launched):
    assert (vwo.launch(S, is_development_mode=value, logger=QuietLogger()) is not None) is launched


# log_level: the logging module's DEBUG..ERROR numbers, or 0 (NOTSET); names, CRITICAL and others refused.
# (vwo-python-sdk raises TypeError for a float such as 10.0; libvwo returns None, as for every bad value.)
@pytest.mark.parametrize("value, launched", [
    (None, True), (0, True), (logging.DEBUG, True), (logging.INFO, True), (logging.WARNING, True),
    (logging.ERROR, True), (vwo.LOG_LEVELS.ERROR, True),
    ("INFO", False), ("DEBUG", False), ("{}", False), (50, False), (5, False), (-1, False), (True, False),
    (10.0, False),
])
def test_log_level_is_validated(value, launched):
    assert (client(log_level=value) is not None) is launched


# A falsy logger means the default logger.
@pytest.mark.parametrize("value", [False, 0, "", None, []])
def test_a_falsy_logger_is_the_default_logger(value):
    c = vwo.launch(S, logger=value, is_development_mode=True)
    assert c is not None
    assert c.activate(KEY, "Ashley") in ("Control", "Variation-1")


# An empty account id or SDK key answers the settings in force (nothing fetched).
@pytest.mark.parametrize("args", [("", ""), ("", "some-key"), ("123456", "")])
def test_get_and_update_settings_file_with_empty_credentials(args):
    c = client()
    got = c.get_and_update_settings_file(*args)
    assert isinstance(got, str) and json.loads(got) == json.loads(S)
    assert c.activate(KEY, "Ashley") in ("Control", "Variation-1")


# A list naming no campaign of the settings, or none at all, answers {}; entries that are not strings
# name no campaign; after opting out, None.
def test_track_of_lists_naming_no_campaign():
    c = client()
    assert c.track(["not_in_settings"], "u1", GOAL) == {}
    assert c.track([], "u1", GOAL) == {}
    assert c.track([1], "u1", GOAL) == {}
    assert c.track([KEY, "zz"], "u1", GOAL) == {KEY: True}
    assert c.track([KEY], "u1", "no_such_goal") == {KEY: False}
    assert c.track((KEY,), "u1", GOAL) is None  # a tuple is not a list of campaign keys
    assert c.track(None, "u1", "no_such_goal") is None
    assert c.track([], "", GOAL) is None
    assert c.track([], "u1", "") is None
    assert c.set_opt_out() is True
    assert c.track([], "u1", GOAL) is None


# flush_events: None without event batching, False once opted out (either mode).
def test_flush_events_after_opt_out():
    c = client()
    assert c.flush_events(mode="sync") is None
    assert c.set_opt_out() is True
    assert c.flush_events(mode="sync") is False
    assert c.flush_events(mode="async") is False


# ------------------------------------------------------------------------------------------ logging
# vwo-python-sdk 1.68.2 sends a custom logger every message at every level: log_level only sets the level
# of its default (console) logger. A launch sends, in this order: custom logger used (DEBUG), arguments
# and settings valid (DEBUG), one bucket range per variation of every campaign (INFO), settings processed
# (DEBUG), development mode on (DEBUG, in development mode only), SDK initialized (DEBUG). Observed on
# AB_T_50_W_50_50 (6 messages; 7 in development mode), FT_T_75_W_10_20_30_40 (8), FR_T_100_W_100 (5) and
# MEG_COMMON (10), each with log_level unset, ERROR and WARNING. The texts are libvwo's.
LAUNCH_LEVELS = {
    "AB_T_50_W_50_50": [10, 10, 20, 20, 10, 10],
    "FT_T_75_W_10_20_30_40": [10, 10, 20, 20, 20, 20, 10, 10],
    "FR_T_100_W_100": [10, 10, 20, 10, 10],
    "MEG_COMMON": [10, 10, 20, 20, 20, 20, 20, 20, 10, 10],
}


@pytest.mark.parametrize("name", sorted(LAUNCH_LEVELS))
@pytest.mark.parametrize("log_level", [None, 0, logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR])
@pytest.mark.parametrize("dev", [False, True])
def test_a_custom_logger_gets_the_launch_messages_whatever_log_level_is(name, log_level, dev):
    logger = QuietLogger()
    c = vwo.launch(settings_text(name), logger=logger, log_level=log_level, is_development_mode=dev)
    assert c is not None
    want = list(LAUNCH_LEVELS[name])
    if dev:
        want.insert(-1, logging.DEBUG)
    assert [level for level, _ in logger.messages] == want, logger.messages
    c.close()


def test_the_launch_messages_say_what_vwo_python_sdk_says():
    logger = QuietLogger()
    vwo.launch(S, logger=logger, is_development_mode=True)
    texts = [m for _, m in logger.messages]
    assert "custom logger" in texts[0]
    assert "valid" in texts[1]
    # vwo-python-sdk: "campaign_key:AB_T_50_W_50_50 having variations:Control with weight:50 got range as: ( 1 - 5000 ))"
    for text, variation, bucket_range in zip(texts[2:4], ("Control", "Variation-1"), ("1 - 5000", "5001 - 10000")):
        assert KEY in text and variation in text and "weight 50" in text and bucket_range in text, text
    assert "settings file processed" in texts[4]
    assert "development mode" in texts[5]
    assert "initialized" in texts[6]


def test_api_messages_reach_a_custom_logger_whatever_log_level_is():
    # vwo-python-sdk with log_level=ERROR sends is_feature_enabled's DEBUG and INFO messages (16 for this
    # call) to a custom logger. libvwo's messages of the call are fewer; they arrive all the same.
    s = settings_text("FR_T_100_W_100")
    key = json.loads(s)["campaigns"][0]["key"]
    logger = QuietLogger()
    c = vwo.launch(s, logger=logger, log_level=logging.ERROR, is_development_mode=True)
    del logger.messages[:]
    assert c.is_feature_enabled(key, "Ashley") is True
    assert any(level == logging.INFO and key in m for level, m in logger.messages), logger.messages


def test_log_level_still_filters_the_default_logger(caplog):
    with caplog.at_level(logging.DEBUG, logger="vwo"):
        vwo.launch(S, is_development_mode=True, log_level=logging.ERROR)
        assert not [r for r in caplog.records if r.levelno < logging.ERROR]
        caplog.clear()
        vwo.launch(S, is_development_mode=True, log_level=logging.DEBUG)
        assert [r.levelno for r in caplog.records] == [10, 20, 20, 10, 10, 10]  # no 'custom logger used'


def test_usage_stat_ll_says_whether_log_level_was_given(collector):
    from urllib.parse import parse_qs, urlsplit

    for log_level, ll in ((None, None), (logging.ERROR, ["1"]), (0, None)):
        c = vwo.launch(S, logger=QuietLogger(), log_level=log_level, base_url=collector.base_url)
        assert c.activate(KEY, "Ashley") is not None
        assert c.close(timeout=10) is True
        (q,) = [parse_qs(urlsplit(t).query) for _m, t, _b, _h in collector.take()]
        assert q.get("cl") == ["1"] and q.get("ll") == ll, q


# ------------------------------------------------------------------------------------------ settings fetch
class StatusServer:
    """127.0.0.1 answering every GET with one (status, body)."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        owner = self
        self.answer = (200, "{}")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = owner.answer
                raw = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# vwo-python-sdk 1.68.2's get_settings_file pointed at this server (its constants HTTPS_PROTOCOL and
# ENDPOINTS.BASE_URL replaced): a non-200 answer's body is returned as the settings text, and this line is
# printed to standard error (libvwo: logged at ERROR on the logger `vwo`, which prints the same line when
# logging is not configured).
@pytest.mark.parametrize("status, body", [(404, "Not Found"), (500, '{"message":"internal"}'), (403, ""), (204, "")])
@pytest.mark.parametrize("webhook", [False, True])
def test_get_settings_file_of_a_non_200_answer(caplog, status, body, webhook):
    server = StatusServer()
    server.answer = (status, body)
    try:
        with caplog.at_level(logging.DEBUG, logger="vwo"):
            got = vwo.get_settings_file("123", "key", is_via_webhook=webhook, base_url=server.base_url)
    finally:
        server.stop()
    assert got == body
    want = "Request failed for fetching account settings. %sGot Status Code: %d and message: %s." % (
        "[via Webhook] " if webhook else "", status, body)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.ERROR, want)]


def test_get_settings_file_of_a_200_answer_logs_nothing(caplog):
    server = StatusServer()
    server.answer = (200, '{"accountId": 1}')
    try:
        with caplog.at_level(logging.DEBUG, logger="vwo"):
            assert vwo.get_settings_file("123", "key", base_url=server.base_url) == '{"accountId": 1}'
    finally:
        server.stop()
    assert not caplog.records


# ------------------------------------------------------------------------------------------ module tree
def test_names_code_written_for_vwo_python_sdk_imports():
    """Each import as user code of vwo-python-sdk 1.68.2 writes it; each name is libvwo's own object."""
    import importlib
    import types

    from vwo import logger  # the official README's user-storage example starts with this line
    from vwo.api.launch import launch
    from vwo.constants import constants
    from vwo.enums import LogLevelEnum
    from vwo.helpers import settings_file_util
    from vwo.helpers.settings_file_util import get
    from vwo.storage.user import UserStorage
    from vwo.vwo import VWO

    import vwo.api.launch
    import vwo.constants.constants
    import vwo.enums
    import vwo.helpers.settings_file_util
    import vwo.logger
    import vwo.storage.user
    import vwo.vwo

    assert isinstance(logger, types.ModuleType) and logger is vwo.logger  # a module, as in vwo-python-sdk
    assert vwo.vwo.VWO is VWO is vwo.VWO
    assert vwo.storage.user.UserStorage is UserStorage is vwo.UserStorage
    assert vwo.api.launch.launch is launch is vwo.launch
    assert vwo.helpers.settings_file_util.get is get is settings_file_util.get is vwo.get_settings_file
    assert vwo.enums.LogLevelEnum is LogLevelEnum is vwo.LOG_LEVELS  # vwo-python-sdk: LOG_LEVELS is LogLevelEnum
    assert (LogLevelEnum.DEBUG, LogLevelEnum.INFO, LogLevelEnum.WARNING, LogLevelEnum.ERROR) == (10, 20, 30, 40)
    assert constants is vwo.constants.constants
    assert constants.GOAL_TYPES is vwo.GOAL_TYPES and constants.LOG_LEVELS is vwo.LOG_LEVELS
    assert constants.SDK_NAME == "libvwo-python" and constants.SDK_VERSION == vwo.__version__
    assert constants.LIBRARY_PATH == vwo.library_path
    assert constants.API_METHODS.TRACK == "track" and constants.API_METHODS.SET_OPT_OUT == "set_opt_out"
    assert (constants.CAMPAIGN_TYPES.VISUAL_AB, constants.CAMPAIGN_TYPES.FEATURE_TEST,
            constants.CAMPAIGN_TYPES.FEATURE_ROLLOUT) == ("VISUAL_AB", "FEATURE_TEST", "FEATURE_ROLLOUT")
    assert constants.BATCH_EVENTS.MAX_EVENTS_PER_REQUEST == 5000 and constants.MAX_TRAFFIC_VALUE == 10000
    assert constants.ENDPOINTS.ACCOUNT_SETTINGS == "/server-side/settings"
    for name in ("vwo.api", "vwo.constants", "vwo.helpers", "vwo.storage"):
        assert isinstance(importlib.import_module(name), types.ModuleType)

    # The official README's user storage, as written there (a subclass of UserStorage).
    class user_storage(UserStorage):
        def __init__(self):
            self.data = {}

        def get(self, user_id, campaign_key):
            return self.data.get((user_id, campaign_key))

        def set(self, user_storage_data):
            self.data[(user_storage_data["userId"], user_storage_data["campaignKey"])] = user_storage_data

    us = user_storage()
    c = launch(S, user_storage=us, is_development_mode=True)
    assert isinstance(c, VWO)
    assert c.activate(KEY, "Ashley") == "Variation-1" and ("Ashley", KEY) in us.data


def test_read_only_client_attributes():
    c = vwo.launch(S, is_development_mode=True)
    assert c.settings_file == json.loads(S) and isinstance(c.settings_file, dict)
    assert c.goal_type_to_track == "ALL" and c.is_event_batching_enabled is False
    assert c.is_event_arch_enabled is False and c.is_opted_out is False
    assert c.logger.logger is logging.getLogger("vwo")
    c.logger.log(logging.DEBUG, "nothing")  # vwo-python-sdk's VWOLogger.log(level, message)

    logger = QuietLogger()
    c = vwo.launch(S, logger=logger, goal_type_to_track=vwo.GOAL_TYPES.REVENUE,
                   batch_events={"events_per_request": 5}, is_development_mode=True)
    assert c.goal_type_to_track == "REVENUE_TRACKING" and c.is_event_batching_enabled is True
    assert c.logger.logger is logger
    c.logger.log(logging.INFO, "hello")
    assert logger.messages[-1] == (logging.INFO, "hello")
    assert c.set_opt_out() is True and c.is_opted_out is True
    with pytest.raises(AttributeError):
        c.is_opted_out = False


# ------------------------------------------------------------------------------------------ track, D3
# Go's dummy_settings_file.json: AB_T_50_W_50_50 with Control 50 and Variation-1 0 (50% traffic). Users in
# the traffic whose variation bucket is beyond 5000 have no variation: vwo-python-sdk 1.68.2 raises
# AttributeError in its variation decider and track's catch-all answers False (get_variation_name None);
# libvwo answers {key: False}, as for any user without a variation (docs/COMPATIBILITY.md, D3). The quote
# and backslash of issue 14's user id play no part: Ashley, Bob and Dan answer the same.
@pytest.mark.parametrize("user", ['a"b\\c', "Ashley", "Bob", "Dan"])
def test_track_of_a_user_beyond_every_variation_range(user):
    c = client(settings=settings_text("go__dummy_settings_file"))
    assert c.get_variation_name("AB_T_50_W_50_50", user) is None
    assert c.track("AB_T_50_W_50_50", user, "GOAL_2") == {"AB_T_50_W_50_50": False}  # vwo-python-sdk: False


# User ids with double quotes and backslashes decide and track as vwo-python-sdk does (observed there).
@pytest.mark.parametrize("user, variation", [('a"b\\c', "Variation-1"), ('a"b', "Control"), ('a\\b', "Control"),
                                             ('"', "Control"), ('x\\"y', None), ('\\', None)])
def test_user_ids_with_quotes_and_backslashes(user, variation):
    c = client()
    assert c.get_variation_name(KEY, user) == variation
    assert c.track(KEY, user, GOAL) == {KEY: variation is not None}
