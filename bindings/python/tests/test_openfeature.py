"""``vwo.openfeature.VWOProvider`` through the real OpenFeature client (``openfeature.api``), over the FME
client with events to a collector on 127.0.0.1. openfeature-sdk 0.10.0 needs CPython 3.10 or newer: the
tests are skipped where it is not installed."""

import json
import sys

import pytest

if sys.version_info < (3, 10):
    pytest.skip("openfeature-sdk 0.10.0 needs CPython >= 3.10", allow_module_level=True)
pytest.importorskip("openfeature")

from openfeature import api  # noqa: E402
from openfeature.evaluation_context import EvaluationContext  # noqa: E402
from openfeature.exception import ErrorCode  # noqa: E402
from openfeature.flag_evaluation import Reason  # noqa: E402
from openfeature.track import TrackingEventDetails  # noqa: E402

import vwo  # noqa: E402
from test_fme import settings_doc  # noqa: E402
from vwo.openfeature import VWOProvider  # noqa: E402


def of_settings():
    s = settings_doc()
    # feature "exp": a testing rule (two variations 50/50) whose variables differ, and a holdout-free
    # whitelisting-free split; "gated": a rollout that needs custom variable plan == "pro".
    s["features"].append({
        "id": 3, "key": "exp", "name": "Exp", "status": "ON", "type": "FEATURE_FLAG", "impactCampaign": {},
        "rules": [{"ruleKey": "ab", "type": "FLAG_TESTING", "campaignId": 3}],
        "metrics": [{"identifier": "bought", "mca": -1, "id": 3, "type": "CUSTOM_GOAL"}],
    })
    s["campaigns"].append({
        "id": 3, "key": "exp_ab", "name": "exp_ab", "status": "RUNNING", "type": "FLAG_TESTING",
        "isForcedVariationEnabled": False, "segments": {}, "percentTraffic": 100,
        "variations": [
            {"id": 1, "name": "control", "weight": 50, "segments": {},
             "variables": [{"id": 1, "key": "color", "type": "string", "value": "blue"}]},
            {"id": 2, "name": "treatment", "weight": 50, "segments": {},
             "variables": [{"id": 1, "key": "color", "type": "string", "value": "green"}]},
        ],
    })
    s["features"].append({
        "id": 4, "key": "gated", "name": "Gated", "status": "ON", "type": "FEATURE_FLAG", "impactCampaign": {},
        "rules": [{"ruleKey": "pro", "type": "FLAG_ROLLOUT", "variationId": 1, "campaignId": 4}],
        "metrics": [],
    })
    s["campaigns"].append({
        "id": 4, "key": "gated_pro", "name": "gated_pro", "status": "RUNNING", "type": "FLAG_ROLLOUT",
        "isForcedVariationEnabled": False, "segments": {},
        # a rollout rule's pre-segment is its (first) variation's, as in vwo-fme-python-sdk
        "variations": [{"id": 1, "name": "Rollout-pro", "weight": 100,
                        "segments": {"or": [{"custom_variable": {"plan": "pro"}}]},
                        "variables": [{"id": 1, "key": "cfg", "type": "json", "value": "not json {"}]}],
    })
    return s


@pytest.fixture
def of_client(collector):
    fme = vwo.init({"sdk_key": "k", "account_id": 123456, "settings": of_settings(), "base_url": collector.base_url})
    assert fme is not None
    provider = VWOProvider(fme)
    api.set_provider(provider)
    yield api.get_client(), fme
    api.shutdown()  # provider shutdown closes the FME client


def test_boolean_and_typed_flags(of_client):
    client, _ = of_client
    ctx = EvaluationContext("user-1")
    d = client.get_boolean_details("feature_key", False, ctx)
    assert d.value is True and d.reason == Reason.TARGETING_MATCH and d.error_code is None
    assert d.variant == "Rollout-rule-1"
    assert d.flag_metadata == {"ruleKey": "rollout1", "campaignId": 1, "ruleType": "FLAG_ROLLOUT"}
    assert client.get_integer_value("feature_key.int_variable_key", 0, ctx) == 10
    assert client.get_string_value("feature_key.feature_variable", "", ctx) == "on"
    assert client.get_float_value("feature_key.ratio", 0.0, ctx) == 0.5
    assert client.get_float_value("feature_key.int_variable_key", 0.0, ctx) == 10.0
    assert client.get_object_value("feature_key.config", {}, ctx) == {"a": [1, 2]}
    assert client.get_boolean_value("feature_key.dark", False, ctx) is True


