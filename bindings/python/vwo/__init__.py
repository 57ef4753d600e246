"""libvwo's Python binding over the Rust core (libvwo): vwo-python-sdk 1.68.2's API (``vwo.launch``, FullStack)
and vwo-fme-python-sdk 1.65.0's API (``vwo.init``, Feature Management and Experimentation) in one package."""

from ._client import GOAL_TYPES, LOG_LEVELS, VWO, UserStorage, get_settings_file, launch
from ._fme import LogLevelEnum, StorageConnector, VWOBuilder, VWOClient, VWOOptionsModel, getUUID, init
from ._lib import path as library_path
from ._lib import version as _version

# The modules code written for vwo-python-sdk imports (``from vwo import logger``, ``vwo.vwo.VWO``,
# ``vwo.storage.user.UserStorage``, ``vwo.constants.constants``, ``vwo.enums``, ``vwo.api.launch.launch``,
# ``vwo.helpers.settings_file_util.get``) and those code written for vwo-fme-python-sdk imports
# (``vwo.vwo.init``, ``vwo.vwo_client``, ``vwo.vwo_builder``, ``vwo.models…``, ``vwo.packages…``):
# aliases of the names above, loaded with the package as the official packages load them.
from . import api, constants, enums, helpers, logger, storage, vwo  # noqa: E402,F401
from . import models, packages, vwo_builder, vwo_client  # noqa: E402,F401

__version__ = _version()

__all__ = [
    "launch",
    "get_settings_file",
    "UserStorage",
    "GOAL_TYPES",
    "LOG_LEVELS",
    "VWO",
    "library_path",
    "init",
    "getUUID",
    "VWOClient",
    "VWOBuilder",
    "VWOOptionsModel",
    "StorageConnector",
    "LogLevelEnum",
]
