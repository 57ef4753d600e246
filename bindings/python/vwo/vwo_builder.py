"""``vwo.vwo_builder`` as in vwo-fme-python-sdk: ``VWOBuilder(options).build()`` makes a client."""

from ._fme import VWOBuilder

__all__ = ["VWOBuilder"]
