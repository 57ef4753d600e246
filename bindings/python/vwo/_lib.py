"""The only place libvwo is loaded (ctypes): every C function of include/vwo.h with its argtypes and restype.

Where the library comes from, first match wins:
1. ``VWO_LIBRARY_PATH`` (an explicit override, e.g. a debug build);
2. ``libvwo.so`` bundled next to this file (what ``pip install`` puts there);
3. ``target/release/libvwo.so`` of the repository this package sits in (development checkout).
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)
from typing import Optional

if sys.platform == "darwin":  # pragma: no cover - libvwo is built and tested on Linux
    _NAME = "libvwo.dylib"
elif sys.platform == "win32":  # pragma: no cover
    _NAME = "vwo.dll"
else:
    _NAME = "libvwo.so"

_HERE = os.path.dirname(os.path.abspath(__file__))

# Statuses (enum vwo_status).
OK = 0
NULL_ARGUMENT = 1
INVALID_UTF8 = 2
INVALID_JSON = 3
INVALID_SETTINGS = 4
INVALID_OPTIONS = 5
INVALID_ARGUMENT = 6
NETWORK = 7
BUFFER_TOO_SMALL = 8
PANIC = 9
INTERNAL = 10

TIMEOUT_DEFAULT = 0xFFFFFFFFFFFFFFFF


def _candidates() -> list:
    out = []
    env = os.environ.get("VWO_LIBRARY_PATH")
    if env:
        out.append(env)
        return out
    out.append(os.path.join(_HERE, _NAME))
    # bindings/python/vwo -> repository root
    root = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))
    out.append(os.path.join(root, "target", "release", _NAME))
    return out


def _load() -> "tuple[ctypes.CDLL, str]":
    tried = []
    for path in _candidates():
        if os.path.isfile(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError(
        "libvwo: shared library not found (tried %s); set VWO_LIBRARY_PATH or reinstall the package"
        % ", ".join(tried)
    )


lib, path = _load()

# Callback types (vwo_callbacks). storage_get returns a pointer the binding keeps alive (c_void_p: a
# c_char_p restype cannot return memory owned by Python safely).
STORAGE_GET = CFUNCTYPE(c_void_p, c_void_p, c_char_p, c_char_p)
STORAGE_SET = CFUNCTYPE(c_int, c_void_p, c_char_p)
LOGGER = CFUNCTYPE(None, c_void_p, c_int, c_char_p)
INTEGRATIONS = CFUNCTYPE(None, c_void_p, c_char_p)
FLUSH = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p)


class Callbacks(Structure):
    _fields_ = [
        ("user_data", c_void_p),
        ("storage_get", STORAGE_GET),
        ("storage_set", STORAGE_SET),
        ("logger", LOGGER),
        ("integrations", INTEGRATIONS),
        ("flush", FLUSH),
    ]


class DeliveryCounters(Structure):
    _fields_ = [
        ("accepted", c_uint64),
        ("recovered", c_uint64),
        ("delivered", c_uint64),
        ("retried", c_uint64),
        ("failed", c_uint64),
        ("dropped", c_uint64),
        ("spooled", c_uint64),
        ("in_flight", c_uint64),
    ]


class StorageCounters(Structure):
    _fields_ = [
        ("reads", c_uint64),
        ("hits", c_uint64),
        ("read_errors", c_uint64),
        ("writes", c_uint64),
        ("written", c_uint64),
        ("write_errors", c_uint64),
        ("writes_dropped", c_uint64),
        ("pending", c_uint64),
        ("evicted", c_uint64),
    ]


class FlushReport(Structure):
    _fields_ = [
        ("completed", c_bool),
        ("outstanding", c_uint64),
        ("waited_ms", c_uint64),
        ("batch_events_enabled", c_bool),
        ("counters", DeliveryCounters),
    ]


Client = c_void_p  # struct vwo_client * (opaque)
class OwnedStr(c_char_p):
    """A char* libvwo allocated, to free with vwo_string_free. A subclass, so ctypes keeps the pointer
    (``.value`` reads the text without a foreign call) instead of turning it into bytes."""


def _declare(name: str, restype, argtypes) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = argtypes


_declare("vwo_version", c_char_p, [])
_declare("vwo_last_error_message", c_size_t, [c_void_p, c_size_t])
_declare("vwo_string_free", None, [OwnedStr])
_declare("vwo_get_settings_file", c_int, [c_char_p, c_char_p, c_bool, c_char_p, POINTER(OwnedStr)])
_declare(
    "vwo_get_settings_answer", c_int, [c_char_p, c_char_p, c_bool, c_char_p, POINTER(ctypes.c_uint16), POINTER(OwnedStr)]
)
_declare("vwo_client_launch", c_int, [c_char_p, c_char_p, POINTER(Callbacks), POINTER(Client)])
_declare("vwo_client_free", None, [Client])
_declare("vwo_client_close", c_int, [Client, c_uint64, POINTER(FlushReport)])
# The out-parameter forms of the calls below (the binding uses the compact ones; declared for completeness).
_DECIDE = [Client, c_char_p, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_size_t), POINTER(c_bool)]
_declare("vwo_client_activate", c_int, _DECIDE)
_declare("vwo_client_get_variation_name", c_int, _DECIDE)
_declare("vwo_client_is_feature_enabled", c_int, [Client, c_char_p, c_char_p, c_char_p, POINTER(c_bool)])
_declare(
    "vwo_client_get_feature_variable_value",
    c_int,
    [Client, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(OwnedStr)],
)
_declare("vwo_client_track", c_int, [Client, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(OwnedStr)])
_declare("vwo_client_track_list", c_int, [Client, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(OwnedStr)])
_declare("vwo_client_push", c_int, [Client, c_char_p, c_char_p, c_char_p, POINTER(c_bool)])
_declare("vwo_client_push_map", c_int, [Client, c_char_p, c_char_p, POINTER(c_bool)])
_declare("vwo_client_flush_events", c_int, [Client, c_uint64, POINTER(FlushReport)])
_declare("vwo_client_set_opt_out", c_int, [Client])
_declare("vwo_client_delivery_counters", c_int, [Client, POINTER(DeliveryCounters)])
_declare("vwo_client_storage_counters", c_int, [Client, POINTER(StorageCounters)])
_declare("vwo_client_replace_settings", c_int, [Client, c_char_p])
_declare("vwo_client_settings_json", c_int, [Client, POINTER(OwnedStr)])
# The compact calls (src/ffi/compact.rs): a number or a borrowed text instead of out-parameters.
_COMPACT = [Client, c_char_p, c_char_p, c_char_p]
_declare("vwo_client_activate_id", c_int64, _COMPACT)
_declare("vwo_client_get_variation_name_id", c_int64, _COMPACT)
_declare("vwo_client_variation_name_of_id", c_int, [Client, c_int64, c_char_p, c_size_t, POINTER(c_size_t)])
_declare("vwo_client_is_feature_enabled_flag", c_int64, _COMPACT)
_declare("vwo_client_track_one", c_int64, [Client, c_char_p, c_char_p, c_char_p, c_char_p])
_declare("vwo_client_track_one_revenue", c_int64, [Client, c_char_p, c_char_p, c_char_p, c_char_p, c_double])
# c_char_p results: ctypes copies the borrowed text into bytes at once (None for NULL).
_declare("vwo_client_track_text", c_char_p, [Client, c_char_p, c_char_p, c_char_p, c_char_p])
_declare("vwo_client_get_feature_variable_text", c_char_p, [Client, c_char_p, c_char_p, c_char_p, c_char_p])
_declare("vwo_client_get_and_update_settings_file", c_int, [Client, c_char_p, c_char_p, c_bool, POINTER(OwnedStr)])

# FME (Feature Management and Experimentation): a vwo_fme_client beside the v1 client; a decision is a
# vwo_flag handle (see include/vwo.h, "vwo_fme_").
FmeClient = c_void_p  # struct vwo_fme_client * (opaque)
Flag = c_void_p  # struct vwo_flag * (opaque)
_declare("vwo_fme_client_init", c_int, [c_char_p, POINTER(Callbacks), POINTER(FmeClient)])
_declare("vwo_fme_client_free", None, [FmeClient])
_declare("vwo_fme_client_close", c_int, [FmeClient])
_declare("vwo_fme_client_flush", c_int, [FmeClient, c_uint64, POINTER(c_bool), POINTER(FlushReport)])
_declare("vwo_fme_client_delivery_counters", c_int, [FmeClient, POINTER(DeliveryCounters)])
_declare("vwo_fme_client_settings", c_int, [FmeClient, POINTER(OwnedStr)])
_declare("vwo_fme_update_settings", c_int, [FmeClient, c_char_p, c_bool])
_declare("vwo_fme_get_flag", c_int, [FmeClient, c_char_p, c_char_p, POINTER(Flag)])
_declare("vwo_flag_free", None, [Flag])
_declare("vwo_flag_is_enabled", c_bool, [Flag])
_declare("vwo_flag_session_id", c_uint64, [Flag])
_declare("vwo_flag_get_bool", c_bool, [Flag, c_char_p, c_bool])
_declare("vwo_flag_get_int", c_int64, [Flag, c_char_p, c_int64])
_declare("vwo_flag_get_double", c_double, [Flag, c_char_p, c_double])
_declare("vwo_flag_get_string", c_int, [Flag, c_char_p, POINTER(OwnedStr)])
_declare("vwo_flag_get_json", c_int, [Flag, c_char_p, POINTER(OwnedStr)])
_declare("vwo_flag_variables", c_int, [Flag, POINTER(OwnedStr)])
_declare("vwo_flag_uuid", c_int, [Flag, POINTER(OwnedStr)])
_declare("vwo_flag_reason", c_int, [Flag, POINTER(OwnedStr)])
_declare("vwo_fme_track_event", c_int, [FmeClient, c_char_p, c_char_p, c_char_p, POINTER(c_bool)])
_declare("vwo_fme_set_attributes", c_int, [FmeClient, c_char_p, c_char_p])
_declare("vwo_fme_set_attribute", c_int, [FmeClient, c_char_p, c_char_p, c_char_p])
_declare("vwo_fme_get_uuid", c_int, [c_char_p, c_char_p, POINTER(OwnedStr)])


def last_error() -> str:
    """The text of the last error on this thread."""
    buf = ctypes.create_string_buffer(512)
    n = lib.vwo_last_error_message(buf, 512)
    if n >= 512:
        buf = ctypes.create_string_buffer(n + 1)
        lib.vwo_last_error_message(buf, n + 1)
    return buf.value.decode("utf-8", "replace")


def take_string(p: OwnedStr) -> Optional[str]:
    """Reads an owned char* (``OwnedStr``) and frees it; None for NULL."""
    raw = p.value
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    finally:
        lib.vwo_string_free(p)


def version() -> str:
    return lib.vwo_version().decode("ascii")
