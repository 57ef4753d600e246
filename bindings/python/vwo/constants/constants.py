"""``vwo.constants.constants`` as in vwo-python-sdk 1.68.2: the names its public constants have, with libvwo's
values (the SDK name and version libvwo puts on the wire, the limits libvwo enforces, the endpoints it
calls). ``GOAL_TYPES`` and ``LOG_LEVELS`` are the classes ``vwo.GOAL_TYPES`` and ``vwo.LOG_LEVELS`` themselves.
Reading them changes nothing in libvwo: they describe it."""

from .._client import GOAL_TYPES, LOG_LEVELS, SDK_NAME
from .._lib import path as LIBRARY_PATH
from .._lib import version as _version

SDK_VERSION = _version()
API_VERSION = 1
PLATFORM = "server"
SEED_VALUE = 1
MAX_TRAFFIC_PERCENT = 100
MAX_TRAFFIC_VALUE = 10000
STATUS_RUNNING = "RUNNING"
HTTP_PROTOCOL = "http://"
HTTPS_PROTOCOL = "https://"


class ENDPOINTS:
    BASE_URL = "dev.visualwebsiteoptimizer.com"  # launch(base_url=...) replaces it
    ACCOUNT_SETTINGS = "/server-side/settings"
    WEBHOOKS_ACCOUNT_SETTINGS = "/server-side/pull"
    TRACK_USER = "/server-side/track-user"
    TRACK_GOAL = "/server-side/track-goal"
    PUSH = "/server-side/push"
    BATCH_EVENTS = "/server-side/batch-events"
    EVENTS = "/events/t"


class EVENTS:
    TRACK_USER = "track-user"
    TRACK_GOAL = "track-goal"
    PUSH = "push"
    VWO_VARIATION_SHOWN = "vwo_variationShown"
    VWO_SYNC_VISITOR_PROP = "vwo_syncVisitorProp"


class DATA_TYPE:
    NUMBER = "number"
    STRING = "string"
    FUNCTION = "function"
    BOOLEAN = "boolean"


class API_METHODS:
    ACTIVATE = "activate"
    GET_VARIATION_NAME = "get_variation_name"
    TRACK = "track"
    IS_FEATURE_ENABLED = "is_feature_enabled"
    GET_FEATURE_VARIABLE_VALUE = "get_feature_variable_value"
    PUSH = "push"
    FLUSH_EVENTS = "flush_events"
    GET_AND_UPDATE_SETTINGS_FILE = "get_and_update_settings_file"
    SET_OPT_OUT = "set_opt_out"


class BATCH_EVENTS:
    EVENTS_PER_REQUEST = "events_per_request"
    REQUEST_TIME_INTERVAL = "request_time_interval"
    FLUSH_CALLBACK = "flush_callback"
    MAX_EVENTS_PER_REQUEST = 5000
    MIN_EVENTS_PER_REQUEST = 1
    DEFAULT_EVENTS_PER_REQUEST = 100
    DEFAULT_REQUEST_TIME_INTERVAL = 600
    MIN_REQUEST_TIME_INTERVAL = 1


class CAMPAIGN_TYPES:
    VISUAL_AB = "VISUAL_AB"
    FEATURE_TEST = "FEATURE_TEST"
    FEATURE_ROLLOUT = "FEATURE_ROLLOUT"


class INTEGRATIONS:
    CALLBACK = "callback"


class VARIABLE_TYPES:
    STRING = "string"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    JSON = "json"


class PUSH_API:
    TAG_VALUE_LENGTH = 255
    TAG_KEY_LENGTH = 255


# The Python type get_feature_variable_value returns for each variable type.
PY_VARIABLE_TYPES = {"string": str, "integer": int, "double": float, "boolean": bool, "json": dict}


class SEGMENTATION_TYPES:
    WHITELISTING = "whitelisting"
    PRE_SEGMENTATION = "pre_segmentation"


class VISITOR:
    USER_AGENT = "visitor_ua"
    CUSTOM_HEADER_USER_AGENT = "X-Device-User-Agent"
    IP = "visitor_ip"
    CUSTOM_HEADER_IP = "VWO-X-Forwarded-For"


__all__ = [
    "SDK_NAME", "SDK_VERSION", "API_VERSION", "PLATFORM", "SEED_VALUE", "MAX_TRAFFIC_PERCENT",
    "MAX_TRAFFIC_VALUE", "STATUS_RUNNING", "LIBRARY_PATH", "HTTP_PROTOCOL", "HTTPS_PROTOCOL", "ENDPOINTS",
    "EVENTS", "DATA_TYPE", "API_METHODS", "GOAL_TYPES", "BATCH_EVENTS", "CAMPAIGN_TYPES", "INTEGRATIONS",
    "VARIABLE_TYPES", "PUSH_API", "PY_VARIABLE_TYPES", "SEGMENTATION_TYPES", "LOG_LEVELS", "VISITOR",
]
