"""vwo-fme-python-sdk 1.65.0's API (``vwo.init``, the FME client, ``GetFlag``, ``StorageConnector``,
``LogLevelEnum``) over libvwo's FME C ABI (``vwo_fme_*`` in include/vwo.h). The binding converts types and
lifetimes; decisions, validation, log texts and events are libvwo's. No exception leaves a public method:
each returns the reference's failure value (POLICY F1: a context the reference raises on gives a disabled
flag)."""

from __future__ import annotations

import ctypes
import datetime
import json
import logging
import os
import platform
import threading
import time
import weakref
from ctypes import byref, c_bool
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _lib
from ._client import _cstr
from ._lib import lib

__all__ = [
    "init",
    "getUUID",
    "VWOClient",
    "VWOBuilder",
    "VWOOptionsModel",
    "GetFlag",
    "StorageConnector",
    "LogLevelEnum",
    "BatchEventData",
    "ContextVWOModel",
]

LOGGER = logging.getLogger("vwo")
SDK_NAME = "libvwo-fme-python"  # the `sn` libvwo puts on the wire for this binding (POLICY §4)
_PREFIX = "VWO-SDK"

_MISSING = object()

# A strict encoder (attribute values, settings: no stringification of unknown objects) and a lenient
# one for contexts (a custom variable that is not JSON is sent as its str(), as the reference formats it).
_strict = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_lenient = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")).encode


class LogLevelEnum(str, Enum):
    """Log levels of the ``logger`` option (``"trace"`` … ``"error"``)."""

    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


_LEVEL_NUMBERS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4}
# libvwo's levels (the logging module's numbers) as the reference's names.
_NAME_OF_LIBVWO_LEVEL = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR"}
_LIBVWO_LEVEL_OF_NAME = {"TRACE": "TRACE", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR"}
_LOGGING_LEVEL = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
                  "ERROR": logging.ERROR}


def _level_name(level: Any) -> str:
    """A level as the reference reads it (``str(level).upper()``; unknown names are ERROR)."""
    if isinstance(level, LogLevelEnum):
        name = level.name
    else:
        name = str(level).upper()
        if name.startswith("LOGLEVELENUM."):
            name = name.split(".", 1)[1]
    return name if name in _LEVEL_NUMBERS else "ERROR"


class StorageConnector:
    """Base class of a storage connector: override ``get(key, user_id)`` (the record stored for the
    feature ``key`` and the user, a dict, or None) and ``set(value)`` (stores the record ``value``, whose
    ``featureKey`` and ``userId`` say where)."""

    def get(self, key: str, user_id: str) -> Optional[Dict[str, Any]]:
        return None

    def set(self, value: Dict[str, Any]) -> None:
        return None


class BatchEventData:
    """The ``batch_event_data`` option as an object (the reference's model)."""

    def __init__(self, events_per_request: int = 100, request_time_interval: int = 600, flush_callback: Any = None):
        self.events_per_request = events_per_request
        self.request_time_interval = request_time_interval
        self.flush_callback = flush_callback

    def get_events_per_request(self) -> int:
        return self.events_per_request

    def set_events_per_request(self, events_per_request: int) -> None:
        self.events_per_request = events_per_request

    def get_request_time_interval(self) -> int:
        return self.request_time_interval

    def set_request_time_interval(self, request_time_interval: int) -> None:
        self.request_time_interval = request_time_interval

    def get_flush_callback(self) -> Any:
        return self.flush_callback

    def set_flush_callback(self, flush_callback: Any) -> None:
        self.flush_callback = flush_callback


class ContextVWOModel:
    """The context's ``_vwo`` entry (pre-resolved gateway data): ``location`` and ``userAgent``."""

    def __init__(self, context: Optional[Dict[str, Any]] = None):
        self.location: Dict[str, Any] = {}
        self.user_agent: Dict[str, Any] = {}
        if context:
            self.location = context.get("location", {})
            self.user_agent = context.get("userAgent", {})

    def get_location(self) -> Dict[str, Any]:
        return self.location

    def get_ua_info(self) -> Dict[str, Any]:
        return self.user_agent


