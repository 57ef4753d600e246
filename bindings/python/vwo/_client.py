"""vwo-python-sdk 1.68.2's API over libvwo's C ABI. The binding converts types and lifetimes; the logic is in
libvwo. Failure values are vwo-python-sdk's: no exception leaves a public method."""

from __future__ import annotations

import ctypes
import json
import json.scanner
import logging
import os
import threading
import weakref
from ctypes import byref, c_bool, c_size_t
from typing import Any, Dict, List, Optional, Union

from . import _lib
from ._lib import lib

__all__ = ["VWO", "UserStorage", "GOAL_TYPES", "LOG_LEVELS", "ClientLogger", "launch", "get_settings_file"]

LOGGER = logging.getLogger("vwo")
SDK_NAME_SUFFIX = "python"
SDK_NAME = "libvwo-" + SDK_NAME_SUFFIX  # the SDK name libvwo puts on the wire for this binding


class GOAL_TYPES:
    """Goal types of ``goal_type_to_track`` (as vwo-python-sdk's ``vwo.GOAL_TYPES``)."""

    REVENUE = "REVENUE_TRACKING"
    CUSTOM = "CUSTOM_GOAL"
    ALL = "ALL"


class LOG_LEVELS:
    """Log levels of ``log_level`` (the ``logging`` module's numbers)."""

    DEBUG = logging.DEBUG
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


_GOAL_TYPES = (GOAL_TYPES.REVENUE, GOAL_TYPES.CUSTOM, GOAL_TYPES.ALL)
_LOG_LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)


class UserStorage:
    """Base class of a user storage: override ``get`` and ``set``.

    ``get(user_id, campaign_key)`` returns the dict saved for the user in the campaign (``userId``,
    ``campaignKey``, ``variationName`` and maybe ``goalIdentifiers``) or None; ``set(user_data)`` saves it.
    """

    def get(self, user_id: str, campaign_key: str) -> Optional[Dict[str, Any]]:
        return None

    def set(self, user_data: Dict[str, Any]) -> None:
        return None


def _log(custom_logger: Any, level: int, message: str) -> None:
    """A message of the binding itself: to the custom logger if given, else to ``logging`` (logger ``vwo``)."""
    if custom_logger is not None:
        try:
            custom_logger.log(level, message)
            return
        except Exception:  # noqa: BLE001 - a failing custom logger falls back to logging
            pass
    LOGGER.log(level, message)


class ClientLogger:
    """``client.logger`` (vwo-python-sdk's ``VWOLogger`` instance): ``log(level, message)`` sends a message
    where the client's own messages go, the custom logger given to ``launch`` or else the ``logging``
    logger ``vwo``; ``logger`` is that object."""

    def __init__(self, custom_logger: Any) -> None:
        self._custom = custom_logger
        self.logger = custom_logger if custom_logger is not None else LOGGER

    def log(self, level: int, message: str, disable_logs: bool = False) -> None:
        if not disable_logs:
            _log(self._custom, level, message)


_tls = threading.local()


def _cstr(value: Any) -> Optional[bytes]:
    """A Python str as a C string; None when it cannot be one (not a str, NUL inside, lone surrogate)."""
    if not isinstance(value, str):
        return None
    try:
        b = value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if b"\0" in b:
        return None
    return b


_BAD = object()
_MISSING = object()

# Campaign keys (and goal identifiers) are few and come back on every call: their bytes are remembered
# (bounded; only exact encodings of str keys that are valid C strings).
_KEYS: Dict[str, bytes] = {}
_KEYS_MAX = 4096


def _key(value: Any) -> Optional[bytes]:
    """``_cstr`` of a key, remembered."""
    b = _cstr(value)
    if b is not None and type(value) is str and len(_KEYS) < _KEYS_MAX:
        _KEYS[value] = b
    return b


_ACTIVATE_ID = lib.vwo_client_activate_id
_GET_VARIATION_NAME_ID = lib.vwo_client_get_variation_name_id
_IS_FEATURE_ENABLED_FLAG = lib.vwo_client_is_feature_enabled_flag
_FEATURE_VARIABLE_TEXT = lib.vwo_client_get_feature_variable_text
_TRACK_ONE = lib.vwo_client_track_one
_TRACK_ONE_REVENUE = lib.vwo_client_track_one_revenue
_TRACK_TEXT = lib.vwo_client_track_text

# One encoder for every call (json.dumps with arguments builds a new encoder each time).
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")).encode
# The C scanner of the json module, without json.loads' Python layers: for the JSON texts libvwo writes.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


def _loads(raw: bytes) -> Any:
    return _scan(raw.decode("utf-8"), 0)[0]


# Feature variable values seen before, by their JSON text: only immutable ones (str, int, float, bool),
# so a caller changing a returned dict changes nothing here.
_VALUES: Dict[bytes, Any] = {}
_VALUES_MAX = 4096
_IMMUTABLE = frozenset([str, int, float, bool])


def _value(raw: bytes) -> Any:
    v = _VALUES.get(raw, _MISSING)
    if v is _MISSING:
        v = _loads(raw)
        if type(v) in _IMMUTABLE and len(_VALUES) < _VALUES_MAX:
            _VALUES[raw] = v
    return v


_INF = float("inf")
_BAD_VALUE = "is not JSON-serialisable (or nested too deeply)"
_BAD_OPTIONS = "options are not JSON-serialisable (or nested too deeply)"


