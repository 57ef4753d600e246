"""``vwo.vwo`` as in vwo-python-sdk: the client class. libvwo's :class:`VWO` itself (an alias, not a copy)."""

from ._client import VWO

__all__ = ["VWO"]