def test_errors(of_client):
    client, _ = of_client
    ctx = EvaluationContext("user-1")
    d = client.get_string_details("feature_key.int_variable_key", "dflt", ctx)
    assert d.value == "dflt" and d.error_code == ErrorCode.TYPE_MISMATCH and d.reason == Reason.ERROR
    d = client.get_integer_details("feature_key", 3, ctx)
    assert d.value == 3 and d.error_code == ErrorCode.TYPE_MISMATCH
    d = client.get_boolean_details("nope", True, ctx)
    assert d.value is True and d.error_code == ErrorCode.FLAG_NOT_FOUND
    d = client.get_string_details("feature_key.absent", "x", ctx)
    assert d.value == "x" and d.error_code == ErrorCode.FLAG_NOT_FOUND
    d = client.get_boolean_details("feature_key", False, EvaluationContext(None, {"plan": "pro"}))
    assert d.value is False and d.error_code == ErrorCode.TARGETING_KEY_MISSING
    d = client.get_object_details("gated.cfg", {"d": 1}, EvaluationContext("u", {"plan": "pro"}))
    assert d.value == {"d": 1} and d.error_code == ErrorCode.PARSE_ERROR


def test_attributes_are_custom_variables_and_reasons(of_client):
    client, _ = of_client
    off = client.get_boolean_details("gated", True, EvaluationContext("u", {"plan": "free"}))
    assert off.value is False and off.reason == Reason.DEFAULT and off.error_code is None
    on = client.get_boolean_details("gated", False, EvaluationContext("u", {"plan": "pro"}))
    assert on.value is True and on.reason == Reason.TARGETING_MATCH
    # a disabled flag's variable is the default, without an error
    d = client.get_string_details("gated.cfg", "dflt", EvaluationContext("u", {"plan": "free"}))
    assert d.value == "dflt" and d.error_code is None and d.reason == Reason.DEFAULT
    variants = set()
    for i in range(60):
        d = client.get_string_details("exp.color", "", EvaluationContext("user-%d" % i))
        assert d.reason == Reason.SPLIT and d.flag_metadata["ruleKey"] == "ab" and d.flag_metadata["campaignId"] == 3
        assert (d.variant, d.value) in (("control", "blue"), ("treatment", "green"))
        variants.add(d.variant)
    assert variants == {"control", "treatment"}


def test_vwo_provider_key_attribute(of_client):
    # vwo-openfeature-provider-python's way: the attribute "id" is the user, "key" picks the variable.
    client, _ = of_client
    ctx = EvaluationContext(attributes={"id": "user_id", "key": "int_variable_key"})
    assert client.get_integer_value("feature_key", 0, ctx) == 10
    assert client.get_string_value("feature_key", "", EvaluationContext(attributes={"id": "u", "key": "feature_variable"})) == "on"
    assert client.get_boolean_value("feature_key", False, EvaluationContext(attributes={"id": "u"})) is True


def test_track_and_shutdown(collector):
    fme = vwo.init({"sdk_key": "k", "account_id": 123456, "settings": of_settings(), "base_url": collector.base_url})
    api.set_provider(VWOProvider(fme))
    client = api.get_client()
    client.track("bought", EvaluationContext("user-1", {"plan": "pro"}), TrackingEventDetails(12.5, {"sku": "a"}))
    client.track("not-a-metric", EvaluationContext("user-1"))
    api.shutdown()  # closes the FME client: its events are delivered
    events = [json.loads(b) for _, t, b, _ in collector.take() if b and "en=bought" in t]
    assert len(events) == 1
    props = events[0]["d"]["event"]["props"]
    assert props.get("sku") == "a" and props.get("value") == 12.5
