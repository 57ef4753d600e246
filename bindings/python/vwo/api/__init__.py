"""``vwo.api`` as in vwo-python-sdk: ``vwo.api.launch.launch``. The per-API modules of vwo-python-sdk
(``vwo.api.activate`` …) hold its implementation and are not provided: the APIs are the client's methods."""

from . import launch

__all__ = ["launch"]