class VWOOptionsModel:
    """The init options read as the reference's options model reads them (getters only)."""

    def __init__(self, options: Dict[str, Any]):
        options = options or {}
        self.accountId = options.get("accountId")
        self.sdkKey = options.get("sdkKey")
        self.isDevelopmentMode = options.get("isDevelopmentMode", False)
        self.storage = options.get("storage")
        self.gateway_service = options.get("gateway_service")
        self.poll_interval = options.get("poll_interval")
        self.logger = options.get("logger")
        self.segmentation = options.get("segmentation")
        self.integrations = options.get("integrations")
        self.network = options.get("network")
        self.vwoBuilder = options.get("wingifyBuilder") or options.get("vwoBuilder")
        self.wingifyBuilder = self.vwoBuilder
        self.is_usage_stats_disabled = options.get("is_usage_stats_disabled", False)
        self._vwo_meta = options.get("_wingify_meta") or options.get("_vwo_meta")
        self._wingify_meta = self._vwo_meta
        self.isAliasingEnabled = options.get("isAliasingEnabled", False)
        self.proxy_url = options.get("proxy_url")
        b = options.get("batch_event_data")
        self.batchEventData = (
            BatchEventData(b.get("events_per_request"), b.get("request_time_interval"), b.get("flush_callback"))
            if isinstance(b, dict) and b
            else None
        )

    def get_account_id(self) -> Any:
        return self.accountId

    def get_sdk_key(self) -> Any:
        return self.sdkKey

    def get_is_development_mode(self) -> bool:
        return self.isDevelopmentMode

    def get_storage_service(self) -> Any:
        return self.storage

    def get_gateway_service(self) -> Any:
        return self.gateway_service

    def get_poll_interval(self) -> Any:
        return self.poll_interval

    def get_logger(self) -> Any:
        return self.logger

    def get_segmentation(self) -> Any:
        return self.segmentation

    def get_integrations(self) -> Any:
        return self.integrations

    def get_network(self) -> Any:
        return self.network

    def get_vwo_builder(self) -> Any:
        return self.vwoBuilder

    def get_wingify_builder(self) -> Any:
        return self.wingifyBuilder

    def get_batch_event_data(self) -> Optional[BatchEventData]:
        return self.batchEventData

    def get_is_usage_stats_disabled(self) -> bool:
        return self.is_usage_stats_disabled

    def get_vwo_meta(self) -> Any:
        return self._vwo_meta

    def get_wingify_meta(self) -> Any:
        return self._wingify_meta

    def get_is_aliasing_enabled(self) -> bool:
        return self.isAliasingEnabled

    def set_is_aliasing_enabled(self, is_aliasing_enabled: bool) -> None:
        self.isAliasingEnabled = is_aliasing_enabled

    def get_proxy_url(self) -> Any:
        return self.proxy_url


class GetFlag:
    """The answer of ``get_flag``: whether the feature is enabled for the user, its variables (those of
    the variation in force), the visitor UUID and the session id."""

    __slots__ = ("_is_enabled", "_variables", "_uuid", "_session_id", "_reason")

    def __init__(self, is_enabled: bool, variables: List[Dict[str, Any]], session_id: int, uuid: Optional[str],
                 reason: Optional[Dict[str, Any]] = None):
        self._is_enabled = is_enabled
        self._variables = variables
        self._session_id = session_id
        self._uuid = uuid
        self._reason = reason

    def is_enabled(self) -> bool:
        return self._is_enabled

    def get_variables(self) -> List[Dict[str, Any]]:
        """Each variable as ``{"id", "value", "type", "key"}`` (new dicts each call)."""
        return [dict(v) for v in self._variables]

    def get_variable(self, variable_key: str, default_value: Any = None) -> Any:
        """The value of the variable ``variable_key`` as in the settings (no type coercion), else
        ``default_value``."""
        for v in self._variables:
            if v.get("key") == variable_key:
                return v.get("value")
        return default_value

    def get_uuid(self) -> Optional[str]:
        return self._uuid

    def get_session_id(self) -> int:
        return self._session_id

    def __repr__(self) -> str:
        return "GetFlag(is_enabled=%r, variables=%r, uuid=%r)" % (self._is_enabled, self._variables, self._uuid)


def _disabled(session_id: int = 0) -> GetFlag:
    return GetFlag(False, [], session_id, None, {"reason": "INVALID_CONTEXT"})


def _json_bytes(value: Any, encode: Callable[[Any], str]) -> Optional[bytes]:
    try:
        return encode(value).encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError):
        return None