def _option_text(key: str, v: Any) -> Any:
    """The JSON text of one per-call option value, or _BAD."""
    t = type(v)
    if t is float:  # json's own text for a float is float.__repr__; NaN and infinities are refused
        return repr(v) if v == v and -_INF < v < _INF else _BAD
    if t is int:
        return int.__repr__(v)
    if key == "custom_variables" or key == "variation_targeting_variables":
        entry = _custom_variables(v)
        return _BAD if entry is _BAD else entry[1]
    try:
        return _dumps(v)
    except (TypeError, ValueError, RecursionError):
        return _BAD


def _options(kwargs: Dict[str, Any], allowed: frozenset) -> Any:
    """Per-call options as JSON bytes, None when there are none, _BAD when they cannot be encoded."""
    if len(kwargs) == 1 and "custom_variables" in kwargs:  # the common case, without the loop
        return _custom_variables_option(kwargs["custom_variables"])
    parts = []
    for k, v in kwargs.items():
        if v is None or k not in allowed:
            continue
        text = _option_text(k, v)
        if text is _BAD:
            return _BAD
        parts.append('"%s":%s' % (k, text))
    if not parts:
        return None
    try:
        return ("{" + ",".join(parts) + "}").encode("utf-8")
    except UnicodeEncodeError:
        return _BAD


_SCALARS = frozenset([str, int, bool, type(None), float])
_CV_CACHE: Dict[Any, Any] = {}
_CV_CACHE_MAX = 1024
_CV_BY_ID: Dict[int, Any] = {}
_CV_BY_ID_MAX = 256


def _custom_variables(cv: Any) -> Any:
    """``(value types, cv as JSON text, {"custom_variables": cv} as JSON bytes)``, or _BAD.

    A flat dict of at most 64 scalars with str keys (the usual user profile) is encoded once and
    remembered twice:

    * by identity, for a profile dict passed again: the entry answers if the dict still holds the very
      key and value objects it was encoded with, in the same order (see ``_same_objects``);
    * by content, for equal profiles built afresh: its items (keys and values, compared with ``==``)
      find the entry, which then answers only if the value types are the same too.

    The type comparison keeps ``1``, ``1.0``, ``True`` (and a ``Decimal(1)``, or anything else equal to
    a scalar) from sharing a text. A non-str key never equals a str key, so equal items mean str keys.
    Float zeros are never remembered (``0.0 == -0.0`` but their texts differ)."""
    if type(cv) is dict:
        e = _CV_BY_ID.get(id(cv))
        if e is not None and e[0](cv):
            return e[1]
        if len(cv) <= 64:
            items = tuple(cv.items())
            try:
                hit = _CV_CACHE.get(items)
            except TypeError:  # an unhashable value: not a flat dict
                hit = _BAD
            if hit is not _BAD:
                if hit is not None and hit[0] == tuple(map(type, cv.values())):
                    _remember_by_id(cv, hit)
                    return hit
                return _encode_custom_variables(cv, items)
    return _encode_custom_variables(cv, None)


# Identity checkers, one per dict size: ``_CHECKERS[n](k0, ..., v0, ...)`` returns ``check(d)``, true when
# the dict ``d`` holds exactly the keys k0… in that order, with the values v0… (the same objects, ``is``).
# A remembered profile's keys and values are immutable scalars, so the same objects mean the same JSON text;
# checking them is two unpackings and 2n identity tests in one frame, without building tuples or calling
# ``type`` per value (about half the instructions of comparing key, value and type tuples).
_CHECKERS: Dict[int, Any] = {}


def _checker_factory(n: int) -> Any:
    f = _CHECKERS.get(n)
    if f is None:
        ks = ["k%d" % i for i in range(n)]
        vs = ["v%d" % i for i in range(n)]
        xs = ["x%d" % i for i in range(n)]
        ys = ["y%d" % i for i in range(n)]
        tests = " and ".join("%s is %s" % p for p in zip(xs + ys, ks + vs))
        src = (
            "def factory(%s):\n"
            "    def check(d):\n"
            "        try:\n"
            "            %s, = d\n"
            "            %s, = d.values()\n"
            "        except ValueError:\n"
            "            return False\n"
            "        return %s\n"
            "    return check\n"
        ) % (", ".join(ks + vs), ", ".join(xs), ", ".join(ys), tests)
        scope: Dict[str, Any] = {}
        exec(src, scope)  # noqa: S102 - generated from n alone
        f = _CHECKERS[n] = scope["factory"]
    return f


def _is_empty(d: Dict[str, Any]) -> bool:
    return not d


def _same_objects(cv: Dict[str, Any]) -> Any:
    """A check that ``cv`` (later) holds the key and value objects it holds now, in this order."""
    if not cv:
        return _is_empty
    return _checker_factory(len(cv))(*cv, *cv.values())


def _remember_by_id(cv: Dict[str, Any], entry: Any) -> None:
    if len(_CV_BY_ID) >= _CV_BY_ID_MAX:
        _CV_BY_ID.clear()
    _CV_BY_ID[id(cv)] = (_same_objects(cv), entry)


def _encode_custom_variables(cv: Any, items: Any) -> Any:
    """Encodes ``cv``; remembers the entry when ``items`` (its hashable items) is given and it is flat."""
    try:
        text = _dumps(cv)
        option = ('{"custom_variables":' + text + "}").encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError):
        return _BAD
    if items is None:
        return ((), text, option)
    types = tuple(map(type, cv.values()))
    entry = (types, text, option)
    if (
        all(type(k) is str for k in cv)
        and _SCALARS.issuperset(types)
        and not any(type(v) is float and v == 0.0 for v in cv.values())
    ):
        if len(_CV_CACHE) >= _CV_CACHE_MAX:
            _CV_CACHE.clear()
        _CV_CACHE[items] = entry
        _remember_by_id(cv, entry)
    return entry


