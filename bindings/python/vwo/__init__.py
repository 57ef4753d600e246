"""libvwo's Python binding: vwo-python-sdk 1.68.2's API (``import vwo``) over the Rust core (libvwo)."""

from ._client import GOAL_TYPES, LOG_LEVELS, VWO, UserStorage, get_settings_file, launch
from ._lib import path as library_path
from ._lib import version as _version

__version__ = _version()

__all__ = ["launch", "get_settings_file", "UserStorage", "GOAL_TYPES", "LOG_LEVELS", "VWO", "library_path"]
