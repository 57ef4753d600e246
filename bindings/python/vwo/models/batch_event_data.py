"""``vwo.models.batch_event_data`` as in vwo-fme-python-sdk: the ``batch_event_data`` option as an object."""

from .._fme import BatchEventData

__all__ = ["BatchEventData"]
