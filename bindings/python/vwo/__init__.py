"""libvwo's Python binding: vwo-python-sdk 1.68.2's API (``import vwo``) over the Rust core (libvwo)."""

from ._client import GOAL_TYPES, LOG_LEVELS, VWO, UserStorage, get_settings_file, launch
from ._lib import path as library_path
from ._lib import version as _version

# The modules code written for vwo-python-sdk imports (``from vwo import logger``, ``vwo.vwo.VWO``,
# ``vwo.storage.user.UserStorage``, ``vwo.constants.constants``, ``vwo.enums``, ``vwo.api.launch.launch``,
# ``vwo.helpers.settings_file_util.get``): aliases of the names above, loaded with the package as
# vwo-python-sdk loads them.
from . import api, constants, enums, helpers, logger, storage, vwo  # noqa: E402,F401

__version__ = _version()

__all__ = ["launch", "get_settings_file", "UserStorage", "GOAL_TYPES", "LOG_LEVELS", "VWO", "library_path"]
