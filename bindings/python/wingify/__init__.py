"""``wingify`` as in vwo-fme-python-sdk 1.65.0 (its core package, entered with ``wingify.init``): the same
FME client as ``vwo.init`` (libvwo's, in the ``vwo`` package), with Wingify's hosts and names."""

from typing import Any, Dict, Optional

from vwo._fme import GetFlag, LogLevelEnum, StorageConnector, VWOBuilder, VWOClient, getUUID, init_entry

WingifyClient = VWOClient


class WingifyBuilder(VWOBuilder):
    """``WingifyBuilder(options).build()`` is ``wingify.init(options)``."""

    entry = "wingify"


def init(options: Optional[Dict[str, Any]] = None) -> Optional[VWOClient]:
    """vwo-fme-python-sdk's ``wingify.init(options)``: ``vwo.init`` through the ``wingify`` entry."""
    return init_entry(options, "wingify")


__all__ = ["init", "getUUID", "WingifyClient", "WingifyBuilder", "GetFlag", "StorageConnector", "LogLevelEnum"]
