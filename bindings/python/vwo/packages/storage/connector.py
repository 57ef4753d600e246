"""``vwo.packages.storage.connector`` as in vwo-fme-python-sdk: the storage connector base class."""

from ..._fme import StorageConnector

__all__ = ["StorageConnector"]
