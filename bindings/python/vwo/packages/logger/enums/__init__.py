"""``vwo.packages.logger.enums`` as in vwo-fme-python-sdk."""