def _take(out: Any) -> Optional[str]:
    return _lib.take_string(out)


# ------------------------------------------------------------------------------------------------ logging
class _Log:
    """Where a client's messages go: the ``logger`` option's transport(s), else ``logging``'s ``vwo``.

    A transport is an object with ``level`` (a level name) and either ``log(level, message)`` (the
    level's name and the bare message) or ``trace/debug/info/warn/error(message)`` (the formatted
    message, ``[LEVEL] <prefix> <UTC time> <message>``); a dict entry is a console transport configured by
    it (its ``level``), here ``logging``'s ``vwo``. Each transport gets the messages at or above its
    level, as in the reference."""

    def __init__(self, config: Any) -> None:
        self.config = config if isinstance(config, dict) else {}
        self.level = _level_name(self.config.get("level", "ERROR"))
        prefix = self.config.get("prefix")
        self.prefix = prefix if isinstance(prefix, str) else _PREFIX
        entries = self.config.get("transports") or []
        if not isinstance(entries, (list, tuple)):
            entries = [entries]
        if not entries and self.config.get("transport") is not None:
            entries = [self.config["transport"]]
        self.custom = bool(entries)
        self.transports: List[Tuple[int, Any]] = []
        for t in entries:
            if isinstance(t, dict):
                self.transports.append((_LEVEL_NUMBERS[_level_name(t.get("level", self.level))], None))
            else:
                self.transports.append((_LEVEL_NUMBERS[_level_name(getattr(t, "level", self.level))], t))
        if not self.transports:
            self.transports.append((_LEVEL_NUMBERS[self.level], None))
        # What libvwo must send: the lowest level any transport wants.
        self.min_level = min(n for n, _ in self.transports)

    def libvwo_level(self) -> str:
        for name, n in _LEVEL_NUMBERS.items():
            if n == self.min_level:
                return _LIBVWO_LEVEL_OF_NAME[name]
        return "ERROR"

    def emit(self, name: str, message: str) -> None:
        n = _LEVEL_NUMBERS.get(name, 4)
        for level, t in self.transports:
            if n < level:
                continue
            try:
                if t is None:
                    LOGGER.log(_LOGGING_LEVEL[name], "[%s]: %s", self.prefix, message)
                elif callable(getattr(t, "log", None)):
                    t.log(name, message)
                else:
                    m = getattr(t, name.lower(), None)
                    if callable(m):
                        stamp = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()
                        m("[%s] %s %s %s" % (name, self.prefix, stamp, message))
            except Exception as e:  # noqa: BLE001 - a failing transport must not cross into C
                LOGGER.error("logger transport raised %s: %s", type(e).__name__, e)

    def error(self, message: str) -> None:
        self.emit("ERROR", message)


