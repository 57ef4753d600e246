"""``vwo.storage.user`` as in vwo-python-sdk: libvwo's :class:`UserStorage` (an alias, not a copy)."""

from .._client import UserStorage

__all__ = ["UserStorage"]
