"""``vwo.models.user.get_flag`` as in vwo-fme-python-sdk: the flag object ``get_flag`` returns."""

from ..._fme import GetFlag

__all__ = ["GetFlag"]
