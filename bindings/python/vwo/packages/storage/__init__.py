"""``vwo.packages.storage`` as in vwo-fme-python-sdk."""
