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


def client(**kw):
    kw.setdefault("is_development_mode", True)
    kw.setdefault("logger", QuietLogger())
    return vwo.launch(S, **kw)


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