class _Hooks:
    """The C callbacks of one FME client (kept alive as long as its C handle); an exception raised in a
    callback is logged, never propagated into C."""

    def __init__(self, log: _Log, storage: Any, integrations: Any, flush_callback: Any) -> None:
        self.log = log
        self.storage = storage
        self.integrations = integrations
        self.flush_callback = flush_callback
        self._tls = threading.local()
        cb = _lib.Callbacks()
        if storage is not None:
            self._get = _lib.STORAGE_GET(self._storage_get)
            self._set = _lib.STORAGE_SET(self._storage_set)
            cb.storage_get = self._get
            cb.storage_set = self._set
        self._logger = _lib.LOGGER(self._log)
        cb.logger = self._logger
        if integrations is not None:
            self._integrations = _lib.INTEGRATIONS(self._integrate)
            cb.integrations = self._integrations
        if flush_callback is not None:
            self._flush = _lib.FLUSH(self._flushed)
            cb.flush = self._flush
        self.struct = cb

    def _storage_get(self, _ud: Any, user_id: bytes, feature_key: bytes) -> Optional[int]:
        try:
            record = self.storage.get(feature_key.decode("utf-8"), user_id.decode("utf-8"))
            if record is None:
                return None
            buf = ctypes.create_string_buffer(_lenient(record).encode("utf-8"))
            self._tls.buf = buf  # valid until the next storage_get on this thread
            return ctypes.addressof(buf)
        except Exception as e:  # noqa: BLE001
            self.log.error("storage connector get raised %s: %s" % (type(e).__name__, e))
            return None

    def _storage_set(self, _ud: Any, record_json: bytes) -> int:
        try:
            self.storage.set(json.loads(record_json.decode("utf-8")))
            return 0
        except Exception as e:  # noqa: BLE001
            self.log.error("storage connector set raised %s: %s" % (type(e).__name__, e))
            return 1

    def _log(self, _ud: Any, level: int, message: bytes) -> None:
        try:
            self.log.emit(_NAME_OF_LIBVWO_LEVEL.get(level, "ERROR"), message.decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - nothing may cross into C
            pass

    def _integrate(self, _ud: Any, payload: bytes) -> None:
        try:
            cb = self.integrations.get("callback") if isinstance(self.integrations, dict) else getattr(
                self.integrations, "callback", None)
            if callable(cb):
                cb(json.loads(payload.decode("utf-8")))
        except Exception as e:  # noqa: BLE001
            self.log.error("integrations callback raised %s: %s" % (type(e).__name__, e))

    def _flushed(self, _ud: Any, error: Optional[bytes], events: bytes) -> None:
        try:
            err = error.decode("utf-8", "replace") if error is not None else None
            self.flush_callback(err, json.loads(events.decode("utf-8")))
        except Exception as e:  # noqa: BLE001
            self.log.error("flush_callback raised %s: %s" % (type(e).__name__, e))


# ------------------------------------------------------------------------------------------------ client
_live: "weakref.WeakSet[VWOClient]" = weakref.WeakSet()
_live_lock = threading.Lock()


def _free(box: List[Any]) -> None:
    """Finalizer: frees the C client (delivering its queued events first). The garbage collector may run
    it on any thread, including one of libvwo's own threads inside a callback (a thread Python knows as a
    dummy thread), where freeing a client is not allowed: there it is handed to a new Python thread."""
    h = box[0]
    box[0] = None
    if not h:
        return
    if isinstance(threading.current_thread(), threading._DummyThread):  # type: ignore[attr-defined]
        threading.Thread(target=lib.vwo_fme_client_free, args=(h,), name="vwo-fme-free", daemon=False).start()
    else:
        lib.vwo_fme_client_free(h)


class VWOClient:
    """An FME client (the reference's ``VWOClient``/``WingifyClient``). Create it with :func:`init`.

    ``close()`` (or ``with vwo.init(...) as client:``) stops polling and delivers queued events;
    decisions keep working afterwards, their events are not sent. The C client is freed when the object
    is collected, or at interpreter exit."""

    def __init__(self, handle: Any, hooks: _Hooks, options: bytes, batching: bool) -> None:
        self._h = handle
        self._hooks = hooks  # keeps the CFUNCTYPE objects alive as long as the C client
        self._options = options
        self._account_id = str(json.loads(options).get("account_id"))
        self._batching = batching
        self._closed = False
        self._box = [handle]
        self._finalizer = weakref.finalize(self, _free, self._box)
        with _live_lock:
            _live.add(self)

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stops polling and delivers queued events (up to ``delivery.close_timeout_ms``, default 5 s).
        Closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        lib.vwo_fme_client_close(self._h)

    def __enter__(self) -> "VWOClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _reinit_after_fork(self) -> None:
        """In a forked child: the parent's C client (its threads are gone) is abandoned, never freed, and
        a new one is made from the same options, with the settings in force."""
        self._finalizer.detach()
        settings = self.original_settings()
        opts = json.loads(self._options)
        if settings:
            opts["settings"] = settings
        if isinstance(opts.get("delivery"), dict):
            opts["delivery"].pop("spool_dir", None)
        out = _lib.FmeClient()
        st = lib.vwo_fme_client_init(json.dumps(opts).encode("utf-8"), byref(self._hooks.struct), byref(out))
        if st != _lib.OK:
            self._hooks.log.error("init after fork failed: " + _lib.last_error())
            self._h = None
            self._box = [None]
            return
        self._h = out
        self._box = [out]
        self._finalizer = weakref.finalize(self, _free, self._box)
        if self._closed:
            lib.vwo_fme_client_close(out)

    def _disabled_for(self, context: Any) -> GetFlag:
        """The disabled flag of a call refused before its decision: with the visitor UUID and session id
        of a valid context, as the reference computes them first."""
        if not (isinstance(context, dict) and isinstance(context.get("id"), str)):
            return _disabled()
        uuid = getUUID(context["id"], self._account_id) if context["id"] else None
        sid = context.get("session_id")
        if type(sid) is not int:
            sid = int(time.time())
        return GetFlag(False, [], sid, uuid, {"reason": "INVALID_CONTEXT"})

    def _fail(self, api: str, why: str) -> None:
        self._hooks.log.error("%s: %s" % (api, why))

    # -- the API ---------------------------------------------------------------------------------
    def get_flag(self, feature_key: str, context: Dict[str, Any] = _MISSING) -> GetFlag:  # type: ignore[assignment]
        """The flag of ``feature_key`` for the user of ``context`` (queues its impressions). A disabled flag
        (no variables) for a context the reference refuses, an unknown feature or bad arguments."""
        return self._flag(feature_key, context, False)

    def _flag(self, feature_key: Any, context: Any, with_reason: bool) -> GetFlag:
        if context is _MISSING:
            self._fail("get_flag", "context is required")
            return _disabled()
        k = _cstr(feature_key)
        if k is None:
            self._fail("get_flag", "featureKey should be a string (got %s)" % type(feature_key).__name__)
            return self._disabled_for(context)
        c = _json_bytes(context, _lenient)
        if c is None or self._h is None:
            self._fail("get_flag", "context is not JSON-serialisable (or nested too deeply)")
            return _disabled()
        f = _lib.Flag()
        st = lib.vwo_fme_get_flag(self._h, k, c, byref(f))
        if st != _lib.OK:
            self._fail("get_flag", "status %d: %s" % (st, _lib.last_error()))
            return _disabled()
        try:
            enabled = bool(lib.vwo_flag_is_enabled(f))
            session_id = int(lib.vwo_flag_session_id(f))
            out = _lib.OwnedStr()
            variables: List[Dict[str, Any]] = []
            if enabled or with_reason:
                lib.vwo_flag_variables(f, byref(out))
                variables = json.loads(_take(out) or "[]")
            out = _lib.OwnedStr()
            lib.vwo_flag_uuid(f, byref(out))
            uuid = _take(out)
            reason = None
            if with_reason:
                out = _lib.OwnedStr()
                lib.vwo_flag_reason(f, byref(out))
                reason = json.loads(_take(out) or "null")
        finally:
            lib.vwo_flag_free(f)
        return GetFlag(enabled, variables, session_id, uuid, reason)

    def track_event(self, event_name: str, context: Dict[str, Any] = _MISSING,  # type: ignore[assignment]
                    event_properties: Optional[Dict[str, Any]] = _MISSING) -> Dict[Any, bool]:  # type: ignore[assignment]
        """``{event_name: True}`` when ``event_name`` is a metric of some feature (the event is queued),
        else ``{event_name: False}``."""
        try:
            failed = {event_name: False}
        except TypeError:  # an unhashable event name
            self._fail("track_event", "event_name should be a string (got %s)" % type(event_name).__name__)
            return {}
        if context is _MISSING:
            self._fail("track_event", "context is required")
            return failed
        n = _cstr(event_name)
        if n is None:
            self._fail("track_event", "event_name should be a string (got %s)" % type(event_name).__name__)
            return failed
        c = _json_bytes(context, _lenient)
        # Omitted: none. Given, even None: libvwo checks it is an object, as the reference does.
        p = None if event_properties is _MISSING else _json_bytes(event_properties, _lenient)
        if c is None or (event_properties is not _MISSING and p is None) or self._h is None:
            self._fail("track_event", "context or event_properties are not JSON-serialisable")
            return failed
        tracked = c_bool(False)
        st = lib.vwo_fme_track_event(self._h, n, c, p, byref(tracked))
        if st != _lib.OK:
            self._fail("track_event", "status %d: %s" % (st, _lib.last_error()))
            return failed
        return {event_name: bool(tracked.value)}

    def set_attribute(self, key_or_map: Any, value_or_context: Any = None, context: Any = None) -> None:
        """``set_attribute(key, value, context)`` or ``set_attribute(attribute_map, context)``: one
        ``vwo_syncVisitorProp`` event with the attributes. Returns None (bad input is logged)."""
        if self._h is None:
            return None
        if context is not None:
            k = _cstr(key_or_map)
            if k is None:
                self._fail("set_attribute", "key should be a non-empty string")
                return None
            v = _json_bytes(value_or_context, _strict)
            c = _json_bytes(context, _lenient)
            if v is None or c is None:
                self._fail("set_attribute", "value should be a string, integer, float, or boolean")
                return None
            st = lib.vwo_fme_set_attribute(self._h, k, v, c)
        else:
            if isinstance(key_or_map, dict) and any(not isinstance(x, str) for x in key_or_map):
                self._fail("set_attribute", "attribute keys should be strings")
                return None
            a = _json_bytes(key_or_map, _strict)
            c = _json_bytes(value_or_context, _lenient)
            if a is None or c is None:
                self._fail("set_attribute", "attribute values should be strings, integers, floats, or booleans")
                return None
            st = lib.vwo_fme_set_attributes(self._h, a, c)
        if st != _lib.OK:
            self._fail("set_attribute", "status %d: %s" % (st, _lib.last_error()))
        return None

    def update_settings(self, settings: Optional[Dict[str, Any]] = None, is_via_webhook: bool = True) -> None:
        """Swaps in ``settings`` (a dict) when valid; without them (None or ``{}``) fetches them, from
        ``/server-side/v2-pull`` when ``is_via_webhook``, else ``/server-side/v2-settings``. Returns None;
        on failure the settings in force stay (logged)."""
        if self._h is None:
            return None
        if settings is None or settings == {}:
            text = None
        elif isinstance(settings, dict):
            text = _json_bytes(settings, _strict)
            if text is None:
                self._fail("update_settings", "settings are not JSON-serialisable")
                return None
        else:
            self._fail("update_settings", "settings should be a dict (got %s)" % type(settings).__name__)
            return None
        st = lib.vwo_fme_update_settings(self._h, text, bool(is_via_webhook))
        if st != _lib.OK:
            self._fail("update_settings", "status %d: %s" % (st, _lib.last_error()))
        return None

    def flush_events(self) -> bool:
        """Sends the batch queue now: False without ``batch_event_data``; else whether everything queued
        before the call was delivered (libvwo; the reference always answers False, POLICY F3)."""
        if not self._batching or self._h is None:
            return False
        delivered = c_bool(False)
        st = lib.vwo_fme_client_flush(self._h, _lib.TIMEOUT_DEFAULT, byref(delivered), None)
        if st != _lib.OK:
            self._fail("flush_events", "status %d: %s" % (st, _lib.last_error()))
            return False
        return bool(delivered.value)

    def set_alias(self, user_id_or_context: Any, alias_id: str) -> bool:
        """User aliasing (the gateway's ``/user-alias``) is not provided by libvwo: False, logged."""
        self._fail("set_alias", "user aliasing is not supported by libvwo")
        return False

    # -- libvwo extras -----------------------------------------------------------------------------
    def original_settings(self) -> Optional[Dict[str, Any]]:
        """The settings in force (a dict), as libvwo holds their text."""
        if self._h is None:
            return None
        out = _lib.OwnedStr()
        if lib.vwo_fme_client_settings(self._h, byref(out)) != _lib.OK:
            return None
        text = _take(out)
        return json.loads(text) if text else None

    def delivery_counters(self) -> Dict[str, int]:
        """The event thread's counters (accepted, delivered, failed, dropped, …)."""
        c = _lib.DeliveryCounters()
        if self._h is not None:
            lib.vwo_fme_client_delivery_counters(self._h, byref(c))
        return {name: getattr(c, name) for name, _ in _lib.DeliveryCounters._fields_}


def _after_fork_in_child() -> None:
    with _live_lock:
        clients = list(_live)
    for c in clients:
        try:
            c._reinit_after_fork()
        except Exception as e:  # noqa: BLE001
            LOGGER.error("FME client init after fork raised %s: %s", type(e).__name__, e)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# ------------------------------------------------------------------------------------------------ init
_EVENTS_DEFAULT, _INTERVAL_DEFAULT = 100, 600


def _batch_options(b: Any, log: _Log) -> Tuple[Optional[Dict[str, Any]], Any]:
    """The reference's batching rules: each invalid value falls back to its default (logged); both
    invalid means no batching."""
    if not isinstance(b, dict) or not b:
        return None, None
    epr = b.get("events_per_request", _EVENTS_DEFAULT)
    rti = b.get("request_time_interval", _INTERVAL_DEFAULT)
    epr_ok = type(epr) is int and 0 < epr <= 5000
    rti_ok = type(rti) is int and 0 < rti
    if not epr_ok and not rti_ok:
        log.error("Invalid batch events config: events_per_request and request_time_interval; batching is off")
        return None, None
    if not epr_ok:
        log.error("Events_per_request values is invalid (should be greater than 0 and less than 5000). "
                  "Using default value of events_per_request parameter : 100.")
        epr = _EVENTS_DEFAULT
    if not rti_ok:
        log.error("Request_time_interval values is invalid (should be greater than 0). Using default value "
                  "of request_time_interval parameter : 600 seconds.")
        rti = _INTERVAL_DEFAULT
    fc = b.get("flush_callback")
    return {"events_per_request": epr, "request_time_interval": rti}, (fc if callable(fc) else None)


def _build(options: Dict[str, Any], entry: str) -> Optional[VWOClient]:
    sdk_key = options.get("sdk_key")
    if not sdk_key:
        print("SDK key is required to initialize VWO. Please provide the sdk_key in the options.", None)
        return None
    account_id = options.get("account_id")
    if not account_id:
        print("Account ID is required to initialize VWO. Please provide the account_id in the options.", None)
        return None
    gateway = options.get("gateway_service")
    if options.get("is_aliasing_enabled") and not (isinstance(gateway, dict) and gateway.get("url")):
        print("Gateway service URL is required when aliasing is enabled. Please provide the gateway_service "
              "in the options.", None)
        return None
    log = _Log(options.get("logger"))
    opts: Dict[str, Any] = {
        "sdk_key": sdk_key if isinstance(sdk_key, str) else str(sdk_key),
        "account_id": account_id if type(account_id) is int else str(account_id),
        "entry": entry,
        "sdk_name": SDK_NAME,
        "language_version": platform.python_version(),
        "logger_is_custom": log.custom,
    }
    # libvwo sends the messages at or above its level (default ERROR); the usage stat `ll` says a level
    # was given, as the reference's says `logger.level` was. A transport below ERROR needs the level too.
    logger_opt = options.get("logger")
    if (isinstance(logger_opt, dict) and logger_opt.get("level")) or log.min_level < _LEVEL_NUMBERS["ERROR"]:
        opts["logger"] = {"level": log.libvwo_level()}
    poll = options.get("poll_interval")
    if poll:
        if type(poll) is int and poll >= 1000:
            opts["poll_interval"] = poll
        else:
            log.error("Invalid poll_interval: expected an int >= 1000 (milliseconds); the settings' "
                      "pollInterval (or 600000) is used")
    storage = options.get("storage")
    if storage is not None and not (callable(getattr(storage, "get", None)) and callable(getattr(storage, "set", None))):
        log.error("storage should have get(key, user_id) and set(value) methods; no storage is used")
        storage = None
    integrations = options.get("integrations")
    if integrations is not None:
        cb = integrations.get("callback") if isinstance(integrations, dict) else getattr(integrations, "callback", None)
        if not callable(cb):
            log.error("integrations should be a dict with a callable callback; none is used")
            integrations = None
    batch, flush_callback = _batch_options(options.get("batch_event_data"), log)
    has_gateway = isinstance(gateway, dict) and bool(gateway.get("url"))
    if batch is not None:
        opts["batch_event_data"] = batch
    if has_gateway:
        gw = {k: gateway[k] for k in ("url", "protocol", "port") if gateway.get(k) is not None}
        opts["gateway_service"] = gw
        if options.get("is_aliasing_enabled"):
            log.error("user aliasing is not supported by libvwo: user ids are used as given")
    proxy = options.get("proxy_url")
    if isinstance(proxy, str) and proxy and not has_gateway and options.get("base_url") is None:
        opts["proxy_url"] = proxy
    threading_opt = options.get("threading")
    if isinstance(threading_opt, dict):
        t = {k: threading_opt[k] for k in ("enabled", "max_workers") if threading_opt.get(k) is not None}
        if isinstance(t.get("enabled"), bool) and (type(t.get("max_workers", 0)) is int):
            opts["threading"] = t
    if options.get("is_usage_stats_disabled"):
        opts["is_usage_stats_disabled"] = True
    dev = options.get("isDevelopmentMode", options.get("is_development_mode"))
    if dev:
        opts["is_development_mode"] = True
    # libvwo extras: settings given (no fetch), another collector, delivery options.
    settings = options.get("settings")
    if isinstance(settings, (dict, str)) and settings:
        opts["settings"] = settings
    if isinstance(options.get("base_url"), str):
        opts["base_url"] = options["base_url"]
    if isinstance(options.get("delivery"), dict):
        opts["delivery"] = options["delivery"]
    encoded = _json_bytes(opts, _strict)
    if encoded is None:
        print("VWO initialization failed. Error: options are not JSON-serialisable")
        return None
    hooks = _Hooks(log, storage, integrations, flush_callback)
    out = _lib.FmeClient()
    st = lib.vwo_fme_client_init(encoded, byref(hooks.struct), byref(out))
    if st in (_lib.NETWORK, _lib.INVALID_SETTINGS) and "settings" not in opts:
        # As the reference: a client whose settings could not be fetched (or were not valid) still exists,
        # with no features (every flag disabled, every event unknown) until polling or update_settings
        # brings valid ones.
        log.error("settings fetch failed: %s; the client starts without features" % _lib.last_error())
        empty = dict(opts)
        empty["settings"] = {"version": 1, "accountId": opts["account_id"], "sdkKey": opts["sdk_key"],
                             "features": [], "campaigns": [], "sdkMetaInfo": {"wasInitializedEarlier": True}}
        encoded = _json_bytes(empty, _strict) or b"{}"
        st = lib.vwo_fme_client_init(encoded, byref(hooks.struct), byref(out))
    if st != _lib.OK:
        print("VWO initialization failed. Error: %s" % _lib.last_error())
        return None
    return VWOClient(out, hooks, _json_bytes(opts, _strict) or encoded, batch is not None and not has_gateway)


def init_entry(options: Any, entry: str) -> Optional[VWOClient]:
    """``init`` through the entry ``"vwo"`` (VWO's hosts and names) or ``"wingify"`` (Wingify's)."""
    try:
        opts = dict(options or {})
    except (TypeError, ValueError) as e:
        print("VWO initialization failed. Error: %s" % e)
        return None
    try:
        return _build(opts, entry)
    except Exception as e:  # noqa: BLE001 - init never raises, as the reference
        print("VWO initialization failed. Error: %s" % e)
        return None


def init(options: Optional[Dict[str, Any]] = None) -> Optional[VWOClient]:
    """vwo-fme-python-sdk's ``vwo.init(options)``: a client, or None when ``sdk_key`` or ``account_id`` is
    missing (printed, as the reference prints it). Blocks while the settings are fetched (unless the
    libvwo extra ``settings`` gives them). Never raises."""
    return init_entry(options, "vwo")


def getUUID(user_id: str, account_id: str) -> Optional[str]:
    """The visitor UUID of ``(user_id, account_id)`` (32 upper-case hex digits), or None (printed) when
    either is not a non-empty string."""
    u = _cstr(user_id)
    if u is None or u == b"":
        print("userId passed to getUUID API is not of valid type.")
        return None
    a = _cstr(account_id)
    if a is None or a == b"":
        print("accountId passed to getUUID API is not of valid type.")
        return None
    out = _lib.OwnedStr()
    if lib.vwo_fme_get_uuid(u, a, byref(out)) != _lib.OK:
        return None
    return _take(out)


class VWOBuilder:
    """Builds a client from init options: ``VWOBuilder(options).build()`` is ``init(options)``."""

    entry = "vwo"  # wingify.WingifyBuilder: "wingify"

    def __init__(self, options: Optional[Dict[str, Any]] = None) -> None:
        self.options = dict(options or {})

    def build(self, settings: Optional[Dict[str, Any]] = None) -> Optional[VWOClient]:
        """A client; ``settings`` (a dict), when given, are used instead of fetching them."""
        opts = dict(self.options)
        if settings:
            opts["settings"] = settings
        return init_entry(opts, self.entry)


class _Instance:
    """The reference's static ``VWO.set_instance`` / ``VWO.getInstance`` (the last client made)."""

    instance: Optional[VWOClient] = None

    @staticmethod
    def set_instance(options: Dict[str, Any]) -> Optional[VWOClient]:
        _Instance.instance = init(options)
        return _Instance.instance

    @staticmethod
    def getInstance() -> Optional[VWOClient]:
        return _Instance.instance
