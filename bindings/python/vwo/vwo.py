"""``vwo.vwo`` of both official packages: vwo-python-sdk's client class :class:`VWO` (libvwo's, an alias),
which also carries vwo-fme-python-sdk's static ``VWO.set_instance(options)`` / ``VWO.getInstance()``, and
vwo-fme-python-sdk's ``init``, ``getUUID``, ``VWOClient`` and ``VWOBuilder``."""

from ._client import VWO
from ._fme import VWOBuilder, VWOClient, getUUID, init

__all__ = ["VWO", "init", "getUUID", "VWOClient", "VWOBuilder"]
