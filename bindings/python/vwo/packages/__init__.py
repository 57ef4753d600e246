"""``vwo.packages`` as in vwo-fme-python-sdk: the storage connector and the logger's level enum."""

from . import logger, storage  # noqa: E402,F401
