"""``vwo.packages`` as in vwo-fme-python-sdk: the storage connector and the logger's level enum."""
