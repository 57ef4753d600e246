"""``vwo.api.launch`` as in vwo-python-sdk: libvwo's :func:`vwo.launch` (an alias, not a copy)."""

from .._client import launch

__all__ = ["launch"]