def _custom_variables_option(cv: Any) -> Any:
    """``{"custom_variables": cv}`` as JSON bytes (None for None, _BAD when it cannot be encoded)."""
    if cv is None:
        return None
    entry = _custom_variables(cv)
    return _BAD if entry is _BAD else entry[2]


def _call_options(custom_variables: Any, kwargs: Dict[str, Any], allowed: frozenset) -> Any:
    """The options of a call taking ``custom_variables`` by name and the rest in ``kwargs``."""
    if kwargs:
        if custom_variables is not None:
            kwargs["custom_variables"] = custom_variables
        return _options(kwargs, allowed)
    return _custom_variables_option(custom_variables)


def _with_revenue(opts: Any, revenue_value: Any) -> Any:
    """``opts`` (None or the JSON bytes of an object) with ``revenue_value`` added, or _BAD."""
    text = _option_text("revenue_value", revenue_value)
    if text is _BAD or opts is _BAD:
        return _BAD
    try:
        rv = text.encode("utf-8")
    except UnicodeEncodeError:
        return _BAD
    if opts is None:
        return b'{"revenue_value":' + rv + b"}"
    return b'{"revenue_value":' + rv + b"," + opts[1:]


_DECIDE_OPTS = frozenset(
    ["custom_variables", "variation_targeting_variables", "user_agent", "user_ip_address", "custom_properties"]
)
_FEATURE_VAR_OPTS = frozenset(["custom_variables", "variation_targeting_variables"])
_TRACK_OPTS = _DECIDE_OPTS | frozenset(
    ["revenue_value", "goal_type_to_track", "event_properties", "should_track_returning_user"]
)


