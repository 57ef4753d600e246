"""``vwo.packages.logger`` as in vwo-fme-python-sdk."""
