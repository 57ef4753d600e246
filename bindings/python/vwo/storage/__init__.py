"""``vwo.storage`` as in vwo-python-sdk: the user-storage base class (``vwo.storage.user.UserStorage``).

vwo-python-sdk's ``vwo.storage.redis.RedisUserStorage`` is not provided: ``launch(redis_creds=...)`` opens
libvwo's built-in Redis storage instead (same keys and values)."""

from . import user
from .user import UserStorage

__all__ = ["UserStorage", "user"]
