"""An OpenFeature provider (``openfeature-sdk`` 0.10.0's ``AbstractProvider``) over libvwo's FME client.

Install the extra: ``pip install 'libvwo[openfeature]'`` (the base package depends on nothing).

    from openfeature import api
    from vwo import init
    from vwo.openfeature import VWOProvider

    api.set_provider(VWOProvider(init(options)))
    client = api.get_client()
    client.get_boolean_value("feature_key", False, EvaluationContext("user-1", {"plan": "pro"}))
    client.get_integer_value("feature_key.int_variable_key", 0, EvaluationContext("user-1"))

Mapping:

* the targeting key is the context ``id`` (else the attribute ``id``, as VWO's own provider reads it);
  none: ``TARGETING_KEY_MISSING``;
* attributes are the FME context's custom variables, except the context fields the FME context has:
  ``user_agent``/``userAgent``, ``ip_address``/``ipAddress``, ``variation_targeting_variables``/
  ``variationTargetingVariables``, ``custom_variables``/``customVariables`` (merged), ``bucketingSeed``,
  ``session_id``/``sessionId``, ``post_segmentation_variables``/``postSegmentationVariables``, and ``key``;
* a boolean flag ``<featureKey>`` is whether the feature is enabled; a typed flag
  ``<featureKey>.<variableKey>`` (string, integer, float, object) is that variable, ``TYPE_MISMATCH`` when
  its value has another type (an integer is a float too; an object flag also reads a variable whose value
  is JSON text, ``PARSE_ERROR`` when that text is not JSON). As VWO's provider
  (vwo-openfeature-provider-python), the attribute ``key`` selects the variable of the flag ``<featureKey>``
  instead;
* an unknown feature, or a variable the enabled flag does not have: ``FLAG_NOT_FOUND``; a disabled flag's
  variable: the default value, reason ``DEFAULT``;
* ``reason``: ``TARGETING_MATCH`` (a rollout rule, or a whitelisted variation), ``SPLIT`` (an experiment's
  traffic split), ``DISABLED`` (the user is in a holdout), ``DEFAULT`` (no rule applies), ``ERROR``;
  ``variant``: the variation name; flag metadata: ``ruleKey`` and ``campaignId`` of the deciding rule (and
  ``ruleType``);
* ``track(name, context, details)`` is ``track_event(name, context, properties)`` with the details'
  attributes as the properties (and its ``value`` as the property ``value``); ``shutdown`` closes the
  client.
"""

from __future__ import annotations

import json
import typing
from typing import Any, Dict, Optional, Tuple

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider
from openfeature.provider.metadata import Metadata

from ._fme import GetFlag, VWOClient

__all__ = ["VWOProvider"]

_FIELDS = {
    "user_agent": "user_agent",
    "userAgent": "user_agent",
    "ip_address": "ip_address",
    "ipAddress": "ip_address",
    "variation_targeting_variables": "variation_targeting_variables",
    "variationTargetingVariables": "variation_targeting_variables",
    "bucketingSeed": "bucketingSeed",
    "session_id": "session_id",
    "sessionId": "session_id",
    "post_segmentation_variables": "post_segmentation_variables",
    "postSegmentationVariables": "post_segmentation_variables",
}
_NOT_CUSTOM = frozenset(["id", "key", "custom_variables", "customVariables"]) | frozenset(_FIELDS)

_REASONS = {
    "ROLLOUT": Reason.TARGETING_MATCH,
    "EXPERIMENT": Reason.SPLIT,
    "IN_HOLDOUT": Reason.DISABLED,
    "NO_ROLLOUT_TARGETED": Reason.DEFAULT,
    "ROLLOUT_OUT_OF_TRAFFIC": Reason.DEFAULT,
    "NO_EXPERIMENT_ASSIGNED": Reason.DEFAULT,
}


def _error(default: Any, code: ErrorCode, message: str) -> FlagResolutionDetails[Any]:
    return FlagResolutionDetails(value=default, error_code=code, error_message=message, reason=Reason.ERROR)