# ------------------------------------------------------------------------------------------------ callbacks
class _Hooks:
    """The C callbacks of one client. Holds the CFUNCTYPE objects (kept alive as long as the client's C
    handle) and never lets an exception cross into C: it is logged instead."""

    def __init__(self, logger: Any, user_storage: Any, integrations: Any, flush_callback: Any) -> None:
        self.logger = logger
        self.user_storage = user_storage
        self.integrations = integrations
        self.flush_callback = flush_callback
        cb = _lib.Callbacks()
        if user_storage is not None:
            self._get = _lib.STORAGE_GET(self._storage_get)
            self._set = _lib.STORAGE_SET(self._storage_set)
            cb.storage_get = self._get
            cb.storage_set = self._set
        # libvwo's messages go to the custom logger, else to ``logging`` (logger ``vwo``).
        self._logger = _lib.LOGGER(self._log if logger is not None else self._log_default)
        cb.logger = self._logger
        if integrations is not None:
            self._integrations = _lib.INTEGRATIONS(self._integrate)
            cb.integrations = self._integrations
        if flush_callback is not None:
            self._flush = _lib.FLUSH(self._flushed)
            cb.flush = self._flush
        self.struct = cb

    def _storage_get(self, _ud: Any, user_id: bytes, campaign_key: bytes) -> Optional[int]:
        try:
            record = self.user_storage.get(user_id.decode("utf-8"), campaign_key.decode("utf-8"))
            if record is None:
                return None
            buf = ctypes.create_string_buffer(_dumps(record).encode("utf-8"))
            _tls.storage_buf = buf  # valid until the next storage_get on this thread
            return ctypes.addressof(buf)
        except Exception as e:  # noqa: BLE001
            _log(self.logger, logging.ERROR, "user storage get raised %s: %s" % (type(e).__name__, e))
            return None

    def _storage_set(self, _ud: Any, record_json: bytes) -> int:
        try:
            self.user_storage.set(json.loads(record_json.decode("utf-8")))
            return 0
        except Exception as e:  # noqa: BLE001
            _log(self.logger, logging.ERROR, "user storage set raised %s: %s" % (type(e).__name__, e))
            return 1

    def _log(self, _ud: Any, level: int, message: bytes) -> None:
        try:
            self.logger.log(level, message.decode("utf-8", "replace"))
        except Exception as e:  # noqa: BLE001
            LOGGER.error("custom logger raised %s: %s", type(e).__name__, e)

    @staticmethod
    def _log_default(_ud: Any, level: int, message: bytes) -> None:
        try:
            LOGGER.log(level, message.decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - a broken logging configuration must not cross into C
            pass

    def _integrate(self, _ud: Any, payload: bytes) -> None:
        try:
            self.integrations.callback(json.loads(payload.decode("utf-8")))
        except Exception as e:  # noqa: BLE001
            _log(self.logger, logging.ERROR, "integrations callback raised %s: %s" % (type(e).__name__, e))

    def _flushed(self, _ud: Any, error: Optional[bytes], events: bytes) -> None:
        try:
            err = error.decode("utf-8", "replace") if error is not None else None
            self.flush_callback(err, json.loads(events.decode("utf-8")))
        except Exception as e:  # noqa: BLE001
            _log(self.logger, logging.ERROR, "flush_callback raised %s: %s" % (type(e).__name__, e))


# ------------------------------------------------------------------------------------------------ the client
_live: "weakref.WeakSet[VWO]" = weakref.WeakSet()
_live_lock = threading.Lock()


def _free(box: List[Any]) -> None:
    """Finalizer: frees the C client (flushes its queued events first)."""
    h = box[0]
    box[0] = None
    if h:
        lib.vwo_client_free(h)


def _variation_method(fn: Any, api: str, doc: str) -> Any:
    """``activate`` or ``get_variation_name`` (the same code over libvwo's ``fn``)."""

    def method(
        self: "VWO", campaign_key: str, user_id: str, custom_variables: Any = None, **kwargs: Any
    ) -> Optional[str]:
        k = _KEYS.get(campaign_key) if type(campaign_key) is str else None
        if k is not None and not kwargs and type(user_id) is str and "\0" not in user_id:
            cv = custom_variables
            if cv is None:
                o: Any = None
            else:
                # _custom_variables' identity check, inline: the profile dict passed again.
                e = _CV_BY_ID.get(id(cv))
                o = e[1][2] if e is not None and type(cv) is dict and e[0](cv) else _custom_variables_option(cv)
            if o is not _BAD:
                try:
                    r = fn(self._h, k, user_id.encode(), o)
                except UnicodeEncodeError:
                    pass
                else:
                    if r > 0:
                        try:
                            return self._names[r]
                        except KeyError:
                            pass
                    elif r == 0:
                        return None
                    return self._variation_of(r, api)
        return self._decide(fn, campaign_key, user_id, custom_variables, kwargs, api)

    method.__name__ = api
    method.__qualname__ = "VWO." + api
    method.__doc__ = doc
    return method


class VWO:
    """A launched client (vwo-python-sdk's ``VWO`` instance). Create it with :func:`launch`.

    ``close()`` (or ``with vwo.launch(...) as client:``) flushes queued events and stops the event thread;
    decisions still work afterwards but send nothing. The C client itself is freed when the object is
    garbage collected or at interpreter exit.
    """

    def __init__(
        self, handle: Any, hooks: _Hooks, settings: str, options: bytes, goal_type_to_track: Optional[str] = None,
        batching: bool = False,
    ) -> None:
        self._h = handle
        self._goal_type_to_track = goal_type_to_track or GOAL_TYPES.ALL
        self._batching = batching
        self._logger_view: Optional[ClientLogger] = None
        self._settings_dict: Any = None  # (settings text, its dict), read when settings_file is asked for
        self._names: Dict[int, str] = {}  # name id -> variation name (ids are per C client)
        self._hooks = hooks  # keeps the CFUNCTYPE objects alive as long as the C client
        self._settings = settings
        self._options = options
        self._closed = False
        self._opted_out = False
        self._box = [handle]
        self._finalizer = weakref.finalize(self, _free, self._box)
        with _live_lock:
            _live.add(self)

    # -- vwo-fme-python-sdk's ``vwo.vwo.VWO`` (its static orchestrator shares this module path) -------
    @staticmethod
    def set_instance(options: Dict[str, Any]) -> Any:
        """vwo-fme-python-sdk's ``VWO.set_instance(options)``: ``vwo.init(options)``, remembered."""
        from ._fme import _Instance

        return _Instance.set_instance(options)

    @staticmethod
    def getInstance() -> Any:
        """vwo-fme-python-sdk's ``VWO.getInstance()``: the client the last ``set_instance`` made."""
        from ._fme import _Instance

        return _Instance.getInstance()

    # -- vwo-python-sdk's read-only attributes ----------------------------------------------------
    @property
    def logger(self) -> ClientLogger:
        """Where this client's messages go (vwo-python-sdk's ``VWOLogger``): ``logger.log(level, message)``."""
        if self._logger_view is None:
            self._logger_view = ClientLogger(self._hooks.logger)
        return self._logger_view

    @property
    def settings_file(self) -> Dict[str, Any]:
        """The settings in force, as a dict (a new one after ``get_and_update_settings_file`` swapped them).
        vwo-python-sdk's dict also carries the variation ranges it computed; libvwo keeps those in the core."""
        cached = self._settings_dict
        if cached is None or cached[0] is not self._settings:
            cached = self._settings_dict = (self._settings, json.loads(self._settings))
        return cached[1]

    @property
    def goal_type_to_track(self) -> str:
        """The default goal type of ``track`` (launch's ``goal_type_to_track``, else ``"ALL"``)."""
        return self._goal_type_to_track

    @property
    def is_event_batching_enabled(self) -> bool:
        """Whether ``batch_events`` was given to ``launch``."""
        return self._batching

    @property
    def is_event_arch_enabled(self) -> bool:
        """The settings' ``isEventArchEnabled`` (events go to ``/events/t``)."""
        return bool(self.settings_file.get("isEventArchEnabled"))

    @property
    def is_opted_out(self) -> bool:
        """Whether ``set_opt_out`` was called."""
        return self._opted_out

    # -- lifetime --------------------------------------------------------------------------------
    def close(self, timeout: Optional[float] = None) -> bool:
        """Flushes queued events (waiting up to ``timeout`` seconds, default: the launch option
        ``delivery.close_timeout_ms``) and stops the event thread. Closing twice is fine. Returns whether
        everything queued was settled."""
        if self._closed:
            return True
        self._closed = True
        ms = _lib.TIMEOUT_DEFAULT if timeout is None else max(0, int(timeout * 1000))
        report = _lib.FlushReport()
        st = lib.vwo_client_close(self._h, ms, byref(report))
        return st == _lib.OK and bool(report.completed)

    def __enter__(self) -> "VWO":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _relaunch_after_fork(self) -> None:
        """In a forked child: the parent's C client (its event thread is gone, its queue is the parent's to
        send) is abandoned, never freed, and a fresh one takes its place."""
        self._finalizer.detach()
        out = _lib.Client()
        st = lib.vwo_client_launch(self._settings.encode("utf-8"), _options_for_child(self._options), byref(self._hooks.struct), byref(out))
        if st != _lib.OK:
            _log(self._hooks.logger, logging.ERROR, "relaunch after fork failed: " + _lib.last_error())
            return
        self._h = out
        self._names = {}
        self._box = [out]
        self._finalizer = weakref.finalize(self, _free, self._box)
        if self._opted_out:
            lib.vwo_client_set_opt_out(out)
        if self._closed:
            lib.vwo_client_close(out, 0, None)

    # -- decisions -------------------------------------------------------------------------------
    # The public methods are the hot path: a str campaign key (and goal or variable key) seen before, a
    # str user id and at most ``custom_variables`` go straight to libvwo's compact calls (four or five
    # arguments, the result a number or a borrowed text). Anything else — first sight of a key, other
    # keyword arguments, wrong types — takes the general path, which checks and converts each argument.
    # ``custom_variables`` is named (vwo-python-sdk takes it in ``**kwargs``) so the usual call builds
    # no keyword dictionary.
    activate = _variation_method(
        _ACTIVATE_ID, "activate", "The variation of a VISUAL_AB campaign for the user (an impression is sent the first time)."
    )
    get_variation_name = _variation_method(
        _GET_VARIATION_NAME_ID, "get_variation_name", "The variation of a VISUAL_AB or FEATURE_TEST campaign for the user (no event)."
    )

    def _decide(
        self, fn: Any, campaign_key: Any, user_id: Any, custom_variables: Any, kwargs: Dict[str, Any], api: str
    ) -> Optional[str]:
        """The general path of activate and get_variation_name."""
        k = _key(campaign_key)
        u = _cstr(user_id)
        if k is None or u is None:
            _log(self._hooks.logger, logging.ERROR, "%s: campaign_key and user_id must be strings" % api)
            return None
        opts = _call_options(custom_variables, kwargs, _DECIDE_OPTS)
        if opts is _BAD:
            _log(self._hooks.logger, logging.ERROR, "%s: %s" % (api, _BAD_OPTIONS))
            return None
        return self._variation_of(fn(self._h, k, u, opts), api)

    def _variation_of(self, r: int, api: str) -> Optional[str]:
        """The answer of a name-id call: the variation name, None, or None with the failure logged."""
        if r > 0:
            name = self._names.get(r)
            return self._name_of(r) if name is None else name
        if r < 0:
            self._failed(api, -r)
        return None

    def _name_of(self, name_id: int) -> Optional[str]:
        """The text of a name id libvwo returned (asked once per id, then remembered)."""
        n = c_size_t()
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            st = lib.vwo_client_variation_name_of_id(self._h, name_id, buf, size, byref(n))
            if st != _lib.BUFFER_TOO_SMALL:
                break
            size = n.value + 1
        if st != _lib.OK:
            self._failed("variation name", st)
            return None
        name = buf.raw[: n.value].decode("utf-8")
        self._names[name_id] = name
        return name

    def _failed(self, api: str, status: int) -> None:
        _log(self._hooks.logger, logging.ERROR, "%s: status %d: %s" % (api, status, _lib.last_error()))

    def is_feature_enabled(
        self, campaign_key: str, user_id: str, custom_variables: Any = None, **kwargs: Any
    ) -> bool:
        """Whether the feature of a FEATURE_TEST or FEATURE_ROLLOUT campaign is on for the user."""
        k = _KEYS.get(campaign_key) if type(campaign_key) is str else None
        u = None
        if k is not None and type(user_id) is str and "\0" not in user_id:
            try:
                u = user_id.encode()
            except UnicodeEncodeError:
                pass
        if u is None:
            k, u = _key(campaign_key), _cstr(user_id)
            if k is None or u is None:
                _log(self._hooks.logger, logging.ERROR, "is_feature_enabled: campaign_key and user_id must be strings")
                return False
        opts = _call_options(custom_variables, kwargs, _DECIDE_OPTS)
        if opts is _BAD:
            _log(self._hooks.logger, logging.ERROR, "is_feature_enabled: " + _BAD_OPTIONS)
            return False
        r = _IS_FEATURE_ENABLED_FLAG(self._h, k, u, opts)
        if r < 0:
            self._failed("is_feature_enabled", -r)
            return False
        return r == 1

    def get_feature_variable_value(
        self, campaign_key: str, variable_key: str, user_id: str, custom_variables: Any = None, **kwargs: Any
    ) -> Any:
        """The variable's value cast to its type (str, int, float, bool, dict), or None."""
        k = _KEYS.get(campaign_key) if type(campaign_key) is str else None
        v = _KEYS.get(variable_key) if type(variable_key) is str else None
        u = None
        if k is not None and v is not None and type(user_id) is str and "\0" not in user_id:
            try:
                u = user_id.encode()
            except UnicodeEncodeError:
                pass
        if u is None:
            k, v, u = _key(campaign_key), _key(variable_key), _cstr(user_id)
            if k is None or v is None or u is None:
                _log(self._hooks.logger, logging.ERROR, "get_feature_variable_value: keys and user_id must be strings")
                return None
        opts = _call_options(custom_variables, kwargs, _FEATURE_VAR_OPTS)
        if opts is _BAD:
            _log(self._hooks.logger, logging.ERROR, "get_feature_variable_value: " + _BAD_OPTIONS)
            return None
        raw = _FEATURE_VARIABLE_TEXT(self._h, k, v, u, opts)
        if raw is None:
            _log(self._hooks.logger, logging.ERROR, "get_feature_variable_value: " + _lib.last_error())
            return None
        return None if raw == b"null" else _value(raw)

    def track(
        self,
        campaign_specifier: Union[str, List[str], None],
        user_id: str,
        goal_identifier: str,
        custom_variables: Any = None,
        revenue_value: Any = None,
        **kwargs: Any,
    ) -> Optional[Dict[str, bool]]:
        """Converts a goal: ``{campaign_key: bool}`` for the campaigns considered, or None."""
        k = _KEYS.get(campaign_specifier) if type(campaign_specifier) is str else None
        g = _KEYS.get(goal_identifier) if type(goal_identifier) is str else None
        u = None
        if g is not None and type(user_id) is str and "\0" not in user_id:
            try:
                u = user_id.encode()
            except UnicodeEncodeError:
                pass
        if u is None:
            u, g = _cstr(user_id), _key(goal_identifier)
            if u is None or g is None:
                _log(self._hooks.logger, logging.ERROR, "track: user_id and goal_identifier must be strings")
                return None
        cv = custom_variables
        rev = None  # a float revenue of one campaign, sent apart from the options
        if kwargs:
            if cv is not None:
                kwargs["custom_variables"] = cv
            if revenue_value is not None:
                kwargs["revenue_value"] = revenue_value
            opts = _options(kwargs, _TRACK_OPTS)
        else:
            if cv is None:
                opts = None
            else:  # _custom_variables' identity check, inline, as in activate
                e = _CV_BY_ID.get(id(cv))
                opts = e[1][2] if e is not None and type(cv) is dict and e[0](cv) else _custom_variables_option(cv)
            if revenue_value is not None:
                # A float goes to libvwo as a number (no float repr), and the options text stays that of
                # the profile, which libvwo has parsed before.
                if k is not None and type(revenue_value) is float and -_INF < revenue_value < _INF:
                    rev = revenue_value
                else:
                    opts = _with_revenue(opts, revenue_value)
        if opts is _BAD:
            _log(self._hooks.logger, logging.ERROR, "track: " + _BAD_OPTIONS)
            return None
        key = campaign_specifier
        if k is None and isinstance(campaign_specifier, str):
            k = _key(campaign_specifier)
            if k is None:
                return None
            key = k.decode("utf-8")  # a str subclass: the result's key is a plain str
        if k is not None:
            if rev is None:
                r = _TRACK_ONE(self._h, k, u, g, opts)
            else:
                r = _TRACK_ONE_REVENUE(self._h, k, u, g, opts, rev)
            if r > 0:
                return {key: r == 2}  # type: ignore[dict-item]
            if r < 0:
                self._failed("track", -r)
            return None
        if campaign_specifier is None:
            raw = _TRACK_TEXT(self._h, None, u, g, opts)
            if raw is None:
                _log(self._hooks.logger, logging.ERROR, "track: " + _lib.last_error())
                return None
            return None if raw == b"null" else _loads(raw)
        if isinstance(campaign_specifier, list):
            # As vwo-python-sdk: an entry that is not a str names no campaign, and a list naming no
            # running campaign of the settings (or an empty one) answers {} (libvwo's answer).
            try:
                keys = _dumps([c for c in campaign_specifier if isinstance(c, str)]).encode("utf-8")
            except (ValueError, UnicodeEncodeError):
                return None
            out = _lib.OwnedStr()
            st = lib.vwo_client_track_list(self._h, keys, u, g, opts, byref(out))
            if st != 0:
                self._failed("track", st)
                return None
            text = _lib.take_string(out)
            return None if text is None else json.loads(text)
        _log(self._hooks.logger, logging.ERROR, "track: campaign_specifier must be a str, a list or None")
        return None

    def push(self, *args: Any, **kwargs: Any) -> bool:
        """``push(tag_key, tag_value, user_id)`` or ``push(custom_dimension_map, user_id)``."""
        first = args[0] if args else kwargs.get("tag_key", kwargs.get("custom_dimension_map"))
        ok = c_bool()
        if isinstance(first, dict):
            user = args[1] if len(args) > 1 else kwargs.get("user_id")
            u = _cstr(user)
            if u is None:
                return False
            try:
                dims = _dumps(first).encode("utf-8")
            except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
                _log(self._hooks.logger, logging.ERROR, "push: custom_dimension_map " + _BAD_VALUE)
                return False
            st = lib.vwo_client_push_map(self._h, dims, u, byref(ok))
        else:
            value = args[1] if len(args) > 1 else kwargs.get("tag_value")
            user = args[2] if len(args) > 2 else kwargs.get("user_id")
            k, v, u = _cstr(first), _cstr(value), _cstr(user)
            if k is None or v is None or u is None:
                _log(self._hooks.logger, logging.ERROR, "push: tag_key, tag_value and user_id must be strings")
                return False
            st = lib.vwo_client_push(self._h, k, v, u, byref(ok))
        if st != 0:
            self._failed("push", st)
            return False
        return ok.value

    def flush_events(self, mode: str = "sync") -> Optional[bool]:
        """Sends queued events now and waits for them ("sync"; "async" does not wait). True when event
        batching is on, None when it is off (vwo-python-sdk's results)."""
        if self._opted_out:
            return False  # vwo-python-sdk: nothing is flushed once opted out, in either mode
        report = _lib.FlushReport()
        st = lib.vwo_client_flush_events(self._h, 0 if mode == "async" else _lib.TIMEOUT_DEFAULT, byref(report))
        if st != 0:
            self._failed("flush_events", st)
            return False
        return True if report.batch_events_enabled else None

    def set_opt_out(self) -> Optional[bool]:
        """Flushes queued events; afterwards every API returns its failure value and nothing is sent."""
        st = lib.vwo_client_set_opt_out(self._h)
        if st != 0:
            self._failed("set_opt_out", st)
            return None
        self._opted_out = True
        return True

    def get_and_update_settings_file(
        self, account_id: Any = None, sdk_key: Any = None, is_via_webhook: bool = False
    ) -> Optional[str]:
        """Fetches the settings of ``account_id`` with ``sdk_key`` (each None: the current settings') and
        swaps them in when valid and changed; the settings now in force, or None (logged)."""
        if isinstance(account_id, int) and not isinstance(account_id, bool):
            account_id = str(account_id)
        a = _cstr(account_id) if account_id is not None else None
        k = _cstr(sdk_key) if sdk_key is not None else None
        if (account_id is not None and a is None) or (sdk_key is not None and k is None):
            _log(self._hooks.logger, logging.ERROR, "get_and_update_settings_file: account_id and sdk_key must be strings")
            return None
        if a == b"" or k == b"":
            # vwo-python-sdk answers an empty account id or SDK key with the settings in force, unfetched.
            _log(self._hooks.logger, logging.ERROR, "get_and_update_settings_file: account_id and sdk_key must not be empty")
            return self._settings
        out = _lib.OwnedStr()
        st = lib.vwo_client_get_and_update_settings_file(self._h, a, k, bool(is_via_webhook), byref(out))
        if st != 0:
            self._failed("get_and_update_settings_file", st)
            return None
        text = _lib.take_string(out)
        if text is not None:
            self._settings = text
        return text

    # -- libvwo extras ---------------------------------------------------------------------------
    def delivery_counters(self) -> Dict[str, int]:
        """The event thread's counters (accepted, delivered, failed, dropped, …)."""
        c = _lib.DeliveryCounters()
        lib.vwo_client_delivery_counters(self._h, byref(c))
        return {name: getattr(c, name) for name, _ in _lib.DeliveryCounters._fields_}

    def storage_counters(self) -> Dict[str, int]:
        """The built-in user storage's counters (reads, hits, read_errors, writes, written, write_errors,
        writes_dropped, pending, evicted); all zero for a ``user_storage`` object."""
        c = _lib.StorageCounters()
        lib.vwo_client_storage_counters(self._h, byref(c))
        return {name: getattr(c, name) for name, _ in _lib.StorageCounters._fields_}


def _after_fork_in_child() -> None:
    with _live_lock:
        clients = list(_live)
    for c in clients:
        try:
            c._relaunch_after_fork()
        except Exception as e:  # noqa: BLE001
            LOGGER.error("relaunch after fork raised %s: %s", type(e).__name__, e)


def _options_for_child(options: bytes) -> bytes:
    """The launch options of a client relaunched in a forked child: the parent's, but without an on-disk
    spool, which stays the parent's (libvwo allows one client per spool directory, and the parent's
    spooled events are the parent's to send); the child's events are queued in memory."""
    if b"spool_dir" not in options:
        return options
    opts = json.loads(options)
    delivery = opts.get("delivery")
    if isinstance(delivery, dict):
        delivery.pop("spool_dir", None)
    return json.dumps(opts).encode("utf-8")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# ------------------------------------------------------------------------------------------------ launch
def _has(obj: Any, name: str) -> bool:
    return callable(getattr(obj, name, None))


def launch(
    settings_file: Any,
    logger: Any = None,
    user_storage: Any = None,
    is_development_mode: bool = False,
    goal_type_to_track: Optional[str] = None,
    batch_events: Optional[Dict[str, Any]] = None,
    integrations: Any = None,
    log_level: Any = None,
    base_url: Optional[str] = None,
    delivery: Optional[Dict[str, Any]] = None,
    redis_creds: Optional[Dict[str, Any]] = None,
    builtin_user_storage: Optional[Dict[str, Any]] = None,
    **kwargs: Any,
) -> Optional[VWO]:
    """vwo-python-sdk's ``launch``: a client, or None when an argument is invalid (logged).

    ``redis_creds={"url", "user_id", "password"}`` selects libvwo's built-in Redis user storage, as
    vwo-python-sdk does (same keys and values, so both read each other's records); ignored when
    ``user_storage`` is given. ``url`` is a host (port 6379, db 0), ``host:port`` or a ``redis://`` URL;
    ``user_id``/``password`` authenticate (ACL user name and password; vwo-python-sdk 1.68.2 accepts but
    never sends them).

    libvwo extras: ``base_url`` (VWO's collector by default), ``delivery`` (the C ABI's ``delivery``
    launch options: timeouts, queue, retries, spool; by default a failed request is retried for up to
    10 minutes, ``max_retry_time_ms``, its backoff capped at 5 s, with no attempt count unless
    ``max_attempts`` is given) and ``builtin_user_storage`` (the C ABI's
    ``user_storage`` launch option, passed through: ``{"redis": {...}}``, ``{"file": {"path": ...}}`` or
    ``{"memory": {"maxEntries": ...}}``). Unknown keyword arguments are ignored, as vwo-python-sdk does.
    """
    if not logger:
        logger = None  # vwo-python-sdk: a falsy logger (False, 0, "") means its default logger
    def bad(why: str) -> None:
        _log(logger if _has(logger, "log") else None, logging.ERROR, "launch: " + why)

    s = _cstr(settings_file)
    if s is None:
        bad("settings_file must be a JSON string")
        return None
    if logger is not None and not _has(logger, "log"):
        bad("logger must have a log(level, message) method")
        return None
    if user_storage is not None and not (_has(user_storage, "get") and _has(user_storage, "set")):
        bad("user_storage must have get and set methods")
        return None
    if integrations is not None and not _has(integrations, "callback"):
        bad("integrations must have a callback method")
        return None
    if is_development_mode and is_development_mode is not True:
        # vwo-python-sdk: any falsy value means off; a true value must be the bool True.
        bad("is_development_mode must be a bool")
        return None
    opts: Dict[str, Any] = {"sdk_name_suffix": SDK_NAME_SUFFIX, "is_development_mode": bool(is_development_mode)}
    if logger is None:
        opts["logger_is_custom"] = False  # the logging module, vwo-python-sdk's default: no `cl` usage stat
    if goal_type_to_track is not None:
        if goal_type_to_track not in _GOAL_TYPES:
            bad("goal_type_to_track must be one of %s" % (_GOAL_TYPES,))
            return None
        opts["goal_type_to_track"] = goal_type_to_track
    flush_callback = None
    if batch_events is not None:
        if not isinstance(batch_events, dict) or not (
            "events_per_request" in batch_events or "request_time_interval" in batch_events
        ):
            bad("batch_events must be a dict with events_per_request and/or request_time_interval")
            return None
        be: Dict[str, Any] = {}
        epr = batch_events.get("events_per_request")
        if epr is not None:
            if type(epr) is not int or not 1 <= epr <= 5000:
                bad("batch_events.events_per_request must be an int in [1, 5000]")
                return None
            be["events_per_request"] = epr
        rti = batch_events.get("request_time_interval")
        if rti is not None:
            if type(rti) not in (int, float) or not rti >= 1:
                bad("batch_events.request_time_interval must be a number >= 1")
                return None
            be["request_time_interval"] = rti
        flush_callback = batch_events.get("flush_callback")
        if flush_callback is not None and not callable(flush_callback):
            bad("batch_events.flush_callback must be callable")
            return None
        opts["batch_events"] = be
    if log_level is not None:
        # vwo-python-sdk takes the logging module's DEBUG, INFO, WARNING, ERROR (ints) or 0 (NOTSET, its
        # default level) and refuses the rest, names included.
        if type(log_level) is not int or (log_level != 0 and log_level not in _LOG_LEVELS):
            bad("log_level must be one of logging.DEBUG, INFO, WARNING, ERROR (10, 20, 30, 40)")
            return None
        if log_level:
            opts["log_level"] = log_level
    if logger is not None:
        # vwo-python-sdk sends a custom logger every message, at every level, whatever log_level says
        # (log_level only sets the level of its default logger): libvwo is launched at DEBUG for it, and
        # the usage stat `ll` still says whether log_level was given.
        opts["log_level"] = logging.DEBUG
        opts["log_level_is_custom"] = bool(log_level)
    if base_url is not None:
        opts["base_url"] = base_url
    if delivery is not None:
        opts["delivery"] = delivery
    if user_storage is None and redis_creds:
        if not isinstance(redis_creds, dict):
            bad("redis_creds must be a dict with url, user_id and password")
            return None
        redis: Dict[str, Any] = {"url": redis_creds.get("url") or "localhost"}
        if redis_creds.get("user_id"):
            redis["username"] = redis_creds["user_id"]
        if redis_creds.get("password"):
            redis["password"] = redis_creds["password"]
        opts["user_storage"] = {"redis": redis}
    elif user_storage is None and builtin_user_storage is not None:
        opts["user_storage"] = builtin_user_storage
    try:
        options = _dumps(opts).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        # RecursionError: a value nested deeper than the interpreter's recursion limit.
        bad("launch options are not JSON-serialisable (or nested too deeply)")
        return None
    hooks = _Hooks(logger, user_storage, integrations, flush_callback)
    out = _lib.Client()
    st = lib.vwo_client_launch(s, options, byref(hooks.struct), byref(out))
    if st != _lib.OK:
        bad("status %d: %s" % (st, _lib.last_error()))
        return None
    return VWO(out, hooks, settings_file, options, goal_type_to_track, batch_events is not None)


def get_settings_file(account_id: Any, sdk_key: Any, is_via_webhook: bool = False, base_url: Optional[str] = None) -> str:
    """Fetches the account's settings file from VWO: the text VWO answered, or ``"{}"`` when there is no
    answer (bad arguments, network failure; logged).

    As vwo-python-sdk: an answer whose status is not 200 is logged at ERROR (its text) and its body is
    returned as the settings text (which ``launch`` then refuses, unless it is a valid settings file).
    ``is_via_webhook``: from ``/server-side/pull`` (what a webhook asks for) instead of ``/server-side/settings``.
    ``base_url`` (libvwo extra) replaces VWO's collector.
    """
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        account_id = str(account_id)
    a, k = _cstr(account_id), _cstr(sdk_key)
    if a is None or k is None:
        LOGGER.error("get_settings_file: account_id and sdk_key must be strings")
        return "{}"
    b = _cstr(base_url) if base_url is not None else None
    if base_url is not None and b is None:
        LOGGER.error("get_settings_file: base_url must be a string")
        return "{}"
    out = _lib.OwnedStr()
    status = ctypes.c_uint16()
    st = lib.vwo_get_settings_answer(a, k, bool(is_via_webhook), b, byref(status), byref(out))
    if st != _lib.OK:
        LOGGER.error("get_settings_file: status %d: %s", st, _lib.last_error())
        return "{}"
    text = _lib.take_string(out) or ""
    if status.value != 200:
        # vwo-python-sdk's words (it prints them to standard error, as ``logging`` does when unconfigured).
        LOGGER.error(
            "Request failed for fetching account settings. %sGot Status Code: %d and message: %s.",
            "[via Webhook] " if is_via_webhook else "",
            status.value,
            text,
        )
    return text
