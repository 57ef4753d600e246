"""``vwo.logger`` as in vwo-python-sdk (``from vwo import logger``, as its README's user-storage example
begins). libvwo's messages go to the custom logger given to ``launch(logger=...)`` (every message, whatever
``log_level`` is, as vwo-python-sdk sends them), else to the ``logging`` logger ``vwo`` at or above
``log_level`` (default ERROR). ``client.logger`` is a :class:`ClientLogger`. vwo-python-sdk's
``vwo.logger.VWOLogger`` module (its process-wide logger singleton) is not provided: each libvwo client has
its own logger."""

from ._client import LOGGER as default_logger
from ._client import ClientLogger

__all__ = ["ClientLogger", "default_logger"]
