"""``vwo.vwo_client`` as in vwo-fme-python-sdk: the FME client class (libvwo's, an alias)."""

from ._fme import VWOClient

__all__ = ["VWOClient"]