class VWOProvider(AbstractProvider):
    """An OpenFeature provider over an FME client (``vwo.init(options)``), as VWO's
    ``VWOProvider(vwo_client)``."""

    def __init__(self, vwo_client: VWOClient) -> None:
        super().__init__()
        self.vwo_client = vwo_client

    def get_metadata(self) -> Metadata:
        return Metadata(name="VWOProvider")

    def shutdown(self) -> None:
        close = getattr(self.vwo_client, "close", None)
        if callable(close):
            close()

    # -- context -------------------------------------------------------------------------------------
    @staticmethod
    def _context(ctx: Optional[EvaluationContext]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
        """The FME context of an evaluation context, and the ``key`` attribute (None without a user id)."""
        attrs: Dict[str, Any] = dict(ctx.attributes) if ctx is not None and ctx.attributes else {}
        user = ctx.targeting_key if ctx is not None else None
        if not user:
            user = attrs.get("id")
        if not isinstance(user, str) or not user:
            return None, None
        out: Dict[str, Any] = {"id": user}
        custom: Dict[str, Any] = {}
        for k in ("custom_variables", "customVariables"):
            if isinstance(attrs.get(k), dict):
                custom.update(attrs[k])
        for k, v in attrs.items():
            if k in _FIELDS:
                out[_FIELDS[k]] = v
            elif k not in _NOT_CUSTOM:
                custom[k] = v
        if custom:
            out["custom_variables"] = custom
        key = attrs.get("key")
        return out, key if isinstance(key, str) and key else None

    def _decide(self, flag_key: str, ctx: Optional[EvaluationContext], typed: bool) -> Any:
        """``(flag, variable key or None)``, or the resolution of an error."""
        context, key = self._context(ctx)
        if context is None:
            return None, None, (ErrorCode.TARGETING_KEY_MISSING, "no targeting key (the context id)")
        feature, variable = flag_key, key
        if variable is None and typed and "." in flag_key:
            feature, variable = flag_key.rsplit(".", 1)
        flag = self.vwo_client._flag(feature, context, True)
        reason = (flag._reason or {}).get("reason")
        if reason == "FEATURE_NOT_FOUND" and variable is None and "." in flag_key:
            # a boolean flag named ``<featureKey>.<variableKey>``: the feature ``<featureKey>``.
            feature, variable = flag_key.rsplit(".", 1)
            flag = self.vwo_client._flag(feature, context, True)
            reason = (flag._reason or {}).get("reason")
        if reason == "FEATURE_NOT_FOUND":
            return None, None, (ErrorCode.FLAG_NOT_FOUND, "no feature %r in the settings" % feature)
        if reason == "INVALID_CONTEXT":
            return None, None, (ErrorCode.INVALID_CONTEXT, "the context was refused (see the log)")
        return flag, variable, None

    @staticmethod
    def _details(flag: GetFlag, value: Any) -> FlagResolutionDetails[Any]:
        r = flag._reason or {}
        rule = r.get("experiment") or r.get("rollout") or None
        reason = _REASONS.get(r.get("reason"), Reason.DEFAULT)
        if rule and rule.get("whitelisted"):
            reason = Reason.TARGETING_MATCH
        if not flag.is_enabled() and reason in (Reason.SPLIT, Reason.TARGETING_MATCH):
            reason = Reason.DEFAULT
        meta: Dict[str, Any] = {}
        variant = None
        if rule and flag.is_enabled():
            variant = rule.get("variationName")
            meta = {"ruleKey": rule.get("ruleKey"), "campaignId": rule.get("campaignId"), "ruleType": rule.get("type")}
            meta = {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))}
        return FlagResolutionDetails(value=value, reason=reason, variant=variant, flag_metadata=meta)

    def _typed(self, flag_key: str, default: Any, ctx: Optional[EvaluationContext],
               check: typing.Callable[[Any], Any], type_name: str, decided: Any = None) -> FlagResolutionDetails[Any]:
        try:
            flag, variable, err = decided or self._decide(flag_key, ctx, True)
            if err is not None:
                return _error(default, *err)
            if variable is None:
                return _error(default, ErrorCode.TYPE_MISMATCH,
                              "flag %r is a boolean (give <featureKey>.<variableKey> for a variable)" % flag_key)
            if not flag.is_enabled():
                return self._details(flag, default)
            missing = object()
            value = flag.get_variable(variable, missing)
            if value is missing:
                return _error(default, ErrorCode.FLAG_NOT_FOUND, "no variable %r in %r" % (variable, flag_key))
            ok, converted = check(value)
            if ok is None:
                return _error(default, ErrorCode.PARSE_ERROR, "variable %r is not JSON text" % variable)
            if not ok:
                return _error(default, ErrorCode.TYPE_MISMATCH,
                              "variable %r is %s, not %s" % (variable, type(value).__name__, type_name))
            return self._details(flag, converted)
        except Exception as e:  # noqa: BLE001 - an evaluation never raises into the OpenFeature client
            return _error(default, ErrorCode.GENERAL, "%s: %s" % (type(e).__name__, e))

    # -- resolution ----------------------------------------------------------------------------------
    def resolve_boolean_details(self, flag_key: str, default_value: bool,
                                evaluation_context: Optional[EvaluationContext] = None) -> FlagResolutionDetails[bool]:
        try:
            decided = self._decide(flag_key, evaluation_context, False)
            flag, variable, err = decided
            if err is not None:
                return _error(default_value, *err)
            if variable is None:
                return self._details(flag, flag.is_enabled())
        except Exception as e:  # noqa: BLE001
            return _error(default_value, ErrorCode.GENERAL, "%s: %s" % (type(e).__name__, e))
        # the attribute ``key`` (VWO's provider) or ``<featureKey>.<variableKey>``: a boolean variable
        return self._typed(flag_key, default_value, evaluation_context,
                           lambda v: (type(v) is bool, v), "a boolean", decided)

    def resolve_string_details(self, flag_key: str, default_value: str,
                               evaluation_context: Optional[EvaluationContext] = None) -> FlagResolutionDetails[str]:
        return self._typed(flag_key, default_value, evaluation_context, lambda v: (isinstance(v, str), v), "a string")

    def resolve_integer_details(self, flag_key: str, default_value: int,
                                evaluation_context: Optional[EvaluationContext] = None) -> FlagResolutionDetails[int]:
        return self._typed(flag_key, default_value, evaluation_context,
                           lambda v: (isinstance(v, int) and not isinstance(v, bool), v), "an integer")

    def resolve_float_details(self, flag_key: str, default_value: float,
                              evaluation_context: Optional[EvaluationContext] = None) -> FlagResolutionDetails[float]:
        def check(v: Any) -> Tuple[bool, Any]:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
            return ok, float(v) if ok else v

        return self._typed(flag_key, default_value, evaluation_context, check, "a number")

    def resolve_object_details(self, flag_key: str, default_value: Any,
                               evaluation_context: Optional[EvaluationContext] = None) -> FlagResolutionDetails[Any]:
        def check(v: Any) -> Tuple[Optional[bool], Any]:
            if isinstance(v, (dict, list)):
                return True, v
            if isinstance(v, str):
                try:
                    parsed = json.loads(v)
                except ValueError:
                    return None, v
                return isinstance(parsed, (dict, list)), parsed
            return False, v

        return self._typed(flag_key, default_value, evaluation_context, check, "an object")

    # -- tracking ------------------------------------------------------------------------------------
    def track(self, tracking_event_name: str, evaluation_context: Optional[EvaluationContext] = None,
              tracking_event_details: Any = None) -> None:
        context, _ = self._context(evaluation_context)
        if context is None:
            self.vwo_client._fail("track", "no targeting key (the context id)")
            return
        props: Dict[str, Any] = {}
        if tracking_event_details is not None:
            props.update(getattr(tracking_event_details, "attributes", None) or {})
            value = getattr(tracking_event_details, "value", None)
            if value is not None:
                props["value"] = value
        self.vwo_client.track_event(tracking_event_name, context, props)
